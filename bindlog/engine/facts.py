"""IR -> facts: the only place where predicate names meet data.

Every value reaches the engine as an argument of a fact. Entities get small integer ids (their
index in the lists kept here, so results map back without lookups); strings that rules compare
(group, resource, namespace, name, status collector) are passed as they are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bindlog.engine.labelsets import LabelSpace, why_no_match
from bindlog.model import DownsyncClause, LabelSelector, Snapshot

if TYPE_CHECKING:
    from bindlog.engine.provenance import Fact

Row = tuple[str | int, ...]

_WILD = "*"


@dataclass(slots=True)
class Encoding:
    """A snapshot as facts, plus the id tables to read derived tuples back."""

    snapshot: Snapshot
    facts: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    clause_ids: list[tuple[int, int]] = field(default_factory=list)  # J -> (policy idx, clause idx)
    wec_selectors: list[LabelSelector] = field(default_factory=list)
    wec_matches: list[frozenset[int]] = field(default_factory=list)  # selector id -> WEC ids
    object_selectors: list[LabelSelector] = field(default_factory=list)
    namespace_selectors: list[LabelSelector] = field(default_factory=list)
    wec_space: LabelSpace | None = None
    object_space: LabelSpace | None = None
    namespace_space: LabelSpace | None = None
    object_class_labels: list[int] = field(default_factory=list)  # OC -> object label class
    namespace_classes: dict[str, int] = field(default_factory=dict)  # Namespace -> label class

    def explain_selector_failure(self, fact: Fact) -> str:
        """Why a selector-builtin fact does not hold, naming the requirement that fails."""
        s, subject = fact.args[0], fact.args[1]
        if s is None or subject is None:
            return "no selector matches"
        if fact.predicate == "wec_selector_matches":
            cluster = self.snapshot.clusters[int(subject)]
            return why_no_match(
                self.wec_selectors[int(s)], dict(cluster.labels), f"WEC {cluster.name}"
            )
        if fact.predicate == "object_selector_matches":
            assert self.object_space is not None
            labels = self.object_space.labels_of(self.object_class_labels[int(subject)])
            return why_no_match(self.object_selectors[int(s)], labels, "the object")
        assert self.namespace_space is not None
        labels = self.namespace_space.labels_of(int(subject))
        return why_no_match(self.namespace_selectors[int(s)], labels, "the Namespace")


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
    tests = _Tests(f, obj_sel, ns_sel)
    for p, policy in enumerate(snapshot.policies):
        for i, sel in enumerate(policy.cluster_selectors):
            f["policy_cluster_selector"].append((p, i, wec_sel(sel)))
        for c, clause in enumerate(policy.downsync):
            j = len(enc.clause_ids)
            enc.clause_ids.append((p, c))
            f["clause"].append((p, j))
            _encode_clause(f, j, clause, tests)

    wec_space = enc.wec_space = LabelSpace(enc.wec_selectors)
    wecs_of_class: dict[int, list[int]] = defaultdict(list)
    for c, cluster in enumerate(snapshot.clusters):
        wecs_of_class[wec_space.class_of(cluster.labels)].append(c)

    # Object classes: equal group, resource, namespace and selector-relevant labels.
    obj_space = enc.object_space = LabelSpace(enc.object_selectors)
    class_ids: dict[tuple[str, str, str, int], int] = {}
    classes_of_labels: dict[int, list[tuple[int, str, str, str]]] = defaultdict(list)
    group_resources: set[tuple[str, str]] = set()
    namespaces: set[str] = set()
    for o, obj in enumerate(snapshot.objects):
        ref = obj.ref
        key = (ref.group, ref.resource, ref.namespace, obj_space.class_of(obj.labels))
        oc = class_ids.get(key)
        if oc is None:
            oc = class_ids[key] = len(class_ids)
            classes_of_labels[key[3]].append((oc, ref.group, ref.resource, ref.namespace))
            enc.object_class_labels.append(key[3])
            f["object_class"].append((oc, ref.group, ref.resource, ref.namespace))
            group_resources.add((ref.group, ref.resource))
            namespaces.add(ref.namespace)
        f["workload"].append((o, ref.name, oc))
    ns_space = enc.namespace_space = LabelSpace(enc.namespace_selectors)
    for ns in snapshot.namespaces:
        nc = enc.namespace_classes[ns.name] = ns_space.class_of(ns.labels)
        f["namespace"].append((ns.name, nc))
        namespaces.add(ns.name)

    f["known_api_group"].extend((g,) for g in sorted({g for g, _ in group_resources}))
    f["known_resource"].extend((r,) for r in sorted({r for _, r in group_resources}))
    f["known_resource_of_group"].extend(sorted(group_resources))
    f["known_namespace"].extend((n,) for n in sorted(namespaces))

    # The selector-match builtin: Kubernetes label-selector semantics, evaluated per class.
    # WEC-side matches stay sets rather than facts: selects_wec's last join is with this
    # builtin, so the engine stops at policy_wec_selector and the union is taken in Python.
    for s, sel in enumerate(enc.wec_selectors):
        if sel.error is not None:
            f["selector_invalid"].append((s,))
        enc.wec_matches.append(
            frozenset(c for wc in wec_space.matching_classes(sel) for c in wecs_of_class[wc])
        )
    for s, sel in enumerate(enc.object_selectors):
        f["object_selector_matches"].extend(
            (s, *cls) for lc in obj_space.matching_classes(sel) for cls in classes_of_labels[lc]
        )
    for s, sel in enumerate(enc.namespace_selectors):
        if sel.is_empty:
            f["selector_is_empty"].append((s,))
        f["namespace_selector_matches"].extend((s, nc) for nc in ns_space.matching_classes(sel))

    _plan(enc, obj_space, ns_space)
    return enc


class _Tests:
    """Interns the tests clauses make, so equal tests share an id (and their evaluation)."""

    def __init__(self, f: dict[str, list[Row]], obj_sel: _Interner, ns_sel: _Interner) -> None:
        self._f, self._obj_sel, self._ns_sel = f, obj_sel, ns_sel
        self._ids: dict[tuple[str, object], int] = {}

    def _id(self, kind: str, key: object) -> tuple[int, bool]:
        found = self._ids.get((kind, key))
        if found is not None:
            return found, False
        tid = self._ids[(kind, key)] = len(self._ids)
        return tid, True

    def resource_test(self, clause: DownsyncClause) -> int:
        resources = tuple(sorted(set(clause.resources or ())))
        tid, new = self._id("r", (clause.api_group, resources))
        if new:
            f = self._f
            if clause.api_group is None:
                f["rtest_any_api_group"].append((tid,))
            else:
                f["rtest_api_group"].append((tid, clause.api_group))
            if resources:
                f["rtest_resource"].extend((tid, r) for r in resources)
            else:
                f["rtest_resources_unset"].append((tid,))
        return tid

    def namespace_test(self, clause: DownsyncClause) -> int:
        names = tuple(sorted(set(clause.namespaces or ())))
        sels = tuple(sorted({self._ns_sel(s) for s in clause.namespace_selectors or ()}))
        tid, new = self._id("n", (names, sels))
        if new:
            f = self._f
            if names:
                f["ntest_namespace"].extend((tid, n) for n in names)
            else:
                f["ntest_namespaces_unset"].append((tid,))
            if sels:
                f["ntest_selector"].extend((tid, s) for s in sels)
            else:
                f["ntest_selectors_unset"].append((tid,))
        return tid

    def label_test(self, clause: DownsyncClause) -> int:
        sels = tuple(sorted({self._obj_sel(s) for s in clause.object_selectors or ()}))
        tid, new = self._id("l", sels)
        if new:
            if sels:
                self._f["ltest_selector"].extend((tid, s) for s in sels)
            else:
                self._f["ltest_unset"].append((tid,))
        return tid


def _encode_clause(f: dict[str, list[Row]], j: int, clause: DownsyncClause, tests: _Tests) -> None:
    f["clause_tests"].append(
        (j, tests.resource_test(clause), tests.namespace_test(clause), tests.label_test(clause))
    )
    if clause.object_names:
        f["clause_object_name"].extend((j, n) for n in sorted(set(clause.object_names)))
    else:
        f["clause_object_names_unset"].append((j,))
    mod = clause.modulation
    if mod.create_only:
        f["clause_create_only"].append((j,))
    if mod.want_singleton_reported_state:
        f["clause_want_singleton"].append((j,))
    if mod.want_multi_wec_reported_state:
        f["clause_want_multi_wec"].append((j,))
    f["clause_status_collector"].extend((j, sc) for sc in sorted(mod.status_collectors))


def _plan(enc: Encoding, obj_space: LabelSpace, ns_space: LabelSpace) -> None:
    """Pick, per clause, how the rules enumerate its candidate classes (speed only).

    Each option is estimated by the number of objects its test alone admits; a wild test
    admits every object. Clauses without objectSelectors are never planned through labels.
    """
    objects = enc.snapshot.objects
    total = len(objects)
    by_gr = Counter((o.ref.group, o.ref.resource) for o in objects)
    by_namespace = Counter(o.ref.namespace for o in objects)
    by_labels = Counter(obj_space.class_of(o.labels) for o in objects)
    ns_class = {str(name): int(nc) for name, nc in enc.facts["namespace"]}
    for j, (p, c) in enumerate(enc.clause_ids):
        clause = enc.snapshot.policies[p].downsync[c]
        estimates = {
            "resources": _resources(clause, by_gr, total),
            "namespaces": min(
                _listed(clause.namespaces, by_namespace, total),
                _ns_selected(clause, ns_space, ns_class, by_namespace, total),
            ),
        }
        if clause.object_selectors:
            matched: set[int] = set()
            for sel in clause.object_selectors:
                matched |= obj_space.matching_classes(sel)
            estimates["labels"] = sum(by_labels[lc] for lc in matched)
        driver = min(estimates, key=lambda d: estimates[d])
        enc.facts["clause_driver"].append((j, driver))


def _resources(clause: DownsyncClause, by_gr: Counter[tuple[str, str]], total: int) -> int:
    group, resources = clause.api_group, clause.resources
    if group is None and (not resources or _WILD in resources):
        return total
    return sum(
        n
        for (g, r), n in by_gr.items()
        if (group is None or g == group) and (not resources or _WILD in resources or r in resources)
    )


def _listed(values: tuple[str, ...] | None, counts: Counter[str], total: int) -> int:
    if not values or _WILD in values:
        return total
    return sum(counts[v] for v in set(values))


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
