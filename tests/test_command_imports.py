"""A command's run imports its own module, not every command's, and parses as it did when every
command was registered."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bindlog.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import io, json, sys
from bindlog.cli import main
code = main(json.loads(sys.argv[1]), io.StringIO(), io.StringIO())
print(json.dumps([code, sorted(m for m in sys.modules if m.startswith(("bindlog.", "orjson")))]))
"""


def _modules(*argv: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    code, modules = json.loads(done.stdout)
    return code, set(modules)


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_resolve_imports_no_other_command_nor_the_table_writers(output: str) -> None:
    code, modules = _modules("resolve", "-f", "examples/nginx", "-o", output, "-q")
    assert code == 0
    assert "bindlog.cli.resolve" in modules  # the probe sees real imports
    others = {f"bindlog.cli.{m}" for m in COMMANDS.values()} - {"bindlog.cli.resolve"}
    assert not modules & others
    assert not modules & {"bindlog.analysis.why", "bindlog.export.jsonpath"}
    assert ("orjson" in modules) is (output == "json")  # JSON's writer, for JSON only


def test_a_table_still_finds_its_writers() -> None:
    code, modules = _modules("resolve", "-f", "examples/nginx", "-o", "wide", "-q")
    assert code == 0
    assert "bindlog.export.columns" in modules


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_parser_built_alone_is_the_one_built_with_all(command: str) -> None:
    alone = _subparsers(build_parser(command))
    assert list(alone) == [command]
    whole = _subparsers(build_parser())[command]
    assert alone[command].format_help() == whole.format_help()
    assert [a.option_strings or a.dest for a in alone[command]._actions] == [
        a.option_strings or a.dest for a in whole._actions
    ]


def test_version_and_top_level_help_still_list_everything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bindlog.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("bindlog ")
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert re.findall(r"^ {4}(\S+)", listed, re.MULTILINE) == list(COMMANDS)
