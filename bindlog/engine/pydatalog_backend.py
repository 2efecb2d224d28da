"""The one module that imports pyDatalog.

Rules are loaded from constant package text; data enters only as facts through the engine's
clause API (never as program text: pyDatalog's `load` runs `exec`). The fast paths used here
(pre-built `Pred` objects, interned `Const`s, `Literal.ask`) are the ones the compiled engine
exposes; they skip the per-fact parsing and the query-wrapping rule of the public helpers.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pyDatalog import Logic, pyDatalog, pyEngine

Value = str | int

# pyDatalog keeps one knowledge base per thread; a Backend owns one and switches to it on use.
_lock = threading.RLock()


@contextmanager
def no_gc() -> Iterator[None]:
    # CPython's cyclic GC spends most of evaluation scanning the engine's many small objects;
    # nothing evaluation builds is cyclic garbage, so collection waits until it is done.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _add_fact_direct(pred: Any, fact: Any) -> None:
    # What pyEngine.assert_ does for a fact, minus the retract it runs first to keep facts
    # unique: a membership test does that job at a fraction of the cost. Tied to the compiled
    # engine's layout (db: dict id -> clause, index: list of dicts value -> set of clauses),
    # which _FAST_PATH checks once at import.
    fid = fact.get_id()
    if fid in pred.db:
        return
    pred.db[fid] = fact
    for position, term in zip(pred.index, fact.head.terms, strict=True):
        bucket = position.get(term.id)
        if bucket is None:
            position[term.id] = {fact}
        else:
            bucket.add(fact)


def _layout_is_known() -> bool:
    with _lock:
        saved = getattr(Logic.tl, "logic", None)
        try:
            Logic()
            pred = pyEngine.Pred("_bindlog_probe", 1)
            return isinstance(pred.db, dict) and isinstance(pred.index, list)
        finally:
            if saved is not None:
                Logic.tl.logic = saved


def _add_fact_public(pred: Any, fact: Any) -> None:
    pyEngine.assert_(fact)  # noqa: PT009 - pyDatalog, not unittest


_add_fact = _add_fact_direct if _layout_is_known() else _add_fact_public


class Backend:
    """A pyDatalog knowledge base holding the bindlog rules and one snapshot's facts."""

    def __init__(self, rules_text: str) -> None:
        with _lock, no_gc():
            self._logic = Logic()  # a fresh, empty knowledge base for this thread
            pyDatalog.load(rules_text)
            self._logic = Logic(True)
        self._preds: dict[tuple[str, int], Any] = {}
        self._consts: dict[tuple[type, Value], Any] = {}

    def _const(self, value: Value) -> Any:
        # pyDatalog interns constants in a weak dictionary; a strong one here is 3x cheaper and
        # keeps them alive for the knowledge base's lifetime.
        key = (type(value), value)
        found = self._consts.get(key)
        if found is None:
            found = self._consts[key] = pyEngine.Const(value)
        return found

    @contextmanager
    def session(self) -> Iterator[None]:
        """Hold this knowledge base active (and the cyclic GC off) across many calls."""
        with self._active():
            yield

    @contextmanager
    def _active(self) -> Iterator[None]:
        with _lock, no_gc():
            if getattr(Logic.tl, "logic", None) is not self._logic:
                Logic.tl.logic = self._logic
            yield

    def _pred(self, name: str, arity: int) -> Any:
        pred = self._preds.get((name, arity))
        if pred is None:
            pred = pyEngine.Pred(name, arity)
            pred.prearity = arity
            self._preds[(name, arity)] = pred  # the registry holds predicates weakly
        return pred

    def assert_facts(self, name: str, rows: Iterable[Sequence[Value]]) -> int:
        """Add ground facts `name(*row)`; returns how many rows were given."""
        count = 0
        with self._active():
            const, clause, literal, assert_ = (
                pyEngine.Const,
                pyEngine.Clause,
                pyEngine.Literal,
                pyEngine.assert_,
            )
            preds: dict[int, Any] = {}
            for row in rows:
                arity = len(row)
                pred = preds.get(arity)
                if pred is None:
                    pred = preds[arity] = self._pred(name, arity)
                assert_(clause(literal(pred, [const(v) for v in row]), []))
                count += 1
        return count

    def query(self, name: str, args: Sequence[Value | None]) -> list[tuple[Any, ...]]:
        """All tuples of `name` matching `args`, where None is an unbound position.

        Returns full tuples (bound positions included), in no particular order.
        """
        with self._active():
            pred = self._pred(name, len(args))
            terms = [
                pyEngine.Var(f"V{i}") if a is None else pyEngine.Const(a)
                for i, a in enumerate(args)
            ]
            answer = pyEngine.Literal(pred, terms).ask()
        if answer is True:
            return [tuple(args)]
        return list(answer or ())
