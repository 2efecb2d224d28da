"""A small KubeStellar world for live tests: two WECs, two team namespaces, a few objects and
three policies, with the Bindings derived by hand in the docstring of `expected_bindings`."""

from __future__ import annotations

from typing import Any

from .server import FakeKube

CONTROL = "control.kubestellar.io/v1alpha1"


def wec(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "cluster.open-cluster-management.io/v1",
        "kind": "ManagedCluster",
        "metadata": {"name": name, "labels": labels},
    }


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def configmap(name: str, ns: str, **labels: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": ns, "labels": labels}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": name}}


def deployment(name: str, ns: str, **labels: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": ns, "labels": labels}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {}}


def policy(name: str, clusters: dict[str, str], downsync: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": CONTROL,
        "kind": "BindingPolicy",
        "metadata": {"name": name},
        "spec": {"clusterSelectors": [{"matchLabels": clusters}], "downsync": downsync},
    }


def policy_ref(name: str) -> dict[str, Any]:
    """Enough of a BindingPolicy to name it (for deletes)."""
    return {"apiVersion": CONTROL, "kind": "BindingPolicy", "metadata": {"name": name}}


def populate(kube: FakeKube, its: FakeKube | None = None) -> None:
    """WECs go to `its` (default: the same server)."""
    inventory = its or kube
    inventory.put(wec("wec1", location="edge", tier="gold"))
    inventory.put(wec("wec2", location="core", tier="gold"))
    kube.put(namespace("team-a", team="a"))
    kube.put(namespace("team-b", team="b"))
    kube.put(configmap("cfg", "team-a", app="web"))
    kube.put(deployment("web", "team-a", app="web"))
    kube.put(deployment("api", "team-b", app="api"))
    kube.put(
        {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": "team-a"}}
    )
    kube.put(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "l1", "namespace": "team-a", "labels": {"app": "web"}},
        }
    )
    kube.put(
        policy(
            "web-edge",
            {"location": "edge"},
            [{"objectSelectors": [{"matchLabels": {"app": "web"}}]}],
        )
    )
    kube.put(policy("team-b-gold", {"tier": "gold"}, [{"namespaces": ["team-b"]}]))
    kube.put(
        policy(
            "nothing",
            {"location": "moon"},
            [{"resources": ["configmaps"], "namespaces": ["team-a"]}],
        )
    )
