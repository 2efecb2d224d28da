"""IR -> facts: the only place where predicate names meet data.

Every value reaches the engine as an argument of a fact. Entities get small integer ids that stay
theirs for the life of an encoding (keyed by identity: a WEC, Namespace or policy by name, an object
by group, resource, namespace and name), so a change set can retract one entity's facts and assert
new ones. Each entity kind has one encoder, used by the full load and by changes alike, so a fact
can be produced only one way.

An encoder returns two kinds of facts: the entity's own (retracted with it) and vocabulary
(label classes, object classes, tests and selectors met for the first time, with their builtin
selector matches), which is keyed by content, shared between entities and never retracted: a
class or test no entity refers to any more derives nothing the outputs read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING

from bindlog.changes import Key, key_of
from bindlog.engine.labelsets import LabelSpace, members, selector_matches, why_no_match
from bindlog.model import (
    BindingPolicy,
    Cluster,
    DownsyncClause,
    LabelSelector,
    Namespace,
    Snapshot,
    WorkloadObject,
)

if TYPE_CHECKING:
    from bindlog.engine.provenance import Fact

Row = tuple[str | int, ...]
Facts = dict[str, list[Row]]


def new_facts() -> Facts:
    return defaultdict(list)


def merge_into(target: Facts, more: Facts) -> None:
    for pred, rows in more.items():
        target[pred].extend(rows)


class NeedsRebuild(Exception):
    """A change alters what the encoding is built on (a selector tests a label key that no
    selector of its kind tested before, so label classes must be recomputed): evaluate afresh."""


class _Interner:
    def __init__(self) -> None:
        self.ids: dict[LabelSelector, int] = {}
        self.items: list[LabelSelector] = []

    def get(self, sel: LabelSelector) -> tuple[int, bool]:
        sid = self.ids.get(sel)
        if sid is not None:
            return sid, False
        sid = self.ids[sel] = len(self.items)
        self.items.append(sel)
        return sid, True


@dataclass(slots=True)
class _Space:
    """One kind of labelled subject: its selectors and label classes, and the builtin that
    relates them (`<builtin>(S, class)` facts).

    When `any_of`, the rules read the builtin only through groups of selectors (a clause's
    objectSelectors or namespaceSelectors: "some selector of the group matches"), so the facts
    are a witness cover: for each group and each class some selector of the group matches, one
    matching selector of the group has a fact for the class. Every fact is a true match, and a
    group holds for a class exactly when it did with every match asserted; but a clause of 2,500
    selectors that match every class asserts one selector's matches, not 2,500 times as many.
    Otherwise (clusterSelectors, which `selects_wec_via` names one by one) every match is a fact.

    While `deferred`, classes and selectors met get no match facts: the full load computes them
    set-at-a-time afterwards (`all_matches`). After that, each new class or group gets its
    matches as it is met.
    """

    builtin: str
    any_of: bool
    selectors: _Interner = field(default_factory=_Interner)
    space: LabelSpace | None = None
    deferred: bool = True
    groups: list[tuple[int, ...]] = field(default_factory=list)  # any_of: the selector groups
    # class -> selectors with facts, for object classes (others: `selectors_of`)
    by_class: dict[int, list[int]] = field(default_factory=dict)
    emitted: dict[int, int] = field(default_factory=dict)  # selector -> its classes with facts
    object_classes: dict[int, list[int]] | None = None  # objects: label class -> object classes

    def freeze_keys(self) -> None:
        self.space = LabelSpace(self.selectors.items)

    def selector(self, sel: LabelSelector, out: Facts) -> int:
        """The id of `sel`; a selector met after the full load gets its matches as facts (for
        an `any_of` space, when its group is met)."""
        sid, new = self.selectors.get(sel)
        if new and not self.deferred:
            assert self.space is not None
            if sel.error is None and any(r.key not in self.space.keys for r in sel.requirements):
                raise NeedsRebuild(f"selector {sel.text} tests a label key not tested before")
            if not self.any_of:
                self._cover((sid,), out)
        return sid

    def group(self, sids: tuple[int, ...], out: Facts) -> None:
        """Register a new group of selectors (sorted ids) read as any-of by the rules."""
        self.groups.append(sids)
        if not self.deferred:
            self._cover(sids, out)

    def _all_groups(self) -> Iterable[tuple[int, ...]]:
        if self.any_of:
            return self.groups
        return ((sid,) for sid in range(len(self.selectors.items)))

    def _cover(self, group: tuple[int, ...], out: Facts) -> None:
        """Facts for every class some selector of `group` matches, one witness per class;
        classes already witnessed by a fact of a selector of the group are skipped."""
        assert self.space is not None
        todo = self.space.every_class
        for sid in group:
            todo &= ~self.emitted.get(sid, 0)
        items = self.selectors.items
        for sid in group:
            if not todo:
                break
            hits = self.space.matching_mask(items[sid]) & todo
            if hits:
                todo &= ~hits
                self._emit(sid, hits, out)

    def _emit(self, sid: int, mask: int, out: Facts) -> None:
        self.emitted[sid] = self.emitted.get(sid, 0) | mask
        rows = out[self.builtin]
        if self.object_classes is None:
            # The label classes are the builtin's subjects (WECs, Namespaces): one fact per
            # class, at C speed; which selectors match a class is read from the masks
            # (`selectors_of`), not kept per class (2,500 selectors x 1,000 classes).
            rows.extend(zip(repeat(sid), members(mask)))
            return
        for c in members(mask):
            self.by_class.setdefault(c, []).append(sid)
            rows.extend((sid, x) for x in self.subjects_of(c))

    def selectors_of(self, label_class: int) -> list[int]:
        """The selectors with a fact for `label_class`."""
        if self.object_classes is not None:
            return self.by_class.get(label_class, [])
        bit = 1 << label_class
        return [sid for sid, mask in self.emitted.items() if mask & bit]

    def subjects_of(self, label_class: int) -> Iterable[int]:
        """The ids the builtin's facts name for a label class: the class itself, or (objects)
        the object classes of that label class."""
        if self.object_classes is None:
            return (label_class,)
        return self.object_classes.get(label_class, ())

    def label_class(self, labels: tuple[tuple[str, str], ...], out: Facts) -> int:
        """The class of `labels`; a class met after the full load gets its facts (objects: its
        witnesses, which `object_facts` asserts for each new object class)."""
        assert self.space is not None
        before = self.space.class_count
        cid = self.space.class_of(labels)
        if self.space.class_count != before and not self.deferred:
            projected = self.space.labels_of(cid)
            items = self.selectors.items
            witnessed: set[int] = set()
            for group in self._all_groups():
                if witnessed.intersection(group):
                    continue
                for sid in group:
                    sel = items[sid]
                    if sel.error is None and selector_matches(sel, projected):
                        witnessed.add(sid)
                        self._emit(sid, 1 << cid, out)
                        break
        return cid

    def all_matches(self, out: Facts) -> None:
        """The builtin's facts for every group over all classes, each selector evaluated once
        over all classes."""
        for group in self._all_groups():
            self._cover(group, out)
        self.deferred = False


@dataclass(slots=True)
class Encoding:
    """The id tables of one knowledge base: entities by id and by identity, clauses, selectors,
    label and object classes, and the shared tests."""

    wec_ids: dict[str, int] = field(default_factory=dict)
    wecs: dict[int, Cluster] = field(default_factory=dict)
    policy_ids: dict[str, int] = field(default_factory=dict)
    policies: dict[int, BindingPolicy] = field(default_factory=dict)
    object_ids: dict[Key, int] = field(default_factory=dict)
    objects: dict[int, WorkloadObject] = field(default_factory=dict)
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    clause_ids: dict[int, tuple[int, int]] = field(default_factory=dict)  # J -> (P, 1st index)
    clause_indexes: dict[int, tuple[int, ...]] = field(default_factory=dict)  # J -> its indexes
    clause_keys: dict[int, tuple[object, ...]] = field(default_factory=dict)  # J -> what it is
    policy_clauses: dict[int, tuple[int, ...]] = field(default_factory=dict)
    policy_own: dict[int, Facts] = field(default_factory=dict)  # P -> the facts it owns
    wec_space: _Space = field(default_factory=lambda: _Space("wec_selector_matches", False))
    object_space: _Space = field(default_factory=lambda: _Space("object_selector_matches", True))
    namespace_space: _Space = field(
        default_factory=lambda: _Space("namespace_selector_matches", True)
    )
    # Object classes: equal group, resource, namespace and selector-relevant labels.
    object_classes: dict[tuple[str, str, str, int], int] = field(default_factory=dict)
    object_class_labels: list[int] = field(default_factory=list)  # OC -> object label class
    classes_of_label_class: dict[int, list[int]] = field(default_factory=dict)
    namespace_classes: dict[str, int] = field(default_factory=dict)  # Namespace -> label class
    wec_classes: dict[int, int] = field(default_factory=dict)  # WEC id -> label class
    tests: dict[tuple[str, object], int] = field(default_factory=dict)
    existing_bindings: frozenset[str] = frozenset()  # names of Binding objects in the input
    _known: set[tuple[str, Row]] = field(default_factory=set)
    _known_places: set[tuple[str, str, str]] = field(default_factory=set)  # objects' vocabulary
    _next: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        # Object selectors match label classes; their facts name the object classes of each.
        self.object_space.object_classes = self.classes_of_label_class

    def _new_id(self, kind: str) -> int:
        n = self._next[kind]
        self._next[kind] = n + 1
        return n

    # --- names for explanations -----------------------------------------------------------

    @property
    def wec_selectors(self) -> list[LabelSelector]:
        return self.wec_space.selectors.items

    @property
    def object_selectors(self) -> list[LabelSelector]:
        return self.object_space.selectors.items

    @property
    def namespace_selectors(self) -> list[LabelSelector]:
        return self.namespace_space.selectors.items

    def clause(self, j: int) -> DownsyncClause:
        p, c = self.clause_ids[j]
        return self.policies[p].downsync[c]

    def explain_selector_failure(self, fact: Fact, wec: int | None = None) -> str:
        """Why a selector-builtin fact does not hold, naming the requirement that fails (and
        the WEC, when the question is about one)."""
        s, subject = fact.args[0], fact.args[1]
        if s is None or subject is None:
            return "no selector matches"
        if fact.predicate == "wec_selector_matches":
            if wec is not None:
                cluster = self.wecs[wec]
                sel = self.wec_selectors[int(s)]
                return why_no_match(sel, dict(cluster.labels), f"WEC {cluster.name}")
            assert self.wec_space.space is not None
            labels = self.wec_space.space.labels_of(int(subject))
            return why_no_match(self.wec_selectors[int(s)], labels, "the WEC")
        if fact.predicate == "object_selector_matches":
            assert self.object_space.space is not None
            labels = self.object_space.space.labels_of(self.object_class_labels[int(subject)])
            return why_no_match(self.object_selectors[int(s)], labels, "the object")
        assert self.namespace_space.space is not None
        labels = self.namespace_space.space.labels_of(int(subject))
        return why_no_match(self.namespace_selectors[int(s)], labels, "the Namespace")

    # --- one encoder per entity kind ---------------------------------------------------------
    # Each registers the entity under its id (kept when the entity is replaced) and returns its
    # own facts; vocabulary facts met for the first time go to `vocab`.

    def policy_facts(
        self,
        policy: BindingPolicy,
        vocab: Facts,
        pid: int | None = None,
        reuse: dict[tuple[object, ...], int] | None = None,
    ) -> tuple[int, Facts]:
        """`pid` and `reuse` (clause key -> id) keep the ids of a policy being replaced and of
        its clauses that stay as they were: their facts, and the plans chosen for them, hold."""
        p = self.policy_ids.get(policy.name) if pid is None else pid
        if p is None:
            p = self._new_id("policy")
        self.policy_ids[policy.name] = p
        self.policies[p] = policy
        own = new_facts()
        for i, sel in enumerate(policy.cluster_selectors):
            sid = self.wec_space.selector(sel, vocab)
            if sel.error is not None:
                self._vocabulary("selector_invalid", (sid,), vocab)
            own["policy_cluster_selector"].append((p, i, sid))
        # Equal clauses of one policy are one clause id: they match the same objects and set
        # the same modulation, and the policy's modulation is their OR / union, so one stands
        # for all (70,000 copies of a clause through a YAML alias cost one). The id keeps every
        # index it stands for, which explanations name.
        by_key: dict[tuple[object, ...], int] = {}
        indexes: dict[int, list[int]] = {}
        for c, clause in enumerate(policy.downsync):
            tests = self._clause_tests(clause, vocab)
            key = (tests, clause.object_names and frozenset(clause.object_names), clause.modulation)
            j = by_key.get(key)
            if j is not None:
                indexes[j].append(c)
                continue
            j = reuse.pop(key, None) if reuse else None
            if j is None:
                j = self._new_id("clause")
            by_key[key] = j
            self.clause_keys[j] = key
            self.clause_ids[j] = (p, c)
            indexes[j] = [c]
            own["clause"].append((p, j))
            self._clause_facts(j, tests, clause, own)
        self.policy_clauses[p] = tuple(indexes)
        for j, cs in indexes.items():
            self.clause_indexes[j] = tuple(cs)
        if policy.name in self.existing_bindings:
            own["binding_exists"].append((p,))
        self.policy_own[p] = own
        return p, own

    def forget_policy(self, p: int) -> None:
        self.policy_own.pop(p, None)
        for j in self.policy_clauses.pop(p, ()):
            del self.clause_ids[j]
            del self.clause_indexes[j]
            self.clause_keys.pop(j, None)
        del self.policy_ids[self.policies.pop(p).name]

    def wec_facts(self, cluster: Cluster, vocab: Facts) -> tuple[int, Facts]:
        c = self.wec_ids.get(cluster.name)
        if c is None:
            c = self.wec_ids[cluster.name] = self._new_id("wec")
        self.wecs[c] = cluster
        wc = self.wec_space.label_class(cluster.labels, vocab)
        self.wec_classes[c] = wc
        own = new_facts()
        own["wec"].append((c, wc))
        return c, own

    def forget_wec(self, c: int) -> None:
        del self.wec_ids[self.wecs.pop(c).name]
        del self.wec_classes[c]

    def object_facts(self, obj: WorkloadObject, vocab: Facts) -> tuple[int, Facts]:
        key = key_of(obj)
        o = self.object_ids.get(key)
        if o is None:
            o = self.object_ids[key] = self._new_id("object")
        self.objects[o] = obj
        ref = obj.ref
        lc = self.object_space.label_class(obj.labels, vocab)
        ckey = (ref.group, ref.resource, ref.namespace, lc)
        oc = self.object_classes.get(ckey)
        if oc is None:
            oc = self.object_classes[ckey] = len(self.object_class_labels)
            self.object_class_labels.append(lc)
            self.classes_of_label_class.setdefault(lc, []).append(oc)
            vocab["object_class"].append((oc, ref.group, ref.resource, ref.namespace))
            if not self.object_space.deferred:
                vocab["object_selector_matches"].extend(
                    (s, oc) for s in self.object_space.by_class.get(lc, ())
                )
            # Object classes outnumber their (group, resource, namespace) a hundredfold at L.
            place = ckey[:3]
            if place not in self._known_places:
                self._known_places.add(place)
                self._vocabulary("known_api_group", (ref.group,), vocab)
                self._vocabulary("known_resource", (ref.resource,), vocab)
                self._vocabulary("known_resource_of_group", (ref.group, ref.resource), vocab)
                self._vocabulary("known_namespace", (ref.namespace,), vocab)
        own = new_facts()
        own["workload"].append((o, ref.name, oc))
        return o, own

    def forget_object(self, o: int) -> None:
        del self.object_ids[key_of(self.objects.pop(o))]

    def namespace_facts(self, ns: Namespace, vocab: Facts) -> Facts:
        self.namespaces[ns.name] = ns
        nc = self.namespace_space.label_class(ns.labels, vocab)
        self.namespace_classes[ns.name] = nc
        self._vocabulary("known_namespace", (ns.name,), vocab)
        own = new_facts()
        own["namespace"].append((ns.name, nc))
        return own

    def forget_namespace(self, name: str) -> None:
        del self.namespaces[name]
        del self.namespace_classes[name]

    # --- clauses and their shared tests ------------------------------------------------------

    def _vocabulary(self, pred: str, row: Row, out: Facts) -> None:
        if (pred, row) not in self._known:
            self._known.add((pred, row))
            out[pred].append(row)

    def _test(self, kind: str, key: object) -> tuple[int, bool]:
        tid = self.tests.get((kind, key))
        if tid is not None:
            return tid, False
        tid = self.tests[(kind, key)] = len(self.tests)
        return tid, True

    def _clause_tests(self, clause: DownsyncClause, vocab: Facts) -> tuple[int, int, int]:
        return (
            self._resource_test(clause, vocab),
            self._namespace_test(clause, vocab),
            self._label_test(clause, vocab),
        )

    def _clause_facts(
        self, j: int, tests: tuple[int, int, int], clause: DownsyncClause, own: Facts
    ) -> None:
        own["clause_tests"].append((j, *tests))
        if clause.object_names:
            own["clause_object_name"].extend((j, n) for n in sorted(set(clause.object_names)))
        else:
            own["clause_object_names_unset"].append((j,))
        mod = clause.modulation
        if mod.create_only:
            own["clause_create_only"].append((j,))
        if mod.want_singleton_reported_state:
            own["clause_want_singleton"].append((j,))
        if mod.want_multi_wec_reported_state:
            own["clause_want_multi_wec"].append((j,))
        own["clause_status_collector"].extend((j, sc) for sc in sorted(mod.status_collectors))

    def _resource_test(self, clause: DownsyncClause, f: Facts) -> int:
        resources = tuple(sorted(set(clause.resources or ())))
        tid, new = self._test("r", (clause.api_group, resources))
        if new:
            if clause.api_group is None:
                f["rtest_any_api_group"].append((tid,))
            else:
                f["rtest_api_group"].append((tid, clause.api_group))
            if resources:
                f["rtest_resource"].extend((tid, r) for r in resources)
            else:
                f["rtest_resources_unset"].append((tid,))
        return tid

    def _namespace_test(self, clause: DownsyncClause, f: Facts) -> int:
        space = self.namespace_space
        names = tuple(sorted(set(clause.namespaces or ())))
        sels = tuple(sorted({space.selector(s, f) for s in clause.namespace_selectors or ()}))
        tid, new = self._test("n", (names, sels))
        if new:
            if names:
                f["ntest_namespace"].extend((tid, n) for n in names)
            else:
                f["ntest_namespaces_unset"].append((tid,))
            if sels:
                space.group(sels, f)
                f["ntest_selector"].extend((tid, s) for s in sels)
                for s in sels:
                    if self.namespace_selectors[s].is_empty:
                        self._vocabulary("selector_is_empty", (s,), f)
            else:
                f["ntest_selectors_unset"].append((tid,))
        return tid

    def _label_test(self, clause: DownsyncClause, f: Facts) -> int:
        space = self.object_space
        sels = tuple(sorted({space.selector(s, f) for s in clause.object_selectors or ()}))
        tid, new = self._test("l", sels)
        if new:
            if sels:
                space.group(sels, f)
                f["ltest_selector"].extend((tid, s) for s in sels)
            else:
                f["ltest_unset"].append((tid,))
        return tid


def binding_names(bindings: Iterable[dict[str, object]]) -> frozenset[str]:
    """Names of the Binding objects in the input (their metadata was validated on load)."""
    names = set()
    for body in bindings:
        meta = body.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            names.add(meta["name"])
    return frozenset(names)


def encode(snapshot: Snapshot) -> tuple[Encoding, Facts]:
    """A fresh encoding of `snapshot` and every fact the rules in `rules/binding.dl` read."""
    enc = Encoding(existing_bindings=binding_names(snapshot.bindings))
    facts = new_facts()
    # Selectors first: together they decide which label keys the classes are projected onto.
    for policy in snapshot.policies:
        for sel in policy.cluster_selectors:
            enc.wec_space.selectors.get(sel)
        for clause in policy.downsync:
            for sel in clause.object_selectors or ():
                enc.object_space.selectors.get(sel)
            for sel in clause.namespace_selectors or ():
                enc.namespace_space.selectors.get(sel)
    for space in (enc.wec_space, enc.object_space, enc.namespace_space):
        space.freeze_keys()
    for policy in snapshot.policies:
        merge_into(facts, enc.policy_facts(policy, facts)[1])
    for cluster in snapshot.clusters:
        merge_into(facts, enc.wec_facts(cluster, facts)[1])
    for obj in snapshot.objects:
        merge_into(facts, enc.object_facts(obj, facts)[1])
    for ns in snapshot.namespaces:
        merge_into(facts, enc.namespace_facts(ns, facts))
    # The selector-match builtins, set-at-a-time: each selector once over all classes.
    for space in (enc.wec_space, enc.namespace_space, enc.object_space):
        space.all_matches(facts)
    return enc, facts
