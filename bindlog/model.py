"""Typed intermediate representation shared by every stage.

Adapters build these values, the engine turns them into facts, the exporter turns derived relations
back into Binding objects. Everything is frozen and hashable so that snapshots compare in tests and
can be diffed. No I/O and no pyDatalog here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Source:
    """Where an input came from; named in errors, warnings and proofs."""

    path: str  # "policies.yaml", "<stdin>", "cluster:wds1"
    document: int  # 0-based index in a multi-document stream
    item: int | None = None  # index in the `items` of a List document

    def __str__(self) -> str:
        if self.item is None:
            return f"{self.path}[doc {self.document}]"
        return f"{self.path}[doc {self.document}, item {self.item}]"


UNKNOWN_SOURCE = Source("<api>", 0)


class Operator(enum.Enum):
    """Label selector operators, exactly as apimachinery spells them."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement of a label selector (a matchLabels entry becomes `key In [value]`)."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A metav1.LabelSelector after parsing.

    `error` is set when apimachinery's LabelSelectorAsSelector would reject the selector; such a
    selector never matches anything (KubeStellar skips it on the object side).
    """

    requirements: tuple[Requirement, ...] = ()
    error: str | None = None
    text: str = "{}"  # canonical, human-readable form for messages and explanations

    @property
    def is_empty(self) -> bool:
        """True for `{}`: no matchLabels and no matchExpressions (ALabelSelectorIsEmpty)."""
        return not self.requirements and self.error is None


@dataclass(frozen=True, slots=True)
class Modulation:
    """DownsyncModulation; merged across matching clauses by OR and set union."""

    create_only: bool = False
    status_collectors: frozenset[str] = frozenset()
    want_singleton_reported_state: bool = False
    want_multi_wec_reported_state: bool = False

    def words(self) -> list[str]:
        """The modulations that are set, as KubeStellar's field names, for display."""
        out = ["createOnly"] if self.create_only else []
        if self.status_collectors:
            out.append("statusCollectors=" + ",".join(sorted(self.status_collectors)))
        if self.want_singleton_reported_state:
            out.append("wantSingletonReportedState")
        if self.want_multi_wec_reported_state:
            out.append("wantMultiWECReportedState")
        return out


@dataclass(frozen=True, slots=True)
class DownsyncClause:
    """DownsyncPolicyClause: an object test plus a modulation.

    `None` for a list means the key was absent; `()` means it was present and empty. KubeStellar
    treats both as "no constraint"; the distinction only matters for CRD validation.
    """

    api_group: str | None = None
    resources: tuple[str, ...] | None = None
    namespaces: tuple[str, ...] | None = None
    namespace_selectors: tuple[LabelSelector, ...] | None = None
    object_names: tuple[str, ...] | None = None
    object_selectors: tuple[LabelSelector, ...] | None = None
    modulation: Modulation = Modulation()


@dataclass(frozen=True, slots=True)
class BindingPolicy:
    name: str
    uid: str
    cluster_selectors: tuple[LabelSelector, ...]
    downsync: tuple[DownsyncClause, ...]
    source: Source = UNKNOWN_SOURCE
    labels: tuple[tuple[str, str], ...] = ()  # metadata.labels, for `-l` on the command line


@dataclass(frozen=True, slots=True)
class Cluster:
    """A WEC as the inventory (an OCM ManagedCluster) describes it."""

    name: str
    labels: tuple[tuple[str, str], ...]
    source: Source = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: tuple[tuple[str, str], ...]
    source: Source = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """KubeStellar's object identifier: namespace is "" for cluster-scoped objects."""

    group: str
    version: str
    resource: str
    namespace: str
    name: str

    def __str__(self) -> str:
        gr = f"{self.resource}.{self.group}" if self.group else self.resource
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{gr}/{where}{self.name}"


@dataclass(frozen=True, slots=True)
class WorkloadObject:
    ref: ObjectRef
    kind: str
    labels: tuple[tuple[str, str], ...]
    resource_version: str = ""
    source: Source = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the resolution depends on, from files or from a cluster alike."""

    clusters: tuple[Cluster, ...] = ()
    namespaces: tuple[Namespace, ...] = ()
    objects: tuple[WorkloadObject, ...] = ()
    policies: tuple[BindingPolicy, ...] = ()
    bindings: tuple[dict[str, object], ...] = field(default=(), compare=False, hash=False)
