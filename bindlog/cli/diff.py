"""`bindlog diff`: the Bindings of one input against another's, or against the Bindings in it.

`-f OLD... --against NEW...` compares what the rules give for two inputs (two git revisions, say).
Without `--against` it compares what the rules give with the Binding objects present in the
input, as a running controller wrote them: drift. Only the spec counts (see export/diff.py).
Exit 0 when equal, 1 when different, 2 on bad input or usage (the `diff` convention).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import yaml

from bindlog import api
from bindlog.cli.common import EXIT_OK, Usage, input_args, run_resolution
from bindlog.errors import BindlogError, InputError
from bindlog.export.diff import Diff, diff_bindings, diff_json, diff_text

EXIT_CHANGED, EXIT_TROUBLE = 1, 2

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="compare the Bindings of two inputs, or the rules' Bindings with those in the input",
        description="With --against: the Bindings computed from -f (old) against those computed "
        "from --against (new). Without: the Bindings computed from -f (new) against the "
        "Binding objects present in -f (old), i.e. drift of a running controller. "
        "Exit 0 equal, 1 different, 2 bad input or usage.",
    )
    input_args(p)
    p.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="PATH",
        help="the new input: manifest file, directory or -; repeatable",
    )
    p.add_argument("-o", "--output", choices=("text", "yaml", "json"), default="text")
    p.set_defaults(handler=run)


@dataclass(slots=True)
class Failed:
    code: int | None = None


@contextmanager
def report_errors(err: TextIO, exit_code: int | None) -> Iterator[Failed]:
    """Bad input exits `exit_code` instead of the general 1, printed as main prints it; with
    None, errors go on to main unchanged."""
    failed = Failed()
    try:
        yield failed
    except InputError as e:
        if exit_code is None:
            raise
        print(e.render(), file=err)
        print(f"bindlog: {len(e.problems)} problem(s) in the input", file=err)
        failed.code = exit_code
    except BindlogError as e:
        if exit_code is None:
            raise
        print(f"bindlog: {e}", file=err)
        failed.code = exit_code


def dumps_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def dumps_yaml(doc: dict[str, Any]) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def render(diff: Diff, output: str) -> str:
    if output == "text":
        return diff_text(diff)
    doc = diff_json(diff)
    return dumps_json(doc) if output == "json" else dumps_yaml(doc)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with report_errors(err, EXIT_TROUBLE) as failed:
        diff = _diff(args, err)
        out.write(render(diff, args.output))
        return EXIT_CHANGED if diff.changed else EXIT_OK
    assert failed.code is not None
    return failed.code


def _resolve(paths: list[str], args: argparse.Namespace, err: TextIO) -> api.Run:
    # Through the shared loader, so every input flag (files, stdin, live sources) applies.
    return run_resolution(argparse.Namespace(**{**vars(args), "filename": paths}), err)


def _diff(args: argparse.Namespace, err: TextIO) -> Diff:
    old = _resolve(args.filename, args, err)
    if args.against:
        if "-" in args.filename and "-" in args.against:
            raise Usage("stdin (-) can be read by -f or by --against, not both")
        new = _resolve(args.against, args, err)
        return diff_bindings(old.bindings, new.bindings)
    policies = {p.name for p in old.result.snapshot.policies}
    present = []
    for binding in old.result.snapshot.bindings:
        meta = binding.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        if isinstance(name, str) and name not in policies:
            # The controller leaves a Binding that no BindingPolicy owns alone: not drift.
            print(f"warning: Binding/{name}: no BindingPolicy of that name; not compared", file=err)
            continue
        present.append(binding)
    if not present:
        print(
            "warning: no Binding objects in the input: every computed Binding shows as created",
            file=err,
        )
    return diff_bindings(present, old.bindings)
