"""Property tests: the Datalog engine against the plain-Python reference of the spec.

Random snapshots are built directly in the IR; for every policy the engine's destinations and
selected objects (with merged modulations) must equal those of `reference.py` (next to this
file). Explicit examples pin the sharpest edge cases of spec §5 to concrete expected values, so
that a bug shared by the engine and the reference still fails.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# `reference` sits next to this file; importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import Resolution, reference_has_binding, reference_resolve

from bindlog.adapters.selectors import parse_selector
from bindlog.engine.evaluate import Result, evaluate
from bindlog.export.bindings import bindings
from bindlog.model import (
    BindingPolicy,
    Cluster,
    DownsyncClause,
    LabelSelector,
    Modulation,
    Namespace,
    ObjectRef,
    Snapshot,
    WorkloadObject,
)

Resolver = Callable[[Snapshot], dict[str, Resolution]]
Labels = dict[str, str]

NS_NAME_KEY = "kubernetes.io/metadata.name"
KEYS = ("env", "tier", "region", "a.io/x", NS_NAME_KEY)
VALUES = ("", "prod", "dev", "ns1")
NS_NAMES = ("ns1", "ns2", "ns3", "ns4")
MISSING_NS = "ghost"
GROUPS = ("", "apps", "batch", "coordination.k8s.io", "example.com")
RESOURCES = ("deployments", "configmaps", "namespaces", "events", "leases", "widgets")
OBJECT_NAMES = ("a", "b", "c")


# ------------------------------------------------------------------------------------------------
# Helpers shared by properties and examples


def sel(raw: dict[str, Any]) -> LabelSelector:
    """A selector from its raw YAML form; the raw forms used here are all schema-valid."""
    problems: list[tuple[str, str]] = []
    out = parse_selector(raw, "x", problems)
    assert problems == [], problems
    return out


def labels_of(labels: Labels) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def engine_resolve(snapshot: Snapshot, result: Result | None = None) -> dict[str, Resolution]:
    """The engine's result in the reference's shape."""
    result = result or evaluate(snapshot)
    assert len(result.resolutions) == len(snapshot.policies)
    return {
        res.policy.name: (res.destinations, {o.ref: m for o, m in res.objects.items()})
        for res in result.resolutions
    }


def engine_invalid(snapshot: Snapshot) -> dict[str, bool]:
    return {res.policy.name: res.invalid for res in evaluate(snapshot).resolutions}


def assert_same(snapshot: Snapshot) -> None:
    result = evaluate(snapshot)
    engine = engine_resolve(snapshot, result)
    reference = reference_resolve(snapshot)
    # Which policies have a Binding (§2.7, E10): the exporter against the reference.
    exported = {b["metadata"]["name"]: b for b in bindings(result)}
    wanted = {name for name, has in reference_has_binding(snapshot).items() if has}
    assert set(exported) == wanted
    for name, binding in exported.items():
        dests, objs = reference[name]
        if not dests and not objs:  # kept only because it exists: emptied, never deleted
            assert binding["spec"] == {"workload": {}}, name
    assert set(engine) == set(reference)
    for name, (ref_dests, ref_objs) in reference.items():
        eng_dests, eng_objs = engine[name]
        assert eng_dests == ref_dests, f"policy {name}: destinations"
        only_engine = {str(r): m for r, m in eng_objs.items() if r not in ref_objs}
        only_reference = {str(r): m for r, m in ref_objs.items() if r not in eng_objs}
        assert (only_engine, only_reference) == ({}, {}), f"policy {name}: objects"
        for r, m in ref_objs.items():
            assert eng_objs[r] == m, f"policy {name}: modulation of {r}"


# ------------------------------------------------------------------------------------------------
# Strategies

label_dicts = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3)
keys = st.sampled_from(KEYS)
value_lists = st.lists(st.sampled_from(VALUES), min_size=1, max_size=3)

valid_expressions: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.fixed_dictionaries(
        {"key": keys, "operator": st.sampled_from(["In", "NotIn"]), "values": value_lists}
    ),
    st.fixed_dictionaries({"key": keys, "operator": st.sampled_from(["Exists", "DoesNotExist"])}),
    st.fixed_dictionaries(
        {
            "key": keys,
            "operator": st.sampled_from(["Exists", "DoesNotExist"]),
            "values": st.just([]),
        }
    ),
)
invalid_expressions: st.SearchStrategy[dict[str, Any]] = st.one_of(
    # Unknown or wrongly cased operator.
    st.fixed_dictionaries(
        {"key": keys, "operator": st.sampled_from(["Inn", "in", "exists"]), "values": value_lists}
    ),
    # In/NotIn without values.
    st.fixed_dictionaries({"key": keys, "operator": st.sampled_from(["In", "NotIn"])}),
    st.fixed_dictionaries(
        {"key": keys, "operator": st.sampled_from(["In", "NotIn"]), "values": st.just([])}
    ),
    # Exists/DoesNotExist with values.
    st.fixed_dictionaries(
        {
            "key": keys,
            "operator": st.sampled_from(["Exists", "DoesNotExist"]),
            "values": value_lists,
        }
    ),
    # A value that is not a valid label value.
    st.fixed_dictionaries({"key": keys, "operator": st.just("In"), "values": st.just(["-bad-"])}),
)


def raw_selectors(valid_only: bool) -> st.SearchStrategy[dict[str, Any]]:
    exprs = valid_expressions if valid_only else st.one_of(valid_expressions, invalid_expressions)
    match_labels = label_dicts if valid_only else st.one_of(label_dicts, st.just({"env": "-bad-"}))

    def build(ml: Labels | None, me: list[dict[str, Any]] | None) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        if ml is not None:
            raw["matchLabels"] = ml
        if me is not None:
            raw["matchExpressions"] = me
        return raw

    return st.one_of(
        st.just({}),
        st.builds(
            build,
            st.none() | match_labels.filter(lambda d: len(d) <= 2),
            st.none() | st.lists(exprs, max_size=2),
        ),
    )


def selectors(valid_only: bool) -> st.SearchStrategy[LabelSelector]:
    return raw_selectors(valid_only).map(sel)


def optional_tuple(elems: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[Any]:
    """None (key absent, most often), () (present and empty) or a short non-empty tuple."""
    non_empty = st.lists(elems, min_size=1, max_size=max_size).map(tuple)
    return st.one_of(st.none(), st.none(), st.just(()), non_empty)


modulations = st.builds(
    Modulation,
    st.booleans(),
    st.frozensets(st.sampled_from(["a", "b"])),
    st.booleans(),
    st.booleans(),
)


def _clause(
    api_group: str | None,
    resources: tuple[str, ...] | None,
    namespaces: tuple[str, ...] | None,
    namespace_selectors: tuple[LabelSelector, ...] | None,
    object_names: tuple[str, ...] | None,
    object_selectors: tuple[LabelSelector, ...] | None,
    modulation: Modulation,
) -> DownsyncClause:
    return DownsyncClause(
        api_group=api_group,
        resources=resources,
        namespaces=namespaces,
        namespace_selectors=namespace_selectors,
        object_names=object_names,
        object_selectors=object_selectors,
        modulation=modulation,
    )


clauses = st.builds(
    _clause,
    st.sampled_from([None, "", "apps", "nope", "example.com", "core"]),
    optional_tuple(st.sampled_from([*RESOURCES, "*", "deployment", "Deployments", "dep*"])),
    optional_tuple(st.sampled_from([*NS_NAMES, MISSING_NS, "", "*", "NS1"])),
    optional_tuple(selectors(valid_only=False)),
    optional_tuple(st.sampled_from([*OBJECT_NAMES, "*", "z", "a*"])),
    optional_tuple(selectors(valid_only=False)),
    modulations,
)


@st.composite
def snapshots(draw: st.DrawFn, valid_cluster_selectors: bool) -> Snapshot:
    cluster_labels = draw(st.lists(label_dicts, max_size=6))
    clusters = tuple(
        Cluster(f"wec{i}", labels_of(labels)) for i, labels in enumerate(cluster_labels)
    )
    ns_specs = draw(
        st.lists(
            st.tuples(st.sampled_from(NS_NAMES), label_dicts), max_size=4, unique_by=lambda t: t[0]
        )
    )
    namespaces = tuple(
        Namespace(name, labels_of({**labels, NS_NAME_KEY: name})) for name, labels in ns_specs
    )
    ns_choices = [n.name for n in namespaces] + [MISSING_NS]
    object_specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(GROUPS),
                st.sampled_from(RESOURCES),
                st.one_of(st.just(""), st.sampled_from(ns_choices)),
                st.sampled_from(OBJECT_NAMES),
                label_dicts,
            ),
            max_size=12,
            unique_by=lambda t: t[:4],
        )
    )
    objects = tuple(
        WorkloadObject(ObjectRef(g, "v1", r, ns, n), r.capitalize(), labels_of(labels))
        for g, r, ns, n, labels in object_specs
    )
    policy_specs = draw(
        st.lists(
            st.tuples(
                st.lists(selectors(valid_only=valid_cluster_selectors), max_size=3),
                st.lists(clauses, max_size=3),
            ),
            min_size=1,
            max_size=4,
        )
    )
    policies = tuple(
        BindingPolicy(f"p{i}", f"uid-{i}", tuple(csels), tuple(downsync))
        for i, (csels, downsync) in enumerate(policy_specs)
    )
    # Bindings already in the WDS: some named after policies, maybe a hand-made stray one.
    existing = draw(st.sets(st.sampled_from([p.name for p in policies] + ["stray"])))
    stored: tuple[dict[str, object], ...] = tuple(
        {
            "apiVersion": "control.kubestellar.io/v1alpha1",
            "kind": "Binding",
            "metadata": {"name": n},
        }
        for n in sorted(existing)
    )
    return Snapshot(clusters, namespaces, objects, policies, bindings=stored)


BASE_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


# ------------------------------------------------------------------------------------------------
# Properties


@settings(BASE_SETTINGS, max_examples=150)
@given(snapshots(valid_cluster_selectors=True))
def test_engine_equals_reference(snapshot: Snapshot) -> None:
    assert_same(snapshot)
    assert not any(engine_invalid(snapshot).values())


@settings(BASE_SETTINGS, max_examples=100)
@given(snapshots(valid_cluster_selectors=False))
def test_engine_equals_reference_with_invalid_cluster_selectors(snapshot: Snapshot) -> None:
    assert_same(snapshot)
    engine = engine_resolve(snapshot)
    invalid = engine_invalid(snapshot)
    for policy in snapshot.policies:
        expected = any(s.error is not None for s in policy.cluster_selectors)
        assert invalid[policy.name] == expected, policy.name
        if expected:
            assert engine[policy.name][0] == frozenset()


# ------------------------------------------------------------------------------------------------
# Explicit examples (spec §5), run on both the reference and the engine


@pytest.fixture(params=["reference", "engine"])
def resolve(request: pytest.FixtureRequest) -> Resolver:
    return reference_resolve if request.param == "reference" else engine_resolve


def obj(group: str, resource: str, namespace: str, name: str, **labels: str) -> WorkloadObject:
    ref = ObjectRef(group, "v1", resource, namespace, name)
    return WorkloadObject(ref, "Kind", labels_of(labels))


DEPLOY = obj("apps", "deployments", "nginx", "web", app="web")
CM_NGINX = obj("", "configmaps", "nginx", "cfg")
CM_OTHER = obj("", "configmaps", "other", "web", app="other")
CM_GHOST = obj("", "configmaps", MISSING_NS, "x")
NS_NGINX = obj("", "namespaces", "", "nginx", app="web")
NS_OTHER = obj("", "namespaces", "", "other")
CROLE = obj("rbac.authorization.k8s.io", "clusterroles", "", "web")
WIDGET = obj("example.com", "events", "nginx", "w")  # group-qualified exclusion: watched
EVENT = obj("", "events", "nginx", "ev")  # excluded
LEASE = obj("coordination.k8s.io", "leases", "nginx", "web")  # excluded group
UNIVERSE = (DEPLOY, CM_NGINX, CM_OTHER, CM_GHOST, NS_NGINX, NS_OTHER, CROLE, WIDGET, EVENT, LEASE)
WATCHED = frozenset(o.ref for o in UNIVERSE if o not in (EVENT, LEASE))
NAMESPACES = (
    Namespace("nginx", labels_of({NS_NAME_KEY: "nginx", "team": "a"})),
    Namespace("other", labels_of({NS_NAME_KEY: "other"})),
)
CLUSTERS = (
    Cluster("bare", ()),
    Cluster("empty-env", (("env", ""),)),
    Cluster("prod", (("env", "prod"),)),
    Cluster("dev", (("env", "dev"),)),
)
ALL_WECS = frozenset(c.name for c in CLUSTERS)
EVERYTHING = sel({})


def snap(
    *policies: tuple[DownsyncClause, ...] | BindingPolicy,
    objects: tuple[WorkloadObject, ...] = UNIVERSE,
) -> Snapshot:
    """A snapshot over the example universe; a bare clause tuple becomes policy p<i> to all WECs."""
    pols = tuple(
        p if isinstance(p, BindingPolicy) else BindingPolicy(f"p{i}", f"u{i}", (EVERYTHING,), p)
        for i, p in enumerate(policies)
    )
    return Snapshot(CLUSTERS, NAMESPACES, objects, pols)


def refs(*objs: WorkloadObject) -> frozenset[ObjectRef]:
    return frozenset(o.ref for o in objs)


def selected(
    resolve: Resolver, *clause_lists: tuple[DownsyncClause, ...]
) -> list[frozenset[ObjectRef]]:
    """The refs each of `clause_lists` (one policy each, all WECs) selects."""
    out = resolve(snap(*clause_lists))
    return [frozenset(out[f"p{i}"][1]) for i in range(len(clause_lists))]


def test_e1_empty_lists_are_no_constraint(resolve: Resolver) -> None:
    empty = DownsyncClause(
        resources=(), namespaces=(), namespace_selectors=(), object_names=(), object_selectors=()
    )
    only_objsel = DownsyncClause(object_selectors=())
    assert selected(resolve, (empty,), (only_objsel,), ()) == [WATCHED, WATCHED, frozenset()]


def test_e2_api_group(resolve: Resolver) -> None:
    core = refs(CM_NGINX, CM_OTHER, CM_GHOST, NS_NGINX, NS_OTHER)
    assert selected(
        resolve,
        (DownsyncClause(api_group=None),),
        (DownsyncClause(api_group=""),),
        (DownsyncClause(api_group="core"),),
        (DownsyncClause(api_group="apps"),),
        (DownsyncClause(api_group="coordination.k8s.io"),),
    ) == [WATCHED, core, frozenset(), refs(DEPLOY), frozenset()]


def test_e3_star_only_as_whole_entry(resolve: Resolver) -> None:
    assert selected(
        resolve,
        (DownsyncClause(resources=("bogus", "*")),),
        (DownsyncClause(namespaces=("*", "zzz")),),
        (DownsyncClause(object_names=("nope", "*")),),
        (DownsyncClause(resources=("config*",)),),
        (DownsyncClause(resources=("configmap", "ConfigMaps", "configmaps.v1")),),
        (DownsyncClause(object_names=("w*",)),),
    ) == [WATCHED, WATCHED, WATCHED, frozenset(), frozenset(), frozenset()]


def test_e4_e5_namespaces(resolve: Resolver) -> None:
    assert selected(
        resolve,
        (DownsyncClause(namespaces=("",)),),
        (DownsyncClause(namespaces=("nginx",)),),
        (DownsyncClause(namespaces=(MISSING_NS,)),),
    ) == [
        refs(NS_NGINX, NS_OTHER, CROLE),
        refs(DEPLOY, CM_NGINX, WIDGET),  # not the Namespace object "nginx" itself
        refs(CM_GHOST),
    ]


def test_e6_e7_namespace_selectors(resolve: Resolver) -> None:
    by_name = sel({"matchLabels": {NS_NAME_KEY: "nginx"}})
    no_such_label = sel({"matchExpressions": [{"key": "nothere", "operator": "DoesNotExist"}]})
    nothing = sel({"matchLabels": {"team": "zzz"}})
    assert selected(
        resolve,
        (DownsyncClause(namespace_selectors=(by_name,)),),
        (DownsyncClause(namespace_selectors=(no_such_label,)),),
        (DownsyncClause(namespace_selectors=(nothing, EVERYTHING)),),
        (DownsyncClause(namespace_selectors=(sel({"matchLabels": {}}),)),),
        (DownsyncClause(namespaces=(MISSING_NS,), namespace_selectors=(no_such_label,)),),
    ) == [
        refs(DEPLOY, CM_NGINX, WIDGET),  # the Namespace "nginx" is not tested against itself
        refs(DEPLOY, CM_NGINX, CM_OTHER, WIDGET),  # not cluster-scoped, not in a missing ns
        WATCHED,  # some selector is {}: the criterion passes for every object
        WATCHED,  # {"matchLabels": {}} is empty too
        frozenset(),  # E7: the Namespace is missing, so a non-{} selector fails
    ]


def test_e8_invalid_object_and_namespace_selectors_are_skipped(resolve: Resolver) -> None:
    bad_op = sel({"matchExpressions": [{"key": "app", "operator": "Inn", "values": ["web"]}]})
    in_empty = sel({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": []}]})
    exists_vals = sel(
        {"matchExpressions": [{"key": "app", "operator": "DoesNotExist", "values": ["x"]}]}
    )
    assert bad_op.error
    assert in_empty.error
    assert exists_vals.error
    app_web = sel({"matchLabels": {"app": "web"}})
    assert selected(
        resolve,
        (DownsyncClause(object_selectors=(bad_op, app_web)),),
        (DownsyncClause(object_selectors=(in_empty,)),),
        (DownsyncClause(object_selectors=(exists_vals,)),),
        (DownsyncClause(namespace_selectors=(bad_op,)),),
    ) == [refs(DEPLOY, NS_NGINX), frozenset(), frozenset(), frozenset()]


def test_e8_invalid_cluster_selector_fails_the_policy(resolve: Resolver) -> None:
    bad = sel({"matchExpressions": [{"key": "env", "operator": "In", "values": []}]})
    policy = BindingPolicy("p0", "u0", (EVERYTHING, bad), (DownsyncClause(resources=("*",)),))
    out = resolve(snap(policy))
    assert out["p0"][0] == frozenset()
    # §2.10: selection does not depend on the destinations.
    assert frozenset(out["p0"][1]) == WATCHED


def test_e8_engine_flags_invalid_policy() -> None:
    bad = sel({"matchExpressions": [{"key": "env", "operator": "Exists", "values": ["x"]}]})
    good = BindingPolicy("good", "u0", (EVERYTHING,), ())
    broken = BindingPolicy("broken", "u1", (bad, EVERYTHING), ())
    assert engine_invalid(snap(good, broken)) == {"good": False, "broken": True}


def test_e9_cluster_selector_lists(resolve: Resolver) -> None:
    clause = (DownsyncClause(resources=("configmaps",)),)
    out = resolve(
        snap(
            BindingPolicy("none", "u0", (), clause),
            BindingPolicy("all", "u1", (EVERYTHING,), clause),
            BindingPolicy("all2", "u2", (sel({"matchLabels": {}, "matchExpressions": []}),), ()),
        )
    )
    configmaps = {o.ref: Modulation() for o in (CM_NGINX, CM_OTHER, CM_GHOST)}
    assert out["none"] == (frozenset(), configmaps)
    assert out["all"][0] == ALL_WECS
    assert out["all2"] == (ALL_WECS, {})


def test_e11_modulations_fold_per_policy(resolve: Resolver) -> None:
    a = DownsyncClause(
        resources=("configmaps",),
        modulation=Modulation(create_only=True, status_collectors=frozenset({"a"})),
    )
    b = DownsyncClause(
        namespaces=("nginx",),
        modulation=Modulation(
            status_collectors=frozenset({"b", "a"}), want_singleton_reported_state=True
        ),
    )
    never = DownsyncClause(
        resources=("nope",),
        modulation=Modulation(True, frozenset({"z"}), True, True),
    )
    plain = DownsyncClause(object_names=("cfg",))
    out = resolve(snap((a, b, never), (plain,)))
    assert out["p0"][1] == {
        CM_NGINX.ref: Modulation(True, frozenset({"a", "b"}), True, False),
        CM_OTHER.ref: Modulation(True, frozenset({"a"}), False, False),
        CM_GHOST.ref: Modulation(True, frozenset({"a"}), False, False),
        DEPLOY.ref: Modulation(False, frozenset({"a", "b"}), True, False),
        WIDGET.ref: Modulation(False, frozenset({"a", "b"}), True, False),
    }
    # No merging across policies.
    assert out["p1"][1] == {CM_NGINX.ref: Modulation()}


def test_e12_exclusions(resolve: Resolver) -> None:
    excluded = tuple(
        obj(g, r, ns, "o")
        for g, r, ns in [
            ("flowcontrol.apiserver.k8s.io", "flowschemas", ""),
            ("discovery.k8s.io", "endpointslices", "default"),
            ("apiregistration.k8s.io", "apiservices", ""),
            ("coordination.k8s.io", "leases", "kube-system"),
            ("control.kubestellar.io", "bindingpolicies", ""),
            ("control.kubestellar.io", "workstatuses", "default"),
            ("", "events", "default"),
            ("events.k8s.io", "events", "default"),
            ("", "nodes", ""),
            ("", "endpoints", "default"),
            ("storage.k8s.io", "csistoragecapacities", "default"),
            ("storage.k8s.io", "csinodes", ""),
            ("", "bindings", "default"),
            ("", "componentstatuses", ""),
            ("authentication.k8s.io", "tokenreviews", ""),
            ("authentication.k8s.io", "selfsubjectreviews", ""),
            ("authorization.k8s.io", "subjectaccessreviews", ""),
            ("authorization.k8s.io", "selfsubjectaccessreviews", ""),
            ("authorization.k8s.io", "selfsubjectrulesreviews", ""),
            ("authorization.k8s.io", "localsubjectaccessreviews", "default"),
        ]
    )
    kept = tuple(
        obj(g, r, ns, "o")
        for g, r, ns in [
            ("example.com", "events", "default"),
            ("apps", "nodes", ""),
            ("", "namespaces", ""),
            ("", "pods", "kube-system"),
            ("", "serviceaccounts", "default"),
            ("", "configmaps", "kube-public"),
            ("apiextensions.k8s.io", "customresourcedefinitions", ""),
            ("storage.k8s.io", "storageclasses", ""),
            ("rbac.authorization.k8s.io", "clusterroles", ""),
        ]
    )
    clause = (DownsyncClause(resources=("*",)),)
    out = resolve(snap(clause, objects=excluded + kept))
    assert frozenset(out["p0"][1]) == refs(*kept)


def test_e22_label_selector_subtleties(resolve: Resolver) -> None:
    def expr(op: str, *values: str) -> dict[str, Any]:
        e: dict[str, Any] = {"key": "env", "operator": op}
        if values:
            e["values"] = list(values)
        return {"matchExpressions": [e]}

    cases: dict[str, tuple[tuple[dict[str, Any], ...], frozenset[str]]] = {
        "notin": ((expr("NotIn", "prod"),), frozenset({"bare", "empty-env", "dev"})),
        "dne": ((expr("DoesNotExist"),), frozenset({"bare"})),
        "exists": ((expr("Exists"),), frozenset({"empty-env", "prod", "dev"})),
        "ml-empty": (({"matchLabels": {"env": ""}},), frozenset({"empty-env"})),
        "in": ((expr("In", "prod", "dev"),), frozenset({"prod", "dev"})),
        "in-empty-value": ((expr("In", ""),), frozenset({"empty-env"})),
        "or": (
            ({"matchLabels": {"env": "prod"}}, {"matchLabels": {"env": "dev"}}),
            frozenset({"prod", "dev"}),
        ),
        "and": (({"matchLabels": {"env": "prod"}, **expr("In", "dev")},), frozenset()),
        "lowercase-op": ((expr("in", "prod"),), frozenset()),
    }
    policies = [
        BindingPolicy(name, "u", tuple(sel(raw) for raw in raws), ())
        for name, (raws, _) in cases.items()
    ]
    out = resolve(snap(*policies))
    assert {name: out[name][0] for name in cases} == {
        name: want for name, (_, want) in cases.items()
    }
    # The same subtleties apply to object labels (NotIn matches an object without the key).
    clause = DownsyncClause(
        api_group="",
        object_selectors=(
            sel({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}),
        ),
    )
    assert selected(resolve, (clause,)) == [refs(CM_NGINX, CM_OTHER, CM_GHOST, NS_OTHER)]


def test_e23_object_names_ignore_namespaces(resolve: Resolver) -> None:
    assert selected(resolve, (DownsyncClause(object_names=("web",)),)) == [
        refs(DEPLOY, CM_OTHER, CROLE)  # the lease "web" is excluded
    ]


def test_e10_which_policies_have_a_binding() -> None:
    """Pinned, so that a mistake shared by the exporter and the reference still fails."""
    clause = (DownsyncClause(resources=("configmaps",)),)
    nothing = (DownsyncClause(resources=("nothing",)),)
    bad = sel({"matchExpressions": [{"key": "env", "operator": "In", "values": []}]})
    policies = (
        BindingPolicy("objects-only", "u0", (), clause),
        BindingPolicy("wecs-only", "u1", (EVERYTHING,), nothing),
        BindingPolicy("empty", "u2", (), ()),
        BindingPolicy("empty-stored", "u3", (sel({"matchLabels": {"env": "zzz"}}),), nothing),
        BindingPolicy("invalid", "u4", (bad,), clause),
    )
    stored: tuple[dict[str, object], ...] = tuple(
        {"kind": "Binding", "metadata": {"name": n}} for n in ("empty-stored", "hand-made")
    )
    snapshot = Snapshot(CLUSTERS, NAMESPACES, UNIVERSE, policies, bindings=stored)
    want = {"objects-only": True, "wecs-only": True, "empty": False, "empty-stored": True}
    assert reference_has_binding(snapshot) == {**want, "invalid": False}
    exported = {b["metadata"]["name"]: b["spec"] for b in bindings(evaluate(snapshot))}
    assert sorted(exported) == ["empty-stored", "objects-only", "wecs-only"]
    assert exported["empty-stored"] == {"workload": {}}
    assert "destinations" not in exported["objects-only"]
    assert exported["wecs-only"] == {
        "workload": {},
        "destinations": [{"clusterId": c} for c in ("bare", "dev", "empty-env", "prod")],
    }
