"""Set-at-a-time evaluation of the rules: every relation of binding.dl at once, from its text.

pyDatalog derives one answer at a time, each through its own chain of subgoals (~15-30 µs per
answer or candidate, shared/notes/pydatalog-measurements.md); a full evaluation at M-scale asks
it for ~100k answers. This evaluator reads the same rules (parsed from binding.dl, or compiled
from them by engine/planner.py) and evaluates each rule body as hash joins over relations, each
relation once, on demand: the same relations at the cost of a dictionary lookup per row met. It
holds no rule of its own: edit binding.dl and it follows, as pyDatalog does.
`tests/test_setwise.py` checks every relation, whole and asked with each argument bound,
against pyDatalog's.

A rule body is evaluated over partial rows (the values of the variables bound so far); the order
of its literals is chosen while it runs, from the rule text and the sizes met, never written down:
- a literal whose variables are all bound is a check (negated ones too), applied at once;
- a literal whose bound arguments are a key of its relation (one row per key, e.g. a class's
  attributes) is a lookup and goes next;
- otherwise each partial row goes on through the literal that meets the fewest rows for it:
  rows are routed in groups, so a clause that lists two Namespaces goes on by Namespace and one
  with a selective objectSelector by labels (what the planner's per-key plans do for pyDatalog);
- a literal that binds one new variable meets, as a set intersection done in C, every other
  literal that this variable completes (`object_class(OC, G, R, NS) & labels_pass(TL, OC)`);
- a variable that nothing else reads is projected away first (a semi-join), so
  `selects_wec(P, C) & ~policy_invalid(P)` meets one row per policy, not one per WEC.

A bound question (`query` with some arguments given) seeds each rule with the bound values and
asks the derived literals below only for the values its partial rows carry (`answer`), so a
what-if re-derives one policy, WEC or object, not everything. Facts may live in a store that
changes (`live`): `update` patches the indexes of the changed relation and forgets only what
was derived from it. KnowledgeBase(engine="setwise") is the default engine of every command;
$BINDLOG_ENGINE=pydatalog hands the same compiled rules to pyDatalog instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from operator import itemgetter
from typing import Any

from bindlog.engine.interface import Aggregate
from bindlog.engine.program import Atom, Rule, Var
from bindlog.errors import RuleError

Row = tuple[Any, ...]
# Index keys: the value itself for one position, a tuple of values for several.
Key = Any
# How a literal's argument gets its value: (slot of a bound variable, None) or (-1, constant).
_Pick = tuple[int, Any]
# A body literal and the positions of its relation it reads (None: all of them).
_Lit = tuple[Atom, tuple[int, ...] | None]


def _getter(pos: Sequence[int]) -> Callable[[Row], Key]:
    """Row -> key at `pos` (C speed)."""
    if not pos:
        return lambda row: ()
    return itemgetter(*pos)


def _key_of(picks: Sequence[_Pick]) -> Callable[[Row], Key]:
    """Partial row -> the key of the bound positions whose values `picks` give."""
    if all(s >= 0 for s, _ in picks):
        return _getter([s for s, _ in picks])
    if all(s < 0 for s, _ in picks):
        const = picks[0][1] if len(picks) == 1 else tuple(c for _, c in picks)
        return lambda env: const
    return lambda env: tuple(env[s] if s >= 0 else c for s, c in picks)


class SetEvaluator:
    """Relations of a rule set over given facts, each derived once, on first demand."""

    def __init__(
        self,
        rules: Iterable[Rule],
        facts: Mapping[str, Iterable[Sequence[Any]]],
        aggregates: Iterable[Aggregate] = (),
        live: Mapping[str, set[Row]] | None = None,
    ) -> None:
        """`facts` are copied; `live` facts are read in place (a store that changes: call
        `update` after each change)."""
        self._rules: dict[str, list[Rule]] = defaultdict(list)
        self._base: dict[str, set[Row]] = {}
        self._live: Mapping[str, set[Row]] = live if live is not None else {}
        self._relations: dict[str, set[Row]] = {}  # derived relations, whole
        self._aggregates = {a.name: a for a in aggregates}
        self._indexes: dict[tuple[str, tuple[int, ...] | None, tuple[int, ...]], Any] = {}
        # Projections, with how many rows give each projected row (so that a removal keeps
        # a projected row another row still gives).
        self._projections: dict[tuple[str, tuple[int, ...]], dict[Row, int]] = {}
        # Derived relations asked with bound positions: (name, positions) -> (rows by key,
        # keys asked so far). Only the rows of asked keys are derived.
        self._seeded: dict[tuple[str, tuple[int, ...]], tuple[dict[Key, list[Row]], set[Key]]] = {}
        self._busy: set[str] = set()  # relations being derived (recursion is detected)
        self._reads_memo: dict[str, frozenset[str]] = {}
        for name, rows in facts.items():
            self._base.setdefault(name, set()).update(map(tuple, rows))
        self.add_rules(rules)

    def _forget_derived_from(self, name: str) -> None:
        """Forget what is derived from `name` (through the rules, transitively) and the
        indexes of those relations; what does not read it stays."""
        stale = {d for d in (*self._rules, *self._aggregates) if name in self._reads(d)}
        for d in stale:
            self._relations.pop(d, None)
        self._seeded = {k: v for k, v in self._seeded.items() if k[0] not in stale}
        self._indexes = {k: v for k, v in self._indexes.items() if k[0] not in stale}
        self._projections = {k: v for k, v in self._projections.items() if k[0] not in stale}

    def _reads(self, name: str) -> frozenset[str]:
        """Every predicate the rules of `name` read, directly or below."""
        found = self._reads_memo.get(name)
        if found is None:
            out: set[str] = set()
            todo = [name]
            while todo:
                pred = todo.pop()
                agg = self._aggregates.get(pred)
                below = [agg.source] if agg is not None else []
                below += [a.predicate for r in self._rules.get(pred, ()) for a in r.body]
                for b in below:
                    if b not in out:
                        out.add(b)
                        todo.append(b)
            found = self._reads_memo[name] = frozenset(out)
        return found

    def update(self, name: str, added: Iterable[Row] = (), removed: Iterable[Row] = ()) -> None:
        """Facts of `name` were added or removed in the live store: bring its indexes,
        projections and value sets up to date in place (a few rows change, the relation is
        large), and forget what is derived from it."""
        added = added if isinstance(added, list) else list(added)
        removed = removed if isinstance(removed, list) else list(removed)
        if not added and not removed:
            return
        appeared: dict[tuple[int, ...] | None, list[Row]] = {None: added}
        vanished: dict[tuple[int, ...] | None, list[Row]] = {None: removed}
        for (n, kept), counts in self._projections.items():
            if n != name:
                continue
            get = _row_of([(i, None) for i in kept])
            came, went = appeared.setdefault(kept, []), vanished.setdefault(kept, [])
            for row in added:
                r = get(row)
                c = counts.get(r, 0)
                counts[r] = c + 1
                if not c:
                    came.append(r)
            for row in removed:
                r = get(row)
                c = counts[r] - 1
                if c:
                    counts[r] = c
                else:
                    del counts[r]
                    went.append(r)
        sets = []
        for slot, index in self._indexes.items():
            n, keep, pos = slot
            if n != name:
                continue
            if pos and pos[-1] < 0:
                sets.append(slot)
                continue
            get = _getter(pos)
            for r in vanished.get(keep, ()):
                bucket = index[get(r)]
                bucket.remove(r)
                if not bucket:
                    del index[get(r)]
            for r in appeared.get(keep, ()):
                index.setdefault(get(r), []).append(r)
        for n, keep, tagged in sets:
            pos, at = tagged[:-1], -1 - tagged[-1]
            by_key = self.index(name, keep, pos)  # rows by key, already up to date
            values = self._indexes[(n, keep, tagged)]
            get = _getter(pos)
            for k in {get(r) for r in (*appeared.get(keep, ()), *vanished.get(keep, ()))}:
                rows = by_key.get(k)
                if rows:
                    values[k] = frozenset(r[at] for r in rows)
                else:
                    values.pop(k, None)
        self._forget_derived_from(name)

    def lazy(self, name: str) -> bool:
        """Whether `name` is derived and not yet derived whole."""
        return name not in self._relations and (name in self._rules or name in self._aggregates)

    def add_rules(self, rules: Iterable[Rule]) -> None:
        """More rules (e.g. the planner's class forms); their heads must not be facts."""
        for rule in rules:
            name = rule.head.predicate
            if name in self._base or name in self._live:
                raise RuleError(f"{rule.rule_id}: {name} is given as facts")
            self._rules[name].append(rule)
        self._reads_memo.clear()

    @property
    def defined(self) -> frozenset[str]:
        """The names that have rules here."""
        return frozenset(self._rules)

    def provide(self, name: str, rows: Iterable[Row]) -> None:
        """Rows of a derived relation computed elsewhere (e.g. expanded from its class form):
        the rules above it read these instead of deriving it again."""
        self._relations[name] = set(rows)

    def relation(self, name: str) -> set[Row]:
        """Every row of `name` (facts, derived by its rules, or an aggregate)."""
        found = self._relations.get(name)
        if found is not None:
            return found
        found = self._base.get(name)
        if found is None:
            found = self._live.get(name)
        if found is not None or not self.lazy(name):
            return found if found is not None else set()
        if name in self._busy:
            raise RuleError(f"{name} is recursive: set-at-a-time evaluation needs strata")
        self._busy.add(name)
        try:
            agg = self._aggregates.get(name)
            rows = set()
            if agg is not None:
                counts = Counter(k for k, _ in self.relation(agg.source))
                rows = {(k, n) for k, n in counts.items() if n}
            for rule in self._rules.get(name, ()):
                rows |= self._rule_rows(rule)
        finally:
            self._busy.discard(name)
        self._relations[name] = rows
        return rows

    def rows(self, name: str, args: Sequence[Any | None]) -> list[Row]:
        """Rows of `name` matching `args` (None: any value)."""
        pos = tuple(i for i, a in enumerate(args) if a is not None)
        if not pos:
            return list(self.relation(name))
        key = args[pos[0]] if len(pos) == 1 else tuple(args[i] for i in pos)
        return list(self.index(name, None, pos).get(key, ()))

    def query(self, name: str, args: Sequence[Any | None]) -> list[Row]:
        """Rows of `name` matching `args` (None: any value), deriving only what the bound
        values reach (a bound question: the bound values seed every rule below)."""
        pos = tuple(i for i, a in enumerate(args) if a is not None)
        if not pos or not self.lazy(name):
            return self.rows(name, args)
        key = args[pos[0]] if len(pos) == 1 else tuple(args[i] for i in pos)
        return list(self.answer(name, pos, {key}).get(key, ()))

    def answer(self, name: str, pos: tuple[int, ...], keys: set[Key]) -> dict[Key, list[Row]]:
        """Rows of `name` grouped by their values at `pos`, holding at least those of `keys`.
        A relation not derived whole is derived for the keys not asked before only."""
        if not self.lazy(name):
            return self.index(name, None, pos)
        agg = self._aggregates.get(name)
        if agg is not None and pos != (0,):
            return self.index(name, None, pos)  # counts are asked by their key, or whole
        index, done = self._seeded.setdefault((name, pos), ({}, set()))
        todo = keys - done
        if not todo:
            return index
        done |= todo
        if name in self._busy:
            raise RuleError(f"{name} is recursive: set-at-a-time evaluation needs strata")
        self._busy.add(name)
        try:
            found: set[Row] = set()
            if agg is not None:
                source = self.answer(agg.source, (0,), todo)
                for k in todo:
                    n = len({row[1] for row in source.get(k, ())})
                    if n:
                        found.add((k, n))
            for rule in self._rules.get(name, ()):
                found |= self._rule_rows(rule, (pos, todo))
        finally:
            self._busy.discard(name)
        get = _getter(pos)
        for row in found:
            index.setdefault(get(row), []).append(row)
        return index

    # --- indexes -------------------------------------------------------------------------------

    def members(self, name: str, keep: tuple[int, ...] | None) -> AbstractSet[Row]:
        """The rows of `name`, projected onto `keep` when given."""
        if keep is None:
            return self.relation(name)
        found = self._projections.get((name, keep))
        if found is None:
            found = Counter(map(_row_of([(i, None) for i in keep]), self.relation(name)))
            self._projections[(name, keep)] = found
        return found.keys()

    def index(
        self, name: str, keep: tuple[int, ...] | None, pos: tuple[int, ...]
    ) -> dict[Key, list[Row]]:
        """The rows of `name` (projected onto `keep`) grouped by their values at `pos`."""
        found = self._indexes.get((name, keep, pos))
        if found is None:
            grouped: dict[Key, list[Row]] = defaultdict(list)
            get = _getter(pos)
            for row in self.members(name, keep):
                grouped[get(row)].append(row)
            found = self._indexes[(name, keep, pos)] = dict(grouped)
        return found

    def value_sets(
        self, name: str, keep: tuple[int, ...] | None, pos: tuple[int, ...], at: int
    ) -> dict[Key, frozenset[Any]]:
        """The values at `at` of the rows of `name` (projected onto `keep`), a set per key of
        their values at `pos`."""
        slot = (name, keep, (*pos, -1 - at))
        found = self._indexes.get(slot)
        if found is None:
            grouped: dict[Key, set[Any]] = defaultdict(set)
            get = _getter(pos)
            for row in self.members(name, keep):
                grouped[get(row)].add(row[at])
            found = self._indexes[slot] = {k: frozenset(v) for k, v in grouped.items()}
        return found

    # --- rule bodies ---------------------------------------------------------------------------

    def _rule_rows(
        self, rule: Rule, seed: tuple[tuple[int, ...], set[Key]] | None = None
    ) -> set[Row]:
        """The rows `rule` derives; with a seed (head positions, their values), only those
        whose values at those positions are among the seed's."""
        used = Counter(
            a.name for atom in (rule.head, *rule.body) for a in atom.args if isinstance(a, Var)
        )
        literals = [_narrow(atom, used) for atom in rule.body]
        out: set[Row] = set()
        slots: dict[str, int] = {}
        envs: list[Row] = [()]
        if seed is not None:
            slots, envs = _seed_envs(rule.head, *seed)
        _Join(self, rule, out, seed is not None).run(slots, envs, literals)
        return out


def _seed_envs(
    head: Atom, pos: tuple[int, ...], keys: set[Key]
) -> tuple[dict[str, int], list[Row]]:
    """Partial rows binding the head's variables at `pos` to each key (keys that a constant
    or a repeated variable of the head rejects give none)."""
    slots: dict[str, int] = {}
    order: list[int] = []  # per key component: the slot, or -1 (compare with the constant)
    for p in pos:
        a = head.args[p]
        if isinstance(a, Var):
            order.append(slots.setdefault(a.name, len(slots)))
        else:
            order.append(-1)
    envs: list[Row] = []
    for key in keys:
        values = (key,) if len(pos) == 1 else key
        env: list[Any] = [None] * len(slots)
        ok = True
        for p, s, v in zip(pos, order, values, strict=True):
            if s < 0:
                ok = v == head.args[p]
            elif env[s] is None or env[s] == v:
                env[s] = v
            else:
                ok = False
            if not ok:
                break
        if ok:
            envs.append(tuple(env))
    return slots, envs


def _narrow(atom: Atom, used: Counter[str]) -> _Lit:
    """`atom` with the positions of variables written nowhere else dropped (a projection),
    and the positions it keeps (None: all). Negated literals keep every position."""
    if atom.negated:
        return atom, None
    keep = tuple(i for i, a in enumerate(atom.args) if not isinstance(a, Var) or used[a.name] > 1)
    if len(keep) == len(atom.args):
        return atom, None
    return Atom(atom.predicate, tuple(atom.args[i] for i in keep)), keep


class _Join:
    """One rule body evaluated over partial rows: tuples of variable values, in the order the
    variables got bound (`slots` maps a variable to its place)."""

    def __init__(self, ev: SetEvaluator, rule: Rule, out: set[Row], seeded: bool = False) -> None:
        self.ev, self.rule, self.out = ev, rule, out
        # Seeded: derived literals are derived only for the values the partial rows carry.
        self.seeded = seeded

    def _lazy(self, lit: _Lit) -> bool:
        return self.seeded and self.ev.lazy(lit[0].predicate)

    def _index(
        self, lit: _Lit, bpos: tuple[int, ...], envs: list[Row], key: Callable[[Row], Key]
    ) -> dict[Key, list[Row]]:
        """`lit`'s rows grouped by their values at `bpos` (positions of the literal as read),
        for at least the keys of `envs`."""
        atom, keep = lit
        if not self._lazy(lit):
            return self.ev.index(atom.predicate, keep, bpos)
        orig = bpos if keep is None else tuple(keep[i] for i in bpos)
        keys = {key(e) for e in envs}
        found = self.ev.answer(atom.predicate, orig, keys)
        if keep is None:
            return found
        # Projected for the keys asked here only (the answer holds every key asked so far).
        project = _row_of([(i, None) for i in keep])
        return {k: list({project(r) for r in found[k]}) for k in keys if k in found}

    def _value_sets(
        self,
        lit: _Lit,
        bpos: tuple[int, ...],
        at: int,
        envs: list[Row],
        key: Callable[[Row], Key],
    ) -> dict[Key, frozenset[Any]]:
        if not self._lazy(lit):
            return self.ev.value_sets(lit[0].predicate, lit[1], bpos, at)
        found = self._index(lit, bpos, envs, key)
        return {k: frozenset(r[at] for r in rows) for k, rows in found.items()}

    def run(self, slots: dict[str, int], envs: list[Row], remaining: list[_Lit]) -> None:
        while envs:
            envs, remaining = self._checks(slots, envs, remaining)
            if not envs:
                return
            if not remaining:
                self.out.update(map(_row_of(_picks(self.rule.head, slots)), envs))
                return
            candidates = [lit for lit in remaining if not lit[0].negated and _bound(lit[0], slots)]
            if not candidates:
                positives = [lit for lit in remaining if not lit[0].negated]
                if not positives:
                    raise RuleError(
                        f"{self.rule.rule_id}: negated literal with unbound variables "
                        f"({remaining[0][0]})"
                    )
                # Nothing bound yet: start from the smallest relation.
                # (Seeded: one that is there already rather than a relation derived whole.)
                lit = min(
                    positives,
                    key=lambda x: (
                        (1, 0) if self._lazy(x) else (0, len(self.ev.relation(x[0].predicate)))
                    ),
                )
                slots, envs, remaining = self._join(slots, envs, lit, remaining)
                continue
            lookup = next((lit for lit in candidates if self._is_lookup(lit, slots)), None)
            if lookup is not None or len(candidates) == 1:
                slots, envs, remaining = self._join(slots, envs, lookup or candidates[0], remaining)
                continue
            # Route each partial row through the literal that meets the fewest rows for it.
            groups: dict[int, list[Row]] = defaultdict(list)
            probes = [self._probe(lit, slots, envs) for lit in candidates]
            for env in envs:
                best, best_n = 0, -1
                for k, (index, key) in enumerate(probes):
                    n = len(index.get(key(env), ()))
                    if best_n < 0 or n < best_n:
                        best, best_n = k, n
                        if not n:
                            break
                if best_n:
                    groups[best].append(env)
            for k, group in groups.items():
                self.run(*self._join(slots, group, candidates[k], remaining))
            return

    def _checks(
        self, slots: dict[str, int], envs: list[Row], remaining: list[_Lit]
    ) -> tuple[list[Row], list[_Lit]]:
        """Apply every literal whose variables are all bound (membership tests)."""
        rest = []
        for lit in remaining:
            atom = lit[0]
            if not all(not isinstance(a, Var) or a.name in slots for a in atom.args):
                rest.append(lit)
                continue
            key = _row_of(_picks(atom, slots))
            rows: AbstractSet[Any]
            if self._lazy(lit):
                # Ask the derived relation for these rows only (every position bound).
                keep = lit[1] or tuple(range(len(atom.args)))
                whole = _key_of(_picks(atom, slots))
                found = self.ev.answer(atom.predicate, keep, {whole(e) for e in envs})
                rows = {(k,) for k in found} if len(keep) == 1 else set(found)
            else:
                rows = self.ev.members(atom.predicate, lit[1])
            if atom.negated:
                envs = [e for e in envs if key(e) not in rows]
            else:
                envs = [e for e in envs if key(e) in rows]
        return envs, rest

    def _is_lookup(self, lit: _Lit, slots: dict[str, int]) -> bool:
        if self._lazy(lit):
            return False
        index = self.ev.index(lit[0].predicate, lit[1], _bound_positions(lit[0], slots))
        return len(index) == len(self.ev.members(lit[0].predicate, lit[1]))

    def _probe(
        self, lit: _Lit, slots: dict[str, int], envs: list[Row]
    ) -> tuple[dict[Key, list[Row]], Callable[[Row], Key]]:
        bpos = _bound_positions(lit[0], slots)
        picks = _picks(lit[0], slots)
        key = _key_of([picks[i] for i in bpos])
        return self._index(lit, bpos, envs, key), key

    def _join(
        self, slots: dict[str, int], envs: list[Row], lit: _Lit, remaining: list[_Lit]
    ) -> tuple[dict[str, int], list[Row], list[_Lit]]:
        """Extend `envs` through `lit`; returns the new slots, rows and remaining literals."""
        remaining = [x for x in remaining if x is not lit]
        atom = lit[0]
        bpos = _bound_positions(atom, slots)
        picks = _picks(atom, slots)
        key = _key_of([picks[i] for i in bpos])
        # New variables in argument order; one written twice in the literal must agree.
        new_slots = dict(slots)
        take: list[int] = []
        same: list[tuple[int, int]] = []
        first_at: dict[str, int] = {}
        for i, a in enumerate(atom.args):
            if isinstance(a, Var) and a.name not in slots:
                if a.name in first_at:
                    same.append((first_at[a.name], i))
                else:
                    first_at[a.name] = i
                    new_slots[a.name] = len(new_slots)
                    take.append(i)
        if len(take) == 1 and not same:
            return self._intersect(slots, envs, lit, remaining, key, take[0], new_slots)
        index = self._index(lit, bpos, envs, key)
        out: list[Row] = []
        extend = _row_of([(i, None) for i in take])  # a tuple even for one new variable
        for env in envs:
            for row in index.get(key(env), ()):
                if same and any(row[i] != row[j] for i, j in same):
                    continue
                out.append(env + extend(row))
        return new_slots, out, remaining

    def _intersect(
        self,
        slots: dict[str, int],
        envs: list[Row],
        lit: _Lit,
        remaining: list[_Lit],
        key: Callable[[Row], Key],
        at: int,
        new_slots: dict[str, int],
    ) -> tuple[dict[str, int], list[Row], list[_Lit]]:
        """`lit` binds one new variable: its values for a partial row are `lit`'s values
        intersected (in C, as sets) with those of every other literal this variable completes,
        negated ones subtracted. Those literals are consumed here."""
        var = lit[0].args[at]
        first_sets = self._value_sets(lit, _bound_positions(lit[0], slots), at, envs, key)
        probes = [(first_sets, key, False)]
        rest: list[_Lit] = []
        for other in remaining:
            atom = other[0]
            if atom.args.count(var) != 1 or not all(
                not isinstance(a, Var) or a == var or a.name in slots for a in atom.args
            ):
                rest.append(other)
                continue
            bpos = _bound_positions(atom, slots)
            picks = _picks(atom, slots)
            okey = _key_of([picks[i] for i in bpos])
            sets = self._value_sets(other, bpos, atom.args.index(var), envs, okey)
            probes.append((sets, okey, atom.negated))
        empty: frozenset[Any] = frozenset()
        out: list[Row] = []
        (first, first_key, _), *others = probes
        for env in envs:
            values = first.get(first_key(env), empty)
            for sets, other_key, negated in others:
                if not values:
                    break
                found = sets.get(other_key(env), empty)
                values = values - found if negated else values & found
            out.extend([(*env, v) for v in values])
        return new_slots, out, rest


def _bound(atom: Atom, slots: dict[str, int]) -> bool:
    return any(not isinstance(a, Var) or a.name in slots for a in atom.args)


def _bound_positions(atom: Atom, slots: dict[str, int]) -> tuple[int, ...]:
    return tuple(i for i, a in enumerate(atom.args) if not isinstance(a, Var) or a.name in slots)


def _picks(atom: Atom, slots: dict[str, int]) -> list[_Pick]:
    """Where each argument's value comes from."""
    return [
        (slots[a.name], None) if isinstance(a, Var) and a.name in slots else (-1, a)
        for a in atom.args
    ]


def _row_of(picks: Sequence[_Pick]) -> Callable[[Row], Row]:
    """Partial row -> the whole row `picks` describe (a tuple even for one argument)."""
    if len(picks) != 1:
        return _key_of(picks)
    s, c = picks[0]
    if s < 0:
        return lambda env: (c,)
    return lambda env: (env[s],)
