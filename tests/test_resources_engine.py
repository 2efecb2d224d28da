"""Evaluation's worst cases under a memory cap, at the default limits: they must resolve.

Many selectors in one clause, every one matching every class, used to assert one fact per
(selector, class) (2,500 x 1,000 object classes here: some 2.7 GB; 2,500 x 100 Namespaces),
and every copy of a clause repeated through a YAML alias was a clause of its own (70,000 here:
2.8 GB). Each case runs `python -m bindlog`
in a child whose address space is capped, so a quadratic encoding ends in MemoryError instead of
the Binding checked here. Figures measured at these sizes are in README ("Bad and hostile
input"); the timeout only guards against a hang.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CAP = 768 * 1024 * 1024
OBJECTS = 1_000
NAMESPACES = 100
SELECTORS = 2_500


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def _resolve(*files: Path) -> dict[str, Any]:
    args = [arg for f in files for arg in ("-f", str(f))]
    done = subprocess.run(
        [sys.executable, "-m", "bindlog", "resolve", "-o", "json", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=_capped,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    body: dict[str, Any] = json.loads(done.stdout)
    return body


def _inventory(path: Path) -> Path:
    """1,000 ConfigMaps, each with its own `id` label (so 1,000 label classes once a selector
    tests `id`), in 100 Namespaces with a `team` label each, and 20 WECs."""
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "cluster.open-cluster-management.io/v1",
            "kind": "ManagedCluster",
            "metadata": {"name": f"wec-{i}", "labels": {"env": "prod"}},
        }
        for i in range(20)
    ]
    docs += [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": f"ns-{i}", "labels": {"team": f"team-{i}"}},
        }
        for i in range(NAMESPACES)
    ]
    docs += [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"cm-{i}",
                "namespace": f"ns-{i % NAMESPACES}",
                "labels": {"id": str(i)},
            },
        }
        for i in range(OBJECTS)
    ]
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    return path


def _policy(path: Path, clause: dict[str, Any]) -> Path:
    doc = {
        "apiVersion": "control.kubestellar.io/v1alpha1",
        "kind": "BindingPolicy",
        "metadata": {"name": "hostile", "uid": "00000000-0000-0000-0000-000000000001"},
        "spec": {"clusterSelectors": [{}], "downsync": [clause]},
    }
    path.write_text(json.dumps(doc))
    return path


def _not_in(key: str, i: int) -> dict[str, Any]:
    # A value no subject has: the selector matches every class, yet each is distinct.
    return {"matchExpressions": [{"key": key, "operator": "NotIn", "values": [f"none-{i}"]}]}


def _binding(result: dict[str, Any]) -> tuple[int, int]:
    (binding,) = result["items"]
    spec = binding["spec"]
    return len(spec["workload"]["namespaceScope"]), len(spec["destinations"])


def test_thousands_of_object_selectors_matching_every_class(tmp_path: Path) -> None:
    clause = {"objectSelectors": [_not_in("id", i) for i in range(SELECTORS)]}
    result = _resolve(_inventory(tmp_path / "inv.json"), _policy(tmp_path / "p.json", clause))
    assert _binding(result) == (OBJECTS, 20)


def test_thousands_of_namespace_selectors_matching_every_namespace(tmp_path: Path) -> None:
    clause = {
        "resources": ["configmaps"],
        "namespaceSelectors": [_not_in("team", i) for i in range(SELECTORS)],
    }
    result = _resolve(_inventory(tmp_path / "inv.json"), _policy(tmp_path / "p.json", clause))
    assert _binding(result) == (OBJECTS, 20)


def test_seventy_thousand_clauses_through_one_alias(tmp_path: Path) -> None:
    aliased = tmp_path / "aliased.yaml"
    lines = [
        "apiVersion: control.kubestellar.io/v1alpha1",
        "kind: BindingPolicy",
        "metadata: {name: hostile, uid: 00000000-0000-0000-0000-000000000001}",
        "spec:",
        "  clusterSelectors: [{}]",
        "  downsync:",
        "  - &c {resources: [configmaps], namespaces: [ns-1]}",
        *["  - *c"] * 69_999,
    ]
    aliased.write_text("\n".join(lines) + "\n")
    result = _resolve(_inventory(tmp_path / "inv.json"), aliased)
    assert _binding(result) == (OBJECTS // NAMESPACES, 20)  # the ConfigMaps of ns-1


def test_thousands_of_cluster_selectors_matching_every_wec(tmp_path: Path) -> None:
    # 1,000 WECs in 1,000 label classes (each its own `id`), 2,500 distinct clusterSelectors
    # each matching all of them: the selections are unions of bitsets, never one row per
    # (selector, class) kept for the expansion.
    wecs = [
        {
            "apiVersion": "cluster.open-cluster-management.io/v1",
            "kind": "ManagedCluster",
            "metadata": {"name": f"big-{i}", "labels": {"id": str(i)}},
        }
        for i in range(1_000)
    ]
    inventory = tmp_path / "wecs.json"
    inventory.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": wecs}))
    objects = _inventory(tmp_path / "inv.json")
    policy = {
        "apiVersion": "control.kubestellar.io/v1alpha1",
        "kind": "BindingPolicy",
        "metadata": {"name": "hostile", "uid": "00000000-0000-0000-0000-000000000001"},
        "spec": {
            "clusterSelectors": [_not_in("id", i) for i in range(SELECTORS)],
            "downsync": [{"resources": ["configmaps"]}],
        },
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(policy))
    assert _binding(_resolve(inventory, objects, path)) == (OBJECTS, 1_020)
