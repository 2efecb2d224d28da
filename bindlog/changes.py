"""Change sets: small edits to a snapshot, shared by what-if, watch and the library.

An entity is named by its identity (`Key`), never by its position: a WEC, a Namespace and a
BindingPolicy by name, a workload object by group, resource, namespace and name (its version is
not part of its identity; KubeStellar identifies objects the same way). `apply_to_snapshot` is the
plain meaning of a change set: the snapshot that results. The live model applies the same change
sets incrementally and is tested against this function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bindlog.errors import BindlogError
from bindlog.model import (
    BindingPolicy,
    Cluster,
    Namespace,
    Snapshot,
    WorkloadObject,
)

KeyKind = Literal["wec", "namespace", "bindingpolicy", "object"]

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True, order=True)
class Key:
    """The identity of one entity of a snapshot.

    For `object`: (group, resource, namespace, name) with namespace "" when cluster-scoped; the
    other kinds use only `name`.
    """

    kind: KeyKind
    name: str
    group: str = ""
    resource: str = ""
    namespace: str = ""

    def __str__(self) -> str:
        if self.kind != "object":
            return f"{self.kind}/{self.name}"
        gr = f"{self.resource}.{self.group}" if self.group else self.resource
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{gr}/{where}{self.name}"


Entity = Cluster | Namespace | WorkloadObject | BindingPolicy


def key_of(entity: Entity) -> Key:
    """The identity of an entity."""
    if isinstance(entity, Cluster):
        return Key("wec", entity.name)
    if isinstance(entity, Namespace):
        return Key("namespace", entity.name)
    if isinstance(entity, BindingPolicy):
        return Key("bindingpolicy", entity.name)
    r = entity.ref
    return Key("object", r.name, r.group, r.resource, r.namespace)


def namespace_object_key(name: str) -> Key:
    """The workload-object identity of the Namespace object `name` (a Namespace is both)."""
    return Key("object", name, "", "namespaces", "")


@dataclass(frozen=True, slots=True)
class SetLabels:
    """Set and remove labels of a WEC, a Namespace or a workload object."""

    target: Key
    set: tuple[tuple[str, str], ...] = ()
    unset: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Put:
    """Add an entity, or replace the one with the same identity."""

    entity: Entity


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove the entity with this identity."""

    target: Key


Change = SetLabels | Put | Delete


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Changes applied together, in order."""

    changes: tuple[Change, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)


class ChangeError(BindlogError):
    """A change names an entity that does not exist, or cannot apply to it."""


def _relabel(labels: tuple[tuple[str, str], ...], change: SetLabels) -> tuple[tuple[str, str], ...]:
    out = dict(labels)
    for key in change.unset:
        out.pop(key, None)
    out.update(change.set)
    return tuple(sorted(out.items()))


Lookup = Callable[[Key], "Entity | None"]


class _Overlay:
    """Changes over a base that is never copied: the entities touched, by identity, with their
    new value (None: deleted)."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self.changed: dict[Key, Entity | None] = {}

    def get(self, key: Key) -> Entity | None:
        if key in self.changed:
            return self.changed[key]
        return self._lookup(key)

    def put(self, entity: Entity) -> None:
        self.changed[key_of(entity)] = entity

    def delete(self, key: Key) -> None:
        self.changed[key] = None


def _apply_one(ed: _Overlay, change: Change) -> None:
    if isinstance(change, Put):
        entity = change.entity
        ed.put(entity)
        # A Namespace is both a workload object and the holder of namespace labels: keep the
        # two views equal, as the adapters build them.
        ref = getattr(entity, "ref", None)
        if (
            isinstance(entity, WorkloadObject)
            and ref is not None
            and ref.group == ""
            and (ref.resource == "namespaces")
        ):
            ed.put(Namespace(ref.name, entity.labels, entity.source))
        return
    target = change.target
    existing = ed.get(target)
    if existing is None:
        raise ChangeError(f"{target} does not exist in the input")
    if isinstance(change, Delete):
        ed.delete(target)
        if target.kind == "namespace":
            ns_obj = namespace_object_key(target.name)
            if ed.get(ns_obj) is not None:
                ed.delete(ns_obj)
        elif target == namespace_object_key(target.name) and ed.get(Key("namespace", target.name)):
            ed.delete(Key("namespace", target.name))
        return
    if isinstance(existing, BindingPolicy):
        raise ChangeError(f"{target}: labels of a BindingPolicy do not take part in resolution")
    if target.kind == "namespace" or target == namespace_object_key(target.name):
        for key in (Key("namespace", target.name), namespace_object_key(target.name)):
            found = ed.get(key)
            if found is not None:
                assert not isinstance(found, BindingPolicy)
                # The API server keeps this label equal to the name whatever a change says.
                labels = dict(_relabel(found.labels, change))
                labels[NAMESPACE_NAME_LABEL] = target.name
                ed.put(replace(found, labels=tuple(sorted(labels.items()))))
        return
    ed.put(replace(existing, labels=_relabel(existing.labels, change)))


def resolve_changes(
    changes: ChangeSet | Iterable[Change], lookup: Lookup
) -> dict[Key, Entity | None]:
    """The net effect of `changes` on a base seen through `lookup`: each touched identity with
    its final entity, or None when it ends deleted. Raises ChangeError on a missing target."""
    items: Sequence[Change] = changes.changes if isinstance(changes, ChangeSet) else tuple(changes)
    ed = _Overlay(lookup)
    for change in items:
        _apply_one(ed, change)
    return ed.changed


def _tables(snapshot: Snapshot) -> dict[KeyKind, dict[Key, Entity]]:
    return {
        "wec": {key_of(c): c for c in snapshot.clusters},
        "namespace": {key_of(n): n for n in snapshot.namespaces},
        "object": {key_of(o): o for o in snapshot.objects},
        "bindingpolicy": {key_of(p): p for p in snapshot.policies},
    }


# The Snapshot field holding each kind of entity.
_FIELD: dict[KeyKind, str] = {
    "wec": "clusters",
    "namespace": "namespaces",
    "object": "objects",
    "bindingpolicy": "policies",
}


class SnapshotIndex:
    """The position of each entity of one snapshot by identity, built per kind on first use
    and kept with the snapshot: overlays on it then cost what they change (plus a copy, in C,
    of the tuples of the kinds they touch), not a walk of every entity."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._positions: dict[KeyKind, dict[Key, int]] = {}

    def positions(self, kind: KeyKind) -> dict[Key, int]:
        found = self._positions.get(kind)
        if found is None:
            items: tuple[Entity, ...] = getattr(self.snapshot, _FIELD[kind])
            found = self._positions[kind] = {key_of(e): i for i, e in enumerate(items)}
        return found


def overlay(index: SnapshotIndex, changed: Mapping[Key, Entity | None]) -> Snapshot:
    """`index.snapshot` with the entities of `changed` replaced in place, added (at the end)
    or removed; the tuples of kinds no change touches are the base's own (shared)."""
    by_kind: dict[KeyKind, list[tuple[Key, Entity | None]]] = {}
    for key, entity in changed.items():
        by_kind.setdefault(key.kind, []).append((key, entity))
    base = index.snapshot
    fields: dict[str, tuple[Entity, ...]] = {}
    for kind, edits in by_kind.items():
        positions = index.positions(kind)
        items: list[Entity | None] = list(getattr(base, _FIELD[kind]))
        added: list[Entity] = []
        removed = False
        for key, entity in edits:
            i = positions.get(key)
            if i is not None:
                items[i] = entity
                removed = removed or entity is None
            elif entity is not None:
                added.append(entity)
        kept = [e for e in items if e is not None] if removed else items
        fields[_FIELD[kind]] = (*kept, *added)
    return replace(base, **fields)  # type: ignore[arg-type]


def apply_overlay(snapshot: Snapshot, changed: Mapping[Key, Entity | None]) -> Snapshot:
    """`snapshot` with the entities of `changed` replaced, added (at the end) or removed."""
    return overlay(SnapshotIndex(snapshot), changed)


def apply_to_snapshot(snapshot: Snapshot, changes: ChangeSet | Iterable[Change]) -> Snapshot:
    """The snapshot after `changes`, applied in order; raises ChangeError on a missing target."""
    tables = _tables(snapshot)

    def lookup(key: Key) -> Entity | None:
        return tables[key.kind].get(key)

    return apply_overlay(snapshot, resolve_changes(changes, lookup))


__all__ = [
    "NAMESPACE_NAME_LABEL",
    "Change",
    "ChangeError",
    "ChangeSet",
    "Delete",
    "Entity",
    "Key",
    "Put",
    "SetLabels",
    "SnapshotIndex",
    "apply_overlay",
    "apply_to_snapshot",
    "key_of",
    "namespace_object_key",
    "overlay",
    "resolve_changes",
]
