"""apply_to_snapshot: the plain meaning of a change set, which what-if and watch rely on."""

from __future__ import annotations

import pytest

from bindlog.changes import (
    NAMESPACE_NAME_LABEL,
    ChangeError,
    ChangeSet,
    Delete,
    Key,
    Put,
    SetLabels,
    apply_to_snapshot,
    key_of,
    namespace_object_key,
)
from bindlog.model import (
    BindingPolicy,
    Cluster,
    Namespace,
    ObjectRef,
    Snapshot,
    WorkloadObject,
)

NS_LABELS = (("env", "prod"), (NAMESPACE_NAME_LABEL, "team"))


def cm(name: str, labels: tuple[tuple[str, str], ...] = (), ns: str = "team") -> WorkloadObject:
    return WorkloadObject(ObjectRef("", "v1", "configmaps", ns, name), "ConfigMap", labels)


def ns_object(name: str, labels: tuple[tuple[str, str], ...]) -> WorkloadObject:
    return WorkloadObject(ObjectRef("", "v1", "namespaces", "", name), "Namespace", labels)


def snapshot() -> Snapshot:
    return Snapshot(
        clusters=(Cluster("c1", (("env", "prod"),)), Cluster("c2", ())),
        namespaces=(Namespace("team", NS_LABELS),),
        objects=(cm("a", (("app", "x"),)), ns_object("team", NS_LABELS), cm("b")),
        policies=(BindingPolicy("p", "u", (), ()),),
        bindings=({"kind": "Binding"},),
    )


def test_set_and_unset_labels_of_a_wec() -> None:
    change = SetLabels(Key("wec", "c1"), set=(("tier", "gold"),), unset=("env",))
    after = apply_to_snapshot(snapshot(), [change])
    assert after.clusters[0] == Cluster("c1", (("tier", "gold"),))
    assert after.clusters[1:] == snapshot().clusters[1:]


def test_set_overwrites_a_value_and_unset_of_an_absent_key_is_no_error() -> None:
    change = SetLabels(Key("wec", "c1"), set=(("env", "dev"),), unset=("nope",))
    assert apply_to_snapshot(snapshot(), [change]).clusters[0].labels == (("env", "dev"),)


def test_changes_apply_in_order() -> None:
    key = Key("wec", "c2")
    first, then = SetLabels(key, set=(("a", "1"),)), SetLabels(key, unset=("a",))
    assert apply_to_snapshot(snapshot(), [first, then]).clusters[1].labels == ()
    assert apply_to_snapshot(snapshot(), [then, first]).clusters[1].labels == (("a", "1"),)


def test_object_labels_keep_its_place_and_the_rest() -> None:
    key = key_of(cm("a"))
    after = apply_to_snapshot(snapshot(), ChangeSet((SetLabels(key, (("app", "y"),)),)))
    assert after.objects[0] == cm("a", (("app", "y"),))
    assert after.objects[1:] == snapshot().objects[1:]
    assert after.namespaces == snapshot().namespaces


def test_namespace_labels_change_both_views_and_keep_the_name_label() -> None:
    change = SetLabels(
        Key("namespace", "team"), set=(("env", "dev"),), unset=(NAMESPACE_NAME_LABEL,)
    )
    after = apply_to_snapshot(snapshot(), [change])
    expected = (("env", "dev"), (NAMESPACE_NAME_LABEL, "team"))
    assert after.namespaces == (Namespace("team", expected),)
    assert after.objects[1] == ns_object("team", expected)


def test_labels_of_the_namespace_object_change_the_namespace_too() -> None:
    change = SetLabels(namespace_object_key("team"), unset=("env",))
    after = apply_to_snapshot(snapshot(), [change])
    assert after.namespaces[0].labels == ((NAMESPACE_NAME_LABEL, "team"),)
    assert after.objects[1].labels == ((NAMESPACE_NAME_LABEL, "team"),)


def test_put_replaces_in_place_and_adds_at_the_end() -> None:
    replaced = cm("a", (("app", "z"),))
    added = cm("c")
    after = apply_to_snapshot(snapshot(), [Put(replaced), Put(added)])
    assert after.objects == (replaced, snapshot().objects[1], cm("b"), added)


def test_put_of_a_namespace_object_adds_the_namespace() -> None:
    labels = ((NAMESPACE_NAME_LABEL, "new"),)
    after = apply_to_snapshot(snapshot(), [Put(ns_object("new", labels))])
    assert [n.name for n in after.namespaces] == ["team", "new"]
    assert after.namespaces[1].labels == labels


def test_put_of_a_policy_and_a_wec() -> None:
    policy = BindingPolicy("p", "u2", (), ())
    after = apply_to_snapshot(snapshot(), [Put(policy), Put(Cluster("c3", ()))])
    assert after.policies == (policy,)
    assert [c.name for c in after.clusters] == ["c1", "c2", "c3"]


def test_delete_of_a_namespace_removes_the_namespace_object() -> None:
    after = apply_to_snapshot(snapshot(), [Delete(Key("namespace", "team"))])
    assert after.namespaces == ()
    assert after.objects == (snapshot().objects[0], cm("b"))


def test_delete_of_the_namespace_object_removes_the_namespace() -> None:
    after = apply_to_snapshot(snapshot(), [Delete(namespace_object_key("team"))])
    assert after.namespaces == ()
    assert len(after.objects) == 2


def test_delete_of_a_policy_wec_and_object() -> None:
    after = apply_to_snapshot(
        snapshot(),
        [Delete(Key("bindingpolicy", "p")), Delete(Key("wec", "c1")), Delete(key_of(cm("b")))],
    )
    assert after.policies == ()
    assert [c.name for c in after.clusters] == ["c2"]
    assert cm("b") not in after.objects


@pytest.mark.parametrize(
    "change",
    [
        Delete(Key("wec", "nope")),
        SetLabels(Key("namespace", "nope"), (("a", "b"),)),
        Delete(Key("object", "a", "", "configmaps", "other")),
        SetLabels(Key("bindingpolicy", "p"), (("a", "b"),)),
    ],
)
def test_a_missing_target_or_a_policy_label_is_a_change_error(change: SetLabels | Delete) -> None:
    with pytest.raises(ChangeError):
        apply_to_snapshot(snapshot(), [change])


def test_the_input_snapshot_is_untouched_and_bindings_carry_over() -> None:
    before = snapshot()
    after = apply_to_snapshot(before, [Delete(Key("wec", "c1")), Put(cm("z"))])
    assert before == snapshot()
    assert after.bindings == before.bindings


def test_a_put_then_delete_of_the_same_entity_cancels_out() -> None:
    after = apply_to_snapshot(snapshot(), [Put(cm("new")), Delete(key_of(cm("new")))])
    assert after == snapshot()


def test_key_identity_ignores_the_version() -> None:
    v2 = WorkloadObject(ObjectRef("", "v2", "configmaps", "team", "a"), "ConfigMap", ())
    assert key_of(v2) == key_of(cm("a"))
    assert str(key_of(cm("a"))) == "configmaps/team/a"
    assert str(Key("wec", "c1")) == "wec/c1"
