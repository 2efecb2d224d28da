"""Equal clauses share one id, and clause selector lists assert a witness cover, not every match.

Each case is checked against the reference resolver (tests/reference.py) and, for changes,
against a full evaluation of the edited input; the fact counts show the encoding stays linear.
"""

from __future__ import annotations

from reference import reference_resolve
from test_incremental import observable

from bindlog.changes import Change, Key, Put, SetLabels
from bindlog.engine.evaluate import evaluate
from bindlog.engine.facts import encode
from bindlog.engine.incremental import Model
from bindlog.model import (
    BindingPolicy,
    Cluster,
    DownsyncClause,
    LabelSelector,
    Modulation,
    Namespace,
    ObjectRef,
    Operator,
    Requirement,
    Snapshot,
    WorkloadObject,
)


def _sel(*reqs: Requirement) -> LabelSelector:
    return LabelSelector(requirements=tuple(sorted(reqs, key=lambda r: r.key)), text=repr(reqs))


def _absent(key: str) -> LabelSelector:
    return _sel(Requirement(key, Operator.DOES_NOT_EXIST, ()))


def _app_is(value: str) -> LabelSelector:
    return _sel(Requirement("app", Operator.IN, (value,)))


def _obj(name: str, ns: str, **labels: str) -> WorkloadObject:
    ref = ObjectRef("", "v1", "configmaps", ns, name)
    return WorkloadObject(ref, "ConfigMap", tuple(sorted(labels.items())))


def _snapshot(policies: tuple[BindingPolicy, ...]) -> Snapshot:
    objects = tuple(
        _obj(f"o{i}", f"ns{i % 3}", app=f"a{i % 7}", tier=f"t{i % 2}") for i in range(40)
    )
    return Snapshot(
        clusters=(Cluster("w1", (("env", "prod"),)), Cluster("w2", ())),
        namespaces=tuple(Namespace(f"ns{i}", (("team", f"t{i}"),)) for i in range(3)),
        objects=objects,
        policies=policies,
    )


def _policy(name: str, *clauses: DownsyncClause) -> BindingPolicy:
    return BindingPolicy(name, "", (LabelSelector(),), clauses)


def _resolved(snapshot: Snapshot) -> dict[str, tuple[frozenset[str], dict[ObjectRef, Modulation]]]:
    return {
        res.policy.name: (res.destinations, {o.ref: m for o, m in res.objects.items()})
        for res in evaluate(snapshot).resolutions
    }


def test_equal_clauses_are_one_clause_that_names_every_index() -> None:
    a = DownsyncClause(object_selectors=(_app_is("a1"),), modulation=Modulation(create_only=True))
    b = DownsyncClause(namespaces=("ns0",))
    copies = _policy("copies", a, b, a, a)
    once = _policy("once", a, b)
    snap = _snapshot((copies, once))
    assert _resolved(snap) == reference_resolve(snap)
    assert _resolved(snap)["copies"] == _resolved(snap)["once"]
    enc, facts = encode(snap)
    p = enc.policy_ids["copies"]
    assert sorted(enc.clause_indexes[j] for j in enc.policy_clauses[p]) == [(0, 2, 3), (1,)]
    assert len([row for row in facts["clause"] if row[0] == p]) == 2
    # o1 (app=a1, in ns1) is matched by clause a only; o15 (app=a1, in ns0) by a and b.
    matching = evaluate(snap).matching_clauses()
    by_name = {(res_p, o.ref.name): cs for (res_p, o), cs in matching.items()}
    assert by_name[(p, "o1")] == (0, 2, 3)
    assert by_name[(p, "o15")] == (0, 1, 2, 3)


def test_clauses_equal_but_for_their_modulation_stay_apart() -> None:
    plain = DownsyncClause(object_selectors=(_app_is("a1"),))
    create_only = DownsyncClause(
        object_selectors=(_app_is("a1"),), modulation=Modulation(create_only=True)
    )
    snap = _snapshot((_policy("p", plain, create_only, plain),))
    enc, _ = encode(snap)
    indexes = sorted(enc.clause_indexes[j] for j in enc.policy_clauses[enc.policy_ids["p"]])
    assert indexes == [(0, 2), (1,)]
    assert _resolved(snap) == reference_resolve(snap)


def test_a_long_list_of_broad_selectors_asserts_one_witness_per_class() -> None:
    # 300 selectors that each match every object (no object has label k<i>), then one that
    # matches only app=a3: any-of over the list matches everything, one witness per class.
    sels = (*tuple(_absent(f"k{i}") for i in range(300)), _app_is("a3"))
    snap = _snapshot((_policy("broad", DownsyncClause(object_selectors=sels)),))
    enc, facts = encode(snap)
    classes = len(enc.object_class_labels)
    assert len(facts["object_selector_matches"]) == classes
    assert {s for s, _ in facts["object_selector_matches"]} == {0}
    assert _resolved(snap) == reference_resolve(snap)


def test_witnesses_cover_what_earlier_selectors_of_the_list_miss() -> None:
    # app=a1 first, then "not a1": each class is witnessed by exactly one of the two.
    not_a1 = _sel(Requirement("app", Operator.NOT_IN, ("a1",)))
    clause = DownsyncClause(object_selectors=(_app_is("a1"), not_a1))
    ns_clause = DownsyncClause(
        namespace_selectors=(
            _sel(Requirement("team", Operator.IN, ("t0",))),
            _sel(Requirement("team", Operator.NOT_IN, ("t0",))),
        )
    )
    snap = _snapshot((_policy("split", clause), _policy("ns", ns_clause)))
    enc, facts = encode(snap)
    witnessed = [oc for _, oc in facts["object_selector_matches"]]
    assert sorted(witnessed) == list(range(len(enc.object_class_labels)))
    assert len(facts["namespace_selector_matches"]) == 3  # three Namespace label classes
    assert _resolved(snap) == reference_resolve(snap)


def test_classes_and_lists_met_after_the_load_get_their_witnesses() -> None:
    late = (_absent("zz"), _app_is("a1"))
    first = _policy("first", DownsyncClause(object_selectors=(_app_is("a1"), _absent("k0"))))
    snap = _snapshot((first,))
    model = Model(snap)
    changes: list[Change] = [
        # A new label class (an app value no object had), a new object class of an old label
        # class (another namespace), a new clause list sharing a selector with the first.
        Put(_obj("new", "ns9", app="a99", tier="t0")),
        Put(_obj("moved", "ns7", app="a1", tier="t1")),
        Put(_policy("late", DownsyncClause(object_selectors=late))),
        SetLabels(Key("namespace", "ns1"), set=(("team", "t0"),)),
    ]
    after = model.apply(changes)
    edited = Snapshot(
        clusters=snap.clusters,
        namespaces=(snap.namespaces[0], Namespace("ns1", (("team", "t0"),)), snap.namespaces[2]),
        objects=(
            *snap.objects,
            _obj("new", "ns9", app="a99", tier="t0"),
            _obj("moved", "ns7", app="a1", tier="t1"),
        ),
        policies=(first, _policy("late", DownsyncClause(object_selectors=late))),
    )
    assert observable(after) == observable(evaluate(edited))
    assert _resolved(edited) == reference_resolve(edited)
