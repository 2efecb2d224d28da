"""The difference between two sets of Bindings: what a change does to what KubeStellar would write.

Only what KubeStellar's controller compares counts (`resolution.matchesBindingSpec`): the set of
destinations and, per object, its version, resourceVersion and modulation. Metadata (uid,
resourceVersion, managedFields, annotations) and status are ignored, so Bindings read from a
cluster compare with computed ones. A Binding whose spec selects nothing counts as absent: the
controller writes none for an empty resolution (and empties a stale one rather than delete it).

An object is identified by (group, resource, namespace, name), as `bindlog.changes.Key` names it:
a version change is a change of that object, not a removal and an addition. Names are listed in
natural order (wec-2 before wec-10). The JSON schema is documented in docs/whatif.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bindlog.engine.evaluate import PolicyResolution
from bindlog.errors import InputError, InputProblem
from bindlog.export.bindings import binding_for
from bindlog.model import Modulation, WorkloadObject

SCHEMA_VERSION = 1

# Per-object fields that KubeStellar compares, with the value an absent field means.
_FIELDS: tuple[tuple[str, Any], ...] = (
    ("version", ""),
    ("resourceVersion", ""),
    ("createOnly", False),
    ("statusCollectors", ()),
    ("wantSingletonReportedState", False),
    ("wantMultiWECReportedState", False),
)
_BOOL_FIELDS = frozenset({"createOnly", "wantSingletonReportedState", "wantMultiWECReportedState"})


@functools.lru_cache(maxsize=1 << 16)
def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting digit runs in numeric order: wec-2 < wec-10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text))


_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class ObjectId:
    """An object's identity in a Binding (its version is a field, not part of the identity)."""

    group: str
    resource: str
    namespace: str
    name: str

    def __str__(self) -> str:
        gr = f"{self.resource}.{self.group}" if self.group else self.resource
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{gr}/{where}{self.name}"

    def sort_key(self) -> tuple[Any, ...]:
        return (
            natural_key(self.group),
            natural_key(self.resource),
            natural_key(self.namespace),
            natural_key(self.name),
        )

    def json(self) -> dict[str, str]:
        out = {"group": self.group, "resource": self.resource}
        if self.namespace:
            out["namespace"] = self.namespace
        out["name"] = self.name
        return out


Fields = tuple[tuple[str, Any], ...]  # (field, value) in _FIELDS order, absent ones defaulted


@dataclass(frozen=True, slots=True)
class Spec:
    """The compared part of one Binding."""

    destinations: frozenset[str]
    objects: dict[ObjectId, Fields]

    @property
    def empty(self) -> bool:
        return not self.destinations and not self.objects


@dataclass(frozen=True, slots=True)
class ObjectChange:
    object: ObjectId
    changes: tuple[tuple[str, Any, Any], ...]  # (field, old, new)


@dataclass(frozen=True, slots=True)
class BindingDiff:
    """How one Binding changes; `change` is created, deleted or changed."""

    name: str
    change: str
    destinations_added: tuple[str, ...] = ()
    destinations_removed: tuple[str, ...] = ()
    objects_added: tuple[tuple[ObjectId, Fields], ...] = ()
    objects_removed: tuple[tuple[ObjectId, Fields], ...] = ()
    objects_changed: tuple[ObjectChange, ...] = ()
    # The compared specs before and after, kept for the (object, WEC) pairs: those are only
    # asked for explanations, and at M a changed Binding holds some 50,000 pairs.
    old: Spec | None = field(default=None, compare=False, repr=False)
    new: Spec | None = field(default=None, compare=False, repr=False)

    @property
    def pairs_added(self) -> tuple[tuple[ObjectId, str], ...]:
        """The (object, WEC) pairs that start being bound through this Binding, in order."""
        return _pairs_gained(self.old, self.new)

    @property
    def pairs_removed(self) -> tuple[tuple[ObjectId, str], ...]:
        """The (object, WEC) pairs that stop being bound through this Binding, in order."""
        return _pairs_gained(self.new, self.old)


def _pairs_gained(a: Spec | None, b: Spec | None) -> tuple[tuple[ObjectId, str], ...]:
    """The pairs of `b` that `a` lacks: b's new objects on all of b's WECs, and b's other
    objects on the WECs a lacks; generated in (object, WEC) order, never as the whole product."""
    if b is None or not b.destinations or not b.objects:
        return ()
    a_objects = a.objects if a is not None else {}
    a_wecs = a.destinations if a is not None else frozenset()
    all_wecs = sorted(b.destinations, key=natural_key)
    new_wecs = [w for w in all_wecs if w not in a_wecs]
    out: list[tuple[ObjectId, str]] = []
    for o in sorted(b.objects, key=ObjectId.sort_key):
        out.extend((o, w) for w in (new_wecs if o in a_objects else all_wecs))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Diff:
    bindings: tuple[BindingDiff, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.bindings)

    def counts(self) -> dict[str, int]:
        b = self.bindings
        return {
            "bindings": len(b),
            "created": sum(d.change == "created" for d in b),
            "deleted": sum(d.change == "deleted" for d in b),
            "wecsAdded": sum(len(d.destinations_added) for d in b),
            "wecsRemoved": sum(len(d.destinations_removed) for d in b),
            "objectsAdded": sum(len(d.objects_added) for d in b),
            "objectsRemoved": sum(len(d.objects_removed) for d in b),
            "objectsChanged": sum(len(d.objects_changed) for d in b),
        }

    def summary(self) -> str:
        """One line, e.g. `3 Bindings change (1 created): +2 WECs, -15 objects`."""
        c = self.counts()
        if not c["bindings"]:
            return "no Binding changes"
        head = f"{_n(c['bindings'], 'Binding')} change" + ("s" if c["bindings"] == 1 else "")
        how = [f"{c[k]} {k}" for k in ("created", "deleted") if c[k]]
        if how:
            head += f" ({', '.join(how)})"
        parts = [
            text
            for count, text in (
                (c["wecsAdded"], f"+{_n(c['wecsAdded'], 'WEC')}"),
                (c["wecsRemoved"], f"-{_n(c['wecsRemoved'], 'WEC')}"),
                (c["objectsAdded"], f"+{_n(c['objectsAdded'], 'object')}"),
                (c["objectsRemoved"], f"-{_n(c['objectsRemoved'], 'object')}"),
                (c["objectsChanged"], f"~{_n(c['objectsChanged'], 'object')}"),
            )
            if count
        ]
        return f"{head}: {', '.join(parts)}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


# --- reading Bindings -----------------------------------------------------------------------


def spec_of(binding: dict[str, Any]) -> tuple[str, Spec]:
    """The name and compared spec of a Binding document; InputError if it is malformed."""
    problems: list[InputProblem] = []
    meta = binding.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        raise InputError([InputProblem(None, "Binding", "metadata.name", "Required value")])
    label = f"Binding/{name}"

    def bad(path: str, detail: str) -> None:
        problems.append(InputProblem(None, label, path, detail))

    spec = _or(binding.get("spec"), {})
    if not isinstance(spec, dict):
        raise InputError([InputProblem(None, label, "spec", "Invalid value: must be a mapping")])
    destinations: set[str] = set()
    raw_dests = _or(spec.get("destinations"), [])
    if not isinstance(raw_dests, list):
        bad("spec.destinations", "Invalid value: must be a list")
        raw_dests = []
    for i, dest in enumerate(raw_dests):
        cid = dest.get("clusterId") if isinstance(dest, dict) else None
        if not isinstance(cid, str) or not cid:
            bad(f"spec.destinations[{i}].clusterId", "Required value")
        else:
            destinations.add(cid)
    objects: dict[ObjectId, Fields] = {}
    workload = _or(spec.get("workload"), {})
    if not isinstance(workload, dict):
        bad("spec.workload", "Invalid value: must be a mapping")
        workload = {}
    for scope in ("clusterScope", "namespaceScope"):
        entries = _or(workload.get(scope), [])
        if not isinstance(entries, list):
            bad(f"spec.workload.{scope}", "Invalid value: must be a list")
            continue
        for i, entry in enumerate(entries):
            parsed = _entry(entry, f"spec.workload.{scope}[{i}]", scope, bad)
            if parsed is not None:
                objects[parsed[0]] = parsed[1]
    if problems:
        raise InputError(problems)
    return name, Spec(frozenset(destinations), objects)


def _or(value: Any, default: Any) -> Any:
    """`value`, or `default` when absent (None): a wrongly typed empty value is still wrong."""
    return default if value is None else value


def _entry(entry: Any, path: str, scope: str, bad: Any) -> tuple[ObjectId, Fields] | None:
    if not isinstance(entry, dict):
        bad(path, "Invalid value: must be a mapping")
        return None
    strings: dict[str, str] = {}
    for key in ("group", "version", "resource", "namespace", "name", "resourceVersion"):
        value = entry.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            bad(f"{path}.{key}", "Invalid value: must be a string")
            return None
        strings[key] = value
    for key in ("resource", "name") + (("namespace",) if scope == "namespaceScope" else ()):
        if not strings[key]:
            bad(f"{path}.{key}", "Required value")
            return None
    values: list[tuple[str, Any]] = []
    for key, default in _FIELDS:
        if key in strings:
            values.append((key, strings[key]))
            continue
        value = entry.get(key, default)
        if value is None:
            value = default
        if key in _BOOL_FIELDS and not isinstance(value, bool):
            bad(f"{path}.{key}", "Invalid value: must be a boolean")
            return None
        if key == "statusCollectors":
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                bad(f"{path}.{key}", "Invalid value: must be a list of strings")
                return None
            value = tuple(sorted(set(value)))
        values.append((key, value))
    ns = strings["namespace"] if scope == "namespaceScope" else ""
    return ObjectId(strings["group"], strings["resource"], ns, strings["name"]), tuple(values)


def specs(bindings: Iterable[dict[str, Any]]) -> dict[str, Spec]:
    """Name -> compared spec, leaving out Bindings that select nothing."""
    problems: list[InputProblem] = []
    out: dict[str, Spec] = {}
    for binding in bindings:
        try:
            name, spec = spec_of(binding)
        except InputError as e:
            problems.extend(e.problems)
            continue
        if name in out:
            problems.append(
                InputProblem(None, f"Binding/{name}", "metadata.name", "Duplicate value")
            )
        if not spec.empty:
            out[name] = spec
    if problems:
        raise InputError(problems)
    return out


# --- reading resolutions --------------------------------------------------------------------


class SpecCache:
    """The compared objects of resolutions, kept by identity: reading them is what a what-if's
    diff would otherwise spend its time on.

    A live model hands out the same objects mapping for a policy until its objects change, so
    a what-if that moves only WECs, or touches other policies, reuses the base's specs; and it
    keeps each WorkloadObject while the object is unchanged, so a policy whose objects did
    change re-reads only the new ones. The cache holds what it read (so the ids it is keyed
    by stay valid) and starts afresh past `size` mappings or `8 * size` objects."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._mappings: dict[int, tuple[object, dict[ObjectId, Fields]]] = {}
        self._entries: dict[int, tuple[WorkloadObject, Modulation, ObjectId, Fields]] = {}
        self._fields: dict[Modulation, tuple[tuple[str, Any], ...]] = {}

    def spec(self, res: PolicyResolution) -> Spec:
        """`spec_of(binding_for(res))`'s spec, without building the Binding."""
        held = self._mappings.get(id(res.objects))
        if held is None or held[0] is not res.objects:
            objects = self._read(res.objects)
            if objects is None:  # two objects share an identity: as the Binding has it
                return spec_of(binding_for(res))[1]
            if len(self._mappings) >= self.size:
                self._mappings.clear()
            held = self._mappings[id(res.objects)] = (res.objects, objects)
        return Spec(res.destinations, held[1])

    def _read(self, mapping: Mapping[WorkloadObject, Modulation]) -> dict[ObjectId, Fields] | None:
        if len(self._entries) >= 8 * self.size:
            self._entries.clear()
        entries = self._entries
        out: dict[ObjectId, Fields] = {}
        for obj, mod in mapping.items():
            entry = entries.get(id(obj))
            if entry is None or entry[0] is not obj or entry[1] != mod:
                entry = entries[id(obj)] = (obj, mod, *self._entry(obj, mod))
            out[entry[2]] = entry[3]
        return out if len(out) == len(mapping) else None

    def _entry(self, obj: WorkloadObject, mod: Modulation) -> tuple[ObjectId, Fields]:
        mods = self._fields.get(mod)
        if mods is None:
            mods = self._fields[mod] = (
                ("createOnly", bool(mod.create_only)),
                ("statusCollectors", tuple(sorted(mod.status_collectors))),
                ("wantSingletonReportedState", bool(mod.want_singleton_reported_state)),
                ("wantMultiWECReportedState", bool(mod.want_multi_wec_reported_state)),
            )
        r = obj.ref
        oid = ObjectId(r.group, r.resource, r.namespace, r.name)
        return oid, (("version", r.version), ("resourceVersion", obj.resource_version), *mods)


# --- comparing ------------------------------------------------------------------------------


def diff_bindings(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> Diff:
    """What changes from the Bindings `old` to the Bindings `new`."""
    return diff_specs(specs(old), specs(new))


def diff_specs(old: dict[str, Spec], new: dict[str, Spec]) -> Diff:
    empty = Spec(frozenset(), {})
    out = []
    for name in sorted(old.keys() | new.keys(), key=natural_key):
        a, b = old.get(name, empty), new.get(name, empty)
        if a == b:
            continue
        change = "created" if name not in old else "deleted" if name not in new else "changed"
        out.append(_binding_diff(name, change, a, b))
    return Diff(tuple(out))


def _binding_diff(name: str, change: str, a: Spec, b: Spec) -> BindingDiff:
    def objs(ids: Iterable[ObjectId], spec: Spec) -> tuple[tuple[ObjectId, Fields], ...]:
        return tuple((o, spec.objects[o]) for o in sorted(ids, key=ObjectId.sort_key))

    added: Iterable[ObjectId] = ()
    removed: Iterable[ObjectId] = ()
    changed = []
    # The same mapping on both sides (a change that moved only WECs): no object differs.
    if a.objects is not b.objects:
        old, new = a.objects, b.objects
        added, removed = new.keys() - old.keys(), old.keys() - new.keys()
        differing = [o for o, f in new.items() if o in old and old[o] != f]
        for o in sorted(differing, key=ObjectId.sort_key):
            fields = tuple(
                (key, before, after)
                for (key, before), (_, after) in zip(old[o], new[o], strict=True)
                if before != after
            )
            changed.append(ObjectChange(o, fields))
    return BindingDiff(
        name,
        change,
        tuple(sorted(b.destinations - a.destinations, key=natural_key)),
        tuple(sorted(a.destinations - b.destinations, key=natural_key)),
        objs(added, b),
        objs(removed, a),
        tuple(changed),
        a,
        b,
    )


# --- rendering ------------------------------------------------------------------------------


def _entry_json(o: ObjectId, fields: Fields) -> dict[str, Any]:
    out: dict[str, Any] = o.json()
    for key, value in fields:
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _value_json(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def binding_diff_json(d: BindingDiff) -> dict[str, Any]:
    return {
        "name": d.name,
        "change": d.change,
        "destinations": {
            "added": list(d.destinations_added),
            "removed": list(d.destinations_removed),
        },
        "objects": {
            "added": [_entry_json(o, f) for o, f in d.objects_added],
            "removed": [_entry_json(o, f) for o, f in d.objects_removed],
            "changed": [
                {
                    **c.object.json(),
                    "fields": {
                        key: {"old": _value_json(old), "new": _value_json(new)}
                        for key, old, new in c.changes
                    },
                }
                for c in d.objects_changed
            ],
        },
    }


def diff_json(diff: Diff) -> dict[str, Any]:
    """The documented JSON form (docs/whatif.md)."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "summary": diff.summary(),
        "changed": diff.changed,
        "counts": diff.counts(),
        "bindings": [binding_diff_json(d) for d in diff.bindings],
    }


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ",".join(value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if value == "" else str(value)


def diff_text(diff: Diff) -> str:
    """The summary line, then per Binding one line per added (+), removed (-), changed (~) item."""
    lines = [diff.summary()]
    for d in diff.bindings:
        lines.append(f"Binding {d.name}" + ("" if d.change == "changed" else f" ({d.change})"))
        lines.extend(f"  + WEC {w}" for w in d.destinations_added)
        lines.extend(f"  - WEC {w}" for w in d.destinations_removed)
        lines.extend(f"  + {o}" for o, _ in d.objects_added)
        lines.extend(f"  - {o}" for o, _ in d.objects_removed)
        for c in d.objects_changed:
            what = ", ".join(f"{k} {_show(a)} -> {_show(b)}" for k, a, b in c.changes)
            lines.append(f"  ~ {c.object}: {what}")
    return "\n".join(lines) + "\n"
