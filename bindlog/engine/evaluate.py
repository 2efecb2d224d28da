"""The derived relations of a model as a plain value: per policy its WECs and objects.

`Result` is what export, status and the graph read; it is built from the rows of binding.dl's
output predicates (engine/interface.py) and holds no engine state of its own, except a handle
that lets explanations ask further bound questions while the model still holds this state.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from bindlog.engine.interface import MODULATIONS, SELECTED, ModulationKind
from bindlog.errors import RuleError
from bindlog.model import BindingPolicy, Modulation, ObjectRef, Snapshot, WorkloadObject

if TYPE_CHECKING:
    from bindlog.engine.facts import Encoding
    from bindlog.engine.inputs import InputRows
    from bindlog.engine.kb import KnowledgeBase
    from bindlog.engine.pydatalog_backend import Backend

RULES_FILE = "binding.dl"

# Binding field -> Modulation attribute, for every modulation the interface declares.
_ATTRIBUTE = {
    "createOnly": "create_only",
    "statusCollectors": "status_collectors",
    "wantSingletonReportedState": "want_singleton_reported_state",
    "wantMultiWECReportedState": "want_multi_wec_reported_state",
}


@cache
def rules_text() -> str:
    """The rule program, read from package data."""
    return resources.files("bindlog.rules").joinpath(RULES_FILE).read_text(encoding="utf-8")


def modulation(rows: Mapping[str, set[str]]) -> Modulation:
    """A Modulation from policy_object's (K, V) rows for one (policy, object)."""
    fields: dict[str, object] = {}
    for kind, values in rows.items():
        if kind == SELECTED:
            continue
        declared = MODULATIONS.get(kind)
        attribute = _ATTRIBUTE.get(kind)
        if declared is None or attribute is None:
            raise RuleError(f"policy_object derives modulation {kind!r}, which a Binding lacks")
        fields[attribute] = frozenset(values) if declared is ModulationKind.LIST else True
    return Modulation(**fields)  # type: ignore[arg-type]


class PolicyResolution:
    """What one BindingPolicy selects: the factorised form of its part of `binds`.

    Immutable. A resolution that follows another by a few WECs (`moved`) builds its set of
    destinations when first read: a what-if that moves one WEC in or out of 50 policies of
    500 WECs each would otherwise copy 25,000 names that the caller may never look at.
    """

    __slots__ = (
        "_added",
        "_base",
        "_destinations",
        "_removed",
        "has_binding",
        "invalid",
        "objects",
        "policy",
    )

    policy: BindingPolicy
    objects: Mapping[WorkloadObject, Modulation]
    invalid: bool  # a clusterSelectors entry is invalid, so no destinations
    has_binding: bool  # KubeStellar writes a Binding for it (has_binding/1)
    # Either the destinations, or (until read) the set they follow and the delta on it.
    _destinations: frozenset[str] | None
    _base: frozenset[str] | None
    _added: frozenset[str]
    _removed: frozenset[str]

    def __init__(
        self,
        policy: BindingPolicy,
        destinations: frozenset[str],
        objects: Mapping[WorkloadObject, Modulation],
        invalid: bool = False,
        has_binding: bool = True,
    ) -> None:
        setter = object.__setattr__
        setter(self, "policy", policy)
        setter(self, "objects", objects)
        setter(self, "invalid", invalid)
        setter(self, "has_binding", has_binding)
        setter(self, "_destinations", destinations)
        setter(self, "_base", None)
        setter(self, "_added", frozenset())
        setter(self, "_removed", frozenset())

    @classmethod
    def moved(
        cls,
        previous: PolicyResolution,
        added: Iterable[str],
        removed: Iterable[str],
        objects: Mapping[WorkloadObject, Modulation],
        invalid: bool,
        has_binding: bool,
    ) -> PolicyResolution:
        """`previous` with the WEC names `added` and `removed` (disjoint), built when read."""
        plus, minus = frozenset(added), frozenset(removed)
        base = previous._destinations
        if base is None:  # not built yet: one delta on the last built set
            base = previous._base
            plus, minus = (previous._added - minus) | plus, (previous._removed - plus) | minus
        res = cls.__new__(cls)
        setter = object.__setattr__
        for name, value in (
            ("policy", previous.policy),
            ("objects", objects),
            ("invalid", invalid),
            ("has_binding", has_binding),
            ("_destinations", None),
            ("_base", base),
            ("_added", plus),
            ("_removed", minus),
        ):
            setter(res, name, value)
        return res

    @property
    def destinations(self) -> frozenset[str]:
        found = self._destinations
        if found is None:
            base = self._base
            assert base is not None
            found = base - self._removed if self._removed else base
            found = found | self._added if self._added else found
            setter = object.__setattr__
            setter(self, "_destinations", found)
            setter(self, "_base", None)
        return found

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PolicyResolution is immutable: cannot set {name}")

    def _key(self) -> tuple[object, ...]:
        return (self.policy, self.destinations, self.objects, self.invalid, self.has_binding)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PolicyResolution):
            return NotImplemented
        return self is other or self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # holds a dict, as the dataclass it was

    def __repr__(self) -> str:
        return (
            f"PolicyResolution(policy={self.policy!r}, destinations={self.destinations!r}, "
            f"objects={self.objects!r}, invalid={self.invalid!r}, "
            f"has_binding={self.has_binding!r})"
        )


@dataclass(frozen=True, slots=True)
class SingletonProblem:
    """An object whose singleton reported-state request has ≠ 1 qualified WEC (spec §2.8-2.9)."""

    obj: WorkloadObject
    num_wecs: int


class StaleResult(RuntimeError):
    """The model has changed since this result was taken: ask the model for a new one."""


@dataclass(slots=True)
class Result:
    """The derived relations of one state of a model."""

    resolutions: tuple[PolicyResolution, ...]
    ids: tuple[int, ...]  # the policy id of each resolution, for bound questions
    singleton: dict[int, list[SingletonProblem]]  # policy id -> problems (singleton_problem)
    _snapshot: Snapshot | None = field(default=None, repr=False)
    _snapshot_of: object = field(default=None, repr=False)  # callable building the snapshot
    _kb: KnowledgeBase | None = field(default=None, repr=False)
    _encoding: Encoding | None = field(default=None, repr=False)
    _generation: int = field(default=-1, repr=False)

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            assert callable(self._snapshot_of)
            self._snapshot = self._snapshot_of()
        return self._snapshot

    def items(self) -> Iterator[tuple[int, PolicyResolution]]:
        """(policy id, resolution) pairs, in the model's policy order."""
        return zip(self.ids, self.resolutions, strict=True)

    def resolution(self, p: int) -> PolicyResolution:
        return self.resolutions[self.ids.index(p)]

    # --- the live handle, for explanations -------------------------------------------------

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None or self._kb.generation != self._generation:
            raise StaleResult("the model changed since this result was derived")
        return self._kb

    @property
    def encoding(self) -> Encoding:
        self.kb  # noqa: B018 - raises when stale
        assert self._encoding is not None
        return self._encoding

    @property
    def inputs(self) -> InputRows:
        """The facts the knowledge base holds, read in Python (engine/inputs.py)."""
        return self.kb.inputs

    @property
    def backend(self) -> Backend:
        """The pyDatalog knowledge base, holding every fact (asked directly, e.g. by provers)."""
        kb = self.kb
        kb.ready()
        return kb.backend

    @property
    def live(self) -> bool:
        return self._kb is not None and self._kb.generation == self._generation

    def matching_clauses(self) -> dict[tuple[int, WorkloadObject], tuple[int, ...]]:
        """(policy id, object) -> indices of that policy's clauses matching the object, read
        from the rules' clause_matches relation."""
        kb, enc = self.kb, self.encoding
        with kb.session():
            rows = kb.query("clause_matches", (None, None))
        out: dict[tuple[int, WorkloadObject], list[int]] = defaultdict(list)
        for j, o in rows:
            p, _ = enc.clause_ids[int(j)]
            out[(p, enc.objects[int(o)])].extend(enc.clause_indexes[int(j)])
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def matching_cluster_selectors(self, p: int) -> dict[str, tuple[int, ...]]:
        """WEC name -> indices of policy p's clusterSelectors that select it (selects_wec_via)."""
        kb = self.kb
        with kb.session():
            rows = kb.query("selects_wec_via", (p, None, None))
        return cluster_selector_indices(self.encoding, p, rows)

    def policies_selecting_object(self, o: int) -> list[int]:
        """The policies whose resolution includes object o, in policy order."""
        obj = self.encoding.objects[o]
        return [p for p, res in self.items() if obj in res.objects]

    def policies_selecting_wec(self, c: int) -> list[int]:
        """The policies that select WEC c, in policy order."""
        name = self.encoding.wecs[c].name
        return [p for p, res in self.items() if name in res.destinations]

    # --- status ------------------------------------------------------------------------------

    def singleton_problems(self) -> dict[str, list[SingletonProblem]]:
        """Per policy name, the objects in its resolution whose singleton request is unmet."""
        out: dict[str, list[SingletonProblem]] = {}
        for p, res in self.items():
            hits = self.singleton.get(p)
            if hits:
                out[res.policy.name] = hits
        return out

    def status_errors(self) -> dict[str, list[str]]:
        """What KubeStellar writes into each BindingPolicy's status.errors."""
        out: dict[str, list[str]] = {}
        for name, hits in self.singleton_problems().items():
            examples = [
                {"ObjectID": _object_id_json(p.obj), "NumWECs": p.num_wecs}
                for p in sorted(hits, key=lambda h: h.obj.ref)[:4]
            ]
            out[name] = [
                "Singleton reported status return is requested but some objects have the wrong "
                "number of associated WECs, for example: "
                + json.dumps(examples, separators=(",", ":"))
            ]
        return out


def cluster_selector_indices(
    enc: Encoding, p: int, rows: Iterable[tuple[Any, ...]]
) -> dict[str, tuple[int, ...]]:
    """WEC name -> indices of policy p's clusterSelectors, from selects_wec_via(p, S, C) rows."""
    by_selector: dict[int, list[int]] = defaultdict(list)
    for index, sel in enumerate(enc.policies[p].cluster_selectors):
        by_selector[enc.wec_space.selectors.ids[sel]].append(index)
    out: dict[str, list[int]] = defaultdict(list)
    for _, s, c in rows:
        out[enc.wecs[int(c)].name].extend(by_selector[int(s)])
    return {k: tuple(sorted(set(v))) for k, v in out.items()}


def _object_id_json(obj: WorkloadObject) -> dict[str, object]:
    r = obj.ref
    return {
        "GVK": {"Group": r.group, "Version": r.version, "Kind": obj.kind},
        "Resource": r.resource,
        "ObjectName": {"Namespace": r.namespace, "Name": r.name},
    }


def evaluate(snapshot: Snapshot) -> Result:
    """Derive every policy's destinations and selected objects with their merged modulation."""
    from bindlog.engine.incremental import Model

    return Model(snapshot).result


__all__ = [
    "ObjectRef",
    "PolicyResolution",
    "Result",
    "SingletonProblem",
    "StaleResult",
    "evaluate",
    "modulation",
]
