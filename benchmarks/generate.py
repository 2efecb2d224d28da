"""Synthetic KubeStellar inventories, workloads and policies at benchmark sizes.

Sizes follow the resolution-core issue: S (100 WECs, 1k objects, 20 policies), M (1k, 10k, 200)
and L (5k, 100k, 1k). The shapes mimic real use: location/region/tier labels on WECs, team-owned
namespaces, app-labelled objects, and policies that select by labels, namespaces, namespace
labels, names and resources, with a sprinkle of matchExpressions and modulations.

Two densities: `sparse` (narrow policies, ~9k selected (policy, object) pairs at M) and `dense`
(broad, overlapping policies: at M at least 20k (policy, object) and 40k (policy, WEC) pairs,
which `--count` checks with the reference resolver of the tests).

Every input holds the same fixed targets for `bindlog why` (see `TARGETS`): policy-0 selects
exactly Deployment ns-0/obj-0 and exactly wec-0, and no other policy selects wec-0, so obj-0 is
bound to wec-0 and obj-1 is not.

    python benchmarks/generate.py M benchmarks/data/M-dense --density dense --count
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
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


DENSITIES = ("sparse", "dense")
# Minimum selected pairs of a dense input at M (the definition of dense).
DENSE_MIN_M = {"policy_object_pairs": 20_000, "policy_wec_pairs": 40_000}

# `bindlog why` targets present in every generated input (module docstring).
TARGETS = {
    "object": "deployment/obj-0",
    "namespace": "ns-0",
    "bound_wec": "wec-0",
    "unbound_object": "deployment/obj-1",
    "unknown_object": "deployment/no-such-object",
}


def _wecs(rng: random.Random, n: int) -> list[dict[str, Any]]:
    regions = [f"region-{i}" for i in range(max(2, n // 50))]
    out = [
        {  # a WEC only policy-0 selects: no generated selector matches location-group "lab"
            "apiVersion": "cluster.open-cluster-management.io/v1",
            "kind": "ManagedCluster",
            "metadata": {"name": "wec-0", "labels": {"location-group": "lab", "name": "wec-0"}},
        }
    ]
    for i in range(1, n):
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
        if i < 2:  # the `why` targets: Deployments obj-0 and obj-1 in ns-0
            api, kind, ns = "apps/v1", "Deployment", 0
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
        return {"matchLabels": {"name": f"wec-{rng.randrange(1, wecs)}"}}
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
        clause = {"objectNames": [f"obj-{rng.randrange(2, apps * 10)}" for _ in range(3)]}
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


def _dense_cluster_selector(rng: random.Random, wecs: int) -> dict[str, Any]:
    """Broad selectors: a location group, a few regions, an environment or a tier."""
    shape = rng.random()
    if shape < 0.4:
        return {"matchLabels": {"location-group": rng.choice(["edge", "cloud", "core"])}}
    if shape < 0.6:
        regions = [f"region-{rng.randrange(max(2, wecs // 50))}" for _ in range(4)]
        return {"matchExpressions": [{"key": "region", "operator": "In", "values": regions}]}
    if shape < 0.8:
        return {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}
    return {
        "matchLabels": {"tier": rng.choice(["gold", "silver", "bronze"])},
        "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}],
    }


def _dense_clause(rng: random.Random, namespaces: int, apps: int) -> dict[str, Any]:
    """Broad clauses: a team's namespaces, a set of apps, a few whole namespaces."""
    teams = max(2, namespaces // 5)
    shape = rng.random()
    if shape < 0.25:
        clause: dict[str, Any] = {
            "resources": ["deployments"],
            "namespaceSelectors": [{"matchLabels": {"team": f"team-{rng.randrange(teams)}"}}],
        }
    elif shape < 0.6:
        values = [f"app-{rng.randrange(apps)}" for _ in range(6)]
        clause = {
            "objectSelectors": [
                {"matchExpressions": [{"key": "app", "operator": "In", "values": values}]}
            ]
        }
    elif shape < 0.8:
        clause = {"resources": ["*"], "namespaces": [f"ns-{rng.randrange(namespaces)}"]}
    else:
        clause = {
            "apiGroup": "",
            "resources": ["configmaps", "secrets", "services"],
            "objectSelectors": [
                {
                    "matchLabels": {"team": f"team-{rng.randrange(teams)}"},
                    "matchExpressions": [{"key": "version", "operator": "Exists"}],
                }
            ],
        }
    if rng.random() < 0.2:
        clause["createOnly"] = True
    if rng.random() < 0.1:
        clause["statusCollectors"] = [rng.choice(["replicas", "health", "ready"])]
    return clause


def _policy(i: int, selectors: list[Any], clauses: list[Any]) -> dict[str, Any]:
    return {
        "apiVersion": "control.kubestellar.io/v1alpha1",
        "kind": "BindingPolicy",
        "metadata": {"name": f"policy-{i}", "uid": f"00000000-0000-0000-0000-{i:012d}"},
        "spec": {"clusterSelectors": selectors, "downsync": clauses},
    }


def _policies(
    rng: random.Random, n: int, wecs: int, namespaces: int, apps: int, density: str
) -> list[Any]:
    out = [  # the `why` target policy: exactly obj-0 to exactly wec-0
        _policy(
            0,
            [{"matchLabels": {"name": "wec-0"}}],
            [{"apiGroup": "apps", "resources": ["deployments"], "objectNames": ["obj-0"]}],
        )
    ]
    dense = density == "dense"
    for i in range(1, n):
        if dense:
            selectors = [_dense_cluster_selector(rng, wecs) for _ in range(rng.choice([1, 1, 2]))]
            clauses = [
                _dense_clause(rng, namespaces, apps) for _ in range(rng.choice([1, 1, 1, 2]))
            ]
        else:
            selectors = [_cluster_selector(rng, wecs) for _ in range(rng.choice([1, 1, 1, 2, 2]))]
            clauses = [_clause(rng, namespaces, apps) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        out.append(_policy(i, selectors, clauses))
    return out


def generate(size: str, directory: Path, seed: int = 42, density: str = "sparse") -> Path:
    """Write clusters.yaml, workload.yaml and policies.yaml for `size` into `directory`."""
    spec = SIZES[size]
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    workload, namespaces, apps = _workload(rng, spec.objects)
    files = {
        "clusters.yaml": _wecs(rng, spec.wecs),
        "workload.yaml": workload,
        "policies.yaml": _policies(rng, spec.policies, spec.wecs, namespaces, apps, density),
    }
    for name, docs in files.items():
        with open(directory / name, "w", encoding="utf-8") as fh:
            yaml.dump_all(docs, fh, Dumper=_Dumper, sort_keys=False)
    return directory


def _stamp(size: str, seed: int, density: str) -> str:
    """What the cached files depend on: this generator's source and its arguments."""
    source = Path(__file__).read_bytes()
    return hashlib.sha256(source + f"{size}/{seed}/{density}".encode()).hexdigest()


def ensure(size: str, root: Path, density: str = "sparse", seed: int = 42) -> Path:
    """The input for (size, density) under `root`, generated unless an up-to-date copy exists.

    L takes about a minute to write: it is cached, and regenerated when this file changes.
    """
    directory = root / f"{size}-{density}"
    stamp = directory / ".stamp"
    want = _stamp(size, seed, density)
    if not (stamp.exists() and stamp.read_text() == want):
        generate(size, directory, seed, density)
        stamp.write_text(want)
    return directory


def count(directory: Path) -> dict[str, int]:
    """Selected pairs, counted by the independent reference resolver of the tests."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from reference import reference_resolve

    from bindlog.adapters import load

    snapshot = load([str(directory)]).snapshot
    resolved = reference_resolve(snapshot)
    return {
        "wecs": len(snapshot.clusters),
        "objects": len(snapshot.objects),
        "policies": len(snapshot.policies),
        "policy_object_pairs": sum(len(objs) for _, objs in resolved.values()),
        "policy_wec_pairs": sum(len(wecs) for wecs, _ in resolved.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--density", choices=DENSITIES, default="sparse")
    parser.add_argument(
        "--count",
        action="store_true",
        help="count selected pairs with the reference resolver (slow at L); a dense M input "
        f"must reach {DENSE_MIN_M}",
    )
    args = parser.parse_args()
    generate(args.size, args.directory, args.seed, args.density)
    if args.count:
        counts = count(args.directory)
        print(json.dumps(counts))
        if args.size == "M" and args.density == "dense":
            short = {k: v for k, v in DENSE_MIN_M.items() if counts[k] < v}
            if short:
                raise SystemExit(f"not dense enough: {short} required, got {counts}")


if __name__ == "__main__":
    main()
