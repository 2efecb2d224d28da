"""The Binding diff: what counts as a change, identity, order, schema, malformed Bindings."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bindlog.errors import InputError
from bindlog.export.diff import diff_bindings, diff_json, diff_text, natural_key


def binding(
    name: str, wecs: list[str], objects: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"workload": {}}
    if objects:
        spec["workload"]["namespaceScope"] = objects
    if wecs:
        spec["destinations"] = [{"clusterId": w} for w in wecs]
    return {
        "apiVersion": "control.kubestellar.io/v1alpha1",
        "kind": "Binding",
        "metadata": {"name": name},
        "spec": spec,
    }


def cm(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "group": "",
        "version": "v1",
        "resource": "configmaps",
        "namespace": "ns",
        "name": name,
        "resourceVersion": "1",
        **fields,
    }


def test_equal_bindings_and_empty_ones_are_no_change() -> None:
    b = [binding("p", ["w1"], [cm("a")])]
    assert not diff_bindings(b, copy.deepcopy(b)).changed
    # An empty Binding equals none at all: KubeStellar writes none for an empty resolution.
    assert not diff_bindings([binding("q", [])], []).changed
    assert diff_text(diff_bindings([], [])) == "no Binding changes\n"


def test_metadata_and_status_are_not_compared() -> None:
    computed = binding("p", ["w1"], [cm("a")])
    live = copy.deepcopy(computed)
    live["metadata"].update(
        uid="123",
        resourceVersion="77",
        managedFields=[{"manager": "kubestellar"}],
        annotations={"x": "y"},
        finalizers=["transport.kubestellar.io/object-cleanup"],
    )
    live["status"] = {"errors": ["boom"]}
    assert not diff_bindings([live], [computed]).changed


def test_destination_order_and_collector_order_do_not_count() -> None:
    a = binding("p", ["w2", "w1"], [cm("a", statusCollectors=["y", "x"])])
    b = binding("p", ["w1", "w2"], [cm("a", statusCollectors=["x", "y"])])
    assert not diff_bindings([a], [b]).changed


def test_a_version_change_is_a_change_of_the_same_object() -> None:
    d = diff_bindings(
        [binding("p", ["w"], [cm("a")])], [binding("p", ["w"], [cm("a", version="v2")])]
    )
    (bd,) = d.bindings
    assert bd.objects_added == ()
    assert bd.objects_removed == ()
    assert [(c.object.name, c.changes) for c in bd.objects_changed] == [
        ("a", (("version", "v1", "v2"),))
    ]
    assert d.summary() == "1 Binding changes: ~1 object"


def test_modulation_defaults_compare_equal_to_absent_fields() -> None:
    a = binding("p", ["w"], [cm("a")])
    b = binding("p", ["w"], [cm("a", createOnly=False, statusCollectors=[])])
    assert not diff_bindings([a], [b]).changed
    c = binding("p", ["w"], [cm("a", createOnly=True, wantMultiWECReportedState=True)])
    (bd,) = diff_bindings([a], [c]).bindings
    assert bd.objects_changed[0].changes == (
        ("createOnly", False, True),
        ("wantMultiWECReportedState", False, True),
    )


def test_created_deleted_and_changed_with_natural_order() -> None:
    old = [binding("p10", ["w"], [cm("a")]), binding("p2", ["w1", "w10"], [cm("a")])]
    new = [binding("p2", ["w2", "w1", "w10", "w3"], [cm("b")]), binding("p1", ["w"])]
    d = diff_bindings(old, new)
    assert [(b.name, b.change) for b in d.bindings] == [
        ("p1", "created"),
        ("p2", "changed"),
        ("p10", "deleted"),
    ]
    assert d.bindings[1].destinations_added == ("w2", "w3")
    assert d.summary() == (
        "3 Bindings change (1 created, 1 deleted): +3 WECs, -1 WEC, +1 object, -2 objects"
    )
    # (object, WEC) pairs of p2: a on w1, w10 before; b on w1, w2, w3, w10 after.
    assert len(d.bindings[1].pairs_added) == 4
    assert len(d.bindings[1].pairs_removed) == 2


def test_json_schema_shape() -> None:
    d = diff_bindings(
        [binding("p", ["w1"], [cm("a")])], [binding("p", ["w2"], [cm("a", createOnly=True)])]
    )
    doc = diff_json(d)
    assert doc["schemaVersion"] == 1
    assert doc["counts"] == {
        "bindings": 1,
        "created": 0,
        "deleted": 0,
        "wecsAdded": 1,
        "wecsRemoved": 1,
        "objectsAdded": 0,
        "objectsRemoved": 0,
        "objectsChanged": 1,
    }
    assert doc["bindings"] == [
        {
            "name": "p",
            "change": "changed",
            "destinations": {"added": ["w2"], "removed": ["w1"]},
            "objects": {
                "added": [],
                "removed": [],
                "changed": [
                    {
                        "group": "",
                        "resource": "configmaps",
                        "namespace": "ns",
                        "name": "a",
                        "fields": {"createOnly": {"old": False, "new": True}},
                    }
                ],
            },
        }
    ]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["spec"].update(destinations="w1"), "spec.destinations"),
        (
            lambda b: b["spec"]["destinations"].append({"cluster": "x"}),
            "spec.destinations[1].clusterId",
        ),
        (
            lambda b: b["spec"]["workload"]["namespaceScope"][0].pop("name"),
            "spec.workload.namespaceScope[0].name",
        ),
        (
            lambda b: b["spec"]["workload"]["namespaceScope"][0].update(createOnly="yes"),
            "spec.workload.namespaceScope[0].createOnly",
        ),
        (lambda b: b["spec"]["workload"].update(clusterScope={}), "spec.workload.clusterScope"),
    ],
)
def test_malformed_bindings_name_binding_and_field(mutate: Any, field: str) -> None:
    b = binding("p", ["w1"], [cm("a")])
    mutate(b)
    with pytest.raises(InputError) as e:
        diff_bindings([b], [])
    assert [(p.obj, p.field) for p in e.value.problems] == [("Binding/p", field)]


def test_natural_key() -> None:
    assert sorted(["w10", "w2", "w1", "a"], key=natural_key) == ["a", "w1", "w2", "w10"]


# --- properties ---------------------------------------------------------------------------

_objects = st.lists(
    st.builds(
        lambda name, version, create_only: cm(name, version=version, createOnly=create_only),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["v1", "v2"]),
        st.booleans(),
    ),
    max_size=3,
    unique_by=lambda o: o["name"],
)
_bindings = st.lists(
    st.builds(
        binding,
        st.sampled_from(["p1", "p2", "p10"]),
        st.lists(st.sampled_from(["w1", "w2", "w10"]), unique=True, max_size=3),
        _objects,
    ),
    max_size=3,
    unique_by=lambda b: b["metadata"]["name"],
)


@given(_bindings, _bindings)
def test_the_diff_reversed_swaps_added_and_removed(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> None:
    forward, backward = diff_bindings(old, new), diff_bindings(new, old)
    assert not diff_bindings(old, old).changed
    assert [b.name for b in forward.bindings] == [b.name for b in backward.bindings]
    swap = {"created": "deleted", "deleted": "created", "changed": "changed"}
    for f, b in zip(forward.bindings, backward.bindings, strict=True):
        assert swap[f.change] == b.change
        assert (f.destinations_added, f.destinations_removed) == (
            b.destinations_removed,
            b.destinations_added,
        )
        assert (f.objects_added, f.objects_removed) == (b.objects_removed, b.objects_added)
        assert [(c.object, [(k, n, o) for k, o, n in c.changes]) for c in f.objects_changed] == [
            (c.object, list(c.changes)) for c in b.objects_changed
        ]
    c_f, c_b = forward.counts(), backward.counts()
    assert (c_f["wecsAdded"], c_f["objectsAdded"]) == (c_b["wecsRemoved"], c_b["objectsRemoved"])
    assert forward.changed == (old_specs(old) != old_specs(new))


def old_specs(bindings: list[dict[str, Any]]) -> dict[str, Any]:
    """The compared content, computed independently: destinations and per-object fields."""
    out = {}
    for b in bindings:
        dests = frozenset(d["clusterId"] for d in b["spec"].get("destinations", []))
        objs = frozenset(
            (o["name"], o["version"], o.get("createOnly", False))
            for o in b["spec"]["workload"].get("namespaceScope", [])
        )
        if dests or objs:
            out[b["metadata"]["name"]] = (dests, objs)
    return out
