"""What-ifs cost what they change: held changes are rolled back from what they saved, and the
results share the base's unchanged parts. These tests check that sharing never leaks: many
what-ifs on one model, each equal to a full evaluation of its edited input; the base intact
after them (also when its result was never built first); results taken earlier unchanged by
later ones; the lazily built parts (snapshot, destinations) equal to what a full build gives.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import given, settings
from hypothesis import strategies as st
from test_incremental import change_sets, observable
from test_properties import BASE_SETTINGS, snapshots

from bindlog.adapters.selectors import parse_selector
from bindlog.changes import (
    Change,
    ChangeError,
    ChangeSet,
    Delete,
    Key,
    Put,
    SetLabels,
    SnapshotIndex,
    apply_to_snapshot,
    overlay,
)
from bindlog.engine.evaluate import PolicyResolution, evaluate
from bindlog.engine.incremental import Model
from bindlog.model import (
    BindingPolicy,
    Cluster,
    DownsyncClause,
    LabelSelector,
    Namespace,
    ObjectRef,
    Snapshot,
    WorkloadObject,
)


@st.composite
def model_and_change_sets(draw: st.DrawFn) -> tuple[Snapshot, list[list[Change]]]:
    snapshot = draw(snapshots(valid_cluster_selectors=False))
    return snapshot, [draw(change_sets(snapshot)) for _ in range(draw(st.integers(2, 4)))]


@settings(BASE_SETTINGS, max_examples=25)
@given(model_and_change_sets(), st.booleans())
def test_many_what_ifs_in_a_row_each_equal_a_full_evaluation(
    case: tuple[Snapshot, list[list[Change]]], base_built_first: bool
) -> None:
    snapshot, batches = case
    model = Model(snapshot)
    # Without the base result built first, parts of it are built while a change is held.
    base = observable(model.result) if base_built_first else None
    answers = []
    for changes in batches:
        try:
            edited = apply_to_snapshot(snapshot, changes)
        except ChangeError:
            continue
        result = model.what_if(ChangeSet(tuple(changes)))
        answers.append((result, observable(result)))
        assert answers[-1][1] == observable(evaluate(edited))
        assert result.snapshot == edited
    # Results handed out earlier are values: later what-ifs do not change them.
    for result, seen in answers:
        assert observable(result) == seen
    assert observable(model.result) == observable(evaluate(snapshot))
    if base is not None:
        assert observable(model.result) == base
    assert model.snapshot == snapshot
    # The restored model still takes changes exactly.
    if batches and not _fails(snapshot, batches[0]):
        applied = model.apply(ChangeSet(tuple(batches[0])))
        assert observable(applied) == observable(evaluate(apply_to_snapshot(snapshot, batches[0])))


def _fails(snapshot: Snapshot, changes: list[Change]) -> bool:
    try:
        apply_to_snapshot(snapshot, changes)
    except ChangeError:
        return True
    return False


def _obj(ns: str, name: str, **labels: str) -> WorkloadObject:
    ref = ObjectRef("", "v1", "configmaps", ns, name)
    return WorkloadObject(ref, "ConfigMap", tuple(sorted(labels.items())))


def _sel(**labels: str) -> tuple[LabelSelector]:
    return (parse_selector({"matchLabels": labels}, "spec", []),)


def _snapshot() -> Snapshot:
    clusters = tuple(
        Cluster(f"wec{i}", (("env", "prod" if i % 2 else "dev"), ("n", str(i)))) for i in range(6)
    )
    namespaces = (
        Namespace("a", (("kubernetes.io/metadata.name", "a"), ("team", "x"))),
        Namespace("b", (("kubernetes.io/metadata.name", "b"), ("team", "y"))),
    )
    objects = (_obj("a", "o1", app="web"), _obj("a", "o2", app="db"), _obj("b", "o3", app="web"))
    web = DownsyncClause(object_selectors=_sel(app="web"))
    team_x = DownsyncClause(namespace_selectors=_sel(team="x"))
    policies = (
        BindingPolicy("prod-web", "u1", _sel(env="prod"), (web,)),
        BindingPolicy("dev-x", "u2", _sel(env="dev"), (team_x,)),
        BindingPolicy("all", "u3", (parse_selector({}, "spec", []),), (DownsyncClause(),)),
    )
    return Snapshot(clusters, namespaces, objects, policies)


def test_a_wec_what_if_shares_what_it_does_not_change() -> None:
    snapshot = _snapshot()
    model = Model(snapshot)
    base = model.result
    before = observable(base)
    # wec1 (prod) becomes dev: prod-web loses it, dev-x gains it, "all" keeps it.
    result = model.what_if([SetLabels(Key("wec", "wec1"), (("env", "dev"),))])
    old, new = dict(base.items()), dict(result.items())
    by_name = {r.policy.name: p for p, r in old.items()}
    assert new[by_name["all"]] is old[by_name["all"]]
    assert new[by_name["prod-web"]].destinations == {"wec3", "wec5"}
    assert new[by_name["dev-x"]].destinations == {"wec0", "wec1", "wec2", "wec4"}
    # The objects of a policy whose WECs moved are the base's own mapping, not a copy.
    assert new[by_name["prod-web"]].objects is old[by_name["prod-web"]].objects
    assert observable(base) == before
    # The base result comes back live after the change is rolled back: explanations of it
    # can still ask the knowledge base.
    assert model.result is base
    assert base.live
    # The what-if's snapshot is laid over the base's, sharing the tuples it does not touch.
    assert result.snapshot.objects is snapshot.objects
    assert result.snapshot.clusters[1] == Cluster("wec1", (("env", "dev"), ("n", "1")))


def test_a_policy_edit_keeps_the_objects_it_does_not_change() -> None:
    snapshot = _snapshot()
    model = Model(snapshot)
    base = model.result
    p = base.ids[0]
    edited = snapshot.policies[0]
    edited = BindingPolicy(edited.name, edited.uid, _sel(env="dev"), edited.downsync)
    result = model.what_if([Put(edited)])
    assert observable(result) == observable(evaluate(apply_to_snapshot(snapshot, [Put(edited)])))
    # Only clusterSelectors changed: the policy keeps its id and its objects are not asked again.
    assert result.ids == base.ids
    assert result.resolution(p).objects is base.resolution(p).objects
    assert result.resolution(p).destinations == {"wec0", "wec2", "wec4"}
    assert result.resolution(p).policy is edited
    assert model.result.resolution(p).policy is snapshot.policies[0]


def test_labels_no_selector_tests_change_only_the_entities() -> None:
    snapshot = _snapshot()
    model = Model(snapshot)
    base = observable(model.result)
    changes = [
        SetLabels(Key("namespace", "a"), (("unrelated", "1"),)),
        SetLabels(Key("object", "o1", "", "configmaps", "a"), (("unrelated", "2"),)),
    ]
    result = model.what_if(changes)
    expected = apply_to_snapshot(snapshot, changes)
    assert observable(result) == observable(evaluate(expected)) == base
    # The objects maps name the new entities (the labels are part of an object).
    relabelled = next(o for o in expected.objects if o.ref.name == "o1")
    assert any(relabelled in r.objects for r in result.resolutions)
    assert not any(relabelled in r.objects for r in model.result.resolutions)


def test_what_ifs_between_applies() -> None:
    snapshot = _snapshot()
    model = Model(snapshot)
    first = [SetLabels(Key("wec", "wec0"), (("env", "prod"),))]
    second = [Delete(Key("object", "o3", "", "configmaps", "b"))]
    model.what_if(second)
    after_first = apply_to_snapshot(snapshot, first)
    assert observable(model.apply(first)) == observable(evaluate(after_first))
    both = apply_to_snapshot(after_first, second)
    assert observable(model.what_if(second)) == observable(evaluate(both))
    assert observable(model.result) == observable(evaluate(after_first))
    assert model.snapshot == after_first


def test_overlay_shares_untouched_kinds_and_keeps_order() -> None:
    snapshot = _snapshot()
    index = SnapshotIndex(snapshot)
    new_wec = Cluster("wec9", ())
    changed = {
        Key("wec", "wec2"): Cluster("wec2", (("env", "x"),)),
        Key("wec", "wec4"): None,
        Key("wec", "wec9"): new_wec,
    }
    out = overlay(index, changed)
    assert out.objects is snapshot.objects
    assert out.policies is snapshot.policies
    assert out.namespaces is snapshot.namespaces
    assert [c.name for c in out.clusters] == ["wec0", "wec1", "wec2", "wec3", "wec5", "wec9"]
    assert out.clusters[2].labels == (("env", "x"),)
    assert snapshot.clusters[2].labels != (("env", "x"),)  # the base is untouched
    assert out == apply_to_snapshot(
        snapshot,
        [Put(Cluster("wec2", (("env", "x"),))), Delete(Key("wec", "wec4")), Put(new_wec)],
    )


def test_a_moved_resolution_builds_its_destinations_when_read() -> None:
    policy = BindingPolicy("p", "u", (), ())
    base = PolicyResolution(policy, frozenset({"a", "b", "c"}), {})
    one = PolicyResolution.moved(base, {"d"}, {"a"}, {}, False, True)
    two = PolicyResolution.moved(one, {"a"}, {"d", "b"}, {}, False, True)
    assert two.destinations == {"a", "c"}
    assert one.destinations == {"b", "c", "d"}
    assert base.destinations == {"a", "b", "c"}
    assert two == PolicyResolution(policy, frozenset({"a", "c"}), {})
    assert two != one
    try:
        two.invalid = True
    except AttributeError:
        pass
    else:
        raise AssertionError("a PolicyResolution must be immutable")


def test_explanations_inside_a_held_change_leave_the_base_intact() -> None:
    from bindlog.analysis.whatif import explain_pairs, load_model

    base_file = str(Path(__file__).resolve().parent / "whatif" / "base.yaml")
    loaded = load_model([base_file])
    before = observable(loaded.model.result)
    change = loaded.label("svc/db", "app=web", namespace="team-b")
    outcome = loaded.what_if([change])
    assert outcome.diff.changed
    # Explaining re-enters the change and asks the rules bound questions (which may assert
    # kept forms on demand) while it is held.
    explained, _ = explain_pairs(outcome, limit=10)
    assert explained
    with loaded.model.changed([change]) as live:
        assert observable(live) == observable(outcome.result)
        live.matching_clauses()
    assert observable(loaded.model.result) == before
    assert observable(loaded.model.result) == observable(evaluate(loaded.snapshot))
    # And the model answers the next what-if exactly.
    again = loaded.what_if([change])
    assert observable(again.result) == observable(outcome.result)


def test_diff_results_of_two_models_pairs_policies_by_name() -> None:
    from bindlog.analysis.whatif import diff_results

    snapshot = _snapshot()
    reordered = Snapshot(
        snapshot.clusters, snapshot.namespaces, snapshot.objects, snapshot.policies[::-1]
    )
    # Same ids (0, 1, 2) for other policies: the diff still pairs them by name.
    a, b = Model(snapshot).result, Model(reordered).result
    assert a.ids == b.ids
    assert not diff_results(a, b).changed
    edited = apply_to_snapshot(reordered, [SetLabels(Key("wec", "wec1"), (("env", "dev"),))])
    diff = diff_results(a, Model(edited).result)
    assert [d.name for d in diff.bindings] == ["dev-x", "prod-web"]


def test_a_change_the_encoding_cannot_take_is_answered_in_full_and_leaves_the_base() -> None:
    snapshot = _snapshot()
    model = Model(snapshot)
    base = model.result
    before = observable(base)
    # A selector on a label key no clusterSelector tested before: the label classes change.
    policy = BindingPolicy("new", "u9", _sel(n="3"), (DownsyncClause(),))
    changes: list[Change] = [Put(policy), SetLabels(Key("wec", "wec0"), (("env", "prod"),))]
    result = model.what_if(changes)
    assert observable(result) == observable(evaluate(apply_to_snapshot(snapshot, changes)))
    assert result.resolutions[-1].destinations == {"wec3"}
    assert observable(model.result) == before
    assert model.result is base
    assert base.live
