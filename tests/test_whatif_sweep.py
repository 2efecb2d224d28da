"""A sweep's diffs: read from the changed policies only, yet equal to diffing every Binding.

`LoadedModel.what_if` diffs the resolutions of two results, reusing what it read of the base
(`SpecCache`) and generating the (object, WEC) pairs only when asked. Here many change sets are
answered on one loaded model, as `what-if --scenarios` does, and each diff must equal the diff of
the Bindings of a full evaluation of the edited input, pairs included (computed here as plain
sets of pairs).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import given, settings
from hypothesis import strategies as st
from test_incremental import change_sets
from test_properties import BASE_SETTINGS, snapshots

from bindlog.analysis.whatif import LoadedModel
from bindlog.changes import Change, ChangeError, ChangeSet, apply_to_snapshot
from bindlog.engine.evaluate import PolicyResolution, evaluate
from bindlog.engine.incremental import Model
from bindlog.export.bindings import binding_for, bindings
from bindlog.export.diff import Diff, ObjectId, SpecCache, diff_bindings, natural_key, spec_of
from bindlog.model import BindingPolicy, Modulation, ObjectRef, Snapshot, WorkloadObject

Pair = tuple[ObjectId, str]


def pair_sets(bs: list[dict[str, Any]]) -> dict[str, set[Pair]]:
    """Per Binding, every (object, WEC) pair it binds: the whole product, as plainly as can be."""
    out: dict[str, set[Pair]] = {}
    for b in bs:
        name, spec = spec_of(b)
        out[name] = {(o, w) for o in spec.objects for w in spec.destinations}
    return out


def assert_same_diff(got: Diff, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    want = diff_bindings(old, new)
    assert got == want
    before, after = pair_sets(old), pair_sets(new)
    for d in got.bindings:
        a, b = before.get(d.name, set()), after.get(d.name, set())
        for pairs, expected in ((d.pairs_added, b - a), (d.pairs_removed, a - b)):
            assert set(pairs) == expected
            assert len(pairs) == len(expected)
            keys = [(o.sort_key(), natural_key(w)) for o, w in pairs]
            assert keys == sorted(keys)


@st.composite
def sweeps(draw: st.DrawFn) -> tuple[Snapshot, list[list[Change]]]:
    snapshot = draw(snapshots(valid_cluster_selectors=False))
    return snapshot, [draw(change_sets(snapshot)) for _ in range(draw(st.integers(2, 4)))]


@settings(BASE_SETTINGS, max_examples=30)
@given(sweeps())
def test_every_scenario_of_a_sweep_diffs_as_the_bindings_do(
    case: tuple[Snapshot, list[list[Change]]],
) -> None:
    snapshot, scenarios = case
    loaded = LoadedModel(Model(snapshot))
    base = bindings(loaded.model.result)
    for changes in scenarios:
        try:
            edited = apply_to_snapshot(snapshot, ChangeSet(tuple(changes)))
        except ChangeError:
            continue
        outcome = loaded.what_if(changes)
        assert_same_diff(outcome.diff, base, bindings(evaluate(edited)))
    # The base moves on: what was read of the old base must not answer for the new one.
    changes = scenarios[0]
    try:
        moved = apply_to_snapshot(snapshot, ChangeSet(tuple(changes)))
    except ChangeError:
        return
    applied = loaded.apply(changes)
    assert_same_diff(applied.diff, base, bindings(evaluate(moved)))
    new_base = bindings(evaluate(moved))
    for changes in scenarios[1:]:
        try:
            edited = apply_to_snapshot(moved, ChangeSet(tuple(changes)))
        except ChangeError:
            continue
        assert_same_diff(loaded.what_if(changes).diff, new_base, bindings(evaluate(edited)))


def _cm(name: str, version: str = "v1", kind: str = "ConfigMap") -> WorkloadObject:
    return WorkloadObject(ObjectRef("", version, "configmaps", "ns", name), kind, (), "7")


def test_a_resolution_reads_as_its_binding_modulations_included() -> None:
    res = PolicyResolution(
        BindingPolicy("p", "uid-p", (), ()),
        frozenset({"w10", "w2"}),
        {
            _cm("a"): Modulation(),
            _cm("b"): Modulation(True, frozenset({"s2", "s1"}), True, True),
            WorkloadObject(ObjectRef("", "v1", "namespaces", "", "ns"), "Namespace", ()): (
                Modulation(status_collectors=frozenset({"s"}))
            ),
        },
    )
    cache = SpecCache()
    spec = cache.spec(res)
    assert spec == spec_of(binding_for(res))[1]
    assert spec.objects[ObjectId("", "configmaps", "ns", "b")] == (
        ("version", "v1"),
        ("resourceVersion", "7"),
        ("createOnly", True),
        ("statusCollectors", ("s1", "s2")),
        ("wantSingletonReportedState", True),
        ("wantMultiWECReportedState", True),
    )
    # Read again from the cache, and after the objects' modulation changed.
    assert cache.spec(res) == spec
    changed = PolicyResolution(res.policy, res.destinations, {_cm("a"): Modulation(True)})
    assert cache.spec(changed) == spec_of(binding_for(changed))[1]


def test_two_objects_of_one_identity_read_as_the_binding_lists_them() -> None:
    # Two kinds mapped to one resource: the Binding lists both entries, and the spec keeps the
    # one that comes last in its order (the higher version), as reading the Binding does.
    res = PolicyResolution(
        BindingPolicy("p", "uid-p", (), ()),
        frozenset({"w"}),
        {_cm("a", "v2", "Other"): Modulation(), _cm("a"): Modulation(create_only=True)},
    )
    spec = SpecCache().spec(res)
    assert spec == spec_of(binding_for(res))[1]
    assert dict(spec.objects[ObjectId("", "configmaps", "ns", "a")])["version"] == "v2"
