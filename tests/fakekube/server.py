"""The fake API server's HTTP side: URL layout, discovery, list/get/create/update/apply/delete,
watch streams and injected faults.

It listens on 127.0.0.1 on an ephemeral port, serves from daemon threads, bounds every loop
(watch streams end at `timeoutSeconds` or `max_watch_seconds`, the server itself after
`lifetime` seconds) and checks a bearer token on every request.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from .store import ApiError, Event, ObjKey, Store

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
MAX_BODY = 16 * 1024 * 1024
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = tuple(_VERBS)
    short_names: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


DEFAULT_RESOURCES = (
    Resource("", "v1", "namespaces", "Namespace", False, short_names=("ns",)),
    Resource("", "v1", "configmaps", "ConfigMap", True, short_names=("cm",)),
    Resource("", "v1", "secrets", "Secret", True),
    Resource("", "v1", "services", "Service", True),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", True),
    Resource("", "v1", "events", "Event", True),
    Resource("", "v1", "nodes", "Node", False),
    Resource("", "v1", "componentstatuses", "ComponentStatus", False, ("get", "list")),
    Resource("apps", "v1", "deployments", "Deployment", True, short_names=("deploy",)),
    Resource("apps", "v1", "deployments/status", "Deployment", True, ("get", "patch")),
    Resource("coordination.k8s.io", "v1", "leases", "Lease", True),
    Resource("control.kubestellar.io", "v1alpha1", "bindingpolicies", "BindingPolicy", False),
    Resource("control.kubestellar.io", "v1alpha1", "bindings", "Binding", False),
    Resource(
        "cluster.open-cluster-management.io", "v1", "managedclusters", "ManagedCluster", False
    ),
)


@dataclass
class Fault:
    """An injected error answer for requests whose method and path match.

    `skip` matching requests pass first (fail the third PATCH: skip=2); then `times` of them get
    `status` (with a Retry-After header when set), or are delayed by `delay` seconds.
    """

    method: str = "*"
    path_contains: str = ""
    status: int = 500
    times: int = 1
    skip: int = 0
    retry_after: int | None = None
    delay: float = 0.0
    message: str = "injected failure"

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and self.path_contains in path


_REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Gone",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


@functools.cache
def certificate() -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made once per test process (kubectl sends a
    bearer token only over TLS)."""
    d = Path(tempfile.mkdtemp(prefix="fakekube-"))
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


@dataclass
class FakeKube:
    """A loopback API server; use as a context manager or call start()/stop()."""

    token: str = "s3cr3t-token-do-not-print"
    resources: tuple[Resource, ...] = DEFAULT_RESOURCES
    lifetime: float = 300.0
    max_watch_seconds: float = 60.0
    bookmark_interval: float = 0.5
    store: Store = field(default_factory=Store)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)  # time.monotonic() of each
    log_lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        handler = type("Handler", (_Handler,), {"kube": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        cert, key = certificate()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        # The handshake happens in the request's thread, not in the accepting one.
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"https://{host!s}:{port}"

    @property
    def ca_file(self) -> Path:
        return certificate()[0]

    def start(self) -> FakeKube:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._timer.cancel()
        with self.store.lock:
            self.store.lock.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeKube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- helpers for tests ------------------------------------------------------------------

    def resource_for(self, api_version: str, kind: str) -> Resource:
        for r in self.resources:
            if r.group_version == api_version and r.kind == kind and "/" not in r.resource:
                return r
        raise KeyError(f"{api_version} {kind}")

    def key(self, obj: dict[str, Any]) -> ObjKey:
        r = self.resource_for(obj["apiVersion"], obj["kind"])
        ns = obj["metadata"].get("namespace", "default") if r.namespaced else ""
        return (r.group, r.resource, ns, obj["metadata"]["name"])

    def put(self, obj: dict[str, Any], manager: str = "test") -> dict[str, Any]:
        """Create or replace an object as a plain client would (create, else update)."""
        key = self.key(obj)
        if self.store.get(key) is None:
            return self.store.create(key, obj, manager)
        current = self.store.get(key)
        assert current is not None
        body = json.loads(json.dumps(obj))
        body.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
        return self.store.update(key, body, manager)

    def remove(self, obj: dict[str, Any]) -> None:
        self.store.delete(self.key(obj))

    def count(self, method: str, contains: str = "") -> int:
        return sum(1 for m, p in list(self.requests) if m == method and contains in p)


def _selector_matches(text: str, labels: dict[str, str]) -> bool:
    """A labelSelector query parameter: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`,
    `k`, `!k`, comma-separated."""
    for req in re.findall(r"[^,(]+(?:\([^)]*\))?", text):
        req = req.strip()
        if not req:
            continue
        m = re.fullmatch(r"(\S+)\s+(in|notin)\s+\(([^)]*)\)", req)
        if m:
            values = {v.strip() for v in m.group(3).split(",")}
            has = m.group(1) in labels and labels[m.group(1)] in values
            if has != (m.group(2) == "in"):
                return False
            continue
        m = re.fullmatch(r"([^!=\s]+)\s*(==|=|!=)\s*(\S*)", req)
        if m:
            equal = labels.get(m.group(1)) == m.group(3)
            if equal != (m.group(2) != "!="):
                return False
            continue
        if req.startswith("!"):
            if req[1:].strip() in labels:
                return False
        elif req not in labels:
            return False
    return True


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(out.get(k), v)
    return out


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # clients hanging up mid-handshake or mid-stream are expected in tests


class _Handler(BaseHTTPRequestHandler):
    kube: FakeKube
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    # --- plumbing ---------------------------------------------------------------------------

    def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(code, json.dumps(body).encode(), headers)

    def _send_bytes(self, code: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, e: ApiError, headers: dict[str, str] | None = None) -> None:
        self._send(e.code, e.status(), headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ApiError(413, "RequestEntityTooLarge", "request body too large")
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        kube = self.kube
        with kube.log_lock:
            kube.request_times.append(time.monotonic())
            kube.requests.append((method, self.path))
        scheme, _, credential = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or credential != kube.token:  # schemes ignore case
            self._body()
            self._error(ApiError(401, "Unauthorized", "Unauthorized"))
            return
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        for fault in kube.faults:
            if fault.times > 0 and fault.matches(method, url.path):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                if fault.delay:
                    time.sleep(min(fault.delay, 30.0))
                    break
                self._body()
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                reason = _REASONS.get(fault.status, "Unknown")
                self._error(ApiError(fault.status, reason, fault.message), headers)
                return
        try:
            self._route(method, url.path, query)
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError):
            return

    # --- routing ----------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str]) -> None:
        kube = self.kube
        parts = [p for p in path.split("/") if p]
        if method == "GET" and path in ("/version", "/version/"):
            self._send(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-fakekube"})
            return
        if method == "GET" and parts == ["api"]:
            self._send(200, {"kind": "APIVersions", "versions": ["v1"]})
            return
        if method == "GET" and parts == ["apis"]:
            self._send(200, self._group_list())
            return
        if method == "GET" and parts[:2] == ["openapi", "v3"]:
            self._send(200, self._openapi(parts[2:]))
            return
        if parts[:1] == ["api"] and len(parts) >= 2:
            gv, rest = ("", parts[1]), parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            gv, rest = (parts[1], parts[2]), parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", "method not allowed")
            self._send(200, self._resource_list(*gv))
            return
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 2:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        res = next(
            (r for r in kube.resources if (r.group, r.version) == gv and r.resource == rest[0]),
            None,
        )
        if res is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if namespace is not None and not res.namespaced:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) == 2 else None
        dry = query.get("dryRun") == "All"
        manager = query.get("fieldManager") or _default_manager(self.headers.get("User-Agent"))
        if name is None:
            if method == "GET" and query.get("watch") in ("true", "1"):
                self._watch(res, namespace, query)
            elif method == "GET":
                self._list(res, namespace, query)
            elif method == "POST":
                body = self._object(res, namespace, None)
                meta = body["metadata"]
                new_key = (res.group, res.resource, meta.get("namespace", ""), meta["name"])
                self._send(201, kube.store.create(new_key, body, manager, dry))
            else:
                raise ApiError(405, "MethodNotAllowed", "method not allowed")
            return
        key: ObjKey = (res.group, res.resource, namespace or "", name)
        if method == "GET":
            found = kube.store.get(key)
            if found is None:
                raise ApiError(404, "NotFound", f'{_gr(res)} "{name}" not found')
            self._send(200, _with_type(res, found))
        elif method == "PUT":
            obj = self._object(res, namespace, name)
            self._send(200, kube.store.update(key, obj, manager, dry))
        elif method == "PATCH":
            self._patch(res, key, query, manager, dry)
        elif method == "DELETE":
            self._body()
            old = kube.store.delete(key, dry)
            self._send(200, _with_type(res, old))
        else:
            raise ApiError(405, "MethodNotAllowed", "method not allowed")

    def _object(self, res: Resource, namespace: str | None, name: str | None) -> dict[str, Any]:
        try:
            obj = json.loads(self._body() or b"{}")
        except ValueError as e:
            raise ApiError(400, "BadRequest", f"invalid JSON body: {e}") from None
        return self._check(res, obj, namespace, name)

    def _check(
        self, res: Resource, obj: Any, namespace: str | None, name: str | None
    ) -> dict[str, Any]:
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            raise ApiError(400, "BadRequest", "body must be an object with metadata")
        if obj.get("kind") != res.kind or obj.get("apiVersion") != res.group_version:
            raise ApiError(
                400,
                "BadRequest",
                f"the body is {obj.get('apiVersion')}, Kind={obj.get('kind')}, "
                f"not {res.group_version}, Kind={res.kind}",
            )
        meta = obj["metadata"]
        if name is not None and meta.get("name", name) != name:
            raise ApiError(400, "BadRequest", "the name of the object does not match the URL")
        if name is not None:
            meta["name"] = name
        if not meta.get("name"):
            raise ApiError(
                422,
                "Invalid",
                f'{res.kind} "" is invalid: metadata.name: Required value: name is required',
                [{"type": "FieldValueRequired", "field": "metadata.name"}],
            )
        if res.namespaced:
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        return obj

    def _patch(
        self, res: Resource, key: ObjKey, query: dict[str, str], manager: str, dry: bool
    ) -> None:
        kube = self.kube
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        raw = self._body()
        if ctype == "application/apply-patch+yaml":
            if not query.get("fieldManager"):
                raise ApiError(
                    400,
                    "BadRequest",
                    "PatchOptions.meta.k8s.io is invalid: fieldManager: Required value: "
                    "is required for apply patch",
                )
            try:  # JSON is YAML, and most clients send JSON: parse that fast path first
                config = json.loads(raw)
            except ValueError:
                try:
                    config = yaml.load(raw, Loader=_YAML_LOADER)
                except yaml.YAMLError as e:
                    raise ApiError(400, "BadRequest", f"invalid YAML body: {e}") from None
            config = self._check(res, config, key[2] or None, key[3])
            force = query.get("force") == "true"
            obj, created = kube.store.apply(key, config, query["fieldManager"], force, dry)
            self._send(201 if created else 200, _with_type(res, obj))
            return
        if ctype not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            raise ApiError(415, "UnsupportedMediaType", f"unsupported patch type {ctype!r}")
        current = kube.store.get(key)
        if current is None:
            raise ApiError(404, "NotFound", f'{_gr(res)} "{key[3]}" not found')
        patched = _merge_patch(current, json.loads(raw or b"{}"))
        patched["metadata"].pop("resourceVersion", None)
        self._send(200, kube.store.update(key, patched, manager, dry))

    # --- discovery --------------------------------------------------------------------------

    def _group_list(self) -> dict[str, Any]:
        groups: dict[str, list[str]] = {}
        for r in self.kube.resources:
            if r.group and r.version not in groups.setdefault(r.group, []):
                groups[r.group].append(r.version)
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": g,
                    "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                    "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
                }
                for g, vs in groups.items()
            ],
        }

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        found = [r for r in self.kube.resources if (r.group, r.version) == (group, version)]
        if not found:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": found[0].group_version,
            "resources": [
                {
                    "name": r.resource,
                    "singularName": "" if "/" in r.resource else r.kind.lower(),
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": list(r.verbs),
                    "shortNames": list(r.short_names),
                }
                for r in found
            ],
        }

    def _openapi(self, gv_parts: list[str]) -> dict[str, Any]:
        """Just enough OpenAPI v3 for kubectl to see that PATCH takes fieldValidation and dryRun
        (so it validates on the server, as it does against a real API server)."""
        gvs = sorted(
            {("api/" if not r.group else "apis/") + r.group_version for r in self.kube.resources}
        )
        gvs = [g.replace("apis//", "api/") for g in gvs]
        if not gv_parts:
            return {"paths": {g: {"serverRelativeURL": f"/openapi/v3/{g}?hash=1"} for g in gvs}}
        want = "/".join(gv_parts)
        paths: dict[str, Any] = {}
        for r in self.kube.resources:
            prefix = _gv_path(r)
            if prefix != want or "/" in r.resource:
                continue
            ns = "namespaces/{namespace}/" if r.namespaced else ""
            gvk = {"group": r.group, "version": r.version, "kind": r.kind}
            paths[f"/{prefix}/{ns}{r.resource}/{{name}}"] = {
                "patch": {
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": [
                        {"name": p, "in": "query", "schema": {"type": "string"}}
                        for p in ("dryRun", "fieldManager", "fieldValidation", "force")
                    ],
                }
            }
        if not paths:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return {"openapi": "3.0.0", "info": {"title": "fakekube", "version": "v1"}, "paths": paths}

    # --- list and watch ---------------------------------------------------------------------

    def _list(self, res: Resource, namespace: str | None, query: dict[str, str]) -> None:
        store = self.kube.store
        selector = query.get("labelSelector", "")
        start, token_rv = "", None
        if query.get("continue"):
            try:
                token = json.loads(base64.urlsafe_b64decode(query["continue"]))
                start, token_rv = str(token["start"]), int(token["rv"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(400, "BadRequest", "invalid continue token") from None
        limit = int(query.get("limit") or 0)
        with store.lock:  # serialised under the lock: the page reads the stored objects
            if token_rv is not None and token_rv < store.floor:
                raise ApiError(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter.",
                )
            rv = store.rv if token_rv is None else token_rv
            items = [
                o
                for o in store.list_of(res.group, res.resource, namespace, deep=False)
                if (not start or _pos(o) > start)
                and _selector_matches(selector, o["metadata"].get("labels") or {})
            ]
            meta: dict[str, Any] = {"resourceVersion": str(rv)}
            if limit and len(items) > limit:
                meta["remainingItemCount"] = len(items) - limit
                items = items[:limit]
                token = {"rv": rv, "start": _pos(items[-1])}
                meta["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
            body = {
                "kind": f"{res.kind}List",
                "apiVersion": res.group_version,
                "metadata": meta,
                # as typed lists do: the items' type is stated once, by the list
                "items": [
                    {k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in items
                ],
            }
            data = json.dumps(body).encode()
        self._send_bytes(200, data)

    def _chunk(self, event: dict[str, Any]) -> None:
        data = json.dumps(event).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _watch(self, res: Resource, namespace: str | None, query: dict[str, str]) -> None:
        kube, store = self.kube, self.kube.store
        selector = query.get("labelSelector", "")
        bookmarks = query.get("allowWatchBookmarks") == "true"
        timeout = min(float(query.get("timeoutSeconds") or 1e9), kube.max_watch_seconds)
        deadline = time.monotonic() + timeout
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        rv_text = query.get("resourceVersion", "")
        with store.lock:
            if rv_text in ("", "0"):
                since = store.rv
                initial = store.list_of(res.group, res.resource, namespace)
            else:
                since, initial = int(rv_text), []
            gone = since < store.floor
        if gone:
            self._chunk(
                {
                    "type": "ERROR",
                    "object": ApiError(
                        410, "Expired", f"too old resource version: {since} ({store.floor})"
                    ).status(),
                }
            )
            self.wfile.write(b"0\r\n\r\n")
            return
        try:
            for obj in initial:
                if _selector_matches(selector, obj["metadata"].get("labels") or {}):
                    self._chunk({"type": "ADDED", "object": _with_type(res, obj)})
            last_sent = time.monotonic()
            while not kube.stopping.is_set() and time.monotonic() < deadline:
                with store.lock:
                    events: list[Event] = []
                    if since < store.floor:
                        gone = True
                    else:
                        events = store.events_after(since, res.group, res.resource)
                        if not events:
                            store.lock.wait(
                                timeout=min(kube.bookmark_interval, deadline - time.monotonic())
                            )
                            events = store.events_after(since, res.group, res.resource)
                    current = store.rv
                if gone:
                    self._chunk(
                        {
                            "type": "ERROR",
                            "object": ApiError(410, "Expired", "too old resource version").status(),
                        }
                    )
                    break
                for e in events:
                    since = e.rv
                    ns_ok = namespace is None or e.obj["metadata"].get("namespace") == namespace
                    labels = e.obj["metadata"].get("labels") or {}
                    if ns_ok and _selector_matches(selector, labels):
                        self._chunk({"type": e.type, "object": _with_type(res, e.obj)})
                        last_sent = time.monotonic()
                if (
                    bookmarks
                    and not events
                    and time.monotonic() - last_sent >= kube.bookmark_interval
                ):
                    since = max(since, current)
                    self._chunk(
                        {
                            "type": "BOOKMARK",
                            "object": {
                                "kind": res.kind,
                                "apiVersion": res.group_version,
                                "metadata": {"resourceVersion": str(current)},
                            },
                        }
                    )
                    last_sent = time.monotonic()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ValueError):
            return
        self.close_connection = True


def _gv_path(r: Resource) -> str:
    return f"apis/{r.group_version}" if r.group else f"api/{r.version}"


def _pos(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _gr(res: Resource) -> str:
    return f"{res.resource}.{res.group}" if res.group else res.resource


def _with_type(res: Resource, obj: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": res.group_version, "kind": res.kind, **obj}


def _default_manager(user_agent: str | None) -> str:
    """The API server names an unnamed manager after the client's user agent."""
    return (user_agent or "unknown").split("/")[0]
