"""Large binding graphs made readable: WECs grouped by what selects them and labelled with the
label values the policies test, objects grouped by namespace x resource (by resource alone when
that is still too many), edges carrying counts."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx

from bindlog.export.columns import natural_sorted
from bindlog.export.graph_limits import AUTO_NODES
from bindlog.model import WorkloadObject

Graph = Any
EMPTY = '""'  # an empty label value, made visible
MAX_OBJECT_GROUPS = 12  # past this many namespace x resource groups, group by resource only


def should_aggregate(graph: Graph, mode: str) -> bool:
    if mode != "auto":
        return mode == "always"
    leaves = sum(1 for _, d in graph.nodes(data=True) if d["kind"] != "policy")
    return leaves > AUTO_NODES


def aggregate(graph: Graph, tested_keys: set[str]) -> Graph:
    out: Graph = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        if data["kind"] == "policy":
            out.add_node(node, **data)
    _aggregate_wecs(graph, out, tested_keys)
    _aggregate_objects(graph, out)
    return out


def _aggregate_wecs(graph: Graph, out: Graph, tested_keys: set[str]) -> None:
    # WECs selected by the same policies through the same selectors are one group: every WEC
    # in it receives exactly the same objects, so the group loses nothing the picture shows.
    groups: dict[frozenset[tuple[str, tuple[int, ...]]], list[str]] = defaultdict(list)
    for node, data in graph.nodes(data=True):
        if data["kind"] == "wec":
            signature = frozenset(
                (u, tuple(e["selectors"])) for u, _, e in graph.in_edges(node, data=True)
            )
            groups[signature].append(node)
    for signature, members in groups.items():
        members = natural_sorted(members)
        if len(members) == 1:
            gid = members[0]
            out.add_node(gid, **graph.nodes[gid])
        else:
            gid = f"wecs:{members[0]}+{len(members) - 1}"
            labels = [graph.nodes[m]["labels"] for m in members]
            shared = [
                f"{k}={labels[0][k] or EMPTY}"
                for k in sorted(tested_keys)
                if k in labels[0] and all(lab.get(k) == labels[0][k] for lab in labels)
            ]
            first, last = members[0].split(":", 1)[1], members[-1].split(":", 1)[1]
            text = "\n".join([f"{len(members)} WECs ({first} … {last})", *shared])
            out.add_node(gid, kind="wec", label=text)
        for policy, selectors in sorted(signature):
            sel_text = ", ".join(f"clusterSelectors[{i}]" for i in selectors)
            count = f"{len(members)} WECs · " if len(members) > 1 else ""
            out.add_edge(policy, gid, label=count + sel_text, count=len(members))


def _object_key(obj: WorkloadObject, by_namespace: bool) -> tuple[str, str]:
    r = obj.ref
    resource = f"{r.resource}.{r.group}" if r.group else r.resource
    return (r.namespace if by_namespace else "*", resource)


def _aggregate_objects(graph: Graph, out: Graph) -> None:
    objects = [(n, d) for n, d in graph.nodes(data=True) if d["kind"] in ("object", "unbound")]
    by_namespace = len({_object_key(d["obj"], True) for _, d in objects}) <= MAX_OBJECT_GROUPS
    groups: dict[tuple[str, tuple[str, str]], list[str]] = defaultdict(list)
    for node, data in objects:
        groups[(data["kind"], _object_key(data["obj"], by_namespace))].append(node)
    for (kind, (namespace, resource)), members in sorted(groups.items()):
        if len(members) == 1:
            gid = members[0]
            out.add_node(gid, **graph.nodes[gid])
        else:
            where = {"*": "in any namespace", "": "cluster-scoped"}.get(
                namespace, f"in namespace {namespace}"
            )
            state = " unbound" if kind == "unbound" else ""
            gid = f"objects:{kind}:{namespace}:{resource}"
            text = f"{len(members)}{state} {resource}\n{where}"
            out.add_node(gid, kind=kind, label=text)
        per_policy: dict[str, list[tuple[int, ...]]] = defaultdict(list)
        for member in members:
            for _, policy, e in graph.out_edges(member, data=True):
                per_policy[policy].append(tuple(e["clauses"]))
        for policy in natural_sorted(per_policy):
            clauses = sorted({c for cs in per_policy[policy] for c in cs})
            clause_text = ", ".join(f"downsync[{c}]" for c in clauses)
            n = len(per_policy[policy])
            count = f"{n} of {len(members)} · " if len(members) > 1 else ""
            out.add_edge(gid, policy, label=count + clause_text, count=n)
