"""Kind -> plural resource name, as the API server's discovery would answer.

KubeStellar identifies objects by resource (lowercase plural), and clauses test that name, so a
file-based input must map each kind the way discovery does: a table of the built-in kinds, the
CustomResourceDefinitions found in the input, explicit `KIND.GROUP=plural` mappings, and, only when
asked for, kubectl's guessing rule.
"""

from __future__ import annotations

from dataclasses import dataclass

# (group, kind) -> (resource, namespaced)
BUILTIN_KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("", "Binding"): ("bindings", True),
    ("", "ComponentStatus"): ("componentstatuses", False),
    ("", "ConfigMap"): ("configmaps", True),
    ("", "Endpoints"): ("endpoints", True),
    ("", "Event"): ("events", True),
    ("", "LimitRange"): ("limitranges", True),
    ("", "Namespace"): ("namespaces", False),
    ("", "Node"): ("nodes", False),
    ("", "PersistentVolume"): ("persistentvolumes", False),
    ("", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("", "Pod"): ("pods", True),
    ("", "PodTemplate"): ("podtemplates", True),
    ("", "ReplicationController"): ("replicationcontrollers", True),
    ("", "ResourceQuota"): ("resourcequotas", True),
    ("", "Secret"): ("secrets", True),
    ("", "Service"): ("services", True),
    ("", "ServiceAccount"): ("serviceaccounts", True),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): (
        "mutatingwebhookconfigurations",
        False,
    ),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): (
        "validatingwebhookconfigurations",
        False,
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"): (
        "validatingadmissionpolicies",
        False,
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"): (
        "validatingadmissionpolicybindings",
        False,
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): ("customresourcedefinitions", False),
    ("apiregistration.k8s.io", "APIService"): ("apiservices", False),
    ("apps", "ControllerRevision"): ("controllerrevisions", True),
    ("apps", "DaemonSet"): ("daemonsets", True),
    ("apps", "Deployment"): ("deployments", True),
    ("apps", "ReplicaSet"): ("replicasets", True),
    ("apps", "StatefulSet"): ("statefulsets", True),
    ("authentication.k8s.io", "SelfSubjectReview"): ("selfsubjectreviews", False),
    ("authentication.k8s.io", "TokenReview"): ("tokenreviews", False),
    ("authorization.k8s.io", "LocalSubjectAccessReview"): ("localsubjectaccessreviews", True),
    ("authorization.k8s.io", "SelfSubjectAccessReview"): ("selfsubjectaccessreviews", False),
    ("authorization.k8s.io", "SelfSubjectRulesReview"): ("selfsubjectrulesreviews", False),
    ("authorization.k8s.io", "SubjectAccessReview"): ("subjectaccessreviews", False),
    ("autoscaling", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("batch", "CronJob"): ("cronjobs", True),
    ("batch", "Job"): ("jobs", True),
    ("certificates.k8s.io", "CertificateSigningRequest"): ("certificatesigningrequests", False),
    ("cluster.open-cluster-management.io", "ManagedCluster"): ("managedclusters", False),
    ("control.kubestellar.io", "Binding"): ("bindings", False),
    ("control.kubestellar.io", "BindingPolicy"): ("bindingpolicies", False),
    ("control.kubestellar.io", "CombinedStatus"): ("combinedstatuses", True),
    ("control.kubestellar.io", "CustomTransform"): ("customtransforms", False),
    ("control.kubestellar.io", "StatusCollector"): ("statuscollectors", False),
    ("coordination.k8s.io", "Lease"): ("leases", True),
    ("discovery.k8s.io", "EndpointSlice"): ("endpointslices", True),
    ("events.k8s.io", "Event"): ("events", True),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"): ("flowschemas", False),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"): (
        "prioritylevelconfigurations",
        False,
    ),
    ("networking.k8s.io", "Ingress"): ("ingresses", True),
    ("networking.k8s.io", "IngressClass"): ("ingressclasses", False),
    ("networking.k8s.io", "NetworkPolicy"): ("networkpolicies", True),
    ("node.k8s.io", "RuntimeClass"): ("runtimeclasses", False),
    ("policy", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
    ("rbac.authorization.k8s.io", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("rbac.authorization.k8s.io", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io", "RoleBinding"): ("rolebindings", True),
    ("scheduling.k8s.io", "PriorityClass"): ("priorityclasses", False),
    ("storage.k8s.io", "CSIDriver"): ("csidrivers", False),
    ("storage.k8s.io", "CSINode"): ("csinodes", False),
    ("storage.k8s.io", "CSIStorageCapacity"): ("csistoragecapacities", True),
    ("storage.k8s.io", "StorageClass"): ("storageclasses", False),
    ("storage.k8s.io", "VolumeAttachment"): ("volumeattachments", False),
}


# group -> versions a current API server serves (Kubernetes 1.33 with its default feature gates,
# OCM, KubeStellar); the first is the preferred one. A manifest at another version of a built-in
# kind is rejected by the API server ("no matches for kind ... in version ...").
BUILTIN_VERSIONS: dict[str, tuple[str, ...]] = {
    "": ("v1",),
    "admissionregistration.k8s.io": ("v1",),
    "apiextensions.k8s.io": ("v1",),
    "apiregistration.k8s.io": ("v1",),
    "apps": ("v1",),
    "authentication.k8s.io": ("v1",),
    "authorization.k8s.io": ("v1",),
    "autoscaling": ("v2", "v1"),
    "batch": ("v1",),
    "certificates.k8s.io": ("v1",),
    "cluster.open-cluster-management.io": ("v1",),
    "control.kubestellar.io": ("v1alpha1",),
    "coordination.k8s.io": ("v1",),
    "discovery.k8s.io": ("v1",),
    "events.k8s.io": ("v1",),
    "flowcontrol.apiserver.k8s.io": ("v1",),
    "networking.k8s.io": ("v1",),
    "node.k8s.io": ("v1",),
    "policy": ("v1",),
    "rbac.authorization.k8s.io": ("v1",),
    "scheduling.k8s.io": ("v1",),
    "storage.k8s.io": ("v1",),
}


def api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def other_groups_hint(group: str, kind: str) -> str:
    """` (did you mean apiVersion "control.kubestellar.io/v1alpha1"?)` when `kind` is a built-in
    kind of another group, else ""."""
    choices = sorted(
        api_version(g, BUILTIN_VERSIONS[g][0])
        for g, k in BUILTIN_KINDS
        if k == kind and g != group and g in BUILTIN_VERSIONS
    )
    if not choices:
        return ""
    return " (did you mean apiVersion " + " or ".join(f'"{c}"' for c in choices) + "?)"


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    resource: str
    namespaced: bool | None  # None: unknown, so the object's own metadata.namespace decides


def guess_resource(kind: str) -> str:
    """kubectl's UnsafeGuessKindToResource: lowercase, then a naive English plural."""
    singular = kind.lower()
    if not singular:
        return singular
    if singular.endswith("endpoints"):
        return singular
    if singular.endswith("s"):
        return singular + "es"
    if singular.endswith("y"):
        return singular[:-1] + "ies"
    return singular + "s"


class ResourceMapper:
    """Answers kind -> resource for one load, from the table, CRDs, explicit maps and guesses."""

    def __init__(self, explicit: dict[tuple[str, str], str] | None = None, guess: bool = False):
        self._explicit = dict(explicit or {})
        self._crds: dict[tuple[str, str], ResourceInfo] = {}
        self._crd_versions: dict[tuple[str, str], frozenset[str]] = {}
        self._guess = guess

    def add_crd(
        self,
        group: str,
        kind: str,
        plural: str,
        namespaced: bool,
        versions: frozenset[str] = frozenset(),
    ) -> None:
        self._crds[(group, kind)] = ResourceInfo(plural, namespaced)
        if versions:
            self._crd_versions[(group, kind)] = versions

    def defines(self, group: str, kind: str) -> bool:
        """Is (group, kind) known from the table, a CRD in the input or an explicit mapping?"""
        key = (group, kind)
        return key in BUILTIN_KINDS or key in self._crds or key in self._explicit

    def version_problem(self, group: str, version: str, kind: str) -> str | None:
        """Why the API server would not serve `kind` at `version`, or None.

        Built-in kinds are checked against BUILTIN_VERSIONS, CRD kinds against the CRD's served
        versions; kinds given by --resource-map or guessed are not checked.
        """
        key = (group, kind)
        if key in self._explicit:
            return None
        if key in self._crds:
            served: tuple[str, ...] = tuple(sorted(self._crd_versions.get(key, ())))
        elif key in BUILTIN_KINDS and group in BUILTIN_VERSIONS:
            served = BUILTIN_VERSIONS[group]
        else:
            return None
        if not served or version in served:
            return None
        listed = ", ".join(api_version(group, v) for v in served)
        return (
            f'no matches for kind "{kind}" in version "{api_version(group, version)}" '
            f"(served: {listed})"
        )

    def lookup(self, group: str, kind: str) -> ResourceInfo | None:
        key = (group, kind)
        if key in self._explicit:
            builtin = BUILTIN_KINDS.get(key)
            crd = self._crds.get(key)
            scope = builtin[1] if builtin else (crd.namespaced if crd else None)
            return ResourceInfo(self._explicit[key], scope)
        if key in self._crds:
            return self._crds[key]
        if key in BUILTIN_KINDS:
            resource, namespaced = BUILTIN_KINDS[key]
            return ResourceInfo(resource, namespaced)
        if self._guess:
            return ResourceInfo(guess_resource(kind), None)
        return None


def parse_resource_map(text: str) -> tuple[tuple[str, str], str]:
    """Parse `KIND.GROUP=plural` (or `KIND=plural` for the core group) into ((group, kind), plural).

    Raises ValueError with a usage message when the text does not have that form.
    """
    lhs, eq, plural = text.partition("=")
    kind, _, group = lhs.partition(".")
    if not eq or not kind or not plural or plural != plural.lower() or "/" in plural:
        raise ValueError(
            f"invalid resource map {text!r}: expected KIND.GROUP=plural (e.g. "
            "Widget.example.com=widgets, or Widget=widgets for the core group)"
        )
    return (group, kind), plural
