"""Bound questions on a loaded snapshot, without deriving everything first.

`bindlog why` asks about one object, one WEC or one policy. A `BoundModel` holds the knowledge
base with the snapshot's facts and answers each question through access paths compiled for the
bound argument (engine/planner.py), deriving only the rows the question needs: the policies
that select one object, the destinations and objects of one policy. Nothing is kept as facts
(no kept forms), so every answer comes from the rules and the input facts alone.

It offers the part of `Result`'s interface the explainer reads; answers are memoised per
question (the knowledge base does not change under it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bindlog.engine.evaluate import PolicyResolution, cluster_selector_indices, modulation
from bindlog.engine.facts import Encoding, encode
from bindlog.engine.inputs import InputRows
from bindlog.engine.interface import OUTPUTS, SELECTED
from bindlog.engine.kb import KnowledgeBase
from bindlog.engine.program import Program
from bindlog.engine.pydatalog_backend import Backend, Value
from bindlog.engines import default_engine
from bindlog.gcpause import no_gc
from bindlog.model import Snapshot


class BoundModel:
    """A snapshot's knowledge base, asked bound questions only."""

    def __init__(
        self, snapshot: Snapshot, program: Program | None = None, engine: str | None = None
    ) -> None:
        from bindlog.engine.incremental import checked_program

        self.snapshot = snapshot
        with no_gc():
            self._enc, facts = encode(snapshot)
            self._kb = KnowledgeBase(
                program or checked_program(), materialize=False, engine=engine or default_engine()
            )
            self._kb.assert_facts(facts)
            # Every output's rules are loaded (not run), so that pyDatalog knows each input
            # predicate the explainer may ask directly, even one without facts.
            for out in OUTPUTS:
                self._kb.ensure_compiled(out.name, (None,) * len(out.args))
        self.ids: tuple[int, ...] = tuple(self._enc.policy_ids[p.name] for p in snapshot.policies)
        self._resolutions: dict[int, PolicyResolution] = {}

    # --- what the explainer reads -----------------------------------------------------------

    @property
    def kb(self) -> KnowledgeBase:
        return self._kb

    @property
    def encoding(self) -> Encoding:
        return self._enc

    @property
    def inputs(self) -> InputRows:
        return self._kb.inputs

    @property
    def backend(self) -> Backend:
        return self._kb.backend

    def query(
        self, predicate: str, args: tuple[Value | None, ...], keys: Iterable[int] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of `predicate` matching `args`, through the access path for that pattern. When
        the path reaches a planned rule, plans are chosen first for the clauses `keys` (those
        the bound arguments reach), or else for every clause."""
        kb = self._kb
        with no_gc(), kb.session():
            if kb.reaches_plans(predicate, args):
                kb.choose_plans(self._enc.clause_ids if keys is None else keys)
            return kb.query(predicate, args)

    def resolution(self, p: int) -> PolicyResolution:
        res = self._resolutions.get(p)
        if res is None:
            enc = self._enc
            mods: dict[int, dict[str, set[str]]] = {}
            clauses = self._enc.policy_clauses.get(p, ())
            for _, o, k, v in self.query("policy_object", (p, None, None, None), clauses):
                mods.setdefault(int(o), {}).setdefault(k, set()).add(v)
            res = self._resolutions[p] = PolicyResolution(
                policy=enc.policies[p],
                destinations=frozenset(
                    enc.wecs[int(c)].name for _, c in self.query("selects_wec", (p, None))
                ),
                objects={enc.objects[o]: modulation(m) for o, m in mods.items()},
                invalid=bool(self.query("policy_invalid", (p,), clauses)),
                has_binding=bool(self.query("has_binding", (p,), clauses)),
            )
        return res

    def items(self) -> Iterator[tuple[int, PolicyResolution]]:
        """Every policy's resolution: derives them all (a question about all policies)."""
        for p in self.ids:
            yield p, self.resolution(p)

    def policies_selecting_object(self, o: int) -> list[int]:
        """The policies whose resolution includes object o, in policy order."""
        # Asked with only the object bound: with the modulation bound too, the access path
        # would start from every clause that selects anything.
        rows = self.query("policy_object", (None, o, None, None))
        found = {int(p) for p, _, k, _ in rows if k == SELECTED}
        return [p for p in self.ids if p in found]

    def policies_selecting_wec(self, c: int) -> list[int]:
        """The policies that select WEC c, in policy order."""
        found = {int(p) for p, _ in self.query("selects_wec", (None, c))}
        return [p for p in self.ids if p in found]

    def matching_cluster_selectors(self, p: int) -> dict[str, tuple[int, ...]]:
        """WEC name -> indices of policy p's clusterSelectors that select it (selects_wec_via)."""
        return cluster_selector_indices(
            self._enc, p, self.query("selects_wec_via", (p, None, None))
        )
