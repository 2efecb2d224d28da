"""Write Bindings into a WDS with server-side apply, as one KEP-3659 ApplySet.

Each Binding is compared with the live one first and applied only when a field bindlog sets
differs, so a re-run that changes nothing writes nothing. Applies run in a bounded thread pool
(the client's connection pool is thread-safe and sized to it); 429 and 5xx answers are retried
with exponential backoff, honouring Retry-After. The set is marked as kubectl marks an ApplySet:
a parent ConfigMap labelled `applyset.kubernetes.io/id` with the tooling and
contains-group-kinds annotations, members labelled `applyset.kubernetes.io/part-of`, so that
`--prune` deletes only Bindings of this set and kubectl sees the same set.

KubeStellar's binding controller writes Bindings with plain updates: where it runs, the
controller owns their fields and an apply without --force-conflicts fails with the conflict
(naming the controller's field manager) instead of silently fighting it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from bindlog.adapters.live import ApiResource, ApiStatus, KubeApi, LiveError, list_objects

DryRun = Literal["none", "client", "server"]
Action = Literal["serverside-applied", "unchanged", "pruned", "failed"]

GROUP_KIND = "Binding.control.kubestellar.io"
PART_OF = "applyset.kubernetes.io/part-of"
APPLYSET_ID = "applyset.kubernetes.io/id"
TOOLING = "applyset.kubernetes.io/tooling"
CONTAINS_GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds"
APPLY_PATCH = "application/apply-patch+yaml"
RETRIED = frozenset({429, 500, 502, 503, 504})
PARENT = ApiResource("", "v1", "configmaps", "ConfigMap", True, frozenset())


def _tooling() -> str:
    from bindlog import __version__

    return f"bindlog/v{__version__}"


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    dry_run: DryRun = "none"
    prune: bool = False
    force_conflicts: bool = False
    field_manager: str = "bindlog"
    concurrency: int = 8
    max_attempts: int = 5
    max_backoff: float = 10.0
    applyset_name: str = "bindlog"
    applyset_namespace: str = "default"


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    action: Action
    reason: str = ""
    written: bool = False  # the WDS holds what this line says (not on any dry run)

    def line(self, dry_run: DryRun) -> str:
        text = f"binding.control.kubestellar.io/{self.name} {self.action}"
        if self.action == "failed":
            return f"{text}: {self.reason}"
        if self.action != "unchanged" and dry_run != "none":
            text += " (server dry run)" if dry_run == "server" else " (dry run)"
        return text


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    prune_skipped: bool = False
    requests: int = 0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "failed"]

    @property
    def written(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.written]

    def summary(self) -> str:
        counts = {
            a: sum(1 for o in self.outcomes if o.action == a)
            for a in ("serverside-applied", "unchanged", "pruned", "failed")
        }
        text = ", ".join(f"{n} {a}" for a, n in counts.items())
        names = ", ".join(o.name for o in self.written) or "none"
        text += f"; written: {names}"
        if self.prune_skipped:
            text += "; prune skipped because some applies failed"
        return text


def applyset_id(name: str, namespace: str, kind: str = "ConfigMap", group: str = "") -> str:
    """KEP-3659's ApplySet id of a parent object, as kubectl computes it."""
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"


def is_subset(want: Any, have: Any) -> bool:
    """Every field of `want` is in `have` with the same value (lists compare whole, as SSA
    treats them atomically in the Binding schema)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(
            k in have and is_subset(v, have[k]) for k, v in want.items()
        )
    return bool(want == have)


class _Writer:
    def __init__(self, api: KubeApi, opts: ApplyOptions, sleep: Callable[[float], None]) -> None:
        self.api, self.opts, self.sleep = api, opts, sleep
        self.requests = 0
        self._lock = threading.Lock()

    def call(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        content_type: str | None = None,
    ) -> Any:
        """One API call, retried on 429/5xx (after Retry-After when given) and on transport
        failures; server-side apply and delete are idempotent, so a retry is safe."""
        for attempt in range(self.opts.max_attempts):
            with self._lock:
                self.requests += 1
            try:
                return self.api.request(method, path, query, body, content_type)
            except ApiStatus as e:
                if e.code not in RETRIED or attempt + 1 == self.opts.max_attempts:
                    raise
                delay = e.retry_after if e.retry_after is not None else 0.2 * 2**attempt
            except LiveError:
                if attempt + 1 == self.opts.max_attempts:
                    raise
                delay = 0.2 * 2**attempt
            self.sleep(min(delay, self.opts.max_backoff))
        raise AssertionError("unreachable")

    def query(self) -> list[tuple[str, str]]:
        q = [("fieldManager", self.opts.field_manager)]
        if self.opts.force_conflicts:
            q.append(("force", "true"))
        if self.opts.dry_run == "server":
            q.append(("dryRun", "All"))
        return q


def _reason(e: LiveError, opts: ApplyOptions) -> str:
    if isinstance(e, ApiStatus):
        text = f"{e.code} {e.reason}: {e.message}" if e.message else f"{e.code} {e.reason}"
        if e.code == 409 and not opts.force_conflicts:
            text += (
                " (another field manager, e.g. KubeStellar's binding controller, owns these"
                " fields; --force-conflicts takes them over)"
            )
        return text
    return str(e)


def _parent(opts: ApplyOptions, set_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": opts.applyset_name,
            "namespace": opts.applyset_namespace,
            "labels": {APPLYSET_ID: set_id},
            "annotations": {TOOLING: _tooling(), CONTAINS_GROUP_KINDS: GROUP_KIND},
        },
    }


def _member(binding: dict[str, Any], set_id: str) -> dict[str, Any]:
    out = copy.deepcopy(binding)
    meta = out.setdefault("metadata", {})
    meta.setdefault("labels", {})[PART_OF] = set_id
    for key in ("resourceVersion", "uid", "managedFields", "creationTimestamp"):
        meta.pop(key, None)
    out.pop("status", None)
    return out


def apply_bindings(
    api: KubeApi,
    binding_resource: ApiResource,
    bindings: Sequence[dict[str, Any]],
    opts: ApplyOptions,
    *,
    compare: bool = True,
    removed: Sequence[str] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Apply every Binding (skipping those whose applied fields already equal the live ones when
    `compare`), then with `opts.prune` delete this ApplySet's Bindings that `bindings` no longer
    has (or, when `compare` is off, those named in `removed`)."""
    writer = _Writer(api, opts, sleep)
    report = Report()
    set_id = applyset_id(opts.applyset_name, opts.applyset_namespace)
    live: dict[str, dict[str, Any]] = {}
    if compare or opts.prune:
        items, _ = list_objects(api, binding_resource)
        writer.requests += 1
        live = {str(o["metadata"]["name"]): o for o in items}
    _write_parent(writer, opts, set_id)
    members = [_member(b, set_id) for b in bindings]

    def one(member: dict[str, Any]) -> Outcome:
        name = str(member["metadata"]["name"])
        if compare and name in live and is_subset(member, live[name]):
            return Outcome(name, "unchanged")
        if opts.dry_run == "client":
            return Outcome(name, "serverside-applied")
        try:
            writer.call(
                "PATCH",
                binding_resource.path(name=name),
                writer.query(),
                member,
                APPLY_PATCH,
            )
        except LiveError as e:
            return Outcome(name, "failed", _reason(e, opts))
        return Outcome(name, "serverside-applied", written=opts.dry_run == "none")

    workers = max(1, min(opts.concurrency, len(members) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bindlog-apply") as pool:
        report.outcomes.extend(pool.map(one, members))
    if opts.prune:
        if report.failed:
            report.prune_skipped = True
        else:
            wanted = {str(m["metadata"]["name"]) for m in members}
            doomed = sorted(
                name
                for name, obj in live.items()
                if (obj["metadata"].get("labels") or {}).get(PART_OF) == set_id
                and name not in wanted
                and (compare or name in removed)
            )
            report.outcomes.extend(_prune(writer, binding_resource, doomed, opts))
    report.requests = writer.requests
    return report


def _write_parent(writer: _Writer, opts: ApplyOptions, set_id: str) -> None:
    """The ApplySet parent goes first (KEP-3659: it must list a superset of the members'
    group-kinds before any member is written); unchanged parents are not rewritten."""
    if opts.dry_run == "client":
        return
    parent = _parent(opts, set_id)
    path = PARENT.path(opts.applyset_namespace, opts.applyset_name)
    try:
        current = writer.call("GET", path)
    except ApiStatus as e:
        if e.code != 404:
            raise
        current = None
    if current is not None and is_subset(parent, current):
        return
    writer.call("PATCH", path, writer.query(), parent, APPLY_PATCH)


def _prune(
    writer: _Writer, res: ApiResource, names: list[str], opts: ApplyOptions
) -> list[Outcome]:
    out = []
    for name in names:
        if opts.dry_run == "client":
            out.append(Outcome(name, "pruned"))
            continue
        query = [("dryRun", "All")] if opts.dry_run == "server" else []
        try:
            writer.call("DELETE", res.path(name=name), query)
        except ApiStatus as e:
            if e.code == 404:  # already gone: what prune wanted
                out.append(Outcome(name, "pruned", written=opts.dry_run == "none"))
                continue
            out.append(Outcome(name, "failed", _reason(e, opts)))
            continue
        except LiveError as e:
            out.append(Outcome(name, "failed", _reason(e, opts)))
            continue
        out.append(Outcome(name, "pruned", written=opts.dry_run == "none"))
    return out


__all__ = [
    "APPLYSET_ID",
    "CONTAINS_GROUP_KINDS",
    "PART_OF",
    "TOOLING",
    "ApplyOptions",
    "Outcome",
    "Report",
    "apply_bindings",
    "applyset_id",
    "is_subset",
]
