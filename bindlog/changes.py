"""Change sets: small edits to a snapshot, shared by what-if, watch and the library.

An entity is named by its identity (`Key`), never by its position: a WEC, a Namespace and a
BindingPolicy by name, a workload object by group, resource, namespace and name (its version is
not part of its identity; KubeStellar identifies objects the same way). `apply_to_snapshot` is the
plain meaning of a change set: the snapshot that results. The live model applies the same change
sets incrementally and is tested against this function.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


class _Editable:
    """A snapshot as ordered dicts keyed by identity, so edits keep every other entity's place."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.tables: dict[KeyKind, dict[Key, Entity]] = {
            "wec": {key_of(c): c for c in snapshot.clusters},
            "namespace": {key_of(n): n for n in snapshot.namespaces},
            "object": {key_of(o): o for o in snapshot.objects},
            "bindingpolicy": {key_of(p): p for p in snapshot.policies},
        }

    def get(self, key: Key) -> Entity | None:
        return self.tables[key.kind].get(key)

    def put(self, entity: Entity) -> None:
        self.tables[key_of(entity).kind][key_of(entity)] = entity

    def delete(self, key: Key) -> None:
        del self.tables[key.kind][key]

    def result(self) -> Snapshot:
        t = self.tables
        return Snapshot(
            clusters=tuple(t["wec"].values()),  # type: ignore[arg-type]
            namespaces=tuple(t["namespace"].values()),  # type: ignore[arg-type]
            objects=tuple(t["object"].values()),  # type: ignore[arg-type]
            policies=tuple(t["bindingpolicy"].values()),  # type: ignore[arg-type]
            bindings=self.snapshot.bindings,
        )


def _apply_one(ed: _Editable, change: Change) -> None:
    if isinstance(change, Put):
        entity = change.entity
        ed.put(entity)
        # A Namespace is both a workload object and the holder of namespace labels: keep the
        # two views equal, as the adapters build them.
        if (
            isinstance(entity, WorkloadObject)
            and entity.ref.group == ""
            and (entity.ref.resource == "namespaces")
        ):
            ed.put(Namespace(entity.ref.name, entity.labels, entity.source))
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
    assert not isinstance(existing, BindingPolicy)
    ed.put(replace(existing, labels=_relabel(existing.labels, change)))


def apply_to_snapshot(snapshot: Snapshot, changes: ChangeSet | Iterable[Change]) -> Snapshot:
    """The snapshot after `changes`, applied in order; raises ChangeError on a missing target."""
    items: Sequence[Change] = changes.changes if isinstance(changes, ChangeSet) else tuple(changes)
    ed = _Editable(snapshot)
    for change in items:
        _apply_one(ed, change)
    return ed.result()


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
    "apply_to_snapshot",
    "key_of",
    "namespace_object_key",
]
