"""Reference resolver: a plain-Python transcription of the KubeStellar semantics spec.

This is an independent oracle for the property tests. It follows
the KubeStellar binding-semantics spec step by step (sections cited per function) and shares
nothing with the engine except the typed IR of `bindlog.model`. Keep it short and obvious.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bindlog.model import (
    BindingPolicy,
    Cluster,
    DownsyncClause,
    LabelSelector,
    Modulation,
    ObjectRef,
    Operator,
    Requirement,
    Snapshot,
    WorkloadObject,
)

# §2.2 rule 1 (binding-controller.go 89-96): excludedGroups.
EXCLUDED_GROUPS: frozenset[str] = frozenset(
    {
        "flowcontrol.apiserver.k8s.io",
        "discovery.k8s.io",
        "apiregistration.k8s.io",
        "coordination.k8s.io",
        "control.kubestellar.io",
    }
)

# §2.2 rule 3 (binding-controller.go 98-108): excludedGroupResources, qualified by group.
EXCLUDED_GROUP_RESOURCES: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "events"),
        ("events.k8s.io", "events"),
        ("", "nodes"),
        ("", "endpoints"),
        ("storage.k8s.io", "csistoragecapacities"),
        ("storage.k8s.io", "csinodes"),
        ("control.kubestellar.io", "workstatuses"),
    }
)

# §2.2 rule 4: resources whose verbs lack list+watch are never watched.
NO_LIST_WATCH: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "bindings"),
        ("", "componentstatuses"),
        ("authentication.k8s.io", "tokenreviews"),
        ("authentication.k8s.io", "selfsubjectreviews"),
        ("authorization.k8s.io", "subjectaccessreviews"),
        ("authorization.k8s.io", "selfsubjectaccessreviews"),
        ("authorization.k8s.io", "selfsubjectrulesreviews"),
        ("authorization.k8s.io", "localsubjectaccessreviews"),
    }
)

Resolution = tuple[frozenset[str], dict[ObjectRef, Modulation]]


def is_watched(ref: ObjectRef) -> bool:
    """§2.2 / E12: only watched resources are in the workload universe."""
    gr = (ref.group, ref.resource)
    return (
        ref.group not in EXCLUDED_GROUPS
        and gr not in EXCLUDED_GROUP_RESOURCES
        and gr not in NO_LIST_WATCH
    )


def requirement_matches(req: Requirement, labels: Mapping[str, str]) -> bool:
    """§1.10 / E22: one requirement of a label selector."""
    if req.operator is Operator.IN:
        return req.key in labels and labels[req.key] in req.values
    if req.operator is Operator.NOT_IN:
        return req.key not in labels or labels[req.key] not in req.values
    if req.operator is Operator.EXISTS:
        return req.key in labels
    assert req.operator is Operator.DOES_NOT_EXIST
    return req.key not in labels


def selector_matches(sel: LabelSelector, labels: Mapping[str, str]) -> bool:
    """§1.10: requirements are ANDed; `{}` matches everything; an invalid selector nothing."""
    if sel.error is not None:
        return False
    return all(requirement_matches(req, labels) for req in sel.requirements)


def labels_match_any(labels: Mapping[str, str], sels: Iterable[LabelSelector]) -> bool:
    """§2.5 labelsMatchAny (bindingpolicy.go 231-243): any valid one matches; invalid skipped."""
    return any(sel.error is None and selector_matches(sel, labels) for sel in sels)


def selector_is_empty(sel: LabelSelector) -> bool:
    """§2.5 ALabelSelectorIsEmpty: no matchLabels and no matchExpressions at all."""
    return sel.error is None and not sel.requirements


def destinations(policy: BindingPolicy, clusters: Iterable[Cluster]) -> frozenset[str]:
    """§2.4 / E8 / E9: OR over clusterSelectors; `[]` selects none; any invalid entry -> none."""
    if any(sel.error is not None for sel in policy.cluster_selectors):
        return frozenset()
    return frozenset(
        c.name
        for c in clusters
        if any(selector_matches(sel, dict(c.labels)) for sel in policy.cluster_selectors)
    )


def list_admits(entries: tuple[str, ...] | None, value: str) -> bool:
    """§2.5 steps 2-4 / E1 / E3: empty or absent = no constraint; a whole "*" entry = all."""
    return not entries or "*" in entries or value in entries


def clause_matches(
    clause: DownsyncClause, obj: WorkloadObject, ns_labels: Mapping[str, Mapping[str, str]]
) -> bool:
    """§2.5 testObject (selectors.go 140-191), steps 1-6 in order."""
    ref = obj.ref
    # Step 1 / E2: nil apiGroup = any group; "" = core only; no aliases.
    if clause.api_group is not None and clause.api_group != ref.group:
        return False
    # Steps 2-4 / E4 / E5 / E23.
    if not list_admits(clause.resources, ref.resource):
        return False
    if not list_admits(clause.namespaces, ref.namespace):
        return False
    if not list_admits(clause.object_names, ref.name):
        return False
    # Step 5 / E8: objectSelectors, invalid ones skipped.
    if clause.object_selectors and not labels_match_any(dict(obj.labels), clause.object_selectors):
        return False
    # Step 6 / E6 / E7: namespaceSelectors, unless some entry is `{}`. The GET of Namespace
    # id.Namespace fails for "" (cluster-scoped) and for a missing Namespace.
    nsels = clause.namespace_selectors
    if nsels and not any(selector_is_empty(sel) for sel in nsels):
        if ref.namespace == "" or ref.namespace not in ns_labels:
            return False
        if not labels_match_any(ns_labels[ref.namespace], nsels):
            return False
    return True


def fold_modulations(mods: Iterable[Modulation]) -> Modulation:
    """§2.6 / E11: OR for booleans, union for statusCollectors, over one policy's clauses."""
    ms = list(mods)
    return Modulation(
        create_only=any(m.create_only for m in ms),
        status_collectors=frozenset(sc for m in ms for sc in m.status_collectors),
        want_singleton_reported_state=any(m.want_singleton_reported_state for m in ms),
        want_multi_wec_reported_state=any(m.want_multi_wec_reported_state for m in ms),
    )


def selected_objects(policy: BindingPolicy, snapshot: Snapshot) -> dict[ObjectRef, Modulation]:
    """§2.6: an object is selected iff some clause matches; fold the matching clauses' mods."""
    ns_labels = {ns.name: dict(ns.labels) for ns in snapshot.namespaces}
    out: dict[ObjectRef, Modulation] = {}
    for obj in snapshot.objects:
        if not is_watched(obj.ref):
            continue
        matching = [c.modulation for c in policy.downsync if clause_matches(c, obj, ns_labels)]
        if matching:
            out[obj.ref] = fold_modulations(matching)
    return out


def reference_resolve(snapshot: Snapshot) -> dict[str, Resolution]:
    """§2.8: each policy is resolved on its own; keyed by policy name."""
    return {
        p.name: (destinations(p, snapshot.clusters), selected_objects(p, snapshot))
        for p in snapshot.policies
    }


def reference_has_binding(snapshot: Snapshot) -> dict[str, bool]:
    """§2.7 / E10 / E25: which policies KubeStellar keeps a Binding for, keyed by policy name.

    A Binding is written only when the resolution differs from the stored spec, and an empty
    resolution (no WEC, no object) equals an empty spec: no Binding is created for it, but an
    existing one (a Binding of that name in the input) is emptied, never deleted. A policy whose
    clusterSelectors LabelSelectorAsSelector rejects fails its sync: bindlog shows no Binding
    (§6.4, a design choice).
    """
    existing = {
        b["metadata"]["name"]  # type: ignore[index]
        for b in snapshot.bindings
        if isinstance(b.get("metadata"), dict)
    }
    out: dict[str, bool] = {}
    for p in snapshot.policies:
        if any(sel.error is not None for sel in p.cluster_selectors):
            out[p.name] = False
            continue
        resolved = destinations(p, snapshot.clusters), selected_objects(p, snapshot)
        out[p.name] = bool(resolved[0]) or bool(resolved[1]) or p.name in existing
    return out
