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
    SnapshotIndex,
    apply_overlay,
    overlay,
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
    Facts,
    NeedsRebuild,
    Row,
    encode,
    merge_into,
    new_facts,
)
from bindlog.engine.interface import AGGREGATES, SELECTED, check_interface
from bindlog.engine.kb import KnowledgeBase
from bindlog.engine.labelsets import members
from bindlog.engine.planner import Compiler, adornment
from bindlog.engine.program import Program, parse_program
from bindlog.engine.setwise import SetEvaluator
from bindlog.engines import check_engine, default_engine
from bindlog.gcpause import no_gc
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
# Change sets kept to lay over the last snapshot built; past this many, the next snapshot asked
# for is built from the encoding.
_MAX_PENDING = 16
_EMPTY = Snapshot()

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
        self._journal: _Journal | None = None  # while `changed` holds a change: how to undo it
        self._held: dict[Key, Entity | None] = {}  # the change `changed` holds
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
        self._wants_singleton: bool | None = None  # some clause asks for singleton status
        self._affected: set[int] = set()
        self._class_wecs: dict[int, list[int]] | None = None  # label class -> its WECs
        self._derive_all(full)
        self._set_snapshot(snapshot)
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
        self,
        p: int,
        names: Iterable[str],
        unchanged: dict[str, set[Row]] | None = None,
        moves: tuple[set[int], dict[int, Mods]] | None = None,
    ) -> dict[str, set[Row]]:
        """Policy p's rows of the kept forms `names` (fact names); the forms of policy_object
        are taken from `unchanged` when p's objects did not change, or follow from them by
        `moves` (the objects that changed, with their rows before) when only those did."""
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
                if moves is None:
                    out[name] = unchanged[name]
                elif pred in compiler.kept_per_class:
                    out[name] = stored_rows(pred)
                else:
                    out[name] = self._moved_rows(p, keep, unchanged[name], *moves)
            elif keep is None:
                out[name] = stored_rows(pred)
            elif not set(keep) - {0}:
                # Every row of p's part starts with p: a projection onto the policy alone is one
                # row when p has any row (what has_binding asks), whatever p's rows are.
                out[name] = {(p,) * len(keep)} if self._has_rows(pred, p) else set()
            else:
                out[name] = {tuple(r[i] for i in keep) for r in rows_of(pred)}
        return out

    def _moved_rows(
        self,
        p: int,
        keep: tuple[int, ...] | None,
        before: set[Row],
        changed: set[int],
        old_mods: dict[int, Mods],
    ) -> set[Row]:
        """p's rows of a kept form of policy_object after the objects `changed` changed: their
        rows before go, unless another of p's objects still gives them; their rows now come."""
        positions = (0, 1, 2, 3) if keep is None else keep

        def rows(o: int, mods: Mods) -> set[Row]:
            return {tuple((p, o, k, v)[i] for i in positions) for k, vs in mods.items() for v in vs}

        mine = self._objs.get(p, {})
        gone: set[Row] = set()
        came: set[Row] = set()
        for o in changed:
            gone |= rows(o, old_mods.get(o, {}))
            came |= rows(o, mine.get(o, {}))
        lost = gone - came
        if lost and 1 not in positions:  # a row without the object may come from another
            others = (rows(o, mods) for o, mods in mine.items() if o not in changed)
            for found in others:
                lost -= found
                if not lost:
                    break
        came -= before
        if not came and not lost:
            return before  # the same set: nothing to compare or count
        return (before | came) - lost

    def _keep_top(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for p, k in rows:
            self._save(self._wec_top, k)
            self._save(self._wec_top_of, int(p))
            self._wec_top[k].add(int(p))
            self._wec_top_of[int(p)].add(k)

    # --- what a held change overwrites (see _Journal) ----------------------------------------

    def _save(self, table: dict[Any, Any], key: Any, old: Any = None) -> None:
        """Keep `table[key]` (or `old`, for an entry the change created) to restore after a
        held change; nothing outside one."""
        if self._journal is not None:
            self._journal.save(table, key, old)

    def _save_member(self, members: set[Any], item: Any) -> None:
        if self._journal is not None:
            self._journal.save_member(members, item)

    def _assert(self, facts: Facts, change: bool = True) -> None:
        if not any(facts.values()):
            return
        self._kb.assert_facts(facts, change)
        if self._journal is not None:
            self._journal.facts.append((True, facts))

    def _retract(self, facts: Facts) -> None:
        if not any(facts.values()):
            return
        self._kb.retract_facts(facts)
        if self._journal is not None:
            self._journal.facts.append((False, facts))

    def _policies_selecting(self, c: int) -> set[int]:
        """The policies that select WEC c: from its classes (up the class chain) to the kept
        per-class rows, or else asked of the rules with c bound."""
        if self._wec_chain is None:
            return {int(p) for p, _ in self._kb.query("selects_wec", (None, c))}
        classes: set[Any] = {c}
        for _, membership in self._wec_chain:
            classes = {k for m in classes for k in _MEMBERSHIP_UP[membership](self._enc, m)}
        return {p for k in classes for p in self._wec_top.get(k, ())}

    def _expand_wecs(self, rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Rows (P, top class) of selects_wec's class chain expanded into (P, WEC) rows, down
        the chain from the classes met (KnowledgeBase.expand, with tables built per class)."""
        assert self._wec_chain is not None
        by_class: dict[Any, set[Any]] = defaultdict(set)
        for p, k in rows:
            by_class[k].add(p)
        for _, membership in reversed(self._wec_chain):
            down = _MEMBERSHIP_DOWN[membership]
            expanded: dict[Any, set[Any]] = defaultdict(set)
            for k, policies in by_class.items():
                for m in down(self, k):
                    expanded[m] |= policies
            by_class = expanded
        return [(p, c) for c, policies in by_class.items() for p in policies]

    def _wecs_of(self, wc: int) -> list[int]:
        """The WECs of label class `wc` (an index built when first asked after WECs change)."""
        if self._class_wecs is None:
            index: dict[int, list[int]] = defaultdict(list)
            for c, klass in self._enc.wec_classes.items():
                index[klass].append(c)
            self._class_wecs = index
        return self._class_wecs.get(wc, [])

    def _has_rows(self, pred: str, p: int) -> bool:
        return bool(self._dests.get(p) if pred == "selects_wec" else self._objs.get(p))

    def _class_rows(self, rows: set[Row], pos: int) -> set[Row]:
        classes = self._enc.wec_classes
        return {(*r[:pos], classes[int(r[pos])], *r[pos + 1 :]) for r in rows}

    def _keep(
        self,
        policies: Iterable[int],
        objects_changed: set[int] | None = None,
        moves: dict[int, tuple[set[int], dict[int, Mods]]] | None = None,
    ) -> set[int]:
        """Bring the kept rows of `policies` up to date, in the kept forms (of selects_wec and
        policy_object) that the knowledge base holds; returns the policies whose rows changed.
        `moves`: per policy whose objects changed but were not derived afresh, those objects
        with their rows before (see _kept_rows)."""
        retract, add = new_facts(), new_facts()
        active = self._kb.active
        compiler = self._kb.compiler
        # When every kept form of selects_wec is its projection onto the policy, a policy whose
        # objects did not change keeps its rows unless it gained its first WEC or lost its last.
        wec_forms = [n for n in active if _form(compiler, n)[0] == "selects_wec"]
        projected = all(not set(_form(compiler, n)[1] or (0, 1)) - {0} for n in wec_forms)
        changed = set()
        for p in policies:
            if objects_changed is not None and p not in objects_changed and projected:
                kept = self._kept.get(p, {})
                has = bool(self._dests.get(p)) and p in self._enc.policies
                if all(bool(kept.get(n)) == has for n in wec_forms):
                    continue
            self._save(self._kept, p)
            old = self._kept.pop(p, {})
            reuse = objects_changed is not None and p not in objects_changed
            moved = (moves or {}).get(p)
            new = self._kept_rows(p, active, old if reuse or moved else None, moved)
            if old != new:
                changed.add(p)
                self._count_rows(old, new, retract, add)
            if any(new.values()):
                self._kept[p] = new
        self._retract(retract)
        self._assert(add)
        return changed

    def _activate(self, names: set[str]) -> None:
        """Assert the kept forms `names` for every policy (the knowledge base asks for them the
        first time a compiled rule that reads them is asked) and keep them current after."""
        add = new_facts()
        for p in self._order:
            new = self._kept_rows(p, names)
            self._count_rows({}, new, new_facts(), add)
            if any(new.values()):
                self._save(self._kept, p)
                self._kept.setdefault(p, {}).update(new)
        self._kb.active |= names
        self._assert(add, change=False)

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
            if before is after:  # a form reused as it was (objects unchanged)
                continue
            for row in before - after:
                self._save(counts, (name, row))
                counts[(name, row)] -= 1
                if not counts[(name, row)]:
                    del counts[(name, row)]
                    retract[name].append(row)
            for row in after - before:
                self._save(counts, (name, row))
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
            for k in keys or ():
                self._save(self._counts, k)
                self._save(self._problems, k)
            old = new_facts()
            for agg in AGGREGATES:
                stale = (
                    self._counts
                    if keys is None
                    else {o: self._counts[o] for o in keys if o in self._counts}
                )
                old[agg.name].extend(stale.items())
            self._retract(old)
            fresh = new_facts()
            sizes: Counter[int] = Counter(self._enc.wec_classes.values())
            for agg in AGGREGATES:
                rows = kb.aggregate_rows(agg, keys, dict(sizes))
                fresh[agg.name].extend(rows)
                for k in keys or ():
                    self._counts.pop(k, None)
                self._counts.update({int(o): int(n) for o, n in rows})
            self._assert(fresh)
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

    def _set_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot: Snapshot | None = snapshot
        self._index = SnapshotIndex(snapshot)
        # Change sets applied since the last snapshot built, to overlay on it when asked.
        self._pending: list[dict[Key, Entity | None]] = []

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            if self._index.snapshot is not _EMPTY:
                # The last snapshot with the changes since laid over it: its untouched parts
                # are shared, not rebuilt from the encoding.
                snapshot, index = self._index.snapshot, self._index
                for changed in self._pending:
                    snapshot = overlay(index, changed)
                    index = SnapshotIndex(snapshot)
            else:
                enc = self._enc
                snapshot = Snapshot(
                    clusters=tuple(enc.wecs[c] for c in sorted(enc.wecs)),
                    namespaces=tuple(enc.namespaces.values()),
                    objects=tuple(enc.objects[o] for o in sorted(enc.objects)),
                    policies=tuple(enc.policies[p] for p in self._order),
                    bindings=self._base_bindings,
                )
            self._set_snapshot(snapshot)
        assert self._snapshot is not None
        return self._snapshot

    @property
    def result(self) -> Result:
        if self._result is None:
            built = self._resolutions
            self._result = Result(
                resolutions=tuple(built.get(p) or self._resolution(p) for p in self._order),
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
            res = self._resolutions[p] = PolicyResolution(
                policy=enc.policies[p],
                destinations=frozenset(enc.wecs[c].name for c in self._dests.get(p, ())),
                objects=self._object_map(p),
                invalid=p in self._invalid,
                has_binding=p in self._has_binding,
            )
        return res

    def _object_map(self, p: int) -> dict[WorkloadObject, Modulation]:
        objects = self._object_maps.get(p)
        if objects is None:
            enc = self._enc
            objects = self._object_maps[p] = {
                enc.objects[o]: _modulation_of(m) for o, m in self._objs.get(p, {}).items()
            }
        return objects

    def _move_objects(
        self, p: int, changed: set[int], old_objects: dict[int, WorkloadObject]
    ) -> None:
        """Policy p's objects map after the objects `changed` changed: a copy of the one built
        with those entries replaced (the base's stays as it was, shared by its result)."""
        self._save(self._object_maps, p)  # (a map built while a change is held goes with it)
        previous = self._object_maps.get(p)
        if previous is None:
            return  # built when asked
        objects = previous.copy()
        mine, entities = self._objs.get(p, {}), self._enc.objects
        for o in changed:
            if o in old_objects:
                objects.pop(old_objects[o], None)
            if o in mine:
                objects[entities[o]] = _modulation_of(mine[o])
        self._object_maps[p] = objects

    def _update_resolutions(
        self, touched: set[int], rederived: set[int], moved: dict[int, tuple[set[str], set[str]]]
    ) -> None:
        """Drop the resolutions of the re-derived policies (built again when asked); the others
        touched follow by delta from their previous one: the WEC names `moved` adds and
        removes, the objects map (kept unless their objects changed), the flags."""
        for p in touched:
            self._save(self._resolutions, p)
            old = self._resolutions.pop(p, None)
            if old is None or p in rederived or p not in self._enc.policies:
                continue
            added, removed = moved.get(p, ((), ()))
            objects = self._object_map(p)
            invalid, has_binding = p in self._invalid, p in self._has_binding
            if (
                added
                or removed
                or objects is not old.objects
                or invalid != old.invalid
                or has_binding != old.has_binding
            ):
                old = PolicyResolution.moved(old, added, removed, objects, invalid, has_binding)
            self._resolutions[p] = old

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
        if self._journal is not None:
            raise RuntimeError("a change is held (Model.changed): apply after the block")
        changed = resolve_changes(changes, self._lookup)
        self._apply_changed(changed)
        return self.result

    def what_if(self, changes: ChangeSet | Iterable[Change]) -> Result:
        """The result after `changes`; the model itself stays as it was. The result is detached:
        to explain it, use `changed`."""
        with self.changed(changes) as result:
            # The snapshot is built only if asked, laid over the base's (which is immutable).
            index, changed = self._index, self._held
            return Result(
                resolutions=result.resolutions,
                ids=result.ids,
                singleton=result.singleton,
                _snapshot_of=lambda: overlay(index, changed),
            )

    @contextmanager
    def changed(self, changes: ChangeSet | Iterable[Change]) -> Any:
        """Hold the model changed while the block runs (explanations can be asked of it), then
        restore it: what the change overwrote was saved as it went (`_Journal`), so restoring
        derives nothing again."""
        changed = resolve_changes(changes, self._lookup)
        self.snapshot  # noqa: B018 - the base, restored as it was (entity order included)
        if self._journal is not None:
            raise RuntimeError("a change is already held: nest what-ifs in one change set")
        if len(changed) > FULL_THRESHOLD:
            self._held = changed
            yield Model(apply_overlay(self.snapshot, changed), self._program).result
            return
        journal = self._journal = _Journal(self)
        try:
            with no_gc():
                self._incremental(changed)
        except NeedsRebuild:
            # Cheaper in full; the base model is put back first and stays untouched.
            self._journal = None
            journal.rollback()
            self._held = changed
            yield Model(apply_overlay(self.snapshot, changed), self._program).result
            return
        except BaseException:
            self._journal = None
            journal.rollback()
            raise
        # The journal stays open while the block runs: what it builds on demand (kept forms
        # asserted for a rule asked the first time, resolutions) is put back too.
        self._changed_state(changed)
        self._held = changed
        try:
            yield self.result
        finally:
            self._journal = None
            with no_gc():
                journal.rollback()

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
                return
        self._changed_state(changed)

    def _changed_state(self, changed: dict[Key, Entity | None]) -> None:
        """The snapshot and result after `changed` are built when asked."""
        self._snapshot = None
        self._pending.append(changed)
        if len(self._pending) > _MAX_PENDING:  # built from the encoding when asked
            self._pending.clear()
            self._index = SnapshotIndex(_EMPTY)
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
        wec_names: dict[int, str] = {}
        new_clauses: list[int] = []  # clauses to choose plans for
        old_objects: dict[int, WorkloadObject] = {}  # object -> its entity before the change
        swapped_o: set[int] = set()  # objects whose facts stay, the entity changed
        own_changes: dict[int, set[str]] = {}  # replaced policy -> the inputs whose facts differ
        save = self._save
        for key, entity in changed.items():
            if key.kind == "bindingpolicy":
                save(enc.policy_ids, key.name)
                p = enc.policy_ids.get(key.name)
                old_own: Facts = new_facts()
                old_clauses: tuple[int, ...] = ()
                reuse: dict[tuple[object, ...], int] = {}
                if p is not None:
                    for table in (enc.policies, enc.policy_own, enc.policy_clauses):
                        save(table, p)
                    old_clauses = enc.policy_clauses.get(p, ())
                    for j in old_clauses:
                        for clause_table in (enc.clause_ids, enc.clause_indexes, enc.clause_keys):
                            save(clause_table, j)
                    reuse = {enc.clause_keys[j]: j for j in old_clauses if j in enc.clause_keys}
                    old_own = enc.policy_own[p]
                    enc.forget_policy(p)
                if isinstance(entity, BindingPolicy):
                    # A replaced policy keeps its id, and its unchanged clauses theirs: only the
                    # facts that differ are retracted and asserted, and only the relations that
                    # read them are derived again (see _rederive).
                    new_p, rows = enc.policy_facts(entity, vocab, p, reuse)
                    clauses = enc.policy_clauses[new_p]
                    for table in (enc.policies, enc.policy_own, enc.policy_clauses):
                        save(table, new_p, _MISSING)
                    for j in clauses:
                        for clause_table in (enc.clause_ids, enc.clause_indexes, enc.clause_keys):
                            save(clause_table, j, _MISSING)
                    self._forget_plans(set(old_clauses) - set(clauses))
                    new_clauses.extend(j for j in clauses if j not in old_clauses)
                    differ = _fact_changes(old_own, rows, retract, own)
                    dirty_p.add(new_p)
                    if p is None:
                        self._order.append(new_p)
                    else:
                        own_changes[new_p] = differ
                elif p is not None:
                    merge_into(retract, old_own)
                    self._forget_plans(old_clauses)
                    self._order.remove(p)
                    gone_p.add(p)
            elif key.kind == "wec":
                self._class_wecs = None
                save(enc.wec_ids, key.name)
                c = enc.wec_ids.get(key.name)
                old_class = None
                if c is not None:
                    save(enc.wecs, c)
                    save(enc.wec_classes, c)
                    old_class = enc.wec_classes[c]
                    retract["wec"].append((c, old_class))
                if isinstance(entity, Cluster):
                    c, rows = enc.wec_facts(entity, vocab)
                    save(enc.wecs, c, _MISSING)
                    save(enc.wec_classes, c, _MISSING)
                    if enc.wec_classes[c] != old_class:
                        moved_c.add(c)
                    merge_into(own, rows)
                    dirty_c.add(c)
                elif c is not None:
                    enc.forget_wec(c)
                    gone_c.add(c)
                if c is not None:
                    wec_names[c] = key.name
            elif key.kind == "object":
                save(enc.object_ids, key)
                o = enc.object_ids.get(key)
                old_facts: Facts = new_facts()
                if o is not None:
                    save(enc.objects, o)
                    save(self._object_class, o)
                    old = old_objects[o] = enc.objects[o]
                    old_facts["workload"].append((o, old.ref.name, self._object_class[o]))
                if isinstance(entity, WorkloadObject):
                    o, rows = enc.object_facts(entity, vocab)
                    save(enc.objects, o, _MISSING)
                    save(self._object_class, o, _MISSING)
                    self._object_class[o] = int(rows["workload"][0][2])
                    if _fact_changes(old_facts, rows, retract, own):
                        dirty_o.add(o)
                    else:  # labels no selector tests: the same facts, another entity
                        swapped_o.add(o)
                elif o is not None:
                    merge_into(retract, old_facts)
                    enc.forget_object(o)
                    del self._object_class[o]
                    gone_o.add(o)
            else:
                namespaces.append(key.name)
        ns_before: dict[str, set[int]] = {}
        for name in namespaces:
            save(enc.namespaces, name)
            save(enc.namespace_classes, name)
            ns = changed[Key("namespace", name)]
            before: Facts = new_facts()
            if name in enc.namespaces:
                before["namespace"].append((name, enc.namespace_classes[name]))
            after = enc.namespace_facts(ns, vocab) if isinstance(ns, Namespace) else new_facts()
            # Asked before any fact changes (the knowledge base is not touched yet).
            answers = self._namespace_answers(name) if before != after else None
            if answers is not None:
                ns_before[name] = answers
                _fact_changes(before, after, retract, own)
            if not isinstance(ns, Namespace) and name in enc.namespaces:
                enc.forget_namespace(name)
        self._retract(retract)
        # Vocabulary (classes, tests, selector matches met for the first time) stays: it is
        # keyed by content and derives nothing no entity refers to.
        if any(vocab.values()):
            kb.assert_facts(vocab)
        self._assert(own)
        if new_clauses:
            if self._journal is not None:
                self._journal.plans_chosen.extend(new_clauses)
            kb.choose_plans(new_clauses)
        if dirty_p or gone_p:
            self._wants_singleton = None
        flipped: set[int] = set()
        for name, answers in ns_before.items():
            flipped |= self._flipped_policies(answers, self._namespace_answers(name))
        changed_inputs = {
            pred for facts in (retract, vocab, own) for pred, rows in facts.items() if rows
        }
        # A replaced policy re-derives what reads its changed facts; one whose namespace tests
        # flipped, what reads any fact this change set changed (its objects, not its WECs).
        partial = dict(own_changes)
        for p in flipped - gone_p:
            if p in own_changes or p not in dirty_p:  # (a new policy is derived in full)
                partial[p] = own_changes.get(p, set()) | changed_inputs
        dirty_p |= flipped - gone_p
        with kb.session():
            touched, moved = self._rederive(
                partial,
                dirty_p,
                gone_p,
                dirty_c,
                gone_c,
                dirty_o,
                gone_o,
                moved_c,
                changed_inputs,
                wec_names,
                swapped_o,
                old_objects,
            )
        self._update_resolutions(touched, dirty_p | gone_p, moved)
        if touched and (self._problems or self._counts or self._singleton_relevant(touched)):
            affected = self._affected | {o for p in touched for o in self._objs.get(p, {})}
            self._derive_singleton(affected)

    def _forget_plans(self, keys: Iterable[int]) -> None:
        keys = set(keys)
        if self._journal is not None:
            kb = self._kb
            self._journal.plans_forgotten.update(
                (slot, guard) for slot, guard in kb.plan_of.items() if slot[3] in keys
            )
        self._kb.forget_plans(keys)

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
        partial: dict[int, set[str]],
        dirty_p: set[int],
        gone_p: set[int],
        dirty_c: set[int],
        gone_c: set[int],
        dirty_o: set[int],
        gone_o: set[int],
        moved_c: set[int],
        changed_inputs: set[str],
        wec_names: dict[int, str],
        swapped_o: set[int],
        old_objects: dict[int, WorkloadObject],
    ) -> tuple[set[int], dict[int, tuple[set[str], set[str]]]]:
        """Re-derive what the changed keys reach; returns the policies touched and, per policy
        whose destinations moved because WECs changed, the WEC names added and removed.

        A policy in `partial` was replaced and only the inputs named there differ: only the
        relations whose rules (with the policy bound) read one of them are asked again."""
        kb, save = self._kb, self._save
        dests, wec_policies = self._dests, self._wec_policies
        objs, object_policies = self._objs, self._object_policies
        # Per policy re-derived: (its WECs, its objects, its invalidity) asked again or kept.
        redo: dict[int, tuple[bool, bool, bool]] = {p: (True, True, True) for p in gone_p}
        for p in dirty_p:
            inputs = partial.get(p)
            redo[p] = (
                self._reads_any("selects_wec", (p, None), inputs),
                self._reads_any("policy_object", (p, None, None, None), inputs),
                self._reads_any("policy_invalid", (p,), inputs),
            )
        touched = set(dirty_p) | gone_p
        # Policies whose object rows changed.
        objects_changed = {p for p, (_, objects, _) in redo.items() if objects}
        self._affected = set()  # objects whose policies' rows changed
        for p, (wecs, objects, invalid) in redo.items():
            if wecs:
                save(dests, p)
                for c in dests.pop(p, set()):
                    save(wec_policies, c)
                    wec_policies[c].discard(p)
                save(self._wec_top_of, p)
                for k in self._wec_top_of.pop(p, set()):
                    save(self._wec_top, k)
                    self._wec_top[k].discard(p)
            if objects:
                save(objs, p)
                for o in objs.pop(p, {}):
                    save(object_policies, o)
                    object_policies[o].discard(p)
                    self._affected.add(o)
            if invalid:
                self._save_member(self._invalid, p)
                self._invalid.discard(p)
            self._save_member(self._has_binding, p)
            self._has_binding.discard(p)
        for p in dirty_p:
            wecs, objects, invalid = redo[p]
            if invalid and kb.query("policy_invalid", (p,)):
                self._invalid.add(p)
            rows: Iterable[tuple[Any, ...]] = ()
            if wecs and self._wec_chain is not None:
                # Per class of classes, as the full evaluation does, expanded into the WECs.
                found = kb.class_rows("selects_wec", 1, (p, None))
                assert found is not None
                self._keep_top(found[1])
                rows = self._expand_wecs(found[1])
            elif wecs:
                rows = kb.query("selects_wec", (p, None))
            for _, c in rows:
                dests[p].add(int(c))
                save(wec_policies, int(c))
                wec_policies[int(c)].add(p)
            for _, o, k, v in kb.query("policy_object", (p, None, None, None)) if objects else ():
                objs[p].setdefault(int(o), {}).setdefault(k, set()).add(v)
                save(object_policies, int(o))
                object_policies[int(o)].add(p)
        moved: dict[int, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
        for c in gone_c:
            save(wec_policies, c)
            for p in wec_policies.pop(c, set()):
                self._save_member(dests[p], c)
                dests[p].discard(c)
                moved[p][1].add(wec_names[c])
                touched.add(p)
        # Per-class kept rows of selects_wec change for the policies that keep a WEC that
        # moved to another label class; other kept forms do not.
        per_class = (
            any(_form(kb.compiler, name) == ("selects_wec", None) for name in kb.active)
            and "selects_wec" in kb.compiler.kept_per_class
        )
        for c in dirty_c:
            # Only the policies that gain or lose the WEC change.
            save(wec_policies, c)
            old = wec_policies.pop(c, set())
            new = self._policies_selecting(c)
            # The sets of p's WECs are changed in place from here on (the policies re-derived
            # above have new ones): a held change saves the members, not copies.
            for p in old - new:
                self._save_member(dests[p], c)
                dests[p].discard(c)
                moved[p][1].add(wec_names[c])
            for p in new - old:
                if p not in dests:
                    save(dests, p)
                self._save_member(dests[p], c)
                dests[p].add(c)
                moved[p][0].add(wec_names[c])
            wec_policies[c] = new
            touched |= old ^ new
            if c in moved_c and per_class:
                touched |= old & new
        # Per policy not derived afresh: its objects whose entry in its objects map changes.
        entries: dict[int, set[int]] = defaultdict(set)
        old_mods: dict[int, dict[int, Mods]] = defaultdict(dict)  # their rows before
        for o in gone_o | dirty_o:
            self._affected.add(o)
            save(object_policies, o)
            for p in object_policies.pop(o, set()):
                save(objs, p)
                old_mods[p][o] = objs[p].pop(o, {})
                touched.add(p)
                objects_changed.add(p)
                entries[p].add(o)
        for o in dirty_o:
            for p, _, k, v in kb.query("policy_object", (None, o, None, None)):
                save(objs, int(p))
                objs[int(p)].setdefault(o, {}).setdefault(k, set()).add(v)
                object_policies[o].add(int(p))
                touched.add(int(p))
                objects_changed.add(int(p))
                entries[int(p)].add(o)
        for o in swapped_o:
            for p in object_policies.get(o, ()):
                touched.add(p)
                entries[p].add(o)
        rederived = {p for p, (_, objects, _) in redo.items() if objects}
        # (Objects whose facts stayed change no rows.)
        moves = {
            p: (os - swapped_o, old_mods[p])
            for p, os in entries.items()
            if p not in rederived and os - swapped_o
        }
        kept_changed = self._keep(touched, objects_changed, moves)
        for p in rederived:
            save(self._object_maps, p)
            self._object_maps.pop(p, None)
        for p, changed_objects in entries.items():
            if p not in rederived:
                self._move_objects(p, changed_objects, old_objects)
        # has_binding asked again for the touched policies whose answer can have changed: the
        # re-derived ones, and, unless none of the inputs its rules read changed, those whose
        # kept rows (the only derived rows its rules read) changed.
        reads = kb.reads("has_binding", (0,))
        ask = set(dirty_p) if reads.isdisjoint(changed_inputs) else set(touched)
        ask |= kept_changed
        for p in ask:
            self._save_member(self._has_binding, p)
        self._has_binding -= ask
        live = ask & self._enc.policies.keys()
        self._has_binding |= {p for p in live if kb.query("has_binding", (p,))}
        return touched, moved

    def _reads_any(
        self, predicate: str, args: tuple[int | None, ...], inputs: set[str] | None
    ) -> bool:
        """Whether asking `predicate` with `args` can answer otherwise once `inputs` changed
        (None: anything may have); rules that read rows kept for every policy may."""
        if inputs is None:
            return True
        kb = self._kb
        reads = kb.reads(predicate, args)
        if kb.kept_forms(kb.compiler.name(predicate, adornment(args))):
            return True
        return not reads.isdisjoint(inputs)

    def _singleton_relevant(self, touched: set[int]) -> bool:
        if self._problems:
            return True
        # Scanning the touched policies' objects costs more than a whole WEC change: only
        # when some clause asks for singleton status at all (known until the policies change).
        if self._wants_singleton is None:
            with self._kb.session():
                self._wants_singleton = bool(self._kb.query("clause_want_singleton", (None,)))
        if not self._wants_singleton:
            return False
        # Only a policy with a clause that asks for it can select an object with the request.
        own = self._enc.policy_own
        asking = [p for p in touched if p in own and own[p].get("clause_want_singleton")]
        return any(_SINGLETON in mods for p in asking for mods in self._objs.get(p, {}).values())


def _modulation_of(mods: Mods) -> Modulation:
    # Most objects carry no modulation: one shared value for them.
    return _PLAIN if len(mods) == 1 and SELECTED in mods else modulation(mods)


def _fact_changes(old: Facts, new: Facts, retract: Facts, add: Facts) -> set[str]:
    """The predicates whose rows differ from `old` to `new`; the rows gone go to `retract`,
    the rows new to `add`."""
    differ = set()
    for pred in old.keys() | new.keys():
        before, after = set(old.get(pred, ())), set(new.get(pred, ()))
        if before != after:
            differ.add(pred)
            retract[pred].extend(before - after)
            add[pred].extend(after - before)
    return differ


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
# And down: the WECs of a label class; the label classes a selector's builtin facts match
# (every match of a clusterSelector is a fact).
_MEMBERSHIP_DOWN: dict[str, Any] = {
    "wec": lambda model, wc: model._wecs_of(wc),
    "wec_selector_matches": lambda model, s: members(model._enc.wec_space.emitted.get(s, 0)),
}


def _form(compiler: Compiler, name: str) -> tuple[str, tuple[int, ...] | None]:
    """The relation a kept form holds, and the positions it keeps (None: all of them)."""
    projection = compiler.kept_projections.get(name)
    if projection is not None:
        pred, keep = projection
        return pred, keep
    return name.rpartition("__")[0], None


_MISSING: Any = object()  # a saved entry that did not exist: restoring removes it

# The model's attributes a held change may replace or mutate as a whole, saved (lists and
# sets copied) when the change starts.
_JOURNALED_ATTRS = (
    "_snapshot",
    "_index",
    "_pending",
    "_result",
    "_order",
    "_affected",
    "_wants_singleton",
    "_class_wecs",
)


class _Journal:
    """What a change held by `Model.changed` overwrote, saved as the change goes, so that the
    model is restored by putting it back instead of deriving anything again: the first value
    of every table entry the change wrote (copied when it is a set or dict, which the change
    mutates in place), the members it added or removed, the facts it asserted and retracted
    (undone in reverse order), the plans it forgot and chose. Vocabulary facts stay: they are
    keyed by content and the encoding keeps knowing them."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.saved: dict[tuple[int, Any], tuple[dict[Any, Any], Any, Any]] = {}
        self.members: dict[tuple[int, Any], tuple[set[Any], Any, bool]] = {}
        self.facts: list[tuple[bool, Facts]] = []  # (asserted, facts), in order
        self.plans_forgotten: dict[Any, str] = {}  # plan slot -> its guard
        self.plans_chosen: list[int] = []  # clause ids planned by the change
        self.attrs = {name: _copied(getattr(model, name, None)) for name in _JOURNALED_ATTRS}
        self.active = set(model._kb.active)

    def save(self, table: dict[Any, Any], key: Any, old: Any = None) -> None:
        mark = (id(table), key)
        if mark not in self.saved:
            value = table.get(key, _MISSING) if old is None else old
            self.saved[mark] = (table, key, _copied(value))

    def save_member(self, members: set[Any], item: Any) -> None:
        mark = (id(members), item)
        if mark not in self.members:
            self.members[mark] = (members, item, item in members)

    def rollback(self) -> None:
        model = self.model
        kb = model._kb
        for asserted, facts in reversed(self.facts):
            if asserted:
                kb.retract_facts(facts)
            else:
                kb.assert_facts(facts)
        kb.active.intersection_update(self.active)
        if self.plans_chosen:
            kb.forget_plans(self.plans_chosen)
        if self.plans_forgotten:
            rows: dict[str, list[Row]] = defaultdict(list)
            for slot, guard in self.plans_forgotten.items():
                rows[guard].append((slot[3],))
            kb.plan_of.update(self.plans_forgotten)
            with kb.backend.session():
                for guard, keys in rows.items():
                    kb.backend.assert_facts(guard, keys)
        for table, key, old in self.saved.values():
            if old is _MISSING:
                table.pop(key, None)
            else:
                table[key] = old
        for group, item, present in self.members.values():
            if present:
                group.add(item)
            else:
                group.discard(item)
        for name, value in self.attrs.items():
            setattr(model, name, value)
        # The base result holds for the restored state again: revive it rather than rebuild.
        if model._result is not None:
            model._result._generation = kb.generation


def _copied(value: Any) -> Any:
    # A defaultdict stays one: copy(), not dict().
    return value.copy() if isinstance(value, set | list | dict) else value


__all__ = ["SELECTED", "Model", "checked_program"]
