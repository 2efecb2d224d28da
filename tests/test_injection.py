"""Data that looks like Datalog or Python is data: it round-trips unchanged and nothing runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bindlog import bindings, evaluate, load
from bindlog.analysis.why import Explainer
from bindlog.errors import ExportError
from bindlog.export import explain_render
from bindlog.export.explain_render import Style
from bindlog.export.write import write_directory_atomic

ROOT = Path(__file__).resolve().parent.parent

# Strings that would do harm if they reached program text; all are valid RBAC object names
# (the path-segment rule), statusCollector names, uids and resourceVersions.
HOSTILE = [
    "x') or True #",
    "__import__('os').system('touch CANARY')",
    'a" & b(X) <= c(X) & "',
    "p(X) <= q(X)",
    "\u212cindingPolicy",  # a look-alike letter (SCRIPT CAPITAL B)
    "new\nline",
    "tab\there",
    "quote'\"`",
    "~negated(X)",
    "+ fact('x')",
]


def _manifests(tmp_path: Path, canary: Path) -> Path:
    docs: list[dict[str, object]] = [
        {
            "apiVersion": "cluster.open-cluster-management.io/v1",
            "kind": "ManagedCluster",
            "metadata": {"name": "wec1"},
        }
    ]
    for i, text in enumerate(HOSTILE):
        name = text.replace("CANARY", canary.name)
        docs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": name, "resourceVersion": name},
            }
        )
        docs.append(
            {
                "apiVersion": "control.kubestellar.io/v1alpha1",
                "kind": "BindingPolicy",
                "metadata": {"name": f"p{i}", "uid": name},
                "spec": {
                    "clusterSelectors": [{}],
                    "downsync": [{"objectNames": [name], "statusCollectors": [name]}],
                },
            }
        )
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump_all(docs, allow_unicode=True))
    return path


def test_hostile_strings_round_trip_and_nothing_executes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where the canary command would create its file
    canary = tmp_path / "pwned"
    path = _manifests(tmp_path, canary)
    result = evaluate(load([str(path)]).snapshot)
    out = {b["metadata"]["name"]: b for b in bindings(result, explain=True)}
    for i, text in enumerate(HOSTILE):
        name = text.replace("CANARY", canary.name)
        binding = out[f"p{i}"]
        entries = binding["spec"]["workload"]["clusterScope"]
        assert [e["name"] for e in entries] == [name]
        assert entries[0]["resourceVersion"] == name
        assert entries[0]["statusCollectors"] == [name]
        assert binding["metadata"]["ownerReferences"][0]["uid"] == name
        trace = json.loads(binding["metadata"]["annotations"]["bindlog.kubestellar.io/explain"])
        assert list(trace["objects"]) == [f"rbac.authorization.k8s.io/v1/clusterroles/{name}"]
    explainer = Explainer(result)
    for text in HOSTILE:
        name = text.replace("CANARY", canary.name)
        obj = next(o for o in result.snapshot.objects if o.ref.name == name)
        report = explainer.explain_object(obj, "wec1")
        assert report.proofs
        rendered = explain_render.object_report_text(report, explainer.describer, Style(False))
        assert f'is named "{name}"' in rendered
        doc = explain_render.object_report_json(report, explainer.describer)
        assert doc["object"]["name"] == name
    assert not canary.exists()


def test_hostile_strings_through_the_cli(tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    path = _manifests(tmp_path, canary)
    done = subprocess.run(
        [sys.executable, "-m", "bindlog", "resolve", "-f", str(path), "-o", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = {
        e["name"]
        for item in json.loads(done.stdout)["items"]
        for e in item["spec"]["workload"]["clusterScope"]
    }
    assert names == {t.replace("CANARY", canary.name) for t in HOSTILE}
    assert not canary.exists()


@pytest.mark.parametrize("name", ["..", ".", "../escape", "a/b", "", ".bindlog-export", "x\0y"])
def test_export_names_cannot_escape_the_directory(tmp_path: Path, name: str) -> None:
    target = tmp_path / "out"
    with pytest.raises(ExportError):
        write_directory_atomic(target, {name: "x"})
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_policy_names_that_would_escape_are_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: control.kubestellar.io/v1alpha1\nkind: BindingPolicy\n"
        "metadata: {name: ../../etc}\nspec: {}\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bindlog",
            "resolve",
            "-f",
            str(path),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 1
    assert "metadata.name: Invalid value: '../../etc'" in done.stderr
    assert not (tmp_path / "out").exists()
