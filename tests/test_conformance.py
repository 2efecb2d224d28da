"""Issue #14: behaviours checked against KubeStellar's source, beyond the golden scenarios.

The library keeps going past a policy KubeStellar would fail; `why` says why a policy has no
Binding and when a Namespace is missing; usage and scalar rules follow kubectl.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bindlog
from bindlog.adapters.scalars import k8s_key, k8s_string
from bindlog.errors import InputError
from bindlog.export.sync_errors import sync_errors

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = "tests/scenarios"

POLICIES = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {name: w1, labels: {env: prod}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: app, resourceVersion: "4"}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: good, uid: u1}
spec:
  clusterSelectors: [{matchLabels: {env: prod}}]
  downsync: [{resources: [configmaps]}]
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: bad, uid: u2}
spec:
  clusterSelectors:
  - {}
  - {matchExpressions: [{key: env, operator: In, values: []}]}
  - {matchExpressions: [{key: env, operator: Exists, values: [x]}]}
  downsync: [{resources: [configmaps]}]
"""


def _bindlog(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def _scenario(name: str) -> list[str]:
    directory = ROOT / SCENARIOS / name
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".json"))
    return [a for p in files if not p.name.startswith("expected") for a in ("-f", str(p))]


def test_library_goes_on_past_a_policy_kubestellar_fails(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(POLICIES)
    paths = [str(tmp_path / "in.yaml")]
    with pytest.raises(InputError) as failed:
        bindlog.load(paths)  # strict by default: the CLI's exit 1
    assert [p.field for p in failed.value.problems] == [
        "spec.clusterSelectors[1]",
        "spec.clusterSelectors[2]",
    ]
    assert "fails this one policy's sync" in failed.value.problems[0].detail

    loaded = bindlog.load(paths, bindlog.LoadOptions(strict=False))
    kept = [w for w in loaded.warnings if w.obj == "BindingPolicy/bad"]
    assert [w.field for w in kept] == ["spec.clusterSelectors[1]", "spec.clusterSelectors[2]"]
    result = bindlog.evaluate(loaded.snapshot)
    # The good policy is resolved as ever; the bad one has no WEC and no Binding.
    assert [b["metadata"]["name"] for b in bindlog.bindings(result)] == ["good"]
    by_name = {r.policy.name: r for r in result.resolutions}
    assert by_name["bad"].invalid
    assert by_name["bad"].destinations == frozenset()
    assert by_name["good"].destinations == frozenset({"w1"})
    # The controller's error (first bad selector, as FindClustersBySelectors returns on it)
    # goes to its log, not into status.errors.
    assert sync_errors(result) == {
        "bad": [
            "failed to handle bindingpolicy: failed to ocm.FindClustersBySelectors: failed to "
            "convert metav1.LabelSelector to labels.Selector: spec.clusterSelectors[1]: "
            "matchExpressions[0].values: for 'In', 'NotIn' operators, values set can't be empty"
        ]
    }
    assert result.status_errors() == {}


def test_why_policy_without_binding() -> None:
    args = _scenario("24-empty-resolution")
    quiet = _bindlog("why", "bp/quiet", *args)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == (
        "BindingPolicy/quiet\n"
        "  selects 0 WECs:\n"
        "  selects 0 objects:\n"
        "  no Binding: it selects no WEC and no object: KubeStellar creates no Binding for an "
        "empty resolution (an existing one would be emptied to spec: {workload: {}})\n"
    )
    stale = _bindlog("why", "bp/stale", *args, "-o", "json")
    report = json.loads(stale.stdout)
    assert (report["binding"], report["noBindingReason"]) == (True, None)
    assert _bindlog("why", "bp/stale", *args).stdout.endswith(
        "  Binding: the one in the input, emptied to spec: {workload: {}}\n"
    )
    wecs_only = json.loads(_bindlog("why", "bp/wecs-only", *args, "-o", "json").stdout)
    assert (wecs_only["binding"], wecs_only["wecs"], wecs_only["objects"]) == (True, ["w1"], [])


def test_why_says_the_namespace_is_missing() -> None:
    args = _scenario("25-missing-namespace-default")
    text = _bindlog("why", "deploy/web", "-n", "default", *args)
    assert text.returncode == 0, text.stderr
    note = (
        "  note: Namespace default is not in the input: namespaceSelectors cannot match its "
        "objects; add it, e.g. `kubectl get ns default -o yaml`\n"
    )
    assert note in text.stdout
    assert text.stderr.count("Namespace default is not in the input") == 1
    team = json.loads(_bindlog("why", "cm/web", "-n", "team", *args, "-o", "json").stdout)
    assert team["namespaceMissing"] is False
    default = json.loads(_bindlog("why", "cm/web", "-n", "default", *args, "-o", "json").stdout)
    assert default["namespaceMissing"] is True
    policy = json.loads(_bindlog("why", "bp/by-name", *args, "-o", "json").stdout)
    assert policy["missingNamespaces"] == ["default"]
    listed = json.loads(_bindlog("why", "bp/listed", *args, "-o", "json").stdout)
    assert listed["missingNamespaces"] == []


def test_status_lists_policies_without_binding() -> None:
    done = _bindlog("status", *_scenario("24-empty-resolution"), "-o", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        name: {"errors": []} for name in ("objects-only", "quiet", "stale", "wecs-only")
    }


@pytest.mark.parametrize("value", ["", "Default", "a.b"])
def test_default_namespace_must_be_a_namespace_name(value: str) -> None:
    done = _bindlog("resolve", f"--default-namespace={value}", "-f", "examples/nginx")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"--default-namespace {value!r}: must be a lowercase RFC 1123 label" in done.stderr


def test_scalars_read_as_kubectl_reads_them(tmp_path: Path) -> None:
    assert k8s_string(datetime.date(2024, 1, 31)) == "2024-01-31"
    assert k8s_string(datetime.datetime(2024, 1, 31, 12, 0)) is None
    assert k8s_string(True) is None
    assert (k8s_key(True), k8s_key(False), k8s_key(10), k8s_key("x")) == (
        "true",
        "false",
        "10",
        "x",
    )
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: a, namespace: app, labels: {yes: x, released: 2024-01-31}}\n"
    )
    loaded = bindlog.load([str(tmp_path / "cm.yaml")])
    (obj,) = loaded.snapshot.objects
    assert obj.labels == (("released", "2024-01-31"), ("true", "x"))
