"""Synthetic KubeStellar inventories, workloads and policies at benchmark sizes.

Sizes follow the resolution-core issue: S (100 WECs, 1k objects, 20 policies), M (1k, 10k, 200)
and L (5k, 100k, 1k). The shapes mimic real use: location/region/tier labels on WECs, team-owned
namespaces, app-labelled objects, and policies that select by labels, namespaces, namespace
labels, names and resources, with a sprinkle of matchExpressions and modulations.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Size:
    wecs: int
    objects: int
    policies: int


SIZES = {
    "XS": Size(20, 200, 5),
    "S": Size(100, 1_000, 20),
    "M": Size(1_000, 10_000, 200),
    "L": Size(5_000, 100_000, 1_000),
}

_KINDS = [  # (apiVersion, kind, resource, weight)
    ("apps/v1", "Deployment", "deployments", 4),
    ("v1", "Service", "services", 3),
    ("v1", "ConfigMap", "configmaps", 4),
    ("v1", "Secret", "secrets", 2),
    ("v1", "ServiceAccount", "serviceaccounts", 1),
    ("batch/v1", "Job", "jobs", 1),
]


def _wecs(rng: random.Random, n: int) -> list[dict[str, Any]]:
    regions = [f"region-{i}" for i in range(max(2, n // 50))]
    out = []
    for i in range(n):
        labels = {
            "location-group": rng.choice(["edge", "edge", "cloud", "core"]),
            "region": rng.choice(regions),
            "name": f"wec-{i}",
        }
        if rng.random() < 0.6:
            labels["tier"] = rng.choice(["gold", "silver", "bronze"])
        if rng.random() < 0.7:
            labels["env"] = rng.choice(["prod", "staging", "dev"])
        if rng.random() < 0.3:
            labels["gpu"] = ""
        out.append(
            {
                "apiVersion": "cluster.open-cluster-management.io/v1",
                "kind": "ManagedCluster",
                "metadata": {"name": f"wec-{i}", "labels": labels},
            }
        )
    return out


def _workload(rng: random.Random, n: int) -> tuple[list[dict[str, Any]], int, int]:
    namespaces = max(2, n // 100)
    teams = max(2, namespaces // 5)
    apps = max(4, n // 20)
    docs: list[dict[str, Any]] = []
    for i in range(namespaces):
        labels = {"team": f"team-{i % teams}"}
        if rng.random() < 0.5:
            labels["env"] = rng.choice(["prod", "staging", "dev"])
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": f"ns-{i}",
                    "labels": labels,
                    "resourceVersion": str(rng.randint(1, 10**6)),
                },
            }
        )
    weights = [k[3] for k in _KINDS]
    for i in range(n - namespaces):
        api, kind, _, _ = rng.choices(_KINDS, weights)[0]
        ns = rng.randrange(namespaces)
        labels = {"app": f"app-{rng.randrange(apps)}", "team": f"team-{ns % teams}"}
        if rng.random() < 0.5:
            labels["version"] = f"v{rng.randrange(5)}"
        docs.append(
            {
                "apiVersion": api,
                "kind": kind,
                "metadata": {
                    "name": f"obj-{i}",
                    "namespace": f"ns-{ns}",
                    "labels": labels,
                    "resourceVersion": str(rng.randint(1, 10**6)),
                },
            }
        )
    return docs, namespaces, apps


def _cluster_selector(rng: random.Random, wecs: int) -> dict[str, Any]:
    shape = rng.random()
    if shape < 0.35:
        return {"matchLabels": {"location-group": rng.choice(["edge", "cloud", "core"])}}
    if shape < 0.55:
        regions = [f"region-{rng.randrange(max(2, wecs // 50))}" for _ in range(3)]
        return {"matchExpressions": [{"key": "region", "operator": "In", "values": regions}]}
    if shape < 0.7:
        return {
            "matchLabels": {"location-group": "edge"},
            "matchExpressions": [
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                {"key": "tier", "operator": "Exists"},
            ],
        }
    if shape < 0.85:
        return {"matchLabels": {"name": f"wec-{rng.randrange(wecs)}"}}
    return {
        "matchExpressions": [
            {"key": "gpu", "operator": "Exists"},
            {"key": "env", "operator": "In", "values": ["prod"]},
        ]
    }


def _clause(rng: random.Random, namespaces: int, apps: int) -> dict[str, Any]:
    shape = rng.random()
    if shape < 0.3:
        clause: dict[str, Any] = {
            "resources": ["deployments", "services"],
            "objectSelectors": [{"matchLabels": {"app": f"app-{rng.randrange(apps)}"}}],
        }
    elif shape < 0.45:
        clause = {
            "apiGroup": "",
            "resources": ["configmaps", "secrets"],
            "namespaces": [f"ns-{rng.randrange(namespaces)}"],
        }
    elif shape < 0.6:
        clause = {
            "resources": ["*"],
            "namespaceSelectors": [
                {
                    "matchLabels": {
                        "team": f"team-{rng.randrange(max(2, namespaces // 5))}",
                        "env": rng.choice(["prod", "staging", "dev"]),
                    }
                }
            ],
        }
    elif shape < 0.7:
        clause = {"objectNames": [f"obj-{rng.randrange(apps * 10)}" for _ in range(3)]}
    elif shape < 0.85:
        values = [f"app-{rng.randrange(apps)}" for _ in range(4)]
        clause = {
            "apiGroup": "apps",
            "objectSelectors": [
                {
                    "matchExpressions": [
                        {"key": "app", "operator": "In", "values": values},
                        {"key": "version", "operator": "NotIn", "values": ["v0"]},
                    ]
                }
            ],
        }
    else:
        clause = {
            "resources": ["namespaces"],
            "objectSelectors": [
                {"matchLabels": {"team": f"team-{rng.randrange(max(2, namespaces // 5))}"}}
            ],
        }
    if rng.random() < 0.2:
        clause["createOnly"] = True
    if rng.random() < 0.1:
        clause["statusCollectors"] = [rng.choice(["replicas", "health", "ready"])]
    if rng.random() < 0.05:
        clause["wantSingletonReportedState"] = True
    return clause


def _policies(rng: random.Random, n: int, wecs: int, namespaces: int, apps: int) -> list[Any]:
    out = []
    for i in range(n):
        selectors = [_cluster_selector(rng, wecs) for _ in range(rng.choice([1, 1, 1, 2, 2]))]
        clauses = [_clause(rng, namespaces, apps) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        out.append(
            {
                "apiVersion": "control.kubestellar.io/v1alpha1",
                "kind": "BindingPolicy",
                "metadata": {"name": f"policy-{i}", "uid": f"00000000-0000-0000-0000-{i:012d}"},
                "spec": {"clusterSelectors": selectors, "downsync": clauses},
            }
        )
    return out


def generate(size: str, directory: Path, seed: int = 42) -> Path:
    """Write clusters.yaml, workload.yaml and policies.yaml for `size` into `directory`."""
    spec = SIZES[size]
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    workload, namespaces, apps = _workload(rng, spec.objects)
    files = {
        "clusters.yaml": _wecs(rng, spec.wecs),
        "workload.yaml": workload,
        "policies.yaml": _policies(rng, spec.policies, spec.wecs, namespaces, apps),
    }
    for name, docs in files.items():
        with open(directory / name, "w", encoding="utf-8") as fh:
            yaml.dump_all(docs, fh, Dumper=_Dumper, sort_keys=False)
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    generate(args.size, args.directory, args.seed)


if __name__ == "__main__":
    main()
