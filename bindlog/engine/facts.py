"""IR -> facts: the only place where predicate names meet data.

Every value reaches the engine as an argument of a fact. Entities get small integer ids (their
index in the lists kept here, so results map back without lookups); strings that rules compare
(group, resource, namespace, name, status collector) are passed as they are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bindlog.engine.labelsets import LabelSpace
from bindlog.model import DownsyncClause, LabelSelector, Snapshot

Row = tuple[str | int, ...]

_WILD = "*"


@dataclass(slots=True)
class Encoding:
    """A snapshot as facts, plus the id tables to read derived tuples back."""

    snapshot: Snapshot
    facts: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    clause_ids: list[tuple[int, int]] = field(default_factory=list)  # J -> (policy idx, clause idx)
    wec_selectors: list[LabelSelector] = field(default_factory=list)
    object_selectors: list[LabelSelector] = field(default_factory=list)
    namespace_selectors: list[LabelSelector] = field(default_factory=list)
    wec_space: LabelSpace | None = None
    object_space: LabelSpace | None = None
    namespace_space: LabelSpace | None = None


class _Interner:
    def __init__(self, into: list[LabelSelector]) -> None:
        self._ids: dict[LabelSelector, int] = {}
        self._list = into

    def __call__(self, sel: LabelSelector) -> int:
        sid = self._ids.get(sel)
        if sid is None:
            sid = self._ids[sel] = len(self._list)
            self._list.append(sel)
        return sid


def encode(snapshot: Snapshot) -> Encoding:
    """Turn a snapshot into the EDB facts the rules in `rules/binding.dl` read."""
    enc = Encoding(snapshot)
    f = enc.facts
    wec_sel, obj_sel, ns_sel = (
        _Interner(enc.wec_selectors),
        _Interner(enc.object_selectors),
        _Interner(enc.namespace_selectors),
    )

    for p, policy in enumerate(snapshot.policies):
        f["policy"].append((p,))
        for i, sel in enumerate(policy.cluster_selectors):
            f["policy_cluster_selector"].append((p, i, wec_sel(sel)))
        for c, clause in enumerate(policy.downsync):
            j = len(enc.clause_ids)
            enc.clause_ids.append((p, c))
            f["clause"].append((p, j))
            _encode_clause(f, j, clause, obj_sel, ns_sel)

    wec_space = enc.wec_space = LabelSpace(enc.wec_selectors)
    for c, cluster in enumerate(snapshot.clusters):
        f["wec"].append((c, wec_space.class_of(cluster.labels)))
    obj_space = enc.object_space = LabelSpace(enc.object_selectors)
    groups: set[str] = set()
    group_resources: set[tuple[str, str]] = set()
    namespaces: set[str] = set()
    for o, obj in enumerate(snapshot.objects):
        ref = obj.ref
        oc = obj_space.class_of(obj.labels)
        f["workload"].append((o, ref.group, ref.resource, ref.namespace, ref.name, oc))
        groups.add(ref.group)
        group_resources.add((ref.group, ref.resource))
        namespaces.add(ref.namespace)
    ns_space = enc.namespace_space = LabelSpace(enc.namespace_selectors)
    for ns in snapshot.namespaces:
        f["namespace"].append((ns.name, ns_space.class_of(ns.labels)))
        namespaces.add(ns.name)

    f["known_api_group"].extend((g,) for g in sorted(groups))
    f["known_resource"].extend((r,) for r in sorted({r for _, r in group_resources}))
    f["known_resource_of_group"].extend(sorted(group_resources))
    f["known_namespace"].extend((n,) for n in sorted(namespaces))
    f["object_label_class"].extend((oc,) for oc in range(obj_space.class_count))

    # selector_matches builtin: Kubernetes label-selector semantics, evaluated per label class.
    for s, sel in enumerate(enc.wec_selectors):
        if sel.error is not None:
            f["selector_invalid"].append((s,))
        f["wec_selector_matches"].extend((s, wc) for wc in wec_space.matching_classes(sel))
    for s, sel in enumerate(enc.object_selectors):
        f["object_selector_matches"].extend((s, oc) for oc in obj_space.matching_classes(sel))
    for s, sel in enumerate(enc.namespace_selectors):
        if sel.is_empty:
            f["selector_is_empty"].append((s,))
        f["namespace_selector_matches"].extend((s, nc) for nc in ns_space.matching_classes(sel))

    _plan(enc, obj_space, ns_space)
    return enc


def _encode_clause(
    f: dict[str, list[Row]],
    j: int,
    clause: DownsyncClause,
    obj_sel: _Interner,
    ns_sel: _Interner,
) -> None:
    if clause.api_group is None:
        f["clause_any_api_group"].append((j,))
    else:
        f["clause_api_group"].append((j, clause.api_group))
    for name, values in (
        ("resource", clause.resources),
        ("namespace", clause.namespaces),
        ("object_name", clause.object_names),
    ):
        if values:
            f[f"clause_{name}"].extend((j, v) for v in sorted(set(values)))
        else:
            f[f"clause_{name}s_unset"].append((j,))
    for name, sels, interner in (
        ("object_selector", clause.object_selectors, obj_sel),
        ("namespace_selector", clause.namespace_selectors, ns_sel),
    ):
        if sels:
            f[f"clause_{name}"].extend((j, interner(s)) for s in sels)
        else:
            f[f"clause_{name}s_unset"].append((j,))
    mod = clause.modulation
    if mod.create_only:
        f["clause_create_only"].append((j,))
    if mod.want_singleton_reported_state:
        f["clause_want_singleton"].append((j,))
    if mod.want_multi_wec_reported_state:
        f["clause_want_multi_wec"].append((j,))
    f["clause_status_collector"].extend((j, sc) for sc in sorted(mod.status_collectors))


def _plan(enc: Encoding, obj_space: LabelSpace, ns_space: LabelSpace) -> None:
    """Pick, per clause, the test to enumerate candidates through (speed only, see binding.dl).

    The estimate is the number of objects that pass that test alone; a wild test estimates as
    every object. Every driver rule is complete for name-wild clauses, so any choice is correct.
    """
    objects = enc.snapshot.objects
    total = len(objects)
    by_group = Counter(o.ref.group for o in objects)
    by_resource = Counter(o.ref.resource for o in objects)
    by_namespace = Counter(o.ref.namespace for o in objects)
    by_class = Counter(int(row[5]) for row in enc.facts["workload"])
    ns_class = {str(name): int(nc) for name, nc in enc.facts["namespace"]}
    for j, (p, c) in enumerate(enc.clause_ids):
        clause = enc.snapshot.policies[p].downsync[c]
        estimates = {
            "api_group": total if clause.api_group is None else by_group[clause.api_group],
            "resources": _listed(clause.resources, by_resource, total),
            "namespaces": _listed(clause.namespaces, by_namespace, total),
            "object_selectors": _selected(clause.object_selectors, obj_space, by_class, total),
            "namespace_selectors": _ns_selected(clause, ns_space, ns_class, by_namespace, total),
        }
        driver = min(estimates, key=lambda d: estimates[d])
        enc.facts["clause_driver"].append((j, driver))


def _listed(values: tuple[str, ...] | None, counts: Counter[str], total: int) -> int:
    if not values or _WILD in values:
        return total
    return sum(counts[v] for v in set(values))


def _selected(
    sels: tuple[LabelSelector, ...] | None, space: LabelSpace, counts: Counter[int], total: int
) -> int:
    if not sels:
        return total
    classes: set[int] = set()
    for sel in sels:
        classes |= space.matching_classes(sel)
    return sum(counts[oc] for oc in classes)


def _ns_selected(
    clause: DownsyncClause,
    space: LabelSpace,
    ns_class: dict[str, int],
    by_namespace: Counter[str],
    total: int,
) -> int:
    sels = clause.namespace_selectors
    if not sels or any(s.is_empty for s in sels):
        return total
    classes: set[int] = set()
    for sel in sels:
        classes |= space.matching_classes(sel)
    return sum(by_namespace[ns] for ns, nc in ns_class.items() if nc in classes)
