"""Result -> Binding objects, exactly in KubeStellar's schema and order.

A BindingPolicy has a Binding, named after it and owned by it (controller, blockOwnerDeletion
false), when its resolution is not empty: it selects some WEC or some object. KubeStellar
starts from an empty Binding and writes only when the resolution differs from the stored spec
(binding.go 47-55, 79; bindingpolicy-resolution.go 210-240), and an empty resolution equals an
empty spec, so a policy that selects nothing gets no Binding. A Binding of that name already in
the input is kept, emptied to `spec: {workload: {}}` (KubeStellar rewrites it, never deletes
it). Policies with an invalid clusterSelectors entry get none (KubeStellar fails their sync).
When the policy's uid is unknown (files usually carry none) the owner reference is left out:
the API server rejects `uid: ''`.

Entries sort by the GroupVersionResource string form, then namespace/name (or name), then
resourceVersion; destinations by name. Python compares str by code point, which is the order
Go's strings.Compare gives on their UTF-8 bytes.
"""

from __future__ import annotations

import json
from typing import Any

from bindlog.engine.evaluate import PolicyResolution, Result
from bindlog.model import Modulation, WorkloadObject

API_VERSION = "control.kubestellar.io/v1alpha1"


def gvr_string(obj: WorkloadObject) -> str:
    """metav1.GroupVersionResource.String(): `group/version, Resource=resource`."""
    r = obj.ref
    return f"{r.group}/{r.version}, Resource={r.resource}"


def _sort_key(obj: WorkloadObject) -> tuple[str, str, str]:
    r = obj.ref
    name = f"{r.namespace}/{r.name}" if r.namespace else r.name
    return (gvr_string(obj), name, obj.resource_version)


def _modulation_fields(mod: Modulation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if mod.create_only:
        out["createOnly"] = True
    if mod.status_collectors:
        out["statusCollectors"] = sorted(mod.status_collectors)
    if mod.want_singleton_reported_state:
        out["wantSingletonReportedState"] = True
    if mod.want_multi_wec_reported_state:
        out["wantMultiWECReportedState"] = True
    return out


def _entry(obj: WorkloadObject, mod: Modulation) -> dict[str, Any]:
    r = obj.ref
    entry: dict[str, Any] = {"group": r.group, "version": r.version, "resource": r.resource}
    if r.namespace:
        entry["namespace"] = r.namespace
    entry["name"] = r.name
    entry["resourceVersion"] = obj.resource_version
    entry.update(_modulation_fields(mod))
    return entry


EXPLAIN_ANNOTATION = "bindlog.kubestellar.io/explain"


def binding_for(res: PolicyResolution, trace: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Binding KubeStellar maintains for one BindingPolicy; `trace` goes in an annotation."""
    policy = res.policy
    ordered = sorted(res.objects.items(), key=lambda item: _sort_key(item[0]))
    cluster_scope = [_entry(o, m) for o, m in ordered if not o.ref.namespace]
    namespace_scope = [_entry(o, m) for o, m in ordered if o.ref.namespace]
    workload: dict[str, Any] = {}
    if cluster_scope:
        workload["clusterScope"] = cluster_scope
    if namespace_scope:
        workload["namespaceScope"] = namespace_scope
    spec: dict[str, Any] = {"workload": workload}
    if res.destinations:
        spec["destinations"] = [{"clusterId": c} for c in sorted(res.destinations)]
    metadata: dict[str, Any] = {"name": policy.name}
    if trace is not None:
        metadata["annotations"] = {
            EXPLAIN_ANNOTATION: json.dumps(trace, sort_keys=True, separators=(",", ":"))
        }
    if policy.uid:  # the loader warns once about policies without a uid
        metadata["ownerReferences"] = [
            {
                "apiVersion": API_VERSION,
                "kind": "BindingPolicy",
                "name": policy.name,
                "uid": policy.uid,
                "controller": True,
                "blockOwnerDeletion": False,
            }
        ]
    return {"apiVersion": API_VERSION, "kind": "Binding", "metadata": metadata, "spec": spec}


def bindings(result: Result, explain: bool = False) -> list[dict[str, Any]]:
    """Every Binding KubeStellar keeps for a result (has_binding/1 in the rules), in policy-name
    order.

    With `explain`, each Binding carries a compact trace in the annotation
    `bindlog.kubestellar.io/explain`: for every object the clauses (spec.downsync indices) that
    match it, for every destination the clusterSelectors indices that select it. An
    (object, WEC) pair is bound because of any of its object's clauses and any of its WEC's
    selectors: the trace is factorised like the Binding itself.
    """
    clauses = result.matching_clauses() if explain else {}
    out = []
    for p, res in sorted(result.items(), key=lambda item: item[1].policy.name):
        if not res.has_binding:
            continue
        trace = None
        if explain:
            objects = sorted(res.objects, key=_sort_key)
            trace = {
                "objects": {_trace_key(o): list(clauses.get((p, o), ())) for o in objects},
                "destinations": {
                    wec: list(idx)
                    for wec, idx in sorted(result.matching_cluster_selectors(p).items())
                    if wec in res.destinations
                },
            }
        out.append(binding_for(res, trace))
    return out


def _trace_key(obj: WorkloadObject) -> str:
    r = obj.ref
    where = f"{r.namespace}/" if r.namespace else ""
    return f"{r.group}/{r.version}/{r.resource}/{where}{r.name}"
