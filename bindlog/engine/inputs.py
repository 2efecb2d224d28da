"""The facts a knowledge base holds, kept in Python as well, indexed by bound positions.

Input facts are data, not derivations: asking pyDatalog for them costs a subgoal per answer
(~15 µs) where a dictionary lookup costs well under one. The planner's cost estimates and the
explainer's provers read input facts here; every derived row still comes from the rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, Protocol

Row = tuple[Any, ...]


class FactSource(Protocol):
    """What provers ask for facts (pyDatalog's Backend answers the same way)."""

    def session(self) -> Any: ...

    def query(self, name: str, args: Sequence[Any | None]) -> list[Row]: ...


class InputRows:
    """Rows per predicate, with an index per set of bound positions built on first use and
    dropped when the predicate's rows change."""

    def __init__(self) -> None:
        self._rows: dict[str, set[Row]] = defaultdict(set)
        self._indexes: dict[tuple[str, tuple[int, ...]], dict[Any, list[Row]]] = {}
        self._indexed: dict[str, list[tuple[int, ...]]] = defaultdict(list)

    @property
    def store(self) -> dict[str, set[Row]]:
        """The rows per predicate, read in place (engine/setwise.py's live facts)."""
        return self._rows

    def add(self, name: str, rows: Iterable[Sequence[Any]]) -> list[Row]:
        """Add `rows`; returns those that were not there."""
        have = self._rows[name]
        if not have:  # the first load of a relation: nothing to compare with
            have.update(map(tuple, rows))
            return list(have)
        new = [r for r in map(tuple, rows) if r not in have]
        have.update(new)
        if new:
            self._drop(name)
        return new

    def remove(self, name: str, rows: Iterable[Sequence[Any]]) -> list[Row]:
        """Remove `rows`; returns those that were there."""
        have = self._rows[name]
        gone = [r for r in map(tuple, rows) if r in have]
        have.difference_update(gone)
        if gone:
            self._drop(name)
        return gone

    def _drop(self, name: str) -> None:
        for pos in self._indexed.pop(name, ()):
            self._indexes.pop((name, pos), None)

    @contextmanager
    def session(self) -> Iterator[None]:
        yield  # nothing to switch: plain Python data

    def query(self, name: str, args: Sequence[Any | None]) -> list[Row]:
        """The rows of `name` matching `args` (None: any value)."""
        pos = tuple(i for i, a in enumerate(args) if a is not None)
        rows = self._rows.get(name, ())
        if not pos:
            return list(rows)
        index = self._indexes.get((name, pos))
        if index is None:
            # Keys: the value itself at one position, a tuple at several (itemgetter's).
            grouped: dict[Any, list[Row]] = defaultdict(list)
            key = itemgetter(*pos)
            for row in rows:
                grouped[key(row)].append(row)
            index = self._indexes[(name, pos)] = dict(grouped)
            self._indexed[name].append(pos)
        wanted = args[pos[0]] if len(pos) == 1 else tuple(args[i] for i in pos)
        return list(index.get(wanted, ()))
