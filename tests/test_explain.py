"""Golden explanations: `bindlog why` text and JSON for the cases in tests/explain/cases.txt.

Regenerate with `pytest tests/test_explain.py --update-goldens` and read the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "explain"
FIXTURE = "tests/explain/fixture"


def _cases() -> list[tuple[str, list[str]]]:
    out = []
    for line in (HERE / "cases.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, args = line.partition("|")
            out.append((name.strip(), args.split()))
    return out


CASES = _cases()


def _why(args: list[str], output: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", "why", *args, "-f", FIXTURE, "-o", output],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def test_at_least_twelve_cases() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("output", ["text", "json"])
def test_explanation_golden(
    name: str, args: list[str], output: str, request: pytest.FixtureRequest
) -> None:
    done = _why(args, output)
    assert done.returncode == 0, done.stderr
    golden = HERE / "expected" / f"{name}.{'txt' if output == 'text' else 'json'}"
    if request.config.getoption("--update-goldens", default=False):
        golden.write_text(done.stdout)
    assert done.stdout == golden.read_text()
    if output == "json":
        doc = json.loads(done.stdout)
        assert doc["schemaVersion"] == 1


def test_unknown_object_is_an_input_error() -> None:
    done = _why(["deploy/nope", "-n", "team-a"], "text")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no object deploy/nope in namespace 'team-a' in the input" in done.stderr


def test_ambiguous_object_asks_for_a_namespace() -> None:
    done = _why(["svc/web"], "text")
    assert done.returncode == 1
    assert "names several objects" in done.stderr
    assert "services/team-a/web" in done.stderr
    assert "services/team-b/web" in done.stderr


def test_unknown_wec_is_an_input_error() -> None:
    done = _why(["deploy/web", "-n", "team-a", "--wec", "mars"], "text")
    assert done.returncode == 1
    assert "WEC 'mars' is not in the inventory" in done.stderr


def test_target_without_slash_is_a_usage_error() -> None:
    done = _why(["deployment"], "text")
    assert done.returncode == 2
    assert "TARGET: expected TYPE/NAME or TYPE/NAMESPACE/NAME" in done.stderr
