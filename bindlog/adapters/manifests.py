"""Documents -> Snapshot: classify every manifest and validate it the way the API server would.

BindingPolicy documents are checked against KubeStellar's CRD (strict fields, the anyOf rule on
clauses, the clusterSelectors patterns); workload objects against what any object must have. All
problems are collected and raised together; object-side selectors that apimachinery would reject
are not errors (KubeStellar skips them) and come back as warnings. Invalid clusterSelectors pass
the CRD but fail that one policy's sync in KubeStellar: an error by default, or with
`LoadOptions(strict=False)` a warning, the policy kept with its invalid selector (the rules then
give it no WEC and no Binding; `bindlog.export.policy_errors` words the controller's error).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bindlog.adapters.k8s_names import (
    dns_subdomain_problem,
    label_key_problem,
    label_value_problem,
    namespace_name_problem,
    object_name_problem,
)
from bindlog.adapters.namespaces import missing_namespace_warnings
from bindlog.adapters.resources import ResourceMapper, other_groups_hint
from bindlog.adapters.scalars import k8s_key, k8s_string, not_a_string
from bindlog.adapters.selectors import crd_accepts_cluster_selector, parse_selector
from bindlog.adapters.yaml_files import Document
from bindlog.errors import InputError, InputProblem
from bindlog.model import (
    BindingPolicy,
    Cluster,
    DownsyncClause,
    LabelSelector,
    Modulation,
    Namespace,
    ObjectRef,
    Snapshot,
    Source,
    WorkloadObject,
)

CONTROL_GROUP = "control.kubestellar.io"
OCM_CLUSTER_GROUP = "cluster.open-cluster-management.io"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

_OBJECT_TESTS = (
    "apiGroup",
    "resources",
    "namespaces",
    "namespaceSelectors",
    "objectNames",
    "objectSelectors",
)
_MODULATIONS = (
    "createOnly",
    "statusCollectors",
    "wantSingletonReportedState",
    "wantMultiWECReportedState",
)
_HINTS = {
    "apiGroups": ' (did you mean "apiGroup"? it takes one group, not a list)',
    "wantSingletonReportedState": " (since KubeStellar 0.26 it belongs on each downsync clause)",
    "statusCollection": ' (replaced by "statusCollectors" on each downsync clause)',
    "numberOfClusters": " (not part of the BindingPolicy API)",
}


CLUSTER_SELECTOR_CONSEQUENCE = (
    "KubeStellar's CRD accepts this BindingPolicy, but its controller then fails this one "
    "policy's sync (no WECs, retried, the error only in its log); the other policies go on"
)


@dataclass(slots=True)
class LoadOptions:
    resource_map: dict[tuple[str, str], str] = field(default_factory=dict)
    guess_resources: bool = False
    default_namespace: str = "default"
    # False: keep a policy whose clusterSelectors LabelSelectorAsSelector rejects (a warning, not
    # an error), as KubeStellar keeps it; the library and watch mode go on with the others.
    strict: bool = True


@dataclass(slots=True)
class _Builder:
    options: LoadOptions
    problems: list[InputProblem] = field(default_factory=list)
    warnings: list[InputProblem] = field(default_factory=list)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    objects: dict[tuple[str, str, str, str], WorkloadObject] = field(default_factory=dict)
    policies: dict[str, BindingPolicy] = field(default_factory=dict)
    bindings: list[dict[str, Any]] = field(default_factory=list)
    # Label pairs found valid: the same few recur on thousands of objects, each checked once.
    valid_labels: set[tuple[str, str]] = field(default_factory=set)

    def problem(self, source: Source, obj: str, path: str, detail: str) -> None:
        self.problems.append(InputProblem(source, obj, path, detail))


def build_snapshot(
    documents: Iterable[Document], options: LoadOptions | None = None
) -> tuple[Snapshot, list[InputProblem]]:
    """Validate and classify documents; raises InputError listing every problem found."""
    b = _Builder(options or LoadOptions())
    docs = [d for d in documents if _has_identity(b, d)]
    mapper = ResourceMapper(b.options.resource_map, b.options.guess_resources)
    for doc in docs:  # CRDs first: they define the resources of the objects that follow
        if doc.body["kind"] == "CustomResourceDefinition":
            _register_crd(b, doc, mapper)
    for doc in docs:
        group, version, kind = _gvk(doc.body)
        if not _served(b, doc, mapper, group, version, kind):
            continue
        if group == CONTROL_GROUP and kind == "BindingPolicy":
            _add_policy(b, doc)
        elif group == CONTROL_GROUP and kind == "Binding":
            b.bindings.append(doc.body)
        elif group == OCM_CLUSTER_GROUP and kind == "ManagedCluster":
            _add_cluster(b, doc)
        else:
            _add_object(b, doc, mapper)
    if b.problems:
        raise InputError(b.problems)
    snapshot = Snapshot(
        clusters=tuple(b.clusters.values()),
        namespaces=tuple(b.namespaces.values()),
        objects=tuple(b.objects.values()),
        policies=tuple(b.policies.values()),
        bindings=tuple(b.bindings),
    )
    return snapshot, [
        *b.warnings,
        *_no_uid_warning(snapshot),
        *missing_namespace_warnings(snapshot),
    ]


def _served(
    b: _Builder, doc: Document, mapper: ResourceMapper, group: str, version: str, kind: str
) -> bool:
    """Reject what the API server would not serve: an unknown version of a known kind, or a
    KubeStellar kind in another kubestellar.io group (`policies.kubestellar.io`, a typo found in
    KubeStellar's own docs), which would otherwise be taken for a workload object."""
    why = mapper.version_problem(group, version, kind)
    if why is None and group.endswith("kubestellar.io") and not mapper.defines(group, kind):
        hint = other_groups_hint(group, kind)
        if hint:
            why = f'no matches for kind "{kind}" in group "{group}"{hint}'
    if why is not None:
        b.problem(doc.source, _label(doc.body), "apiVersion", why)
        return False
    return True


def _no_uid_warning(snapshot: Snapshot) -> list[InputProblem]:
    """One warning for all the policies whose Bindings go without an owner reference."""
    missing = [p for p in snapshot.policies if not p.uid]
    if not missing:
        return []
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    return [
        InputProblem(
            missing[0].source,
            f"BindingPolicy/{missing[0].name}",
            "metadata.uid",
            f"not set{more}: Bindings are written without ownerReferences (the API server "
            "rejects an empty uid; KubeStellar uses the live policy's uid)",
        )
    ]


def _gvk(body: dict[str, Any]) -> tuple[str, str, str]:
    group, _, version = str(body["apiVersion"]).rpartition("/")
    return group, version, str(body["kind"])


def _label(body: dict[str, Any]) -> str:
    meta = body.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    kind = body.get("kind")
    kind_text = kind if isinstance(kind, str) and kind else "<no kind>"
    return f"{kind_text}/{name}" if isinstance(name, str) and name else kind_text


def _has_identity(b: _Builder, doc: Document) -> bool:
    body, ok = doc.body, True
    obj = _label(body)
    api_version = body.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        b.problem(doc.source, obj, "apiVersion", "Required value")
        ok = False
    elif api_version.count("/") > 1 or api_version.startswith("/") or api_version.endswith("/"):
        b.problem(doc.source, obj, "apiVersion", f'Invalid value: "{api_version}"')
        ok = False
    kind = body.get("kind")
    if not isinstance(kind, str) or not kind:
        b.problem(doc.source, obj, "kind", "Required value")
        ok = False
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        b.problem(doc.source, obj, "metadata", "Required value")
        return False
    name = meta.get("name")
    if name is None or name == "":
        b.problem(doc.source, obj, "metadata.name", "Required value")
        return False
    text = k8s_string(name)
    if text is None:
        b.problem(doc.source, obj, "metadata.name", not_a_string(name))
        return False
    meta["name"] = text
    why = object_name_problem(text)
    if why is None and not _path_segment_names(body):
        why = dns_subdomain_problem(text)
    if why is not None:
        b.problem(doc.source, obj, "metadata.name", f"Invalid value: {text!r}: {why}")
        ok = False
    return ok


def _path_segment_names(body: dict[str, Any]) -> bool:
    """RBAC objects may have any path-segment name (`system:controller:x`); the other kinds
    need a DNS-1123 subdomain."""
    api_version = body.get("apiVersion")
    return isinstance(api_version, str) and api_version.startswith("rbac.authorization.k8s.io/")


def _labels(b: _Builder, doc: Document, obj: str) -> tuple[tuple[str, str], ...] | None:
    raw = doc.body["metadata"].get("labels")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        b.problem(doc.source, obj, "metadata.labels", "Invalid value: must be a mapping")
        return None
    ok = True
    labels: dict[str, str] = {}
    valid = b.valid_labels
    for raw_key, raw_value in raw.items():
        if type(raw_key) is str and type(raw_value) is str and (raw_key, raw_value) in valid:
            labels[raw_key] = raw_value
            continue
        key = k8s_key(raw_key)
        if (why := label_key_problem(key)) is not None:
            b.problem(doc.source, obj, "metadata.labels", f"Invalid value: {key!r}: {why}")
            ok = False
            continue
        value = k8s_string(raw_value)
        if value is None:
            b.problem(doc.source, obj, f"metadata.labels[{key}]", not_a_string(raw_value))
            ok = False
        elif (why := label_value_problem(value)) is not None:
            b.problem(
                doc.source, obj, f"metadata.labels[{key}]", f"Invalid value: {value!r}: {why}"
            )
            ok = False
        else:
            labels[str(key)] = value
            if type(raw_key) is str and type(raw_value) is str:
                valid.add((raw_key, raw_value))
    return tuple(sorted(labels.items())) if ok else None


def _add_cluster(b: _Builder, doc: Document) -> None:
    obj = _label(doc.body)
    name = doc.body["metadata"]["name"]
    labels = _labels(b, doc, obj)
    if name in b.clusters:
        b.problem(
            doc.source,
            obj,
            "metadata.name",
            f"Duplicate value: {name!r} already defined at {b.clusters[name].source}",
        )
        return
    if labels is not None:
        b.clusters[name] = Cluster(name, labels, doc.source)


def _register_crd(b: _Builder, doc: Document, mapper: ResourceMapper) -> None:
    obj = _label(doc.body)
    spec = doc.body.get("spec")
    names = spec.get("names") if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or not isinstance(names, dict):
        b.problem(doc.source, obj, "spec.names", "Required value")
        return
    group, kind, plural = spec.get("group"), names.get("kind"), names.get("plural")
    raw_versions = spec.get("versions")
    versions = frozenset(
        v["name"]
        for v in (raw_versions if isinstance(raw_versions, list) else [])
        if isinstance(v, dict) and isinstance(v.get("name"), str) and v.get("served", True)
    )
    scope = spec.get("scope", "Namespaced")
    for path, value in (
        ("spec.group", group),
        ("spec.names.kind", kind),
        ("spec.names.plural", plural),
    ):
        if not isinstance(value, str) or not value:
            b.problem(doc.source, obj, path, "Required value")
            return
    if scope not in ("Namespaced", "Cluster"):
        b.problem(
            doc.source,
            obj,
            "spec.scope",
            f'Unsupported value: "{scope}": supported values: "Cluster", "Namespaced"',
        )
        return
    mapper.add_crd(str(group), str(kind), str(plural), scope == "Namespaced", versions)


def _add_object(b: _Builder, doc: Document, mapper: ResourceMapper) -> None:
    body = doc.body
    obj = _label(body)
    group, version, kind = _gvk(body)
    meta = body["metadata"]
    name = meta["name"]
    info = mapper.lookup(group, kind)
    if info is None:
        gk = f"{kind}.{group}" if group else kind
        b.problem(
            doc.source,
            obj,
            "kind",
            f"no resource known for kind {gk!r}: include its CustomResourceDefinition, "
            f"pass --resource-map {gk}=<plural>, or --guess-resources"
            + other_groups_hint(group, kind),
        )
        return
    labels = _labels(b, doc, obj)
    raw_ns = k8s_string(meta.get("namespace") or "")
    if raw_ns is None:
        b.problem(doc.source, obj, "metadata.namespace", not_a_string(meta["namespace"]))
        return
    if info.namespaced is False:
        namespace = ""  # the API server ignores a namespace on a cluster-scoped kind (spec E15)
    elif info.namespaced:
        namespace = raw_ns or b.options.default_namespace  # as kubectl apply would default it
    else:
        namespace = raw_ns
    if namespace and (why := namespace_name_problem(namespace)) is not None:
        b.problem(doc.source, obj, "metadata.namespace", f"Invalid value: {namespace!r}: {why}")
        return
    if labels is None:
        return
    is_namespace = group == "" and kind == "Namespace"
    if is_namespace:
        if (why := namespace_name_problem(name)) is not None:
            b.problem(doc.source, obj, "metadata.name", f"Invalid value: {name!r}: {why}")
            return
        # The API server always adds this label; selectors on it must behave as they do live.
        labels = tuple(sorted({**dict(labels), NAMESPACE_NAME_LABEL: name}.items()))
    rv = meta.get("resourceVersion")
    if rv is not None and not isinstance(rv, str):
        # The API server decodes it into a string field: a number, boolean or map is rejected.
        b.problem(doc.source, obj, "metadata.resourceVersion", not_a_string(rv))
        return
    ref = ObjectRef(group, version, info.resource, namespace, name)
    key = (group, info.resource, namespace, name)
    if key in b.objects:
        b.problem(
            doc.source,
            obj,
            "metadata.name",
            f"Duplicate value: {ref} already defined at {b.objects[key].source}",
        )
        return
    b.objects[key] = WorkloadObject(ref, kind, labels, rv or "", doc.source)
    if is_namespace:
        b.namespaces[name] = Namespace(name, labels, doc.source)


def _add_policy(b: _Builder, doc: Document) -> None:
    body = doc.body
    obj = _label(body)
    meta = body["metadata"]
    name = meta["name"]
    if meta.get("deletionTimestamp"):
        b.warnings.append(
            InputProblem(
                doc.source,
                obj,
                "metadata.deletionTimestamp",
                "policy is being deleted: KubeStellar drops its resolution",
            )
        )
        return
    for key in body:
        if key not in ("apiVersion", "kind", "metadata", "spec", "status"):
            b.problem(doc.source, obj, key, "Unknown field")
    spec = body.get("spec") or {}
    if not isinstance(spec, dict):
        b.problem(doc.source, obj, "spec", "Invalid value: must be a mapping")
        return
    for key in spec:
        if key not in ("clusterSelectors", "downsync"):
            b.problem(doc.source, obj, f"spec.{key}", "Unknown field" + _HINTS.get(key, ""))
    cluster_selectors = _selector_list(
        b, doc, obj, spec, "clusterSelectors", "spec", strict=b.options.strict, cluster=True
    )
    clauses: list[DownsyncClause] = []
    raw_clauses = spec.get("downsync") or []
    if not isinstance(raw_clauses, list):
        b.problem(doc.source, obj, "spec.downsync", "Invalid value: must be a list")
        raw_clauses = []
    for i, raw in enumerate(raw_clauses):
        clause = _clause(b, doc, obj, raw, f"spec.downsync[{i}]")
        if clause is not None:
            clauses.append(clause)
    if name in b.policies:
        b.problem(
            doc.source,
            obj,
            "metadata.name",
            f"Duplicate value: {name!r} already defined at {b.policies[name].source}",
        )
        return
    uid = meta.get("uid") or ""
    if not isinstance(uid, str):
        b.problem(doc.source, obj, "metadata.uid", not_a_string(uid))
        return
    b.policies[name] = BindingPolicy(
        name,
        str(uid),
        tuple(cluster_selectors or ()),
        tuple(clauses),
        doc.source,
        _labels(b, doc, obj) or (),
    )


def _selector_list(
    b: _Builder,
    doc: Document,
    obj: str,
    parent: dict[str, Any],
    key: str,
    path: str,
    *,
    strict: bool = False,
    cluster: bool = False,
) -> tuple[LabelSelector, ...] | None:
    raw = parent.get(key)
    if raw is None:
        return None
    if not isinstance(raw, list):
        b.problem(doc.source, obj, f"{path}.{key}", "Invalid value: must be a list")
        return None
    out: list[LabelSelector] = []
    for i, item in enumerate(raw):
        field_path = f"{path}.{key}[{i}]"
        found: list[tuple[str, str]] = []
        sel = parse_selector(item, field_path, found)
        for fp, detail in found:
            b.problem(doc.source, obj, fp, detail)
        if sel.error is not None and not found:
            if cluster and not crd_accepts_cluster_selector(item):
                b.problem(doc.source, obj, field_path, f"Invalid value: {sel.error}")
            elif cluster and strict:
                b.problem(
                    doc.source,
                    obj,
                    field_path,
                    f"Invalid value: {sel.error}; {CLUSTER_SELECTOR_CONSEQUENCE}",
                )
            elif cluster:
                b.warnings.append(
                    InputProblem(
                        doc.source,
                        obj,
                        field_path,
                        f"invalid selector kept: {sel.error}; {CLUSTER_SELECTOR_CONSEQUENCE}",
                    )
                )
            else:
                b.warnings.append(
                    InputProblem(
                        doc.source,
                        obj,
                        field_path,
                        f"invalid selector skipped, as KubeStellar skips it: {sel.error}",
                    )
                )
        out.append(sel)
    return tuple(out)


def _clause(b: _Builder, doc: Document, obj: str, raw: Any, path: str) -> DownsyncClause | None:
    if not isinstance(raw, dict):
        b.problem(doc.source, obj, path, "Invalid value: must be a mapping")
        return None
    for key in raw:
        if key not in _OBJECT_TESTS and key not in _MODULATIONS:
            b.problem(doc.source, obj, f"{path}.{key}", "Unknown field" + _HINTS.get(key, ""))
    # The API server drops null fields before the CRD's anyOf-required rule, so a clause whose
    # only test is `apiGroup: null` is rejected, not taken as "every group".
    if not any(raw.get(key) is not None for key in _OBJECT_TESTS):
        nulls = [key for key in _OBJECT_TESTS if key in raw]
        b.problem(
            doc.source,
            obj,
            path,
            "Invalid value: a downsync clause must specify at least one of "
            + ", ".join(_OBJECT_TESTS)
            + (f" (null values do not count: {', '.join(nulls)})" if nulls else ""),
        )
    api_group = raw.get("apiGroup")
    if api_group is not None and not isinstance(api_group, str):
        b.problem(doc.source, obj, f"{path}.apiGroup", "Invalid value: must be a string")
        api_group = None
    lists: dict[str, tuple[str, ...] | None] = {}
    for key in ("resources", "namespaces", "objectNames", "statusCollectors"):
        value = raw.get(key)
        if value is None:
            lists[key] = None
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            lists[key] = tuple(value)
        else:
            b.problem(doc.source, obj, f"{path}.{key}", "Invalid value: must be a list of strings")
            lists[key] = None
    flags: dict[str, bool] = {}
    for key in ("createOnly", "wantSingletonReportedState", "wantMultiWECReportedState"):
        value = raw.get(key, False)
        if value is None:
            value = False
        if not isinstance(value, bool):
            b.problem(doc.source, obj, f"{path}.{key}", "Invalid value: must be a boolean")
            value = False
        flags[key] = value
    return DownsyncClause(
        api_group=api_group,
        resources=lists["resources"],
        namespaces=lists["namespaces"],
        namespace_selectors=_selector_list(
            b, doc, obj, raw, "namespaceSelectors", path, strict=False
        ),
        object_names=lists["objectNames"],
        object_selectors=_selector_list(b, doc, obj, raw, "objectSelectors", path, strict=False),
        modulation=Modulation(
            create_only=flags["createOnly"],
            status_collectors=frozenset(lists["statusCollectors"] or ()),
            want_singleton_reported_state=flags["wantSingletonReportedState"],
            want_multi_wec_reported_state=flags["wantMultiWECReportedState"],
        ),
    )
