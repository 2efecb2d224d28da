"""Why (and why not) an object is bound to a WEC; what a WEC receives; what a policy selects.

Every verdict comes from the rules: bound tuples are proven, missing ones refuted, both by
`engine.provenance.Prover` over the knowledge base that decided. The selected WECs and objects of
a policy are read from the evaluated result (the same derived relations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from bindlog.adapters.namespaces import missing_namespaces
from bindlog.analysis.describe import RELATIVE, Described, Describer
from bindlog.changes import key_of
from bindlog.engine.bound import BoundModel
from bindlog.engine.evaluate import PolicyResolution, Result
from bindlog.engine.facts import binding_names
from bindlog.engine.program import Rule, Var
from bindlog.engine.provenance import Fact, Failure, Proof, Prover, Refutation
from bindlog.errors import BindlogError
from bindlog.model import DownsyncClause, Modulation, WorkloadObject

Value = str | int | None


class LookupError_(BindlogError):
    """The object, WEC or policy asked about is not in the input."""


@dataclass(frozen=True, slots=True)
class Via:
    """One policy through which an object reaches a WEC."""

    policy: str
    clauses: tuple[int, ...]  # indices into spec.downsync that match the object
    cluster_selectors: tuple[int, ...]  # indices into spec.clusterSelectors that match the WEC
    modulation: Modulation


@dataclass(frozen=True, slots=True)
class Leaf:
    """A fact that makes a goal fail (or hold): the bottom of a proof or refutation."""

    text: str
    source: str | None = None
    holds: bool = False  # True for a fact that holds and blocks (a negated premise)


@dataclass(frozen=True, slots=True)
class Verdict:
    """For one policy: does it select the object, the WEC, and if not, the facts why."""

    policy: str
    selects_object: bool
    selects_wec: bool | None  # None when no WEC was asked about
    object_reasons: tuple[tuple[str, tuple[Leaf, ...]], ...] = ()  # (clause, leaves)
    wec_reasons: tuple[Leaf, ...] = ()
    object_refutation: Refutation | None = None
    wec_refutation: Refutation | None = None


@dataclass(slots=True)
class ObjectReport:
    obj: WorkloadObject
    bound: dict[str, list[Via]] = field(default_factory=dict)
    selected_without_wecs: list[str] = field(default_factory=list)
    never_downsynced: bool = False
    namespace_selectors_involved: bool = False  # the live Binding may lag (spec §2.11)
    missing_namespace: bool = False  # its Namespace is absent and namespaceSelectors test it
    wec: str | None = None
    verdicts: list[Verdict] = field(default_factory=list)  # when `wec` is not bound
    proofs: list[Proof] = field(default_factory=list)  # when `wec` is bound


@dataclass(slots=True)
class WecReport:
    wec: str
    labels: dict[str, str]
    policies: dict[str, tuple[int, ...]]  # policy -> matching clusterSelectors indices
    objects: dict[str, list[str]]  # policy -> objects received through it


@dataclass(slots=True)
class PolicyReport:
    policy: str
    wecs: list[str]
    objects: list[tuple[str, tuple[int, ...]]]  # object, matching clause indices
    invalid: bool
    binding: bool = True  # whether KubeStellar keeps a Binding for it
    existing_binding: bool = False  # a Binding of its name is in the input
    missing_namespaces: tuple[str, ...] = ()  # absent Namespaces its namespaceSelectors test


class Explainer:
    """Answers why-questions about one evaluated snapshot."""

    def __init__(
        self, result: Result | BoundModel, max_depth: int = 16, max_nodes: int = 400
    ) -> None:
        self.result = result
        self.snapshot = result.snapshot
        self.encoding = result.encoding
        # The rules of the model that decided (an edited program explains itself).
        self.prover = Prover(
            result.kb.program, result.inputs, result.encoding, max_depth, max_nodes
        )
        self.describer = Describer(result.encoding)

    # --- lookups: the model's ids, by identity ----------------------------------------------

    @cached_property
    def _missing_namespaces(self) -> dict[str, tuple[str, ...]]:
        return missing_namespaces(self.snapshot)

    def _object_id(self, obj: WorkloadObject) -> int:
        return self.encoding.object_ids[key_of(obj)]

    @cached_property
    def _policy_index(self) -> dict[str, int]:
        return self.encoding.policy_ids

    @cached_property
    def _wec_index(self) -> dict[str, int]:
        return self.encoding.wec_ids

    def wec_id(self, name: str) -> int:
        if name not in self._wec_index:
            raise LookupError_(f"WEC {name!r} is not in the inventory (no ManagedCluster named so)")
        return self._wec_index[name]

    def policy_id(self, name: str) -> int:
        if name not in self._policy_index:
            raise LookupError_(f"BindingPolicy {name!r} is not in the input")
        return self._policy_index[name]

    def _resolution(self, p: int) -> PolicyResolution:
        return self.result.resolution(p)

    # --- objects ----------------------------------------------------------------------------

    def explain_object(
        self, obj: WorkloadObject, wec: str | None = None, proofs: bool = True
    ) -> ObjectReport:
        o = self._object_id(obj)
        report = ObjectReport(obj, wec=wec)
        ref = obj.ref
        report.never_downsynced = not self.prover.holds(Fact("watched", (ref.group, ref.resource)))
        report.missing_namespace = ref.namespace in self._missing_namespaces
        by_namespace_labels: set[str] = set()  # policies selecting it through them
        for p in self.result.policies_selecting_object(o):
            res = self._resolution(p)
            mod = res.objects[obj]
            clauses = self._matching_clauses(p, o)
            if ref.namespace and any(
                _tests_namespace_labels(res.policy.downsync[i]) for i in clauses
            ):
                by_namespace_labels.add(res.policy.name)
            if not res.destinations:
                report.selected_without_wecs.append(res.policy.name)
                continue
            per_wec = self._matching_cluster_selectors(p)
            for wec_name in sorted(res.destinations):
                via = Via(res.policy.name, clauses, per_wec.get(wec_name, ()), mod)
                report.bound.setdefault(wec_name, []).append(via)
        if wec is None:
            report.namespace_selectors_involved = bool(by_namespace_labels)
            return report
        c = self.wec_id(wec)
        if wec in report.bound:
            report.namespace_selectors_involved = any(
                via.policy in by_namespace_labels for via in report.bound[wec]
            )
            for via in report.bound[wec] if proofs else ():
                proof = self.prover.prove(Fact("binds", (c, o, self.policy_id(via.policy))))
                if proof is not None:
                    report.proofs.append(proof)
            return report
        for p in self.result.ids:
            verdict = self._verdict(p, o, c, self.encoding.policies[p].name)
            report.verdicts.append(verdict)
            if ref.namespace and _mentions_namespace_labels(verdict.object_refutation):
                report.namespace_selectors_involved = True
        return report

    def _matching_clauses(self, p: int, o: int) -> tuple[int, ...]:
        enc = self.encoding
        return tuple(
            sorted(
                c
                for j in enc.policy_clauses.get(p, ())
                if self.prover.holds(Fact("clause_matches", (j, o)))
                for c in enc.clause_indexes[j]
            )
        )

    def _matching_cluster_selectors(self, p: int) -> dict[str, tuple[int, ...]]:
        return self.result.matching_cluster_selectors(p)

    def _verdict(self, p: int, o: int, c: int, name: str) -> Verdict:
        obj_goal = Fact("policy_object", (p, o, "selected", ""))
        wec_goal = Fact("selects_wec", (p, c))
        obj_ref = self.prover.refute(obj_goal)
        wec_ref = self.prover.refute(wec_goal)
        ctx: dict[str, Value] = {"P": p, "O": o, "C": c}
        object_reasons: list[tuple[str, tuple[Leaf, ...]]] = []
        if obj_ref is not None:
            for attempt in obj_ref.attempts:
                for failure in attempt.failures:
                    env = {**ctx, **dict(failure.bindings), RELATIVE: True}
                    clause = self.describer.clause(env.get("J"))
                    object_reasons.append((clause, tuple(self._leaves_of_failure(failure, env))))
        wec_leaves = tuple(self._leaves(wec_ref, ctx)) if wec_ref is not None else ()
        return Verdict(
            name,
            obj_ref is None,
            wec_ref is None,
            tuple(object_reasons),
            wec_leaves,
            obj_ref,
            wec_ref,
        )

    def _leaves(self, ref: Refutation, ctx: dict[str, Value]) -> list[Leaf]:
        if ref.builtin is not None:
            text = ref.builtin
            c = ctx.get("C")
            if ref.fact.predicate == "wec_selector_matches" and c is not None:
                # The builtin answers per label class; name the WEC the question is about.
                text = self.encoding.explain_selector_failure(ref.fact, wec=int(c))
            return [Leaf(self._selector_place(ref.fact, ctx) + text)]
        if not ref.attempts:
            return [self._leaf(self.describer.describe(ref.fact, ctx), holds=False)]
        # Every failure is one partial solution that got stuck, of one rule or another: the
        # goal would hold if any one of them went through, so they are alternatives.
        per_attempt = [
            _dedupe(self._leaves_of_failure(failure, {**ctx, **dict(failure.bindings)}))
            for attempt in ref.attempts
            for failure in attempt.failures
        ]
        later = _dedupe(
            [
                leaf
                for attempt in ref.attempts
                for failure in attempt.failures
                for leaf in self._later_failures(attempt.rule, failure, ctx)
            ]
        )
        return _dedupe([*self._first_failures(per_attempt), *later])

    def _first_failures(self, per_attempt: list[list[Leaf]]) -> list[Leaf]:
        if len(per_attempt) > 1 and all(len(leaves) == 1 for leaves in per_attempt):
            # Alternative rules, each stopped by one fact: any one of them would do.
            alternatives = _dedupe([leaves[0] for leaves in per_attempt])
            # Missing facts read as one "needs one of"; failed selectors, which say what they
            # require, stay one a line.
            if len(alternatives) > 1 and all(
                not leaf.holds and leaf.text.startswith("needs") for leaf in alternatives
            ):
                text = "needs one of: " + " | ".join(
                    leaf.text.removeprefix("needs: ").removeprefix("needs one of: ")
                    for leaf in alternatives
                )
                sources = {leaf.source for leaf in alternatives if leaf.source}
                return [Leaf(text, sources.pop() if len(sources) == 1 else None)]
            return alternatives
        return _dedupe([leaf for leaves in per_attempt for leaf in leaves])

    def _later_failures(self, rule: Rule, failure: Failure, ctx: dict[str, Value]) -> list[Leaf]:
        """The rule's other premises that fail too, once ground: a refutation stops at the
        first failing premise, but a reader wants every failing test of a clause at once."""
        env = {**ctx, **dict(failure.bindings)}
        held = {proof.fact for proof in failure.held}
        leaves: list[Leaf] = []
        for atom in rule.body:
            if atom == failure.failed:
                continue
            args = tuple(env.get(a.name) if isinstance(a, Var) else a for a in atom.args)
            if any(a is None for a in args):
                continue  # depends on a value the failed premise would have given
            fact = Fact(atom.predicate, args)
            if fact in held:
                continue
            if atom.negated:
                if self.prover.holds(fact):
                    leaves.append(self._leaf(self.describer.describe(fact, env), holds=True))
                continue
            refutation = self.prover.refute(fact)
            if refutation is not None:
                leaves.extend(self._leaves(refutation, env))
        return leaves

    def _leaves_of_failure(self, failure: object, env: dict[str, Value]) -> list[Leaf]:
        assert isinstance(failure, Failure)
        if failure.failed.negated:
            return [self._leaf(self.describer.describe(failure.failed_fact, env), holds=True)]
        if failure.reason is None:
            return [self._leaf(self.describer.describe(failure.failed_fact, env), holds=False)]
        return self._leaves(failure.reason, env)

    def _selector_place(self, fact: Fact, ctx: dict[str, Value]) -> str:
        """`spec.clusterSelectors[i]: ` for a cluster selector of the policy in context."""
        p = ctx.get("P")
        if fact.predicate != "wec_selector_matches" or p is None or fact.args[0] is None:
            return ""
        sel = self.encoding.wec_selectors[int(fact.args[0])]
        indices = [
            i for i, s in enumerate(self.encoding.policies[int(p)].cluster_selectors) if s == sel
        ]
        return "".join(f"spec.clusterSelectors[{i}]: " for i in indices[:1])

    @staticmethod
    def _leaf(described: Described, holds: bool) -> Leaf:
        source = str(described.source) if described.source else None
        text = described.text if holds else f"needs: {described.text}"
        return Leaf(text, source, holds)

    # --- WECs and policies ------------------------------------------------------------------

    def explain_wec(self, name: str) -> WecReport:
        c = self.wec_id(name)
        cluster = self.encoding.wecs[c]
        policies: dict[str, tuple[int, ...]] = {}
        objects: dict[str, list[str]] = {}
        for p in self.result.policies_selecting_wec(c):
            res = self._resolution(p)
            policies[res.policy.name] = self._matching_cluster_selectors(p).get(name, ())
            objects[res.policy.name] = sorted(str(o.ref) for o in res.objects)
        return WecReport(name, dict(cluster.labels), policies, objects)

    def explain_policy(self, name: str) -> PolicyReport:
        p = self.policy_id(name)
        res = self._resolution(p)
        objects = [
            (str(obj.ref), self._matching_clauses(p, self._object_id(obj)))
            for obj in sorted(res.objects, key=lambda o: o.ref)
        ]
        existing = name in binding_names(self.snapshot.bindings)
        tested = tuple(ns for ns, pols in self._missing_namespaces.items() if name in pols)
        return PolicyReport(
            name,
            sorted(res.destinations),
            objects,
            res.invalid,
            res.has_binding,
            existing,
            tested,
        )


def _tests_namespace_labels(clause: DownsyncClause) -> bool:
    """A clause whose namespaceSelectors decide something (none of them is `{}`)."""
    selectors = clause.namespace_selectors or ()
    return bool(selectors) and not any(s.is_empty for s in selectors)


# The facts through which a refutation can depend on a Namespace's labels.
_NAMESPACE_LABEL_FACTS = frozenset({"namespace_selector_matches", "namespace"})


def _mentions_namespace_labels(ref: Refutation | None) -> bool:
    """Did the object fail on a Namespace's labels (or its absence) somewhere below `ref`?"""
    if ref is None:
        return False
    if ref.fact.predicate in _NAMESPACE_LABEL_FACTS:
        return True
    return any(
        failure.failed_fact.predicate in _NAMESPACE_LABEL_FACTS
        or _mentions_namespace_labels(failure.reason)
        for attempt in ref.attempts
        for failure in attempt.failures
    )


def _dedupe(leaves: list[Leaf]) -> list[Leaf]:
    seen: set[Leaf] = set()
    out = []
    for leaf in leaves:
        if leaf not in seen:
            seen.add(leaf)
            out.append(leaf)
    return out


# kubectl's short names for the built-in kinds, as (group, kind) -> names.
SHORT_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "ConfigMap"): ("cm",),
    ("", "Endpoints"): ("ep",),
    ("", "Event"): ("ev",),
    ("", "LimitRange"): ("limits",),
    ("", "Namespace"): ("ns",),
    ("", "Node"): ("no",),
    ("", "PersistentVolume"): ("pv",),
    ("", "PersistentVolumeClaim"): ("pvc",),
    ("", "Pod"): ("po",),
    ("", "ReplicationController"): ("rc",),
    ("", "ResourceQuota"): ("quota",),
    ("", "Service"): ("svc",),
    ("", "ServiceAccount"): ("sa",),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): ("crd", "crds"),
    ("apps", "DaemonSet"): ("ds",),
    ("apps", "Deployment"): ("deploy",),
    ("apps", "ReplicaSet"): ("rs",),
    ("apps", "StatefulSet"): ("sts",),
    ("autoscaling", "HorizontalPodAutoscaler"): ("hpa",),
    ("batch", "CronJob"): ("cj",),
    ("networking.k8s.io", "Ingress"): ("ing",),
    ("networking.k8s.io", "NetworkPolicy"): ("netpol",),
    ("policy", "PodDisruptionBudget"): ("pdb",),
    ("scheduling.k8s.io", "PriorityClass"): ("pc",),
    ("storage.k8s.io", "StorageClass"): ("sc",),
}
WEC_TYPES = frozenset({"wec", "wecs", "managedcluster", "managedclusters", "mcl"})
POLICY_TYPES = frozenset({"bindingpolicy", "bindingpolicies", "bp"})


def type_matches(type_text: str, obj: WorkloadObject) -> bool:
    """Does kubectl's TYPE name obj? TYPE is a plural, singular, Kind or short name, optionally
    qualified as `.group` or `.version.group` (`.version` alone for the core group)."""
    ref = obj.ref
    names = {ref.resource, obj.kind.lower(), *SHORT_NAMES.get((ref.group, obj.kind), ())}
    base, _, qualifier = type_text.lower().partition(".")
    if base not in names:
        return False
    group = ref.group.lower()
    return qualifier in ("", group, f"{ref.version}.{group}".rstrip("."), ref.version + ".")


def find_object(result: Result, type_text: str, name: str, namespace: str | None) -> WorkloadObject:
    """The one object TYPE/NAME [-n NAMESPACE] names; without a namespace, any namespace."""
    candidates = [
        o
        for o in result.snapshot.objects
        if o.ref.name == name
        and type_matches(type_text, o)
        and (namespace is None or o.ref.namespace == namespace or not o.ref.namespace)
    ]
    if not candidates:
        where = f" in namespace {namespace!r}" if namespace else ""
        raise LookupError_(f"no object {type_text}/{name}{where} in the input")
    if len(candidates) > 1:
        listed = ", ".join(str(o.ref) for o in candidates)
        raise LookupError_(
            f"{type_text}/{name} names several objects ({listed}): add -n NAMESPACE "
            "or qualify TYPE with its group (e.g. deployments.apps)"
        )
    return candidates[0]
