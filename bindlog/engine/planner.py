"""Evaluation plans derived from the rule text: access paths for bound queries.

pyDatalog evaluates a rule body in the order it is written and never reorders it, so the order is
the plan. binding.dl states each rule once, in whatever order reads best; this module compiles,
for every call pattern the engine asks (which arguments are bound: an *adornment*, as in magic
sets), a copy of each rule whose body is ordered for that pattern, calling adorned copies of the
derived predicates it uses. Nothing here looks at data: the generated text comes from the parsed
rules alone (names and constants written in binding.dl), never from input.

The compiled rules are handed to pyDatalog as clause objects (never as text to parse).

One predicate may need a different order for different keys of the same pattern (a clause that
lists two namespaces is best enumerated by namespace, one with a selective objectSelector by
labels). For such *planned* predicates the compiler emits one variant per useful order, each
guarded by a plan fact `<name>__plan<k>(Key)`; the engine picks a plan per key from estimated
costs and asserts its guard. Every variant computes the same relation, only at another cost,
which `tests/test_planner.py` checks by forcing each plan in turn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bindlog.engine.program import Atom, Program, Rule, Var

Adornment = str  # one letter per argument: "b" bound, "f" free


def adornment(args: Iterable[object]) -> Adornment:
    return "".join("f" if a is None else "b" for a in args)


def _vars(atom: Atom) -> set[str]:
    return {a.name for a in atom.args if isinstance(a, Var)}


def _bound_count(atom: Atom, bound: set[str]) -> int:
    return sum(1 for a in atom.args if not isinstance(a, Var) or a.name in bound)


def order_body(
    body: tuple[Atom, ...],
    bound: set[str],
    derived: frozenset[str],
    first: Atom | None = None,
) -> tuple[Atom, ...]:
    """The body ordered for evaluation with `bound` variables known (greedy, sideways passing).

    Negated literals go as soon as all their variables are bound (pyDatalog needs that), and
    fully bound literals (checks) as soon as they are. Among the other positive literals the
    next is the first, in written order, with a bound argument, or else the first written.
    `first`, when given, is placed as soon as it is the next literal that is not a pure check
    of what is already bound.
    """
    remaining = list(body)
    known = set(bound)
    out: list[Atom] = []
    while remaining:
        ready_neg = [a for a in remaining if a.negated and _vars(a) <= known]
        if ready_neg:
            pick = ready_neg[0]
        else:
            positives = [a for a in remaining if not a.negated]
            if not positives:
                raise ValueError(f"negated literal with unbound variables: {remaining[0]}")
            checks = [a for a in positives if _vars(a) <= known]
            if checks:
                pick = checks[0]
            elif first is not None and first in positives and out:
                pick = first
            else:
                pick = max(positives, key=lambda a: _score(a, known, derived, body))
        out.append(pick)
        remaining.remove(pick)
        known |= _vars(pick)
    return tuple(out)


def _score(
    atom: Atom, known: set[str], derived: frozenset[str], body: tuple[Atom, ...]
) -> tuple[int, int]:
    # Sideways information passing: a literal that shares a bound argument first, otherwise the
    # written order, which is the author's (the engine never invents a better one from data).
    return (1 if _bound_count(atom, known) else 0, -body.index(atom))


def atom_text(atom: Atom, name: str | None = None) -> str:
    args = ", ".join(a.name if isinstance(a, Var) else repr(a) for a in atom.args)
    return f"{'~' if atom.negated else ''}{name or atom.predicate}({args})"


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal of a compiled rule: the (possibly adorned) predicate name and its terms."""

    name: str
    args: tuple[Var | str | int, ...]
    negated: bool = False

    def __str__(self) -> str:
        return atom_text(Atom(self.name, self.args, self.negated))


@dataclass(frozen=True, slots=True)
class CompiledRule:
    head: Literal
    body: tuple[Literal, ...]

    def __str__(self) -> str:
        return f"{self.head} <= {' & '.join(str(b) for b in self.body)}"


@dataclass(frozen=True, slots=True)
class PlannedRule:
    """A planned predicate's rule compiled as alternatives: plan k is `orders[k]`."""

    rule: Rule
    adornment: Adornment
    key: str  # the variable plans are chosen for
    orders: tuple[tuple[Atom, ...], ...]


@dataclass(slots=True)
class Compiler:
    """Compiles (predicate, adornment) pairs into rule text on demand, each once."""

    program: Program
    planned: dict[str, str]  # predicate -> key variable (chosen per key)
    # Predicates the engine derives first and keeps as facts (`<name>__m`): rules that use them
    # read the kept rows instead of deriving them again (bottom-up, stratum by stratum).
    materialized: frozenset[str] = frozenset()
    # Class membership inputs: name -> (member position, class position), e.g. wec(C, WC).
    membership: dict[str, tuple[int, int]] = field(default_factory=dict)
    compiled: set[tuple[str, Adornment]] = field(default_factory=set)
    plans: dict[tuple[str, Adornment], list[PlannedRule]] = field(default_factory=dict)
    _pending_class: list[Rule] = field(default_factory=list)
    # Materialized relations kept per class: name -> (member position, membership predicate).
    kept_per_class: dict[str, tuple[int, str]] = field(default_factory=dict)
    # Kept projections the compiled rules read: name -> (relation, positions kept).
    kept_projections: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    # Rules of the class forms made so far, by name: a class form may itself have a class form.
    class_defs: dict[str, list[Rule]] = field(default_factory=dict)

    def name(self, predicate: str, adorn: Adornment) -> str:
        if predicate not in self.program.derived:
            return predicate
        return f"{predicate}__{adorn}"

    def call_name(self, predicate: str, adorn: Adornment) -> str:
        """The name a rule body calls `predicate` by: its kept rows when materialized."""
        if predicate in self.materialized:
            return f"{predicate}__m"
        return self.name(predicate, adorn)

    def compile(self, predicate: str, adorn: Adornment) -> list[CompiledRule]:
        """Rules for `predicate` called with `adorn`, and for everything it calls that is not
        compiled yet; empty when all of it is loaded already."""
        out: list[CompiledRule] = []
        todo = [(predicate, adorn)]
        while todo:
            pred, ad = todo.pop()
            if pred not in self.program.derived or (pred, ad) in self.compiled:
                continue
            self.compiled.add((pred, ad))
            for rule in self.program.rules_for(pred):
                out.extend(self._rule(rule, ad, todo))
        return out

    def _rule(
        self, rule: Rule, ad: Adornment, todo: list[tuple[str, Adornment]]
    ) -> list[CompiledRule]:
        head = rule.head
        bound = {
            a.name
            for a, flag in zip(head.args, ad, strict=True)
            if flag == "b" and isinstance(a, Var)
        }
        derived = self.program.derived
        key = self.planned.get(head.predicate)
        head_name = self.name(head.predicate, ad)
        if key is not None and not (set(_vars(head)) - {key}) & bound:
            # Only the key (or nothing) is bound: one variant per useful driver literal.
            start = bound | {key}
            orders: list[tuple[Atom, ...]] = []
            for driver in rule.body:
                if driver.negated:
                    continue
                order = order_body(rule.body, start, derived, first=driver)
                if order not in orders:
                    orders.append(order)
            self.plans.setdefault((head.predicate, ad), []).append(
                PlannedRule(rule, ad, key, tuple(orders))
            )
            index = len(self.plans[(head.predicate, ad)]) - 1
            compiled = []
            for k, order in enumerate(orders):
                guard = Literal(f"{head_name}__plan{index}_{k}", (Var(key),))
                body = (guard, *self._calls(order, bound, todo, rule))
                compiled.append(CompiledRule(Literal(head_name, head.args), body))
            return compiled
        order = order_body(rule.body, bound, derived)
        body = self._calls(order, bound, todo, rule)
        return [CompiledRule(Literal(head_name, head.args), body)]

    # --- class forms ---------------------------------------------------------------------------
    # A predicate whose argument at `pos` ranges over the members of classes (it reaches the
    # rule only through a membership literal such as wec(C, WC)) can be derived per class and
    # expanded into members afterwards: far fewer rows for pyDatalog, the same relation.

    def class_form(self, predicate: str, pos: int) -> tuple[str, str] | None:
        """(name of the class form, membership predicate) when `predicate` at `pos` is
        class-expandable, compiling the class form's rules; None otherwise."""
        found = self._class_rules(predicate, pos)
        if found is None:
            return None
        rules, membership = found
        name = f"{predicate}__class{pos}"
        if (name, "") not in self.compiled:
            self.compiled.add((name, ""))
            self.class_defs[name] = rules
            self._pending_class.extend(rules)
        return name, membership

    def class_chain(self, predicate: str, pos: int) -> list[tuple[str, str]]:
        """The class forms of `predicate` at `pos`, each the class form of the one before
        (e.g. per WEC class, then per selector matching classes); empty when there is none.
        Rows of the last one expand into members through the memberships in reverse."""
        chain: list[tuple[str, str]] = []
        name = predicate
        while (found := self.class_form(name, pos)) is not None:
            chain.append(found)
            name = found[0]
        return chain

    def take_class_rules(self) -> list[CompiledRule]:
        out: list[CompiledRule] = []
        todo: list[tuple[str, Adornment]] = []
        for rule in self._pending_class:
            order = order_body(rule.body, set(), self.program.derived)
            head = Literal(rule.head.predicate, rule.head.args)
            out.append(CompiledRule(head, self._calls(order, set(), todo)))
        self._pending_class.clear()
        for pred, ad in todo:
            out.extend(self.compile(pred, ad))
        return out

    def _class_rules(self, predicate: str, pos: int) -> tuple[list[Rule], str] | None:
        rules = self.class_defs.get(predicate) or self.program.rules_for(predicate)
        if not rules:
            return None
        out: list[Rule] = []
        membership = None
        name = f"{predicate}__class{pos}"
        for rule in rules:
            member = rule.head.args[pos]
            if not isinstance(member, Var) or rule.head.args.count(member) != 1:
                return None
            uses = [a for a in rule.body if member in a.args]
            if len(uses) != 1 or uses[0].negated:
                return None
            use = uses[0]
            if use.args.count(member) != 1:
                return None
            if use.predicate in self.membership:
                mpos, cpos = self.membership[use.predicate]
                if use.args[mpos] != member or not isinstance(use.args[cpos], Var):
                    return None
                klass = use.args[cpos]
                head_args = list(rule.head.args)
                head_args[pos] = klass
                body = tuple(a for a in rule.body if a is not use)
                kind = use.predicate
            elif self.kept_per_class.get(use.predicate, (None,))[0] == use.args.index(member):
                # A kept relation already stored per class: read its class rows.
                kind = self.kept_per_class[use.predicate][1]
                klass = Var(f"{member.name}__K")
                head_args = list(rule.head.args)
                head_args[pos] = klass
                args = tuple(klass if a == member else a for a in use.args)
                kept = Atom(f"{use.predicate}__mx", args)
                body = tuple(kept if a is use else a for a in rule.body)
            else:
                if (
                    use.predicate not in self.program.derived
                    and use.predicate not in self.class_defs
                ):
                    return None
                inner = self._class_rules(use.predicate, use.args.index(member))
                if inner is None:
                    return None
                kind = inner[1]
                klass = Var(f"{member.name}__K")
                head_args = list(rule.head.args)
                head_args[pos] = klass
                inner_name = self.class_form(use.predicate, use.args.index(member))
                assert inner_name is not None
                args = tuple(klass if a == member else a for a in use.args)
                body = tuple(Atom(inner_name[0], args) if a is use else a for a in rule.body)
            if membership not in (None, kind):
                return None
            membership = kind
            head = Atom(name, tuple(head_args))
            out.append(Rule(f"{rule.rule_id} (per class)", head, body, rule.comment))
        assert membership is not None
        return out, membership

    def _calls(
        self,
        order: tuple[Atom, ...],
        bound: set[str],
        todo: list[tuple[str, Adornment]],
        rule: Rule | None = None,
    ) -> tuple[Literal, ...]:
        known = set(bound)
        out: list[Literal] = []
        for atom in order:
            ad = "".join(
                "b" if not isinstance(a, Var) or a.name in known else "f" for a in atom.args
            )
            kept = self.kept_per_class.get(atom.predicate)
            projected = self._projection(atom, rule) if rule is not None else None
            if projected is not None:
                out.append(projected)
            elif kept is not None and rule is not None and not atom.negated:
                out.extend(self._kept_class_call(atom, kept, rule))
            else:
                if (
                    atom.predicate in self.program.derived
                    and atom.predicate not in self.materialized
                ):
                    todo.append((atom.predicate, ad))
                out.append(Literal(self.call_name(atom.predicate, ad), atom.args, atom.negated))
            known |= _vars(atom)
        return tuple(out)

    def _projection(self, atom: Atom, rule: Rule) -> Literal | None:
        """A call of a kept relation whose variables the rule uses only here (existential):
        the kept projection onto the other positions, far fewer rows than the relation."""
        if atom.predicate not in self.materialized or atom.negated:
            return None
        every = [a for x in (rule.head, *rule.body) for a in x.args if isinstance(a, Var)]
        keep = tuple(
            i for i, a in enumerate(atom.args) if not isinstance(a, Var) or every.count(a) > 1
        )
        if len(keep) == len(atom.args):
            return None
        name = f"{atom.predicate}__m_{'_'.join(map(str, keep))}"
        self.kept_projections[name] = (atom.predicate, keep)
        return Literal(name, tuple(atom.args[i] for i in keep))

    def _kept_class_call(self, atom: Atom, kept: tuple[int, str], rule: Rule) -> list[Literal]:
        """A call of a relation kept per class: the class rows, and the membership literal only
        when the rule uses the member (an existential member needs just a non-empty class:
        kept class rows come from real members)."""
        pos, membership = kept
        member = atom.args[pos]
        klass = Var(f"{member}__K" if isinstance(member, Var) else "K__")
        args = tuple(klass if i == pos else a for i, a in enumerate(atom.args))
        out = [Literal(f"{atom.predicate}__mx", args)]
        used = isinstance(member, Var) and (
            member in rule.head.args or sum(member in a.args for a in rule.body) > 1
        )
        if used or not isinstance(member, Var):
            mpos, cpos = self.membership[membership]
            margs: list[Var | str | int] = [klass, klass]
            margs[mpos], margs[cpos] = member, klass
            out.append(Literal(membership, tuple(margs)))
        return out
