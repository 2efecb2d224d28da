"""The live model: one loaded snapshot, changed a little by change sets.

What-if, watch and the explainer share one `Model`. It holds the knowledge base with the current
facts and, per policy, the rows of the output predicates. A change set retracts the facts of the
entities it touches, asserts their new facts (the same encoders as the full load), and re-asks
the output predicates with the changed keys bound:

- a policy: every output row of that policy (P bound);
- a WEC: selects_wec with the WEC bound; an object: policy_object with the object bound;
- a Namespace: the first derived relation that reads Namespace facts, asked with the Namespace
  bound before and after the change; only the policies whose clauses use a test whose answer
  flipped are re-derived (usually none).

The program is non-recursive and every output row belongs to one policy, one WEC or one object,
so deleting the changed key's rows and asking again with the key bound is exact: no DRed or
counting is needed (shared/notes/incremental-measurements.md). Changes that alter the encoding
itself (a selector testing a label key no selector tested before) fall back to a full
evaluation. `tests/test_incremental.py` checks every path against a full evaluation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from functools import cache
from typing import Any

from bindlog.changes import (
    Change,
    ChangeSet,
    Entity,
    Key,
    apply_overlay,
    resolve_changes,
)
from bindlog.engine.evaluate import (
    PolicyResolution,
    Result,
    SingletonProblem,
    modulation,
    rules_text,
)
from bindlog.engine.facts import (
    Encoding,
    NeedsRebuild,
    Row,
    encode,
    merge_into,
    new_facts,
)
from bindlog.engine.interface import AGGREGATES, SELECTED, check_interface
from bindlog.engine.kb import KnowledgeBase
from bindlog.engine.planner import Compiler
from bindlog.engine.program import Program, parse_program
from bindlog.engine.pydatalog_backend import no_gc
from bindlog.engine.setwise import SetEvaluator
from bindlog.engines import check_engine, default_engine
from bindlog.model import (
    BindingPolicy,
    Cluster,
    Modulation,
    Namespace,
    Snapshot,
    WorkloadObject,
)

# Above this many changed entities, one full evaluation is cheaper than the bound queries.
FULL_THRESHOLD = 2000

_SINGLETON = "wantSingletonReportedState"
_PLAIN = Modulation()


@cache
def checked_program(text: str | None = None) -> Program:
    """binding.dl (or `text`) parsed and checked against the interface."""
    program = parse_program(rules_text() if text is None else text)
    check_interface(program)
    return program


Mods = dict[str, set[str]]


class Model:
    """A snapshot with its derived relations, kept current under change sets."""

    def __init__(
        self,
        snapshot: Snapshot,
        program: Program | None = None,
        forced_plan: int | None = None,
        engine: str | None = None,
    ) -> None:
        """`engine` derives the relations, on load and after each change: "setwise", the
        set-at-a-time evaluator (engine/setwise.py), or "pydatalog", through the planned
        access paths (`forced_plan`: tests force one); default: `default_engine()`. Both read
        the same rules and give the same relations (tests/test_setwise.py)."""
        engine = engine or default_engine()
        check_engine(engine)
        self._program = program or checked_program()
        self._forced_plan = forced_plan
        self._setwise = engine == "setwise"
        self._base_bindings = snapshot.bindings
        with no_gc():
            self._build(snapshot)

    # --- full evaluation -------------------------------------------------------------------

    def _build(self, snapshot: Snapshot) -> None:
        enc, facts = encode(snapshot)
        engine = "setwise" if self._setwise else "pydatalog"
        kb = KnowledgeBase(self._program, self._forced_plan, engine=engine)
        kb.assert_facts(facts)
        full: SetEvaluator | None = None
        if self._setwise:
            # Everything at once, over the knowledge base's own copy of the facts.
            full = SetEvaluator(self._program.rules, {}, AGGREGATES, live=kb.inputs.store)
        self._enc, self._kb = enc, kb
        self._kept: dict[int, dict[str, set[Row]]] = {}
        self._kept_counts: Counter[tuple[str, Row]] = Counter()
        kb.supply = self._activate
        self._order: list[int] = [enc.policy_ids[p.name] for p in snapshot.policies]
        self._object_class: dict[int, int] = {
            int(o): int(oc) for o, _, oc in facts.get("workload", ())
        }
        # The access paths every derivation uses, compiled before plans are chosen for them.
        patterns: tuple[tuple[str, tuple[int | None, ...]], ...] = (
            ("policy_object", (None, None, None, None)),
            ("policy_object", (0, None, None, None)),
            ("policy_object", (None, 0, None, None)),
        )
        for pred, args in patterns:
            kb.ensure_compiled(pred, args)
        # The rules above the kept relations, compiled now so that every kept form they read
        # is known before the rows are kept.
        for pred, args in (
            ("has_binding", (None,)),
            ("has_binding", (0,)),
            ("singleton_qualified", (None, None)),
            ("singleton_problem", (None, None)),
        ):
            kb.ensure_compiled(pred, args)
        if full is None:
            kb.choose_plans(enc.clause_ids)
        self._derive_all(full)
        self._snapshot: Snapshot | None = snapshot
        self._result: Result | None = None

    def _derive_all(self, full: SetEvaluator | None) -> None:
        """Every output relation at once: set-at-a-time by `full`, or else asked of pyDatalog
        through the planned access paths."""
        kb = self._kb
        ask: Callable[[str, int], Iterable[tuple[Any, ...]]]
        if full is not None:
            ask = lambda pred, arity: full.relation(pred)  # noqa: E731
        else:
            ask = lambda pred, arity: kb.query(pred, (None,) * arity)  # noqa: E731
        with kb.session():
            self._invalid = {int(p) for (p,) in ask("policy_invalid", 1)}
            self._dests: dict[int, set[int]] = defaultdict(set)
            members: dict[str, dict[Any, list[Any]]] = {"wec": defaultdict(list)}
            for c, wc in self._enc.wec_classes.items():
                members["wec"][wc].append(c)
            # A selector stands for the WEC classes its builtin matches: their bitset.
            masks = {"wec_selector_matches": self._enc.wec_space.emitted}
            # selects_wec per class of classes (per policy selector), kept to answer "which
            # policies select this WEC" after a change by walking up from the WEC's classes.
            self._wec_top: dict[Any, set[int]] = defaultdict(set)  # top class -> policies
            self._wec_top_of: dict[int, set[Any]] = defaultdict(set)  # policy -> top classes
            self._wec_chain: list[tuple[str, str]] | None = None
            found = self._full_class_rows(full, "selects_wec", 1)
            if found is not None and all(m in _MEMBERSHIP_UP for _, m in found[0]):
                self._wec_chain, top = found
                self._keep_top(top)
                rows = kb.expand(self._wec_chain, top, 1, members, masks)
            else:  # the rules no longer reach WECs only through their classes
                rows = list(ask("selects_wec", 2))
            for p, c in rows:
                self._dests[int(p)].add(int(c))
            self._objs: dict[int, dict[int, Mods]] = defaultdict(dict)
            for p, o, k, v in ask("policy_object", 4):
                self._objs[int(p)].setdefault(int(o), {}).setdefault(k, set()).add(v)
            if full is not None:
                # The rules above read the expanded relation (pyDatalog reads its kept forms,
                # asserted once those rules are asked: KnowledgeBase.supply).
                full.provide("selects_wec", rows)
            self._has_binding = {int(p) for (p,) in ask("has_binding", 1)}
            if full is not None:
                # A change re-asks has_binding only for the policies whose kept rows changed
                # (Model._rederive): the forms its rules read are kept from the start, as
                # asking it through the knowledge base would have done.
                kb.prepare("has_binding", (0,))
        self._wec_policies: dict[int, set[int]] = defaultdict(set)
        for p, cs in self._dests.items():
            for c in cs:
                self._wec_policies[c].add(p)
        self._object_policies: dict[int, set[int]] = defaultdict(set)
        for p, objs in self._objs.items():
            for o in objs:
                self._object_policies[o].add(p)
        self._resolutions: dict[int, PolicyResolution] = {}
        self._object_maps: dict[int, dict[WorkloadObject, Modulation]] = {}
        self._derive_singleton(full=full)

    def _full_class_rows(
        self, full: SetEvaluator | None, predicate: str, pos: int
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]] | None:
        """The class chain of `predicate` at `pos` and the rows of its last form
        (KnowledgeBase.class_rows), derived by `full` when given."""
        if full is None:
            return self._kb.class_rows(predicate, pos)
        compiler = self._kb.compiler
        chain = compiler.class_chain(predicate, pos)
        if not chain:
            return None
        # The class forms read the class forms of what they read (compiled with the chain).
        rules = [r for name, defs in compiler.class_defs.items() for r in defs]
        derived = self._program.derived
        if any(
            a.predicate not in derived
            and "__" in a.predicate
            and a.predicate not in compiler.class_defs
            for r in rules
            for a in r.body
        ):
            return None  # a class form reading kept rows: only pyDatalog holds those
        full.add_rules(r for r in rules if r.head.predicate not in full.defined)
        return chain, list(full.relation(chain[-1][0]))

    def _kept_rows(
        self, p: int, names: Iterable[str], unchanged: dict[str, set[Row]] | None = None
    ) -> dict[str, set[Row]]:
        """Policy p's rows of the kept forms `names` (fact names); the forms of policy_object
        are taken from `unchanged` when p's objects did not change."""
        if p not in self._enc.policies:
            return {}
        compiler = self._kb.compiler
        full: dict[str, set[Row]] = {}
        stored: dict[str, set[Row]] = {}

        def rows_of(pred: str) -> set[Row]:
            if pred not in full:
                if pred == "selects_wec":
                    full[pred] = {(p, c) for c in self._dests.get(p, ())}
                else:
                    full[pred] = {
                        (p, o, k, v)
                        for o, mods in self._objs.get(p, {}).items()
                        for k, values in mods.items()
                        for v in values
                    }
            return full[pred]

        def stored_rows(pred: str) -> set[Row]:
            # One row per class met where the relation is kept per class: many WECs of a
            # policy share few classes.
            if pred not in stored:
                kept_class = compiler.kept_per_class.get(pred)
                rows = rows_of(pred)
                stored[pred] = rows if kept_class is None else self._class_rows(rows, kept_class[0])
            return stored[pred]

        out: dict[str, set[Row]] = {}
        for name in names:
            pred, keep = _form(compiler, name)
            if unchanged is not None and pred == "policy_object" and name in unchanged:
                out[name] = unchanged[name]
            elif keep is None:
                out[name] = stored_rows(pred)
            elif not set(keep) - {0}:
                # Every row of p's part starts with p: a projection onto the policy alone is one
                # row when p has any row (what has_binding asks), whatever p's rows are.
                out[name] = {(p,) * len(keep)} if self._has_rows(pred, p) else set()
            else:
                out[name] = {tuple(r[i] for i in keep) for r in rows_of(pred)}
        return out

    def _keep_top(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for p, k in rows:
            self._wec_top[k].add(int(p))
            self._wec_top_of[int(p)].add(k)

    def _policies_selecting(self, c: int) -> set[int]:
        """The policies that select WEC c: from its classes (up the class chain) to the kept
        per-class rows, or else asked of the rules with c bound."""
        if self._wec_chain is None:
            return {int(p) for p, _ in self._kb.query("selects_wec", (None, c))}
        classes: set[Any] = {c}
        for _, membership in self._wec_chain:
            classes = {k for m in classes for k in _MEMBERSHIP_UP[membership](self._enc, m)}
        return {p for k in classes for p in self._wec_top.get(k, ())}

    def _has_rows(self, pred: str, p: int) -> bool:
        return bool(self._dests.get(p) if pred == "selects_wec" else self._objs.get(p))

    def _class_rows(self, rows: set[Row], pos: int) -> set[Row]:
        classes = self._enc.wec_classes
        return {(*r[:pos], classes[int(r[pos])], *r[pos + 1 :]) for r in rows}

    def _keep(self, policies: Iterable[int], objects_changed: set[int] | None = None) -> set[int]:
        """Bring the kept rows of `policies` up to date, in the kept forms (of selects_wec and
        policy_object) that the knowledge base holds; returns the policies whose rows changed."""
        retract, add = new_facts(), new_facts()
        active = self._kb.active
        changed = set()
        for p in policies:
            old = self._kept.pop(p, {})
            reuse = objects_changed is not None and p not in objects_changed
            new = self._kept_rows(p, active, old if reuse else None)
            if old != new:
                changed.add(p)
            self._count_rows(old, new, retract, add)
            if any(new.values()):
                self._kept[p] = new
        self._kb.retract_facts(retract)
        self._kb.assert_facts(add)
        return changed

    def _activate(self, names: set[str]) -> None:
        """Assert the kept forms `names` for every policy (the knowledge base asks for them the
        first time a compiled rule that reads them is asked) and keep them current after."""
        add = new_facts()
        for p in self._order:
            new = self._kept_rows(p, names)
            self._count_rows({}, new, new_facts(), add)
            if any(new.values()):
                self._kept.setdefault(p, {}).update(new)
        self._kb.active |= names
        self._kb.assert_facts(add, change=False)

    def _count_rows(
        self,
        old: dict[str, set[Row]],
        new: dict[str, set[Row]],
        retract: dict[str, list[Row]],
        add: dict[str, list[Row]],
    ) -> None:
        # A projection may hold one row for several policies: a fact stays while any policy
        # still has it.
        counts = self._kept_counts
        for name in old.keys() | new.keys():
            before, after = old.get(name, set()), new.get(name, set())
            for row in before - after:
                counts[(name, row)] -= 1
                if not counts[(name, row)]:
                    del counts[(name, row)]
                    retract[name].append(row)
            for row in after - before:
                counts[(name, row)] += 1
                if counts[(name, row)] == 1:
                    add[name].append(row)

    def _derive_singleton(
        self, objects: set[int] | None = None, full: SetEvaluator | None = None
    ) -> None:
        """The aggregate and the status relation it feeds, for every object (derived by
        `full` when given) or for `objects` (those whose policies changed); skipped while no
        clause asks for singleton status and none is left to withdraw (a count of 0 WECs has
        no aggregate row, only problems)."""
        kb = self._kb
        if objects is None:
            self._counts: dict[int, int] = {}
            self._problems: dict[int, set[int]] = {}  # object -> policies reporting it
        if full is not None:
            if not full.relation("clause_want_singleton"):
                return
            fresh = new_facts()
            for agg in AGGREGATES:
                rows = sorted(full.relation(agg.name), key=lambda kv: str(kv[0]))
                fresh[agg.name].extend(rows)
                self._counts.update({int(o): int(n) for o, n in rows})
            kb.assert_facts(fresh)
            for p, o in full.relation("singleton_problem"):
                self._problems.setdefault(int(o), set()).add(int(p))
            return
        with kb.session():
            if not kb.query("clause_want_singleton", (None,)) and not (
                self._counts or self._problems
            ):
                return
            keys = None if objects is None else sorted(objects)
            old = new_facts()
            for agg in AGGREGATES:
                stale = (
                    self._counts
                    if keys is None
                    else {o: self._counts[o] for o in keys if o in self._counts}
                )
                old[agg.name].extend(stale.items())
            kb.retract_facts(old)
            fresh = new_facts()
            sizes: Counter[int] = Counter(self._enc.wec_classes.values())
            for agg in AGGREGATES:
                rows = kb.aggregate_rows(agg, keys, dict(sizes))
                fresh[agg.name].extend(rows)
                for k in keys or ():
                    self._counts.pop(k, None)
                self._counts.update({int(o): int(n) for o, n in rows})
            kb.assert_facts(fresh)
            if keys is None:
                problems = kb.query("singleton_problem", (None, None))
            else:
                problems = [r for k in keys for r in kb.query("singleton_problem", (None, k))]
                for k in keys:
                    self._problems.pop(k, None)
            for p, o in problems:
                self._problems.setdefault(int(o), set()).add(int(p))

    @property
    def _singleton(self) -> dict[int, list[SingletonProblem]]:
        out: dict[int, list[SingletonProblem]] = {}
        for o, policies in self._problems.items():
            problem = SingletonProblem(self._enc.objects[o], self._counts.get(o, 0))
            for p in policies:
                out.setdefault(p, []).append(problem)
        return out

    # --- the result ------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            enc = self._enc
            self._snapshot = Snapshot(
                clusters=tuple(enc.wecs[c] for c in sorted(enc.wecs)),
                namespaces=tuple(enc.namespaces.values()),
                objects=tuple(enc.objects[o] for o in sorted(enc.objects)),
                policies=tuple(enc.policies[p] for p in self._order),
                bindings=self._base_bindings,
            )
        return self._snapshot

    @property
    def result(self) -> Result:
        if self._result is None:
            self._result = Result(
                resolutions=tuple(self._resolution(p) for p in self._order),
                ids=tuple(self._order),
                singleton=dict(self._singleton),
                _snapshot=self._snapshot,
                _snapshot_of=lambda: self.snapshot,
                _kb=self._kb,
                _encoding=self._enc,
                _generation=self._kb.generation,
            )
        return self._result

    def _resolution(self, p: int) -> PolicyResolution:
        res = self._resolutions.get(p)
        if res is None:
            enc = self._enc
            objects = self._object_maps.get(p)
            if objects is None:
                # Most objects carry no modulation: one shared value for them.
                plain = _PLAIN
                objects = self._object_maps[p] = {
                    enc.objects[o]: plain if len(m) == 1 and SELECTED in m else modulation(m)
                    for o, m in self._objs.get(p, {}).items()
                }
            res = self._resolutions[p] = PolicyResolution(
                policy=enc.policies[p],
                destinations=frozenset(enc.wecs[c].name for c in self._dests.get(p, ())),
                objects=objects,
                invalid=p in self._invalid,
                has_binding=p in self._has_binding,
            )
        return res

    # --- changes -----------------------------------------------------------------------------

    def _lookup(self, key: Key) -> Entity | None:
        enc = self._enc
        if key.kind == "wec":
            c = enc.wec_ids.get(key.name)
            return None if c is None else enc.wecs[c]
        if key.kind == "namespace":
            return enc.namespaces.get(key.name)
        if key.kind == "bindingpolicy":
            p = enc.policy_ids.get(key.name)
            return None if p is None else enc.policies[p]
        o = enc.object_ids.get(key)
        return None if o is None else enc.objects[o]

    def apply(self, changes: ChangeSet | Iterable[Change]) -> Result:
        """Apply `changes` and keep them; returns the new result."""
        changed = resolve_changes(changes, self._lookup)
        self._apply_changed(changed)
        return self.result

    def what_if(self, changes: ChangeSet | Iterable[Change]) -> Result:
        """The result after `changes`; the model itself stays as it was. The result is detached:
        to explain it, use `changed`."""
        with self.changed(changes) as result:
            return _detached(result)

    @contextmanager
    def changed(self, changes: ChangeSet | Iterable[Change]) -> Any:
        """Hold the model changed while the block runs (explanations can be asked of it), then
        restore it."""
        changed = resolve_changes(changes, self._lookup)
        undo = {key: self._lookup(key) for key in changed}
        if len(changed) > FULL_THRESHOLD:
            yield Model(apply_overlay(self.snapshot, changed), self._program).result
            return
        base = self.snapshot  # restored as it was, entity order included
        self._apply_changed(changed)
        try:
            yield self.result
        finally:
            self._apply_changed(undo)
            self._snapshot = base

    def _apply_changed(self, changed: dict[Key, Entity | None]) -> None:
        if not changed:
            return
        with no_gc():
            try:
                if len(changed) > FULL_THRESHOLD:
                    raise NeedsRebuild("large change set")
                self._incremental(changed)
            except NeedsRebuild:
                self._build(apply_overlay(self.snapshot, changed))
        self._snapshot = None
        self._result = None

    def _incremental(self, changed: dict[Key, Entity | None]) -> None:
        enc, kb = self._enc, self._kb
        # New selectors must not change the label projection: check before touching anything.
        for entity in changed.values():
            if isinstance(entity, BindingPolicy):
                _check_projection(enc, entity)
        retract, vocab, own = new_facts(), new_facts(), new_facts()
        dirty_p: set[int] = set()
        gone_p: set[int] = set()
        dirty_c: set[int] = set()
        gone_c: set[int] = set()
        dirty_o: set[int] = set()
        gone_o: set[int] = set()
        namespaces: list[str] = []
        moved_c: set[int] = set()
        for key, entity in changed.items():
            if key.kind == "bindingpolicy":
                p = enc.policy_ids.get(key.name)
                if p is not None:
                    merge_into(retract, enc.policy_own[p])
                    kb.forget_plans(enc.policy_clauses.get(p, ()))
                    enc.forget_policy(p)
                    gone_p.add(p)
                if isinstance(entity, BindingPolicy):
                    new_p, rows = enc.policy_facts(entity, vocab)
                    merge_into(own, rows)
                    dirty_p.add(new_p)
                    if p is not None:
                        self._order[self._order.index(p)] = new_p
                    else:
                        self._order.append(new_p)
                elif p is not None:
                    self._order.remove(p)
            elif key.kind == "wec":
                c = enc.wec_ids.get(key.name)
                old_class = None
                if c is not None:
                    old_class = enc.wec_classes[c]
                    retract["wec"].append((c, old_class))
                if isinstance(entity, Cluster):
                    c, rows = enc.wec_facts(entity, vocab)
                    if enc.wec_classes[c] != old_class:
                        moved_c.add(c)
                    merge_into(own, rows)
                    dirty_c.add(c)
                elif c is not None:
                    enc.forget_wec(c)
                    gone_c.add(c)
            elif key.kind == "object":
                o = enc.object_ids.get(key)
                if o is not None:
                    old = enc.objects[o]
                    retract["workload"].append((o, old.ref.name, self._object_class[o]))
                if isinstance(entity, WorkloadObject):
                    o, rows = enc.object_facts(entity, vocab)
                    self._object_class[o] = int(rows["workload"][0][2])
                    merge_into(own, rows)
                    dirty_o.add(o)
                elif o is not None:
                    enc.forget_object(o)
                    del self._object_class[o]
                    gone_o.add(o)
            else:
                namespaces.append(key.name)
        ns_before = {name: self._namespace_answers(name) for name in namespaces}
        for name in namespaces:
            ns = changed[Key("namespace", name)]
            if name in enc.namespaces:
                retract["namespace"].append((name, enc.namespace_classes[name]))
            if isinstance(ns, Namespace):
                merge_into(own, enc.namespace_facts(ns, vocab))
            elif name in enc.namespaces:
                enc.forget_namespace(name)
        kb.retract_facts(retract)
        merge_into(vocab, own)
        kb.assert_facts(vocab)
        new_clauses = [j for p in dirty_p for j in enc.policy_clauses.get(p, ())]
        kb.choose_plans(new_clauses)
        for name in namespaces:
            dirty_p |= self._flipped_policies(ns_before[name], self._namespace_answers(name))
        dirty_p -= gone_p
        with kb.session():
            changed_inputs = {
                pred for facts in (retract, vocab) for pred, rows in facts.items() if rows
            }
            touched = self._rederive(
                dirty_p, gone_p, dirty_c, gone_c, dirty_o, gone_o, moved_c, changed_inputs
            )
        for p in touched:
            self._resolutions.pop(p, None)
        if touched and (self._problems or self._counts or self._singleton_relevant(touched)):
            affected = self._affected | {o for p in touched for o in self._objs.get(p, {})}
            self._derive_singleton(affected)

    # Namespace facts are read by one rule of binding.dl, whose head is keyed by the test and the
    # namespace: asking it with the namespace bound before and after a change says which tests
    # flipped. Should the rules read Namespace facts anywhere else, every policy is re-derived.
    _NAMESPACE_READER = "namespace_labels_pass"

    def _namespace_reader_is_sole(self) -> bool:
        readers = {
            r.head.predicate
            for r in self._program.rules
            if any(a.predicate == "namespace" for a in r.body)
        }
        return readers == {self._NAMESPACE_READER}

    def _namespace_answers(self, name: str) -> set[int]:
        if not self._namespace_reader_is_sole():
            return set()
        with self._kb.session():
            return {int(t) for t, _ in self._kb.query(self._NAMESPACE_READER, (None, name))}

    def _flipped_policies(self, before: set[int], after: set[int]) -> set[int]:
        if not self._namespace_reader_is_sole():
            return set(self._enc.policies)
        flipped = before ^ after
        if not flipped:
            return set()
        out = set()
        for p, rows in self._enc.policy_own.items():
            if any(int(tn) in flipped for _, _, tn, _ in rows.get("clause_tests", ())):
                out.add(p)
        return out

    def _rederive(
        self,
        dirty_p: set[int],
        gone_p: set[int],
        dirty_c: set[int],
        gone_c: set[int],
        dirty_o: set[int],
        gone_o: set[int],
        moved_c: set[int],
        changed_inputs: set[str],
    ) -> set[int]:
        kb = self._kb
        touched = set(dirty_p) | gone_p
        objects_changed = set(dirty_p) | gone_p  # policies whose object rows changed
        self._affected: set[int] = set()  # objects whose policies' rows changed
        for p in gone_p | dirty_p:
            for c in self._dests.pop(p, set()):
                self._wec_policies[c].discard(p)
            for o in self._objs.pop(p, {}):
                self._object_policies[o].discard(p)
                self._affected.add(o)
            self._invalid.discard(p)
            self._has_binding.discard(p)
            for k in self._wec_top_of.pop(p, set()):
                self._wec_top[k].discard(p)
        for p in dirty_p:
            if kb.query("policy_invalid", (p,)):
                self._invalid.add(p)
            if self._wec_chain is not None:
                found = kb.class_rows("selects_wec", 1, (p, None))
                assert found is not None
                self._keep_top(found[1])
            for _, c in kb.query("selects_wec", (p, None)):
                self._dests[p].add(int(c))
                self._wec_policies[int(c)].add(p)
            objs = self._objs[p]
            for _, o, k, v in kb.query("policy_object", (p, None, None, None)):
                objs.setdefault(int(o), {}).setdefault(k, set()).add(v)
                self._object_policies[int(o)].add(p)
        for c in gone_c:
            for p in self._wec_policies.pop(c, set()):
                self._dests[p].discard(c)
                touched.add(p)
        for c in dirty_c:
            # Only the policies that gain or lose the WEC change (and, when the WEC moved to
            # another label class, the per-class rows of the policies that keep it).
            old = self._wec_policies.pop(c, set())
            new = self._policies_selecting(c)
            for p in old - new:
                self._dests[p].discard(c)
            for p in new - old:
                self._dests[p].add(c)
            self._wec_policies[c] = new
            touched |= old ^ new
            if c in moved_c:
                touched |= old & new
        for o in gone_o | dirty_o:
            self._affected.add(o)
            for p in self._object_policies.pop(o, set()):
                self._objs[p].pop(o, None)
                touched.add(p)
                objects_changed.add(p)
        for o in dirty_o:
            for p, _, k, v in kb.query("policy_object", (None, o, None, None)):
                self._objs[int(p)].setdefault(o, {}).setdefault(k, set()).add(v)
                self._object_policies[o].add(int(p))
                touched.add(int(p))
                objects_changed.add(int(p))
        kept_changed = self._keep(touched, objects_changed)
        for p in objects_changed:
            self._object_maps.pop(p, None)
        # has_binding asked again for the touched policies whose answer can have changed: the
        # re-derived ones, and, unless none of the inputs its rules read changed, those whose
        # kept rows (the only derived rows its rules read) changed.
        reads = kb.reads("has_binding", (0,))
        ask = set(dirty_p) if reads.isdisjoint(changed_inputs) else set(touched)
        ask |= kept_changed
        self._has_binding -= ask
        live = ask & self._enc.policies.keys()
        self._has_binding |= {p for p in live if kb.query("has_binding", (p,))}
        return touched

    def _singleton_relevant(self, touched: set[int]) -> bool:
        if self._singleton:
            return True
        # Scanning the touched policies' objects costs more than a whole WEC change: only
        # when some clause asks for singleton status at all.
        with self._kb.session():
            if not self._kb.query("clause_want_singleton", (None,)):
                return False
        return any(_SINGLETON in mods for p in touched for mods in self._objs.get(p, {}).values())


def _check_projection(enc: Encoding, policy: BindingPolicy) -> None:
    spaces = (
        (enc.wec_space, policy.cluster_selectors),
        (enc.object_space, [s for c in policy.downsync for s in c.object_selectors or ()]),
        (enc.namespace_space, [s for c in policy.downsync for s in c.namespace_selectors or ()]),
    )
    for space, selectors in spaces:
        assert space.space is not None
        for sel in selectors:
            if sel.error is None and any(r.key not in space.space.keys for r in sel.requirements):
                raise NeedsRebuild(f"selector {sel.text} tests a new label key")


# The classes a member belongs to, per membership the class chain of selects_wec walks up:
# a WEC's label class, the selectors whose builtin matches a label class.
_MEMBERSHIP_UP: dict[str, Any] = {
    "wec": lambda enc, c: (enc.wec_classes[c],),
    "wec_selector_matches": lambda enc, wc: enc.wec_space.selectors_of(wc),
}


def _form(compiler: Compiler, name: str) -> tuple[str, tuple[int, ...] | None]:
    """The relation a kept form holds, and the positions it keeps (None: all of them)."""
    projection = compiler.kept_projections.get(name)
    if projection is not None:
        pred, keep = projection
        return pred, keep
    return name.rpartition("__")[0], None


def _detached(result: Result) -> Result:
    """A copy of `result` that keeps only the plain values (no engine handle)."""
    snapshot = result.snapshot
    return Result(
        resolutions=result.resolutions,
        ids=result.ids,
        singleton=result.singleton,
        _snapshot=snapshot,
    )


__all__ = ["SELECTED", "Model", "checked_program"]
