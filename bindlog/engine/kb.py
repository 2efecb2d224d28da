"""The knowledge base: pyDatalog holding the compiled rules and one model's facts.

Queries name a predicate of binding.dl and which arguments are bound; the knowledge base compiles
the access path for that pattern from the rule text (engine/planner.py) the first time it is
asked, and asks pyDatalog. Input facts are asserted and retracted per entity. The plan of a
planned predicate is chosen per key from costs estimated by asking the knowledge base itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from bindlog.engine.facts import Facts, Row
from bindlog.engine.inputs import InputRows
from bindlog.engine.interface import AGGREGATES, MEMBERSHIP, OUTPUTS, Aggregate
from bindlog.engine.labelsets import members as bit_members
from bindlog.engine.planner import CompiledRule, Compiler, Literal, PlannedRule, adornment
from bindlog.engine.program import Atom, Program, Rule, Var
from bindlog.engine.pydatalog_backend import Backend, Value
from bindlog.engine.setwise import SetEvaluator
from bindlog.engines import check_engine

# Planned predicates: evaluated per key with an order chosen per key (see planner.py).
PLANNED = {"class_admitted": "J"}
# Derived once and kept as facts for the rules above them (the model keeps them current).
MATERIALIZED = frozenset({"selects_wec", "policy_object"})


def program_facts(program: Program) -> dict[str, list[Row]]:
    """The constant facts written in binding.dl (the never-downsync list)."""
    out: dict[str, list[Row]] = defaultdict(list)
    for atom in program.facts:
        out[atom.predicate].append(tuple(a for a in atom.args if isinstance(a, str | int)))
    return out


class KnowledgeBase:
    """One pyDatalog knowledge base: compiled rules, facts, plan choices."""

    def __init__(
        self,
        program: Program,
        forced_plan: int | None = None,
        materialize: bool = True,
        engine: str = "pydatalog",
    ) -> None:
        """`engine` answers the queries: "pydatalog", or "setwise" (engine/setwise.py: the
        same compiled rules evaluated set-at-a-time over the Python copy of the facts, with
        no plans to choose; pyDatalog gets the facts only if its backend is asked directly)."""
        check_engine(engine)
        self.program = program
        self._backend: Backend | None = None  # created when pyDatalog is first needed
        self.engine = engine
        # Without materialization every rule derives from the input facts: what a knowledge
        # base that only answers bound questions (and never derives everything) needs.
        kept = MATERIALIZED & program.derived if materialize else frozenset()
        planned = dict(PLANNED) if engine == "pydatalog" else {}
        self.compiler = Compiler(program, planned, kept, dict(MEMBERSHIP))
        # Kept relations whose rules reach their subjects only through a class: kept per class.
        for pred in sorted(kept):
            for pos in range(len(program.rules_for(pred)[0].head.args)):
                found = self.compiler.class_form(pred, pos)
                if found is not None:
                    self.compiler.kept_per_class[pred] = (pos, found[1])
                    break
        self.forced_plan = forced_plan  # tests: every key takes this plan (when it exists)
        self.plan_of: dict[tuple[str, str, int, Value], str] = {}  # (pred, ad, rule, key) -> guard
        self.generation = 0  # bumped on every change of facts
        # Kept forms are asserted only once a compiled rule that reads them is asked: most
        # runs never ask the rules above the kept relations that read the large forms. `supply`
        # (set by the model) asserts the rows of the forms it is given and keeps them current.
        self.active: set[str] = set()
        self.supply: Callable[[set[str]], None] | None = None
        self._rules_by_head: dict[str, list[CompiledRule]] = defaultdict(list)
        self._reads_memo: dict[str, frozenset[str]] = {}
        self._estimator: _Estimator | None = None
        self.changed_at: dict[str, int] = {}  # predicate -> generation of its last change
        # The facts of the program's own predicates (not kept forms or plan guards), in Python:
        # estimates and provers read input facts there (engine/inputs.py).
        self.inputs = InputRows()
        self._set: SetEvaluator | None = None
        self._synced = True  # setwise: whether pyDatalog holds the facts too
        if engine == "setwise":
            self._set = SetEvaluator((), {}, (), live=self.inputs.store)
            self._synced = False
        self.assert_facts(program_facts(program))

    @property
    def backend(self) -> Backend:
        """The pyDatalog knowledge base (created, with its rules, on first use)."""
        if self._backend is None:
            self._backend = Backend()
            self._backend.add_rules(r for rules in self._rules_by_head.values() for r in rules)
        return self._backend

    @contextmanager
    def session(self) -> Iterator[None]:
        """Hold the engine ready across many calls (pyDatalog: its knowledge base active)."""
        if self._set is not None and not self._synced:
            yield
            return
        with self.backend.session():
            yield

    # --- facts -----------------------------------------------------------------------------

    def ready(self) -> None:
        """Have pyDatalog hold every fact: for callers that ask the backend directly."""
        if not self._synced:
            # The set-at-a-time engine kept the facts in Python only: hand pyDatalog all of
            # them (and keep it in step from now on), with every output's rules loaded so that
            # it knows each input predicate a direct question may name, even one without facts.
            self._synced = True
            for out in OUTPUTS:
                self.ensure_compiled(out.name, (None,) * len(out.args))
            with self.backend.session():
                for pred, rows in self.inputs.store.items():
                    if rows:
                        self.backend.assert_facts(pred, rows)

    def assert_facts(self, facts: Facts, change: bool = True) -> None:
        """Assert `facts`; `change=False` for rows that only make explicit what the model
        already derives (kept forms asserted on demand): answers stay valid."""
        new = self._track(facts, self.inputs.add)
        if self._set is not None:
            for pred, rows in new.items():
                self._set.update(pred, added=rows)
        if self._synced:
            with self.backend.session():
                for pred, rows in facts.items():
                    if rows:
                        self.backend.assert_facts(pred, rows)
        if change:
            self._changed(facts)

    def retract_facts(self, facts: Facts) -> None:
        if not any(facts.values()):
            return
        gone = self._track(facts, self.inputs.remove)
        if self._set is not None:
            for pred, rows in gone.items():
                self._set.update(pred, removed=rows)
        if self._synced:
            with self.backend.session():
                for pred, rows in facts.items():
                    if rows:
                        self.backend.retract_facts(pred, rows)
        self._changed(facts)

    def _track(
        self, facts: Facts, op: Callable[[str, list[Row]], list[Row]]
    ) -> dict[str, list[Row]]:
        """Apply `op` to the Python copy; returns the rows it changed, per predicate."""
        # Plan guards are pyDatalog's own; kept forms are facts the set-at-a-time engine
        # reads like any other (pyDatalog's engine keeps them to itself).
        kept_too = self._set is not None
        done: dict[str, list[Row]] = {}
        for pred, rows in facts.items():
            if rows and ("__" not in pred or (kept_too and "__plan" not in pred)):
                changed = op(pred, rows)
                if changed:
                    done[pred] = changed
        return done

    def _changed(self, facts: Facts) -> None:
        self.generation += 1
        for pred, rows in facts.items():
            if rows:
                self.changed_at[pred] = self.generation

    # --- rules and the kept forms they read ----------------------------------------------

    def _add_rules(self, rules: list[CompiledRule]) -> None:
        if not rules:
            return
        if self._set is None or self._synced:
            self.backend.add_rules(rules)
        if self._set is not None:
            self._set.add_rules(
                Rule(f"compiled {r.head.name}", _atom(r.head), tuple(map(_atom, r.body)), "")
                for r in rules
            )
        for rule in rules:
            self._rules_by_head[rule.head.name].append(rule)
        self._reads_memo.clear()

    def _reads(self, name: str) -> frozenset[str]:
        """Every predicate name the compiled rules of `name` read, directly or through the
        compiled rules they call."""
        found = self._reads_memo.get(name)
        if found is not None:
            return found
        out: set[str] = set()
        todo = [name]
        while todo:
            for rule in self._rules_by_head.get(todo.pop(), ()):
                for lit in rule.body:
                    if lit.name not in out:
                        out.add(lit.name)
                        todo.append(lit.name)
        self._reads_memo[name] = frozen = frozenset(out)
        return frozen

    def reads(self, predicate: str, args: Sequence[Value | None]) -> frozenset[str]:
        """The predicates (inputs, kept forms, compiled names) that asking `predicate` with
        `args` reads."""
        self._add_rules(self.compiler.compile(predicate, adornment(args)))
        return self._reads(self.compiler.name(predicate, adornment(args)))

    def kept_forms(self, name: str) -> frozenset[str]:
        """The kept forms (fact names) the compiled rules of `name` read."""
        return frozenset(n for n in self._reads(name) if self._is_kept(n))

    def reaches_plans(self, predicate: str, args: Sequence[Value | None]) -> bool:
        """Whether asking `predicate` with `args` reaches a planned rule (whose keys need a
        chosen plan to give their rows)."""
        return any("__plan" in n for n in self.reads(predicate, args))

    def _is_kept(self, name: str) -> bool:
        base, sep, form = name.rpartition("__")
        if not sep or base not in self.compiler.materialized:
            return False
        return form in ("m", "mx") or name in self.compiler.kept_projections

    def _ready(self, name: str) -> None:
        missing = self.kept_forms(name) - self.active
        if missing:
            if self.supply is None:
                raise RuntimeError(f"{name} reads kept forms nobody supplies: {sorted(missing)}")
            self.supply(set(missing))

    # --- queries ---------------------------------------------------------------------------

    def query(self, predicate: str, args: Sequence[Value | None]) -> list[tuple[Any, ...]]:
        """Every row of `predicate` matching `args` (None: unbound), through its access path."""
        ad = adornment(args)
        self._add_rules(self.compiler.compile(predicate, ad))
        name = self.compiler.name(predicate, ad)
        self._ready(name)
        return self._ask(name, args)

    def _ask(self, name: str, args: Sequence[Value | None]) -> list[tuple[Any, ...]]:
        """Rows of the compiled (or input) predicate `name`, from the engine in use."""
        if self._set is not None:
            return self._set.query(name, args)
        return self.backend.query(name, args)

    def class_rows(
        self, predicate: str, pos: int, args: Sequence[Value | None] | None = None
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]] | None:
        """The class chain of `predicate` at `pos` (planner.class_chain) and the rows of its
        last form matching `args` (default: all); None when the rules have no class form."""
        chain = self.compiler.class_chain(predicate, pos)
        if not chain:
            return None
        name = chain[-1][0]
        self._add_rules(self.compiler.take_class_rules())
        self._ready(name)
        arity = len(self.program.rules_for(predicate)[0].head.args)
        return chain, self._ask(name, args or (None,) * arity)

    @staticmethod
    def expand(
        chain: list[tuple[str, str]],
        rows: Iterable[tuple[Any, ...]],
        pos: int,
        members: dict[str, dict[Any, list[Any]]],
        masks: dict[str, dict[Any, int]] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of a class chain's last form expanded into members: `members[membership]
        [class]`, from the last membership back to the first. A membership given as `masks`
        (class -> bitset of its members) is expanded per row rather than per class: the
        union of a row's classes' bitsets, then its members once (many selectors matching
        the same label classes cost one bit-or each, not one set update per member)."""
        by_class: dict[Any, set[tuple[Any, ...]]] = defaultdict(set)
        for row in rows:
            by_class[row[pos]].add((*row[:pos], *row[pos + 1 :]))
        for _, membership in reversed(chain):
            expanded: dict[Any, set[tuple[Any, ...]]] = defaultdict(set)
            bits = (masks or {}).get(membership)
            if bits is not None:
                union: dict[tuple[Any, ...], int] = defaultdict(int)
                for klass, rests in by_class.items():
                    mask = bits.get(klass, 0)
                    for rest in rests:
                        union[rest] |= mask
                for rest, mask in union.items():
                    for member in bit_members(mask):
                        expanded[member].add(rest)
                by_class = expanded
                continue
            table = members[membership]
            for klass, rests in by_class.items():
                for member in table.get(klass, ()):
                    expanded[member] |= rests
            by_class = expanded
        return [(*rest[:pos], m, *rest[pos:]) for m, rests in by_class.items() for rest in rests]

    def query_expanded(
        self, predicate: str, pos: int, members: dict[str, dict[Any, list[Any]]]
    ) -> list[tuple[Any, ...]] | None:
        """All rows of `predicate`, derived per class at `pos` (per class of classes where the
        rules allow) and expanded into the members; None when the rules do not have that
        shape (ask `query` then)."""
        found = self.class_rows(predicate, pos)
        if found is None:
            return None
        chain, rows = found
        return self.expand(chain, rows, pos, members)

    def prepare(self, predicate: str, args: Sequence[Value | None]) -> None:
        """Compile `predicate` for `args` and have the kept forms its rules read supplied (and
        from then on kept current), as asking it would, without asking."""
        ad = adornment(args)
        self._add_rules(self.compiler.compile(predicate, ad))
        self._ready(self.compiler.name(predicate, ad))

    def ensure_compiled(self, predicate: str, args: Sequence[Value | None]) -> None:
        self._add_rules(self.compiler.compile(predicate, adornment(args)))

    # --- plans -----------------------------------------------------------------------------

    def choose_plans(self, keys: Iterable[Value]) -> None:
        """Assert, for each key of each planned rule compiled so far, the guard of its cheapest
        plan. Keys that already have one keep it."""
        if self._set is not None:
            return  # set-at-a-time evaluation has no plans to choose
        keys = list(keys)
        assert_rows: dict[str, list[Row]] = defaultdict(list)
        # Estimates hold while the facts they read do: one estimator serves every round.
        if self._estimator is None:
            self._estimator = _Estimator(self)
        estimator = self._estimator
        estimator.refresh()
        with self.backend.session():
            for (pred, ad), rules in self.compiler.plans.items():
                head_name = self.compiler.name(pred, ad)
                for index, planned in enumerate(rules):
                    for key in keys:
                        slot = (pred, ad, index, key)
                        if slot in self.plan_of:
                            continue
                        k = self._pick(planned, key, estimator)
                        guard = f"{head_name}__plan{index}_{k}"
                        self.plan_of[slot] = guard
                        assert_rows[guard].append((key,))
            for guard, guard_rows in assert_rows.items():
                self.backend.assert_facts(guard, guard_rows)

    def forget_plans(self, keys: Iterable[Value]) -> None:
        if self._set is not None:
            return
        gone = set(keys)
        rows: dict[str, list[Row]] = defaultdict(list)
        for slot in [s for s in self.plan_of if s[3] in gone]:
            rows[self.plan_of.pop(slot)].append((slot[3],))
        with self.backend.session():
            for guard, rs in rows.items():
                self.backend.retract_facts(guard, rs)

    def _pick(self, planned: PlannedRule, key: Value, estimator: _Estimator) -> int:
        if self.forced_plan is not None:
            return min(self.forced_plan, len(planned.orders) - 1)
        best: int | None = None
        best_cost = float("inf")
        for k, order in enumerate(planned.orders):
            cost = estimator.cost(order, {planned.key: key}, best_cost)
            if best is None or cost < best_cost:
                best, best_cost = k, cost
        return best or 0

    # --- aggregates ------------------------------------------------------------------------

    def aggregate_rows(
        self,
        agg: Aggregate,
        keys: Iterable[Value] | None,
        class_sizes: dict[Any, int] | None = None,
    ) -> list[Row]:
        """`agg`'s rows, for every key or for the given ones.

        When the counted relation reaches its members only through their classes (the
        planner's class form) and `class_sizes` gives each class's member count, distinct
        members are counted as the sizes of the distinct classes: classes partition members.
        """
        counts: Counter[Value] = Counter()
        found = self.compiler.class_form(agg.source, 1) if class_sizes is not None else None
        if found is not None and class_sizes is not None:
            self._add_rules(self.compiler.take_class_rules())
            name = found[0]
            self._ready(name)
            pairs: set[tuple[Any, Any]] = set()
            if keys is None:
                pairs = set(self._ask(name, (None, None)))
            else:
                for key in keys:
                    pairs.update(self._ask(name, (key, None)))
            for k, klass in pairs:
                counts[k] += class_sizes.get(klass, 0)
            return sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: str(kv[0]))
        if keys is None:
            for k, _ in set(self.query(agg.source, (None, None))):
                counts[k] += 1
        else:
            for key in keys:
                n = len(set(self.query(agg.source, (key, None))))
                if n:
                    counts[key] = n
        return sorted(counts.items(), key=lambda kv: str(kv[0]))


AGGREGATE = {a.name: a for a in AGGREGATES}


class _Estimator:
    """Costs of plan orders, in rows: the driver's answers (asked of the knowledge base with the
    key's values bound), each weighted by how many rows of the next literal it meets (counted
    from that input relation). Orders whose driver binds nothing (a scan) are kept only when
    nothing else is possible. Answers and counts are memoised for one planning round."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.memo: dict[tuple[str, tuple[Value | None, ...]], list[tuple[Any, ...]]] = {}
        self.counts: dict[tuple[str, tuple[int, ...]], Counter[tuple[Any, ...]]] = {}
        self.driven: dict[tuple[Atom, Atom | None, tuple[Value, ...]], float] = {}
        self.generation = kb.generation

    def refresh(self) -> None:
        """Forget what the facts changed since the last round made stale: derived answers and
        sums always (they may read any input), input rows and counts of changed relations."""
        kb = self.kb
        if kb.generation == self.generation:
            return
        stale = {p for p, g in kb.changed_at.items() if g > self.generation}
        derived = kb.program.derived
        self.memo = {
            k: v for k, v in self.memo.items() if k[0] not in derived and k[0] not in stale
        }
        self.counts = {k: v for k, v in self.counts.items() if k[0] not in stale}
        self.driven.clear()
        self.generation = kb.generation

    def rows(self, atom: Atom, env: dict[str, Value]) -> list[tuple[Any, ...]]:
        args = tuple((env.get(a.name) if isinstance(a, Var) else a) for a in atom.args)
        key = (atom.predicate, args)
        found = self.memo.get(key)
        if found is None:
            if atom.predicate in self.kb.program.derived:
                found = self.kb.query(atom.predicate, args)
            else:
                found = self.kb.inputs.query(atom.predicate, args)
            self.memo[key] = found
        return found

    def _counter(self, atom: Atom, positions: tuple[int, ...]) -> Counter[tuple[Any, ...]]:
        """Rows of the input relation `atom`, counted by their values at `positions`."""
        counter = self.counts.get((atom.predicate, positions))
        if counter is None:
            every = self.rows(
                Atom(atom.predicate, tuple(Var(f"V{i}") for i in range(len(atom.args)))), {}
            )
            counter = Counter(tuple(row[i] for i in positions) for row in every)
            self.counts[(atom.predicate, positions)] = counter
        return counter

    def cost(self, order: tuple[Atom, ...], env: dict[str, Value], limit: float) -> float:
        if len(order) < 2:
            return 0.0
        first, driver = order[0], order[1]
        after = order[2] if len(order) > 2 else None
        total = 0.0
        for row in self.rows(first, env):
            e = _bind(first, row, env)
            if not any(not isinstance(a, Var) or a.name in e for a in driver.args):
                return float("inf")  # a scan: chosen only when it is the only order
            total += self._driven(driver, after, e)
            if total >= limit:
                return total
        return total

    def _driven(self, driver: Atom, after: Atom | None, env: dict[str, Value]) -> float:
        """Rows met through `driver` (weighted by `after`) from `env`; many keys share the
        same test ids, so the sum is memoised on the values the two literals see."""
        names = sorted(
            {a.name for x in (driver, after) if x is not None for a in x.args if isinstance(a, Var)}
            & env.keys()
        )
        memo_key = (driver, after, tuple(env[n] for n in names))
        found = self.driven.get(memo_key)
        if found is not None:
            return found
        rows = self.rows(driver, env)
        total = float(len(rows))
        if (
            after is not None
            and not after.negated
            and after.predicate not in self.kb.program.derived
        ):
            # Each driver row weighs the rows of `after` it meets: `after`'s bound positions
            # take their values from the driver row, from `env`, or are constants.
            at = {a.name: i for i, a in enumerate(driver.args) if isinstance(a, Var)}
            picks: list[tuple[int, Any]] = []  # (row index, or -1 with a fixed value)
            for a in after.args:
                if not isinstance(a, Var):
                    picks.append((-1, a))
                elif a.name in at:
                    picks.append((at[a.name], None))
                elif a.name in env:
                    picks.append((-1, env[a.name]))
            positions = tuple(
                i
                for i, a in enumerate(after.args)
                if not isinstance(a, Var) or a.name in at or a.name in env
            )
            counter = self._counter(after, positions)
            total = float(
                sum(
                    counter.get(tuple(row[i] if i >= 0 else v for i, v in picks), 0) for row in rows
                )
            )
        self.driven[memo_key] = total
        return total


def _atom(literal: Literal) -> Atom:
    return Atom(literal.name, literal.args, literal.negated)


def _bind(atom: Atom, row: tuple[Any, ...], env: dict[str, Value]) -> dict[str, Value]:
    out = dict(env)
    for a, v in zip(atom.args, row, strict=True):
        if isinstance(a, Var):
            out[a.name] = v
    return out
