"""Objects of the fake API server: resource versions, managed fields, server-side apply, the
watch event log.

Server-side apply follows the conventions a client can observe: each field manager owns a set of
field paths (maps are merged field by field, lists are atomic, as for most CRD fields); an apply
that changes a field another manager owns fails with 409 naming that manager unless forced, and a
forced apply takes the field over; fields the applier owned before and no longer sets are
removed; an apply that changes nothing keeps the resourceVersion and sends no event.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str, ...]
ObjKey = tuple[str, str, str, str]  # group, resource, namespace, name

_SERVER_FIELDS = frozenset(
    {"uid", "resourceVersion", "managedFields", "creationTimestamp", "generation"}
)


class ApiError(Exception):
    """An error the server answers with a metav1.Status."""

    def __init__(
        self, code: int, reason: str, message: str, causes: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.causes = code, reason, message, causes or []

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.causes:
            body["details"] = {"causes": self.causes}
        return body


def leaf_paths(obj: dict[str, Any], prefix: Path = ()) -> set[Path]:
    """The field paths an object sets: maps are walked, everything else is a leaf."""
    out: set[Path] = set()
    for key, value in obj.items():
        if not prefix and key in ("apiVersion", "kind"):
            continue
        if prefix == ("metadata",) and key in ("name", "namespace", *_SERVER_FIELDS):
            continue
        path = (*prefix, key)
        if isinstance(value, dict) and value:
            out |= leaf_paths(value, path)
        else:
            out.add(path)
    return out


_MISSING = object()


def get_path(obj: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _set_path(obj: dict[str, Any], path: Path, value: Any) -> None:
    for key in path[:-1]:
        nxt = obj.get(key)
        if not isinstance(nxt, dict):
            nxt = obj[key] = {}
        obj = nxt
    obj[path[-1]] = copy.deepcopy(value)


def _del_path(obj: dict[str, Any], path: Path) -> None:
    parents = []
    for key in path[:-1]:
        nxt = obj.get(key)
        if not isinstance(nxt, dict):
            return
        parents.append((obj, key))
        obj = nxt
    obj.pop(path[-1], None)
    for parent, key in reversed(parents):  # drop maps left empty
        if parent[key] == {}:
            del parent[key]


def _related(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def fields_v1(paths: set[Path]) -> dict[str, Any]:
    """Managed fields in the FieldsV1 form (`f:` prefixed keys, `{}` leaves)."""
    out: dict[str, Any] = {}
    for path in sorted(paths):
        node = out
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return out


def dotted(path: Path) -> str:
    return "".join(f".{p}" for p in path)


@dataclass
class Event:
    rv: int
    group: str
    resource: str
    type: str
    obj: dict[str, Any]


@dataclass
class _Owned:
    operation: str
    api_version: str
    paths: set[Path]


@dataclass
class Store:
    """Every object, the global resource version counter and the event log."""

    objects: dict[ObjKey, dict[str, Any]] = field(default_factory=dict)
    owners: dict[ObjKey, dict[str, _Owned]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    rv: int = 100
    floor: int = 0  # events at or below this resourceVersion were compacted away
    lock: threading.Condition = field(default_factory=threading.Condition)
    _uids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- reads ------------------------------------------------------------------------------

    def get(self, key: ObjKey) -> dict[str, Any] | None:
        with self.lock:
            obj = self.objects.get(key)
            return copy.deepcopy(obj) if obj is not None else None

    def list_of(
        self, group: str, resource: str, namespace: str | None, deep: bool = True
    ) -> list[dict[str, Any]]:
        """The objects of a resource in (namespace, name) order; `deep=False` returns the
        stored objects themselves, to be read under the lock only."""
        with self.lock:
            return [
                copy.deepcopy(o) if deep else o
                for k, o in sorted(self.objects.items())
                if k[0] == group and k[1] == resource and (namespace is None or k[2] == namespace)
            ]

    def events_after(self, rv: int, group: str, resource: str) -> list[Event]:
        return [e for e in self.events if e.rv > rv and e.group == group and e.resource == resource]

    def compact(self) -> int:
        """Forget the event history: watches from an older resourceVersion get 410 Gone."""
        with self.lock:
            self.floor = self.rv
            self.events.clear()
            return self.rv

    # --- writes -----------------------------------------------------------------------------

    def _commit(self, key: ObjKey, obj: dict[str, Any] | None, kind: str, dry: bool) -> None:
        if dry:
            return
        self.rv += 1
        if obj is None:
            old = self.objects.pop(key)
            self.owners.pop(key, None)
            old["metadata"]["resourceVersion"] = str(self.rv)
            self.events.append(Event(self.rv, key[0], key[1], "DELETED", copy.deepcopy(old)))
        else:
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.objects[key] = obj
            self.events.append(Event(self.rv, key[0], key[1], kind, copy.deepcopy(obj)))
        self.lock.notify_all()

    def _new_meta(self, obj: dict[str, Any]) -> None:
        meta = obj.setdefault("metadata", {})
        meta["uid"] = str(uuid.UUID(int=next(self._uids)))
        meta["creationTimestamp"] = "2026-01-01T00:00:00Z"
        meta["generation"] = 1

    def _render_owners(self, key: ObjKey, obj: dict[str, Any]) -> None:
        owners = self.owners.get(key, {})
        obj["metadata"]["managedFields"] = [
            {
                "manager": m,
                "operation": o.operation,
                "apiVersion": o.api_version,
                "time": "2026-01-01T00:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": fields_v1(o.paths),
            }
            for m, o in sorted(owners.items())
            if o.paths
        ]

    def create(
        self, key: ObjKey, obj: dict[str, Any], manager: str, dry: bool = False
    ) -> dict[str, Any]:
        with self.lock:
            if key in self.objects:
                raise ApiError(
                    409, "AlreadyExists", f'{key[1]}.{key[0]} "{key[3]}" already exists'.lstrip(".")
                )
            obj = copy.deepcopy(obj)
            self._new_meta(obj)
            if not dry:
                self.owners[key] = {
                    manager: _Owned("Update", obj.get("apiVersion", ""), leaf_paths(obj))
                }
            self._render_owners(key, obj)
            self._commit(key, obj, "ADDED", dry)
            return copy.deepcopy(obj)

    def update(
        self, key: ObjKey, obj: dict[str, Any], manager: str, dry: bool = False
    ) -> dict[str, Any]:
        """A plain update (PUT): the updater takes the fields whose values it changed."""
        with self.lock:
            old = self.objects.get(key)
            if old is None:
                raise ApiError(404, "NotFound", f'{key[1]} "{key[3]}" not found')
            want_rv = obj.get("metadata", {}).get("resourceVersion")
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise ApiError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {key[1]} "{key[3]}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                )
            new = copy.deepcopy(obj)
            for f in _SERVER_FIELDS:
                if f in old["metadata"]:
                    new["metadata"][f] = old["metadata"][f]
            changed = {p for p in leaf_paths(new) if get_path(old, p) != get_path(new, p)} | {
                p for p in leaf_paths(old) if get_path(new, p) is _MISSING
            }
            if not dry:
                owners = self.owners.setdefault(key, {})
                for o in owners.values():
                    o.paths = {p for p in o.paths if not any(_related(p, c) for c in changed)}
                mine = owners.setdefault(
                    manager, _Owned("Update", new.get("apiVersion", ""), set())
                )
                mine.paths |= {p for p in changed if get_path(new, p) is not _MISSING}
            self._render_owners(key, new)
            if not changed:
                return copy.deepcopy(old)
            self._commit(key, new, "MODIFIED", dry)
            return copy.deepcopy(new)

    def apply(
        self,
        key: ObjKey,
        config: dict[str, Any],
        manager: str,
        force: bool,
        dry: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Server-side apply; returns the object and whether it was created."""
        with self.lock:
            old = self.objects.get(key)
            api_version = str(config.get("apiVersion", ""))
            new_paths = leaf_paths(config)
            owners = copy.deepcopy(self.owners.get(key, {}))
            conflicts: list[tuple[str, _Owned, Path]] = []
            for name, owned in sorted(owners.items()):
                if name == manager:
                    continue
                for theirs in sorted(owned.paths):
                    for p in new_paths:
                        if _related(p, theirs):
                            short = p if len(p) <= len(theirs) else theirs
                            if old is not None and get_path(old, short) != get_path(config, short):
                                conflicts.append((name, owned, theirs))
                                break
            if conflicts and not force:
                causes = [
                    {
                        "type": "FieldManagerConflict",
                        "message": f'conflict with "{n}" using {o.api_version}',
                        "field": dotted(p),
                    }
                    for n, o, p in conflicts
                ]
                if len(causes) == 1:
                    text = f"{causes[0]['message']}: {causes[0]['field']}"
                else:  # as the API server words it: fields grouped by manager, one per line
                    by_manager: dict[str, list[str]] = {}
                    for c in causes:
                        by_manager.setdefault(c["message"], []).append(c["field"])
                    text = "\n".join(
                        m.replace("conflict with", "conflicts with", 1)
                        + ":\n"
                        + "\n".join(f"- {f}" for f in fields)
                        for m, fields in by_manager.items()
                    )
                n = len(causes)
                raise ApiError(
                    409,
                    "Conflict",
                    f"Apply failed with {n} conflict{'s' * (n > 1)}: {text}",
                    causes,
                )
            for name, _owned, p in conflicts:  # forced: the applier takes these fields
                owners[name].paths.discard(p)
            new = copy.deepcopy(old) if old is not None else {}
            before = owners.get(manager)
            if before is not None:
                others = set().union(*(o.paths for n, o in owners.items() if n != manager))
                for p in before.paths - new_paths:
                    if not any(_related(p, q) for q in others):
                        _del_path(new, p)
            for p in new_paths:
                _set_path(new, p, get_path(config, p))
            new["apiVersion"] = api_version
            new["kind"] = config.get("kind", "")
            meta = new.setdefault("metadata", {})
            meta["name"] = key[3]
            if key[2]:
                meta["namespace"] = key[2]
            owners[manager] = _Owned("Apply", api_version, new_paths)
            if old is None:
                self._new_meta(new)
            unchanged = (
                old is not None
                and _strip(old) == _strip(new)
                and {n: o.paths for n, o in self.owners.get(key, {}).items() if o.paths}
                == {n: o.paths for n, o in owners.items() if o.paths}
            )
            if unchanged:
                assert old is not None
                return copy.deepcopy(old), False
            if not dry:
                self.owners[key] = owners
                self._render_owners(key, new)
            else:
                saved = self.owners.get(key)
                self.owners[key] = owners
                self._render_owners(key, new)
                if saved is None:
                    del self.owners[key]
                else:
                    self.owners[key] = saved
            self._commit(key, new, "ADDED" if old is None else "MODIFIED", dry)
            return copy.deepcopy(new), old is None

    def delete(self, key: ObjKey, dry: bool = False) -> dict[str, Any]:
        with self.lock:
            old = self.objects.get(key)
            if old is None:
                raise ApiError(404, "NotFound", f'{key[1]} "{key[3]}" not found')
            self._commit(key, None, "DELETED", dry)
            return copy.deepcopy(old)


def _strip(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    for f in ("managedFields", "resourceVersion"):
        out.get("metadata", {}).pop(f, None)
    return out
