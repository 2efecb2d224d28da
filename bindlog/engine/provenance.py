"""Proofs and refutations drawn from the rules that decided.

`Prover.prove` backward-chains from a ground goal over the parsed rules of binding.dl (the same
text pyDatalog runs), asking the knowledge base for the facts each premise needs, and returns the
derivation as a tree: the rule, its variable bindings, and the premises, down to input facts,
selector-builtin matches and `ABSENT` leaves for negated premises. `Prover.refute` does the
opposite for a goal that does not hold: for each rule that could derive it, the premises that
hold and the first that fails, and, recursively, why that one fails (OPA's `Fails` view).

Nothing here knows what the predicates mean: change the rules and the explanations follow.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from bindlog.engine.facts import Encoding
from bindlog.engine.inputs import FactSource
from bindlog.engine.interface import AGGREGATE_NAMES, BUILTIN_NAMES
from bindlog.engine.program import Atom, Program, Rule, Var

Value = str | int
Bindings = dict[str, Value]

# Label-selector builtins (Kubernetes semantics in engine/labelsets.py, not rules) and the
# aggregates the engine computes: leaves of a proof, like input facts.
BUILTINS = BUILTIN_NAMES | AGGREGATE_NAMES

DEFAULT_MAX_DEPTH = 16
DEFAULT_MAX_NODES = 400
MAX_PATHS = 256  # partial solutions explored per rule when refuting
MAX_FAILURES = 32  # failures kept per rule (e.g. one per clause of a policy)


class ProofKind(enum.Enum):
    INPUT = "input"  # an input fact
    BUILTIN = "builtin"  # a label selector matched (or failed to)
    DERIVED = "derived"  # a rule fired
    ABSENT = "absent"  # a negated premise held: the fact is not there


@dataclass(frozen=True, slots=True)
class Fact:
    predicate: str
    args: tuple[Value | None, ...]  # None: an unbound position (only in refuted goals)

    def __str__(self) -> str:
        inner = ", ".join("_" if a is None else repr(a) for a in self.args)
        return f"{self.predicate}({inner})"


@dataclass(frozen=True, slots=True)
class Proof:
    fact: Fact
    kind: ProofKind
    rule: Rule | None = None
    bindings: tuple[tuple[str, Value], ...] = ()
    premises: tuple[Proof, ...] = ()
    partial: bool = False  # a cap was reached below this node


@dataclass(frozen=True, slots=True)
class Failure:
    """One way a rule instance stops: the premises that held, then the one that fails."""

    bindings: tuple[tuple[str, Value], ...]
    held: tuple[Proof, ...]
    failed: Atom
    failed_fact: Fact
    reason: Refutation | None  # why the failed premise fails, for derived and builtin ones


@dataclass(frozen=True, slots=True)
class Attempt:
    """A rule that could derive the goal, and where each of its partial solutions stops."""

    rule: Rule
    failures: tuple[Failure, ...]


@dataclass(frozen=True, slots=True)
class Refutation:
    """Why `fact` does not hold: per candidate rule, where it stops; for an input fact or a
    selector builtin, nothing more than that it is absent (with the failing requirement)."""

    fact: Fact
    attempts: tuple[Attempt, ...] = ()
    builtin: str | None = None
    partial: bool = False


@dataclass(slots=True)
class _Budget:
    max_depth: int
    nodes: int
    partial: bool = False

    def spend(self) -> bool:
        self.nodes -= 1
        if self.nodes < 0:
            self.partial = True
            return False
        return True


@dataclass(slots=True)
class Prover:
    program: Program
    # Where input, builtin and aggregate facts are read: the knowledge base's Python copy
    # (KnowledgeBase.inputs) or pyDatalog itself; derived premises are solved from the rules.
    backend: FactSource
    encoding: Encoding
    max_depth: int = DEFAULT_MAX_DEPTH
    max_nodes: int = DEFAULT_MAX_NODES
    _memo: dict[tuple[str, tuple[Value | None, ...]], list[tuple[Value, ...]]] = field(
        default_factory=dict, repr=False
    )

    # --- querying --------------------------------------------------------------------------

    def holds(self, fact: Fact) -> bool:
        with self.backend.session():
            return next(self._rows(fact.predicate, tuple(fact.args)), None) is not None

    def _rows(self, predicate: str, args: tuple[Value | None, ...]) -> Iterator[tuple[Value, ...]]:
        # The knowledge base does not change under a prover: answers are kept.
        key = (predicate, args)
        rows = self._memo.get(key)
        if rows is None:
            if predicate in self.program.derived:
                # Derived premises are solved here, top-down in explanation order: the written
                # order serves whole-relation evaluation and would enumerate far too much for
                # one bound goal.
                rows = list(self._solve_all(predicate, args))
            else:
                # Sorted, so that explanations come out the same on every run.
                rows = sorted(self.backend.query(predicate, list(args)), key=_row_key)
            self._memo[key] = rows
        yield from rows

    def _solve_all(
        self, predicate: str, args: tuple[Value | None, ...]
    ) -> Iterator[tuple[Value, ...]]:
        seen: set[tuple[Value, ...]] = set()
        for rule in self.program.rules_for(predicate):
            start = _unify(rule.head, args)
            if start is None:
                continue
            for env in self._solutions(rule.body, start):
                row = tuple(env[a.name] if isinstance(a, Var) else a for a in rule.head.args)
                if row not in seen:
                    seen.add(row)
                    yield row

    def _solutions(self, body: tuple[Atom, ...], env: Bindings) -> Iterator[Bindings]:
        if not body:
            yield env
            return
        index = _next_literal(body, env, self.program.derived)
        atom, rest = body[index], body[:index] + body[index + 1 :]
        args = tuple(_value(a, env) for a in atom.args)
        if atom.negated:
            if next(self._rows(atom.predicate, args), None) is None:
                yield from self._solutions(rest, env)
            return
        for row in self._rows(atom.predicate, args):
            extended = _extend(atom, row, env)
            if extended is not None:
                yield from self._solutions(rest, extended)

    # --- proofs ----------------------------------------------------------------------------

    def prove(self, fact: Fact) -> Proof | None:
        """A derivation of the ground `fact`, or None if it does not hold."""
        budget = _Budget(self.max_depth, self.max_nodes)
        with self.backend.session():
            return self._prove(fact, 0, budget)

    def _prove(self, fact: Fact, depth: int, budget: _Budget) -> Proof | None:
        rules = self.program.rules_for(fact.predicate)
        if not rules:
            if not self.holds(fact):
                return None
            kind = ProofKind.BUILTIN if fact.predicate in BUILTINS else ProofKind.INPUT
            return Proof(fact, kind)
        if depth >= budget.max_depth or not budget.spend():
            budget.partial = True
            return Proof(fact, ProofKind.DERIVED, partial=True) if self.holds(fact) else None
        for rule in rules:
            start = _unify(rule.head, fact.args)
            if start is None:
                continue
            for env in self._solutions(rule.body, start):
                premises = []
                for atom in rule.body:
                    ground = Fact(atom.predicate, tuple(_value(a, env) for a in atom.args))
                    if atom.negated:
                        premises.append(Proof(ground, ProofKind.ABSENT))
                        continue
                    sub = self._prove(ground, depth + 1, budget)
                    if sub is None:  # cannot happen for a solution; be safe
                        break
                    premises.append(sub)
                else:
                    return Proof(
                        fact,
                        ProofKind.DERIVED,
                        rule,
                        tuple(sorted(env.items())),
                        tuple(premises),
                        partial=any(p.partial for p in premises),
                    )
        return None

    # --- refutations -----------------------------------------------------------------------

    def refute(self, fact: Fact) -> Refutation | None:
        """Why `fact` does not hold (None positions are unbound), or None if it holds."""
        with self.backend.session():
            if self.holds(fact):
                return None
            return self._refute(fact, 0, _Budget(self.max_depth, self.max_nodes))

    def _refute(self, fact: Fact, depth: int, budget: _Budget) -> Refutation:
        if fact.predicate in BUILTINS:
            return Refutation(fact, builtin=self.encoding.explain_selector_failure(fact))
        rules = self.program.rules_for(fact.predicate)
        if not rules:
            return Refutation(fact)
        if depth >= budget.max_depth or not budget.spend():
            return Refutation(fact, partial=True)
        attempts = []
        for rule in rules:
            start = _unify(rule.head, fact.args)
            if start is not None:
                attempt = self._attempt(rule, start, depth, budget)
                if attempt is not None:
                    attempts.append(attempt)
        return Refutation(fact, tuple(_furthest(attempts)), partial=budget.partial)

    def _attempt(self, rule: Rule, start: Bindings, depth: int, budget: _Budget) -> Attempt | None:
        """Explore the body's partial solutions; keep those that got furthest before failing.

        Returns None when the rule does not apply (a plan literal is false on every path).
        """
        derived = self.program.derived
        stuck: list[tuple[Bindings, tuple[Proof, ...], Atom, Fact]] = []
        stack: list[tuple[Bindings, tuple[Atom, ...], tuple[Proof, ...]]] = [(start, rule.body, ())]
        paths = 0
        while stack:
            env, body, held = stack.pop()
            paths += 1
            if paths > MAX_PATHS:
                budget.partial = True
                break
            index = _next_literal(body, env, derived)
            atom, rest = body[index], body[:index] + body[index + 1 :]
            args = tuple(_value(a, env) for a in atom.args)
            if atom.negated:
                absent = next(self._rows(atom.predicate, args), None) is None
                nexts = (
                    [(env, Proof(Fact(atom.predicate, args), ProofKind.ABSENT))] if absent else []
                )
            else:
                nexts = []
                for row in self._rows(atom.predicate, args):
                    extended = _extend(atom, row, env)
                    if extended is not None:
                        fact = Fact(atom.predicate, tuple(row))
                        nexts.append((extended, Proof(fact, _kind(atom.predicate, self.program))))
            if not nexts:
                stuck.append((env, held, atom, Fact(atom.predicate, args)))
                continue
            if not rest:
                return None  # a full solution: the goal holds after all
            for extended, proof in reversed(nexts):
                stack.append((extended, rest, (*held, proof)))
        if not stuck:
            return None
        furthest = max(len(h) for _, h, _, _ in stuck)
        failures: list[Failure] = []
        for env, held, atom, fact in stuck:
            if len(held) != furthest or len(failures) >= MAX_FAILURES:
                continue
            reason = None if atom.negated else self._refute(fact, depth + 1, budget)
            failures.append(Failure(tuple(sorted(env.items())), held, atom, fact, reason))
        return Attempt(rule, tuple(failures))


def _row_key(row: tuple[Value, ...]) -> tuple[tuple[bool, Value], ...]:
    return tuple((isinstance(v, str), v) for v in row)


def _kind(predicate: str, program: Program) -> ProofKind:
    if predicate in BUILTINS:
        return ProofKind.BUILTIN
    return ProofKind.DERIVED if predicate in program.derived else ProofKind.INPUT


def _furthest(attempts: list[Attempt]) -> list[Attempt]:
    """The rules that got furthest before failing: the ones a reader should look at.

    Reach counts the premises that held, leaving out the `known_*` facts that only say a value
    occurs in the input: they hold for every candidate and tell nothing.
    """
    if not attempts:
        return []

    def reach(a: Attempt) -> int:
        return max(
            sum(1 for p in f.held if not p.fact.predicate.startswith("known_")) for f in a.failures
        )

    best = max(reach(a) for a in attempts)
    return [a for a in attempts if reach(a) == best]


def _unify(head: Atom, args: tuple[Value | None, ...]) -> Bindings | None:
    env: Bindings = {}
    for term, value in zip(head.args, args, strict=True):
        if value is None:
            continue
        if isinstance(term, Var):
            if env.setdefault(term.name, value) != value:
                return None
        elif term != value:
            return None
    return env


def _value(term: Var | str | int, env: Bindings) -> Value | None:
    return env.get(term.name) if isinstance(term, Var) else term


def _extend(atom: Atom, row: tuple[Value, ...], env: Bindings) -> Bindings | None:
    out = dict(env)
    for term, value in zip(atom.args, row, strict=True):
        if isinstance(term, Var):
            if out.setdefault(term.name, value) != value:
                return None
        elif term != value:
            return None
    return out


def _next_literal(body: tuple[Atom, ...], env: Bindings, derived: frozenset[str]) -> int:
    """Explanation order: input facts reachable from what is bound,
    then fully bound derived premises, then the rest in written order. Negations wait until
    ground."""

    def rank(i: int) -> tuple[int, int]:
        atom = body[i]
        bound = sum(1 for a in atom.args if not isinstance(a, Var) or a.name in env)
        ground = bound == len(atom.args)
        if atom.negated:
            return (0 if ground else 9, i)
        edb = atom.predicate not in derived and atom.predicate not in BUILTINS
        if edb and bound:
            return (1, i)
        if ground:
            return (2, i)
        if bound:
            return (3, i)
        return (4, i)

    return min(range(len(body)), key=rank)


__all__ = [
    "Attempt",
    "Fact",
    "Failure",
    "Proof",
    "ProofKind",
    "Prover",
    "Refutation",
]
