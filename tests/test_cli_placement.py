"""`bindlog test`: the examples in examples/placement-tests (one passes, one fails with the
pinned report), JUnit XML, GitHub annotations and bad test files."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "placement-tests"
# The example's two policies have no uid: each suite that loads it says so once.
NO_UID = (
    "warning: examples/nginx/policies.yaml[doc 0] BindingPolicy/nginx: metadata.uid: not set "
    "(and 1 more): Bindings are written without ownerReferences (the API server rejects an "
    "empty uid; KubeStellar uses the live policy's uid)\n"
)


def bindlog(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**clean, **(env or {})},
        check=False,
    )


def test_passing_example() -> None:
    done = bindlog("test", "examples/placement-tests/pass")
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[0].split() == ["SUITE", "TEST", "RESULT", "DETAIL"]
    assert len(rows) == 8
    assert all(row.split()[-1] == "pass" for row in rows[1:])
    assert done.stderr == NO_UID + "7 passed, 0 failed (1 suite(s))\n"


def test_failing_example_report() -> None:
    # The expected report was checked line by line against the comments in the test file.
    done = bindlog("test", "examples/placement-tests/fail")
    assert done.returncode == 1
    assert done.stdout == (EXAMPLES / "fail" / "expected-report.txt").read_text()
    assert done.stderr == NO_UID + "1 passed, 4 failed (1 suite(s))\n"


def test_directory_runs_every_suite_and_fails_if_any_fails(tmp_path: Path) -> None:
    done = bindlog("test", "examples/placement-tests", "--junit", str(tmp_path / "r.xml"))
    assert done.returncode == 1
    assert done.stderr == NO_UID * 2 + "8 passed, 4 failed (2 suite(s))\n"
    root = ET.parse(tmp_path / "r.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("12", "4")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"nginx", "nginx-wrong"}
    failures = [c for c in suites["nginx-wrong"].iter("testcase") if c.find("failure") is not None]
    assert [c.get("line") for c in failures] == ["10", "14", "19", "22"]
    assert failures[0].get("name") == "the Deployment reaches cloud1"


def test_github_annotations() -> None:
    done = bindlog("test", "examples/placement-tests/fail", env={"GITHUB_ACTIONS": "true"})
    notes = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    path = "examples/placement-tests/fail/bindlog-test.yaml"
    assert notes[0] == (
        f"::error file={path},line=10,title=bindlog test%3A the Deployment reaches cloud1::"
        "deployments.apps/nginx/nginx is not bound to cloud1 "
        "(bindlog why deployments.apps/nginx/nginx --wec cloud1 tells why)"
    )
    assert [n.split(",")[1] for n in notes] == ["line=10", "line=14", "line=19", "line=22"]
    assert "::error" not in bindlog("test", "examples/placement-tests/fail").stdout


def test_bad_test_file_names_file_document_and_field(tmp_path: Path) -> None:
    (tmp_path / "bindlog-test.yaml").write_text(
        "apiVersion: cli.bindlog.kubestellar.io/v1alpha1\nkind: PlacementTest\n"
        "metadata: {name: t}\nmanifests: [x.yaml]\n"
        "results:\n  - {object: deploy/a, wec: w, result: maybe}\n  - {wec: w, objcts: []}\n"
    )
    done = bindlog("test", str(tmp_path))
    assert done.returncode == 1
    where = f"{tmp_path}/bindlog-test.yaml[doc 0] PlacementTest/t"
    assert f"{where}: results[0]: Required value: result: bound or unbound" in done.stderr
    assert f"{where}: results[1].objcts: Unknown field" in done.stderr
    assert "Traceback" not in done.stderr
    empty = bindlog("test", str(tmp_path / "nothing"))
    assert empty.returncode == 1
    assert "no such file or directory" in empty.stderr


def test_unknown_names_fail_the_case_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "bindlog-test.yaml").write_text(
        "apiVersion: cli.bindlog.kubestellar.io/v1alpha1\nkind: PlacementTest\n"
        f"metadata: {{name: t}}\nmanifests: [{ROOT / 'examples' / 'nginx'}]\n"
        "results:\n  - {object: deploy/ngnix, namespace: nginx, wec: cluster1, result: bound}\n"
        "  - {wec: clustr1, objects: []}\n  - {binding: ngnix, destinations: []}\n"
    )
    done = bindlog("test", str(tmp_path))
    assert done.returncode == 1
    assert (
        "no object deploy/ngnix in namespace 'nginx' in the input (did you mean \"nginx\"?)"
        in done.stdout
    )
    assert "WEC 'clustr1' is not in the inventory (did you mean \"cluster1\"" in done.stdout
    assert "no BindingPolicy named 'ngnix' (did you mean \"nginx\"" in done.stdout


def test_binding_case_fails_for_a_policy_that_gets_no_binding(tmp_path: Path) -> None:
    # Scenario 24: `quiet` selects nothing, so KubeStellar creates no Binding for it; `wecs-only`
    # selects a WEC and no object, which is a Binding with destinations and no workload.
    scenario = ROOT / "tests" / "scenarios" / "24-empty-resolution"
    (tmp_path / "bindlog-test.yaml").write_text(
        "apiVersion: cli.bindlog.kubestellar.io/v1alpha1\nkind: PlacementTest\n"
        f"metadata: {{name: t}}\nmanifests: [{scenario / 'input.yaml'}]\n"
        "results:\n  - {binding: quiet, objects: [], destinations: []}\n"
        "  - {binding: wecs-only, objects: [], destinations: [w1]}\n"
    )
    done = bindlog("test", str(tmp_path))
    assert done.returncode == 1
    assert (
        "BindingPolicy quiet selects no WEC and no object: KubeStellar creates no Binding for an "
        "empty resolution" in done.stdout
    )
    assert done.stderr == "1 passed, 1 failed (1 suite(s))\n"
