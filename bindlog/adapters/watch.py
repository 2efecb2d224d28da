"""Watch a WDS and its ITS: API watch events -> change sets -> the live model -> changed Bindings.

One thread per watched resource (BindingPolicies, ManagedClusters, Namespaces and every
workload resource) follows the API's watch protocol: it starts from the list's
resourceVersion, reconnects from the last one it saw (events and BOOKMARKs both advance it),
and on 410 Gone lists the resource afresh and hands the whole list over, so the consumer
replaces what it knew of that resource. Events become entities through the same
`build_snapshot` as files, so a watched object is exactly what a listed one would be; an object
that does not validate (an invalid BindingPolicy) is reported and dropped from the model, and
the others go on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bindlog.adapters.live import (
    ApiResource,
    ApiStatus,
    KubeApi,
    LiveError,
    LiveState,
    list_objects,
)
from bindlog.adapters.manifests import LoadOptions, build_snapshot
from bindlog.adapters.yaml_files import Document
from bindlog.changes import Change, ChangeSet, Delete, Entity, Key, Put, key_of
from bindlog.engine.incremental import Model
from bindlog.errors import InputError
from bindlog.export.bindings import bindings as export_bindings
from bindlog.model import Snapshot, Source

WATCH_SECONDS = 290  # server-side timeout of one watch request; then it reconnects
BACKOFF_MAX = 30.0


@dataclass(frozen=True, slots=True)
class Event:
    resource: ApiResource
    type: str  # ADDED, MODIFIED, DELETED
    obj: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Relisted:
    """The whole current list of a resource, after the server forgot our resourceVersion."""

    resource: ApiResource
    items: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Trouble:
    resource: ApiResource
    message: str


Item = Event | Relisted | Trouble


class _Gone(Exception):
    pass


@dataclass
class Watcher:
    """Follows one resource of one API server, feeding `out` until `stop` is set."""

    api: KubeApi
    resource: ApiResource
    resource_version: str
    out: queue.Queue[Item]
    stop: threading.Event
    watch_seconds: int = WATCH_SECONDS

    def run(self) -> None:
        backoff, gone = 0.5, False
        while not self.stop.is_set():
            try:
                if gone:
                    self._relist()
                    gone = False
                self._follow()
                backoff = 0.5
            except _Gone:
                gone = True
            except LiveError as e:  # ApiStatus included: a failed relist is retried too
                if isinstance(e, ApiStatus) and e.code == 410:
                    gone = True
                    continue
                self.out.put(Trouble(self.resource, str(e)))
                self.stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    def _follow(self) -> None:
        query = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(self.watch_seconds)),
        ]
        if self.resource_version:
            query.append(("resourceVersion", self.resource_version))
        for event in self.api.stream(self.resource.path(), query, self.watch_seconds + 30):
            if self.stop.is_set():
                return
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    raise _Gone
                raise LiveError(
                    f'context "{self.api.context}": watch {self.resource}: '
                    f"{obj.get('code')} {obj.get('reason')}: {obj.get('message')}"
                )
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if rv:
                self.resource_version = str(rv)
            if kind in ("ADDED", "MODIFIED", "DELETED"):
                obj.setdefault("apiVersion", self.resource.api_version)
                obj.setdefault("kind", self.resource.kind)
                self.out.put(Event(self.resource, str(kind), obj))

    def _relist(self) -> None:
        items, rv = list_objects(self.api, self.resource)
        self.resource_version = rv
        self.out.put(Relisted(self.resource, items))


@dataclass(frozen=True, slots=True)
class BindingChange:
    type: str  # ADDED, MODIFIED, DELETED
    name: str
    binding: dict[str, Any] | None  # None when DELETED


class LiveModel:
    """The model of a watched WDS: applies watch items, tells which Bindings changed."""

    def __init__(self, state: LiveState, err: Any) -> None:
        self.state = state
        self.options: LoadOptions = state.options
        self.err = err
        self.model = Model(state.loaded.snapshot)
        self.keys: set[Key] = _keys(state.loaded.snapshot)
        self.bindings = {str(b["metadata"]["name"]): b for b in export_bindings(self.model.result)}

    def _key(self, res: ApiResource, obj: dict[str, Any]) -> Key:
        meta = obj.get("metadata") or {}
        name = str(meta.get("name", ""))
        if res.group_resource == self.state.cluster_resource.group_resource:
            return Key("wec", name)
        if res.group_resource == self.state.policy_resource.group_resource:
            return Key("bindingpolicy", name)
        ns = str(meta.get("namespace") or "") if res.namespaced else ""
        return Key("object", name, res.group, res.resource, ns)

    def _entities(self, res: ApiResource, obj: dict[str, Any]) -> list[Change] | None:
        """Put changes for one object, [] when it contributes nothing (a policy being
        deleted), None when it is invalid (reported)."""
        source = Source(f"cluster:{self.state.wds.context}/{res}", 0)
        try:
            snapshot, _ = build_snapshot([Document(source, obj)], self.options)
        except InputError as e:
            print(e.render(), file=self.err)
            return None
        entities: list[Entity] = [*snapshot.clusters, *snapshot.objects, *snapshot.policies]
        return [Put(e) for e in entities]

    def changes_for(self, items: Iterable[Item]) -> list[Change]:
        changes: list[Change] = []
        for item in items:
            if isinstance(item, Trouble):
                print(f"bindlog: {item.message}; retrying", file=self.err)
                continue
            if isinstance(item, Relisted):
                listed = set()
                for obj in item.items:
                    key = self._key(item.resource, obj)
                    listed.add(key)
                    changes.extend(self._upsert(item.resource, obj, key))
                for key in sorted(self._keys_of(item.resource) - listed):
                    changes.extend(self._delete(key))
                continue
            key = self._key(item.resource, item.obj)
            if item.type == "DELETED":
                changes.extend(self._delete(key))
            else:
                changes.extend(self._upsert(item.resource, item.obj, key))
        return changes

    def _upsert(self, res: ApiResource, obj: dict[str, Any], key: Key) -> list[Change]:
        puts = self._entities(res, obj)
        if not puts:  # invalid or withdrawn: whatever the model had under this name goes
            if puts is None and key.kind == "bindingpolicy":
                print(f"bindlog: {key} left out until it is valid again", file=self.err)
            return self._delete(key)
        for put in puts:
            assert isinstance(put, Put)
            self.keys.add(key_of(put.entity))
        if key.kind == "object" and key.group == "" and key.resource == "namespaces":
            self.keys.add(Key("namespace", key.name))  # a Namespace is both (see changes.Put)
        return puts

    def _delete(self, key: Key) -> list[Change]:
        if key not in self.keys:
            return []
        self.keys.discard(key)
        if key.kind == "object" and key.group == "" and key.resource == "namespaces":
            self.keys.discard(Key("namespace", key.name))
        return [Delete(key)]

    def _keys_of(self, res: ApiResource) -> set[Key]:
        if res.group_resource == self.state.cluster_resource.group_resource:
            return {k for k in self.keys if k.kind == "wec"}
        if res.group_resource == self.state.policy_resource.group_resource:
            return {k for k in self.keys if k.kind == "bindingpolicy"}
        return {
            k
            for k in self.keys
            if k.kind == "object" and (k.group, k.resource) == res.group_resource
        }

    def apply(self, items: Iterable[Item]) -> list[BindingChange]:
        """Apply watch items to the model; the Bindings that changed, by name."""
        changes = self.changes_for(items)
        if not changes:
            return []
        result = self.model.apply(ChangeSet(tuple(changes)))
        new = {str(b["metadata"]["name"]): b for b in export_bindings(result)}
        out: list[BindingChange] = []
        for name in sorted(new.keys() | self.bindings.keys()):
            before, after = self.bindings.get(name), new.get(name)
            if before == after:
                continue
            kind = "ADDED" if before is None else "DELETED" if after is None else "MODIFIED"
            out.append(BindingChange(kind, name, after))
        self.bindings = new
        return out


def _keys(snapshot: Snapshot) -> set[Key]:
    entities: list[Entity] = [
        *snapshot.clusters,
        *snapshot.namespaces,
        *snapshot.objects,
        *snapshot.policies,
    ]
    return {key_of(e) for e in entities}


def start_watchers(
    state: LiveState, stop: threading.Event, watch_seconds: int = WATCH_SECONDS
) -> tuple[queue.Queue[Item], list[threading.Thread]]:
    """A daemon thread per watched resource, each from its list's resourceVersion."""
    out: queue.Queue[Item] = queue.Queue()
    plan = [(state.its, state.cluster_resource), (state.wds, state.policy_resource)]
    plan += [(state.wds, r) for r in state.resources]
    threads = []
    for api, res in plan:
        rv = state.list_versions.get(res.group_resource, "")
        watcher = Watcher(api, res, rv, out, stop, watch_seconds)
        thread = threading.Thread(target=watcher.run, name=f"watch-{res}", daemon=True)
        thread.start()
        threads.append(thread)
    return out, threads


def drain(items: queue.Queue[Item], wait: float, most: int = 10_000) -> list[Item]:
    """The next items: blocks up to `wait` seconds for one, then takes what is queued."""
    try:
        first = items.get(timeout=wait)
    except queue.Empty:
        return []
    out = [first]
    while len(out) < most:
        try:
            out.append(items.get_nowait())
        except queue.Empty:
            break
    return out


__all__ = [
    "BindingChange",
    "Event",
    "LiveModel",
    "Relisted",
    "Trouble",
    "Watcher",
    "drain",
    "start_watchers",
]
