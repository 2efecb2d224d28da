"""Live load: a WDS (and its ITS) read through the official `kubernetes` client into the same
documents, hence the same snapshot, as files.

The `kubernetes` package is imported here only, and only when a live flag is used: importing it
costs 0.2 s, 40 % of an M-scale file load. The client provides what a user's kubeconfig needs
(contexts, TLS, tokens, exec plugins, in-cluster service accounts) and a connection pool;
requests go through `KubeApi`, which turns every failure into a `LiveError` naming the context
and the API call, never the credentials.

Discovery decides kind -> resource and what is listable (list and watch verbs, not a
subresource, not on KubeStellar's never-downsync list, read from the bundled rule program so the
two cannot disagree). Lists are paginated; every object keeps its uid and resourceVersion.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bindlog.adapters import Limits, Loaded
from bindlog.adapters.manifests import (
    CONTROL_GROUP,
    OCM_CLUSTER_GROUP,
    LoadOptions,
    build_snapshot,
)
from bindlog.adapters.yaml_files import Document, read_documents
from bindlog.errors import BindlogError, InputError, InputProblem
from bindlog.model import Source

PAGE_SIZE = 500
CLUSTER_GROUP_RESOURCE = (OCM_CLUSTER_GROUP, "managedclusters")
POLICY_GROUP_RESOURCE = (CONTROL_GROUP, "bindingpolicies")
BINDING_GROUP_RESOURCE = (CONTROL_GROUP, "bindings")
IN_CLUSTER = "in-cluster"


class LiveError(BindlogError):
    """A live cluster could not be read or written: names the context and the API call."""


class ApiStatus(LiveError):
    """An API call answered with an error status (kept for callers that retry or report)."""

    def __init__(
        self,
        context: str,
        method: str,
        path: str,
        code: int,
        reason: str,
        message: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(context, method, path, code)
        self.context, self.method, self.path = context, method, path
        self.code, self.reason, self.message = code, reason, message
        self.retry_after = retry_after

    def __str__(self) -> str:
        detail = f": {self.message}" if self.message and self.message != self.reason else ""
        return (
            f'context "{self.context}": {self.method} {self.path}: '
            f"{self.code} {self.reason}{detail}"
        )


@dataclass(frozen=True, slots=True)
class LiveOptions:
    kubeconfig: str | None = None
    context: str | None = None
    its_context: str | None = None
    request_timeout: float = 30.0
    pool_size: int = 8


@dataclass(frozen=True, slots=True)
class ApiResource:
    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    verbs: frozenset[str]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> tuple[str, str]:
        return (self.group, self.resource)

    def path(self, namespace: str = "", name: str = "") -> str:
        base = f"/apis/{self.api_version}" if self.group else f"/api/{self.version}"
        where = f"/namespaces/{namespace}" if namespace else ""
        return f"{base}{where}/{self.resource}" + (f"/{name}" if name else "")

    def __str__(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource


def _kubernetes() -> tuple[Any, Any, Any]:
    """The client modules, typed loosely: the package ships no precise annotations."""
    client = importlib.import_module("kubernetes.client")
    config = importlib.import_module("kubernetes.config")
    urllib3 = importlib.import_module("urllib3")
    return client, config, urllib3


class KubeApi:
    """One context's API server: raw JSON requests through the client's authenticated pool."""

    def __init__(self, context: str, api_client: Any, timeout: float) -> None:
        self.context = context
        self.api_client = api_client
        self.timeout = timeout
        self._client, _, self._urllib3 = _kubernetes()

    def _send(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> Any:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            m, url, hdrs, data, post = self.api_client.param_serialize(
                method=method,
                resource_path=path,
                query_params=list(query),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            resp = self.api_client.call_api(
                m, url, hdrs, data, post, _request_timeout=timeout or self.timeout
            )
        except self._client.ApiException as e:  # TLS and request-building failures
            raise LiveError(self._where(method, path) + f": {_first_line(e.reason)}") from None
        except self._urllib3.exceptions.HTTPError as e:
            raise LiveError(self._where(method, path) + ": " + _transport_problem(e)) from None
        if not 200 <= resp.status <= 299:
            raise self._status(method, path, resp)
        return resp

    def request(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        content_type: str | None = None,
    ) -> Any:
        """Send one request; returns the decoded JSON body (None when empty)."""
        resp = self._send(method, path, query, body, content_type)
        try:
            data = resp.read()
        except self._urllib3.exceptions.HTTPError as e:
            raise LiveError(self._where(method, path) + ": " + _transport_problem(e)) from None
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            raise LiveError(self._where(method, path) + ": the answer is not JSON") from None

    def stream(
        self, path: str, query: Sequence[tuple[str, str]], read_timeout: float
    ) -> Iterator[dict[str, Any]]:
        """A watch: one decoded event per line, until the server ends the stream."""
        resp = self._send("GET", path, query, timeout=(self.timeout, read_timeout))
        raw = resp.response
        buffer = b""
        try:
            for chunk in raw.stream(4096, decode_content=False):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except self._urllib3.exceptions.HTTPError as e:
            raise LiveError(self._where("GET", path) + ": " + _transport_problem(e)) from None
        except ValueError:
            raise LiveError(self._where("GET", path) + ": a watch event is not JSON") from None
        finally:
            raw.release_conn()

    def _where(self, method: str, path: str) -> str:
        return f'context "{self.context}": {method} {path}'

    def _status(self, method: str, path: str, resp: Any) -> ApiStatus:
        message = reason = str(resp.reason or "")
        try:
            body = json.loads(resp.read() or b"{}")
            if isinstance(body, dict):
                message = str(body.get("message") or message)
                reason = str(body.get("reason") or reason)
        except ValueError:
            pass
        retry_after: float | None = None
        header = resp.headers.get("Retry-After")
        if header is not None:
            try:
                retry_after = float(header)
            except ValueError:
                retry_after = None
        return ApiStatus(
            self.context, method, path, resp.status, reason, _one_line(message), retry_after
        )


def _first_line(text: object) -> str:
    return str(text).strip().splitlines()[0] if str(text).strip() else ""


def _one_line(text: str, most: int = 1000) -> str:
    """A server message on one line (multi-conflict messages list fields on lines), bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= most else flat[: most - 3] + "..."


def _transport_problem(e: Exception) -> str:
    """What went wrong on the wire, in words: urllib3's messages name the pool, not the cause."""
    reason = getattr(e, "reason", None) or e
    name = type(reason).__name__
    if "Timeout" in name or "timed out" in str(reason):
        return "timed out"
    if "NewConnection" in name or "Connection refused" in str(reason):
        return "cannot reach the server (connection refused or no route)"
    if "SSL" in name:
        return "TLS failure: " + _first_line(str(reason))[:200]
    return f"connection failed ({name})"


def connect(kubeconfig: str | None, context: str | None, opts: LiveOptions) -> KubeApi:
    """A client for `context` in `kubeconfig` (or $KUBECONFIG, ~/.kube/config); in a pod with
    no kubeconfig at all, the pod's service account."""
    client, config, _ = _kubernetes()
    cfg = client.Configuration()
    label = context or "current-context"
    default_file = Path(os.environ.get("KUBECONFIG", "~/.kube/config").split(os.pathsep)[0])
    in_pod = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    try:
        if kubeconfig is None and in_pod and not default_file.expanduser().exists():
            config.load_incluster_config(client_configuration=cfg)
            label = context or IN_CLUSTER
        else:
            config.load_kube_config(
                config_file=kubeconfig,
                context=context,
                client_configuration=cfg,
                persist_config=False,
            )
    except (config.ConfigException, OSError, ValueError, TypeError) as e:
        where = kubeconfig or "the default kubeconfig"
        raise LiveError(
            f'context "{label}": cannot load it from {where}: {_first_line(e)}'
        ) from None
    cfg.connection_pool_maxsize = max(opts.pool_size, 1)
    # No silent transport retries: a timeout is reported as one; writes retry in apply, where
    # Retry-After is honoured.
    cfg.retries = False
    return KubeApi(label, client.ApiClient(cfg), opts.request_timeout)


# --- discovery ------------------------------------------------------------------------------


def never_downsync() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """KubeStellar's never-downsync groups and group-resources, as the rule program lists them."""
    from bindlog.engine.program import bundled_program

    groups: set[str] = set()
    resources: set[tuple[str, str]] = set()
    for atom in bundled_program().facts:
        args = tuple(str(a) for a in atom.args)
        if atom.predicate == "never_downsync_group":
            groups.add(args[0])
        elif atom.predicate == "never_downsync_resource":
            resources.add((args[0], args[1]))
    return frozenset(groups), frozenset(resources)


def discover(api: KubeApi, skipped: list[str] | None = None) -> list[ApiResource]:
    """Every resource the server serves, at each group's preferred version.

    A group whose discovery fails with 503 or 404 (an aggregated API whose backend is down, as
    metrics.k8s.io often is) is skipped and named in `skipped`, as kubectl does; other errors
    stop the load."""
    out: list[ApiResource] = []
    core = api.request("GET", "/api") or {}
    gvs: list[tuple[str, str]] = [("", v) for v in core.get("versions", [])[:1]]
    for group in (api.request("GET", "/apis") or {}).get("groups", []):
        preferred = group.get("preferredVersion") or (group.get("versions") or [{}])[0]
        if preferred.get("version"):
            gvs.append((str(group["name"]), str(preferred["version"])))
    for group_name, version in gvs:
        path = f"/apis/{group_name}/{version}" if group_name else f"/api/{version}"
        try:
            listing = api.request("GET", path) or {}
        except ApiStatus as e:
            if not group_name or e.code not in (404, 503) or skipped is None:
                raise
            skipped.append(f"{e}: the resources of {group_name}/{version} are not read")
            continue
        for r in listing.get("resources", []):
            out.append(
                ApiResource(
                    group_name,
                    version,
                    str(r["name"]),
                    str(r.get("kind", "")),
                    bool(r.get("namespaced")),
                    frozenset(r.get("verbs") or ()),
                )
            )
    return out


def watchable(resources: list[ApiResource]) -> list[ApiResource]:
    """The workload resources KubeStellar watches in a WDS (list+watch, not never-downsync)."""
    groups, pairs = never_downsync()
    return [
        r
        for r in resources
        if "/" not in r.resource
        and {"list", "watch"} <= r.verbs
        and r.group not in groups
        and r.group_resource not in pairs
        and r.group_resource != CLUSTER_GROUP_RESOURCE
    ]


def find(
    resources: list[ApiResource], group_resource: tuple[str, str], api: KubeApi
) -> ApiResource:
    for r in resources:
        if r.group_resource == group_resource:
            return r
    group, resource = group_resource
    raise LiveError(
        f'context "{api.context}": the server has no resource {resource}.{group} '
        "(is this a KubeStellar space?)"
    )


def list_objects(
    api: KubeApi, res: ApiResource, progress: TextIO | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Every object of a resource, page by page; items get their apiVersion and kind back (a
    list states them once); returns the items and the list's resourceVersion."""
    items: list[dict[str, Any]] = []
    query: list[tuple[str, str]] = [("limit", str(PAGE_SIZE))]
    rv = ""
    while True:
        page = api.request("GET", res.path(), query) or {}
        for item in page.get("items") or []:
            item.setdefault("apiVersion", res.api_version)
            item.setdefault("kind", res.kind)
            items.append(item)
        meta = page.get("metadata") or {}
        rv = rv or str(meta.get("resourceVersion") or "")
        if progress is not None:
            progress.write(f"\rlisting {res} in {api.context}: {len(items)}\x1b[K")
            progress.flush()
        token = meta.get("continue")
        if not token:
            return items, rv
        query = [("limit", str(PAGE_SIZE)), ("continue", str(token))]


# --- load -----------------------------------------------------------------------------------


@dataclass
class LiveState:
    """What a live load found: the snapshot, and what watch needs to carry on from it."""

    loaded: Loaded
    wds: KubeApi
    its: KubeApi
    resources: list[ApiResource]  # WDS workload resources listed
    policy_resource: ApiResource
    binding_resource: ApiResource
    cluster_resource: ApiResource
    list_versions: dict[tuple[str, str], str] = field(default_factory=dict)
    options: LoadOptions = field(default_factory=LoadOptions)


def clients(opts: LiveOptions) -> tuple[KubeApi, KubeApi]:
    wds = connect(opts.kubeconfig, opts.context, opts)
    if opts.its_context is None or opts.its_context == opts.context:
        return wds, wds
    return wds, connect(opts.kubeconfig, opts.its_context, opts)


def _identity(
    body: dict[str, Any], namespaced: dict[tuple[str, str], bool], default_ns: str
) -> tuple[str, str, str, str]:
    group = str(body.get("apiVersion", "")).rpartition("/")[0]
    kind = str(body.get("kind", ""))
    raw = body.get("metadata")
    meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ns = str(meta.get("namespace") or "")
    if namespaced.get((group, kind)):
        ns = ns or default_ns
    elif (group, kind) in namespaced:
        ns = ""
    return (group, kind, ns, str(meta.get("name") or ""))


def load_live(
    opts: LiveOptions,
    paths: Sequence[str] = (),
    options: LoadOptions | None = None,
    stdin: BinaryIO | None = None,
    limits: Limits | None = None,
    progress: TextIO | None = None,
) -> LiveState:
    """List the WDS (policies, Bindings, workload) and the ITS (ManagedClusters), lay the files
    in `paths` over them (a file object replaces the live one with the same identity) and build
    the snapshot exactly as for files."""
    options = options or LoadOptions()
    wds, its = clients(opts)
    started = time.monotonic()
    skipped: list[str] = []
    all_wds = discover(wds, skipped)
    all_its = all_wds if its is wds else discover(its, skipped)
    policy_res = find(all_wds, POLICY_GROUP_RESOURCE, wds)
    binding_res = find(all_wds, BINDING_GROUP_RESOURCE, wds)
    cluster_res = find(all_its, CLUSTER_GROUP_RESOURCE, its)
    workload = watchable(all_wds)
    versions: dict[tuple[str, str], str] = {}
    documents: list[Document] = []
    namespaced = {(r.group, r.kind): r.namespaced for r in all_wds if "/" not in r.resource}
    for api, res in [
        (its, cluster_res),
        (wds, policy_res),
        (wds, binding_res),
        *((wds, r) for r in workload),
    ]:
        items, rv = list_objects(api, res, progress)
        versions[res.group_resource] = rv
        source = f"cluster:{api.context}"
        documents.extend(Document(Source(source, len(documents)), item) for item in items)
    if progress is not None:
        progress.write(
            f"\rlisted {len(documents)} objects in {time.monotonic() - started:.1f}s\x1b[K\n"
        )
    resource_map = {(r.group, r.kind): r.resource for r in all_wds if "/" not in r.resource}
    resource_map.update({(r.group, r.kind): r.resource for r in all_its if "/" not in r.resource})
    options = replace(options, resource_map={**resource_map, **options.resource_map})
    problems: list[InputProblem] = []
    warnings = [InputProblem(None, "", "", text) for text in skipped]
    if paths:
        files = list(read_documents(list(paths), problems, stdin, limits, warnings))
        overlay = {_identity(d.body, namespaced, options.default_namespace): d for d in files}
        documents = [
            d
            for d in documents
            if _identity(d.body, namespaced, options.default_namespace) not in overlay
        ] + files
    try:
        snapshot, more = build_snapshot(documents, options)
    except InputError as e:
        raise InputError([*problems, *e.problems]) from None
    if problems:
        raise InputError(problems)
    return LiveState(
        Loaded(snapshot, (*warnings, *more)),
        wds,
        its,
        workload,
        policy_res,
        binding_res,
        cluster_res,
        versions,
        options,
    )


__all__ = [
    "ApiResource",
    "ApiStatus",
    "KubeApi",
    "LiveError",
    "LiveOptions",
    "LiveState",
    "connect",
    "discover",
    "list_objects",
    "load_live",
    "never_downsync",
    "watchable",
]
