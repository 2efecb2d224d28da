"""The one module that imports pyDatalog.

Rules arrive compiled from the parsed binding.dl (engine/planner.py) and are asserted as clause
objects; data enters only as facts through the same clause API. Nothing is ever handed to
pyDatalog as text (its `load` parses with `exec`). The paths used here
(pre-built `Pred` objects, `pyEngine.assert_` of ground clauses, `Literal.ask`) skip the per-fact
parsing and the query-wrapping rule of the public helpers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from bindlog.engine.planner import CompiledRule
from bindlog.engine.program import Var
from bindlog.gcpause import no_gc

Value = str | int

# pyDatalog keeps one knowledge base per thread; a Backend owns one and switches to it on use.
_lock = threading.RLock()


class Backend:
    """A pyDatalog knowledge base holding the bindlog rules and one snapshot's facts."""

    def __init__(self) -> None:
        # Imported here: a run that never asks pyDatalog (set-at-a-time) never loads it.
        from pyDatalog import Logic

        with _lock, no_gc():
            self._logic = Logic()  # a fresh, empty knowledge base for this thread
            self._logic = Logic(True)
        self._preds: dict[tuple[str, int], Any] = {}
        self._owner: int | None = None  # the thread holding a session, if any

    @contextmanager
    def session(self) -> Iterator[None]:
        """Hold this knowledge base active (and the cyclic GC off) across many calls; calls
        made inside skip the per-call switching."""
        with self._active():
            outer, self._owner = self._owner, threading.get_ident()
            try:
                yield
            finally:
                self._owner = outer

    @contextmanager
    def _active(self) -> Iterator[None]:
        from pyDatalog import Logic

        with _lock, no_gc():
            if getattr(Logic.tl, "logic", None) is not self._logic:
                Logic.tl.logic = self._logic
            yield

    def _pred(self, name: str, arity: int) -> Any:
        from pyDatalog import pyEngine

        pred = self._preds.get((name, arity))
        if pred is None:
            pred = pyEngine.Pred(name, arity)
            pred.prearity = arity
            self._preds[(name, arity)] = pred  # the registry holds predicates weakly
        return pred

    def assert_facts(self, name: str, rows: Iterable[Sequence[Value]]) -> int:
        """Add ground facts `name(*row)`; returns how many rows were given."""
        from pyDatalog import pyEngine

        return self._each_fact(pyEngine.assert_, name, rows)

    def retract_facts(self, name: str, rows: Iterable[Sequence[Value]]) -> int:
        """Remove ground facts `name(*row)`; returns how many rows were given."""
        from pyDatalog import pyEngine

        return self._each_fact(pyEngine.retract, name, rows)

    def _each_fact(self, op: Any, name: str, rows: Iterable[Sequence[Value]]) -> int:
        from pyDatalog import pyEngine

        count = 0
        with self._active():
            const, clause, literal = pyEngine.Const, pyEngine.Clause, pyEngine.Literal
            preds: dict[int, Any] = {}
            for row in rows:
                arity = len(row)
                pred = preds.get(arity)
                if pred is None:
                    pred = preds[arity] = self._pred(name, arity)
                op(clause(literal(pred, [const(v) for v in row]), []))
                count += 1
        return count

    def add_rules(self, rules: Iterable[CompiledRule]) -> None:
        """Add rules compiled from binding.dl, as clause objects (no text is parsed or run)."""
        from pyDatalog import pyEngine

        with self._active():
            for rule in rules:
                head = self._literal(rule.head.name, rule.head.args)
                body = [
                    self._literal(("~" if b.negated else "") + b.name, b.args) for b in rule.body
                ]
                pyEngine.assert_(pyEngine.Clause(head, body))  # noqa: PT009

    @staticmethod
    def _literal(name: str, args: Sequence[Var | str | int]) -> Any:
        from pyDatalog import pyEngine

        terms = [pyEngine.Var(a.name) if isinstance(a, Var) else pyEngine.Const(a) for a in args]
        return pyEngine.Literal(name, terms)

    def _ask(self, name: str, args: Sequence[Value | None]) -> Any:
        from pyDatalog import pyEngine

        pred = self._pred(name, len(args))
        terms = [
            pyEngine.Var(f"V{i}") if a is None else pyEngine.Const(a) for i, a in enumerate(args)
        ]
        return pyEngine.Literal(pred, terms).ask()

    def query(self, name: str, args: Sequence[Value | None]) -> list[tuple[Any, ...]]:
        """All tuples of `name` matching `args`, where None is an unbound position.

        Returns full tuples (bound positions included), in no particular order.
        """
        if self._owner == threading.get_ident():
            answer = self._ask(name, args)
        else:
            with self._active():
                answer = self._ask(name, args)
        if answer is True:
            return [tuple(args)]
        return list(answer or ())
