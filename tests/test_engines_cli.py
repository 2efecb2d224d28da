"""Both rule engines give the same answers, byte for byte, through the CLI.

The default engine evaluates the compiled rules set-at-a-time (engine/setwise.py);
`BINDLOG_ENGINE=pydatalog` hands the same rules to pyDatalog. The golden tests check the
default against hand-derived results; here every golden input also runs through pyDatalog and
must print the same Bindings, explanations and what-if diffs.
"""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest

from bindlog.cli import main

TESTS = Path(__file__).resolve().parent
SCENARIOS = sorted(p.parent for p in (TESTS / "scenarios").glob("*/input*.yaml"))
WHATIF = sorted(p for p in (TESTS / "whatif").iterdir() if p.is_dir())
EXAMPLE = str(TESTS.parent / "examples" / "nginx")


def _both(monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[str, str]:
    outs = []
    for engine in ("setwise", "pydatalog"):
        monkeypatch.setenv("BINDLOG_ENGINE", engine)
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out, err)
        outs.append(f"exit {code}\n{out.getvalue()}\n{err.getvalue()}")
    return outs[0], outs[1]


@pytest.mark.parametrize("case", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_resolve_and_status_agree(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = [str(p) for p in sorted(case.glob("input*.yaml"))]
    args = [arg for p in inputs for arg in ("-f", p)]
    setwise, pydatalog = _both(monkeypatch, "resolve", *args, "-o", "yaml")
    assert setwise == pydatalog
    setwise, pydatalog = _both(monkeypatch, "status", *args, "-o", "json")
    assert setwise == pydatalog


@pytest.mark.parametrize("case", WHATIF, ids=[p.name for p in WHATIF])
def test_what_if_agrees(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = shlex.split((case / "args").read_text().strip().replace("@", f"{case}/"))
    base = str(TESTS / "whatif" / "base.yaml")
    setwise, pydatalog = _both(monkeypatch, "what-if", "-f", base, *args, "-o", "json")
    assert setwise == pydatalog
    assert "exit 0" in setwise or "exit 1" in setwise


@pytest.mark.parametrize(
    "argv",
    [
        ["why", "deployment/nginx", "-n", "nginx"],
        ["why", "deployment/nginx", "-n", "nginx", "-o", "json", "--proofs"],
        ["why", "wec/cluster1"],
        ["why", "bp/nginx"],
        ["graph", "-o", "dot"],
    ],
)
def test_explanations_agree(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    setwise, pydatalog = _both(monkeypatch, *argv, "-f", EXAMPLE)
    assert setwise == pydatalog
    assert setwise.startswith("exit 0")


def test_an_unknown_engine_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BINDLOG_ENGINE", "prolog")
    with pytest.raises(SystemExit) as exit_:
        main(["resolve", "-f", EXAMPLE], io.StringIO(), io.StringIO())
    assert exit_.value.code == 2  # argparse's usage error, as `python -m bindlog` exits
    assert capsys.readouterr().err.endswith(
        "bindlog: error: $BINDLOG_ENGINE='prolog': use setwise or pydatalog\n"
    )
