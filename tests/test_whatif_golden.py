"""Golden what-if cases (tests/whatif/): hand-derived diffs, and the library against the plain
meaning of each change set (a full evaluation of `apply_to_snapshot`)."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import pytest

from bindlog.adapters import Limits
from bindlog.analysis.whatif import load_model
from bindlog.changes import apply_to_snapshot
from bindlog.cli import build_parser, main, whatif
from bindlog.cli.common import options
from bindlog.engine.evaluate import evaluate
from bindlog.export.bindings import bindings
from bindlog.export.diff import diff_bindings

HERE = Path(__file__).resolve().parent / "whatif"
BASE = str(HERE / "base.yaml")
CASES = sorted(p for p in HERE.iterdir() if p.is_dir())


def case_args(case: Path) -> list[str]:
    text = (case / "args").read_text().strip().replace("@", f"{case}/")
    return shlex.split(text)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_text_diff_is_the_hand_derived_one(case: Path) -> None:
    code, out, err = run("what-if", "-f", BASE, *case_args(case), "--exit-code")
    expected = (case / "expected.txt").read_text()
    assert out == expected, err
    assert code == (0 if expected == "no Binding changes\n" else 1), err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_json_agrees_with_text(case: Path) -> None:
    _, out, _ = run("what-if", "-f", BASE, *case_args(case), "-o", "json")
    doc = json.loads(out)
    first_line = (case / "expected.txt").read_text().splitlines()[0]
    assert doc["summary"] == first_line
    assert doc["changed"] == (first_line != "no Binding changes")
    assert [b["name"] for b in doc["bindings"]] == [
        line.split()[1]
        for line in (case / "expected.txt").read_text().splitlines()
        if line.startswith("Binding ")
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_model_what_if_equals_full_evaluation_of_the_edited_snapshot(case: Path) -> None:
    parser = build_parser()
    args = parser.parse_args(["what-if", "-f", BASE, *case_args(case)])
    args.options, args.limits = options(args, parser), Limits()
    loaded = load_model([BASE], args.options)
    changes = whatif.inline_changes(args, loaded)
    base = loaded.snapshot
    outcome = loaded.what_if(changes)
    full = bindings(evaluate(apply_to_snapshot(base, changes)))
    assert outcome.bindings == full
    assert outcome.diff == diff_bindings(bindings(evaluate(base)), full)
    assert loaded.snapshot == base  # the base model is left as it was
