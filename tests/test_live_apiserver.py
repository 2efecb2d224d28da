"""The loopback API server checked with real clients (kubectl and the `kubernetes` package), so
that the conventions the live tests rely on are the API's and not assumptions of ours."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakekube import FakeKube, Fault, write_kubeconfig

BINDING = """apiVersion: control.kubestellar.io/v1alpha1
kind: Binding
metadata:
  name: p1
spec:
  workload: %s
"""


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube() as k:
        yield k


@pytest.fixture
def kubeconfig(kube: FakeKube, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "config", {"wds1": kube})


def kubectl(
    kubeconfig: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        capture_output=True,
        text=True,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def _cm(name: str, ns: str, **labels: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": ns, "labels": labels}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": name}}


def test_kubectl_lists_with_selector_and_pages(kube: FakeKube, kubeconfig: Path) -> None:
    for i in range(5):
        kube.put(_cm(f"cm{i}", "team-a", app="a" if i % 2 == 0 else "b"))
    done = kubectl(kubeconfig, "get", "cm", "-A", "-l", "app=a", "--chunk-size=1", "-o", "name")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["configmap/cm0", "configmap/cm2", "configmap/cm4"]
    # kubectl paged: three pages of one, each after the first with a continue token
    lists = [p for m, p in kube.requests if m == "GET" and p.startswith("/api/v1/configmaps?")]
    assert len(lists) == 3
    assert all("limit=1" in p for p in lists)
    assert sum("continue=" in p for p in lists) == 2


def test_kubectl_server_side_apply_conflict_and_force(kube: FakeKube, kubeconfig: Path) -> None:
    done = kubectl(kubeconfig, "apply", "--server-side", "-f", "-", stdin=BINDING % "{}")
    assert (done.returncode, done.stdout) == (
        0,
        "binding.control.kubestellar.io/p1 serverside-applied\n",
    )
    other = BINDING % "{clusterScope: [{group: apps}]}"
    done = kubectl(
        kubeconfig, "apply", "--server-side", "--field-manager", "other", "-f", "-", stdin=other
    )
    assert done.returncode == 1
    assert 'conflict with "kubectl" using control.kubestellar.io/v1alpha1: .spec.workload' in (
        done.stderr
    )
    done = kubectl(
        kubeconfig,
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "--force-conflicts",
        "-f",
        "-",
        stdin=other,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(
        kubectl(
            kubeconfig, "get", "bindings.control.kubestellar.io", "p1", "-o", "json",
            "--show-managed-fields",
        ).stdout
    )  # fmt: skip
    assert got["spec"] == {"workload": {"clusterScope": [{"group": "apps"}]}}
    managers = {m["manager"]: m for m in got["metadata"]["managedFields"]}
    assert managers["other"]["operation"] == "Apply"
    assert managers["other"]["fieldsV1"] == {"f:spec": {"f:workload": {"f:clusterScope": {}}}}
    assert "kubectl" not in managers  # its only field was taken over


def test_kubectl_dry_run_server_writes_nothing(kube: FakeKube, kubeconfig: Path) -> None:
    done = kubectl(
        kubeconfig, "apply", "--server-side", "--dry-run=server", "-f", "-", stdin=BINDING % "{}"
    )
    assert done.stdout == "binding.control.kubestellar.io/p1 serverside-applied (server dry run)\n"
    assert kube.store.objects == {}
    assert any("dryRun=All" in p for m, p in kube.requests if m == "PATCH")
    done = kubectl(kubeconfig, "get", "bindings.control.kubestellar.io", "p1")
    assert done.returncode == 1
    assert 'bindings.control.kubestellar.io "p1" not found' in done.stderr


def test_kubectl_sees_injected_errors_and_bad_tokens(
    kube: FakeKube, kubeconfig: Path, tmp_path: Path
) -> None:
    kube.faults.append(Fault("GET", "/api/v1/secrets", 403, message="secrets is forbidden"))
    done = kubectl(kubeconfig, "get", "secrets", "-A")
    assert done.returncode == 1
    assert "Forbidden" in done.stderr
    assert "secrets is forbidden" in done.stderr
    bad = tmp_path / "bad"
    bad.write_text(kubeconfig.read_text().replace(kube.token, "another-token"))
    done = kubectl(bad, "get", "cm")
    assert done.returncode == 1
    assert "You must be logged in to the server (Unauthorized)" in done.stderr


def test_kubectl_label_is_a_modification(kube: FakeKube, kubeconfig: Path) -> None:
    kube.put(_cm("cm0", "default"))
    before = kube.store.rv
    done = kubectl(kubeconfig, "label", "cm", "cm0", "tier=gold")
    assert done.returncode == 0, done.stderr
    assert kube.store.get(("", "configmaps", "default", "cm0"))["metadata"]["labels"] == {  # type: ignore[index]
        "tier": "gold"
    }
    assert [e.type for e in kube.store.events if e.rv > before] == ["MODIFIED"]


def test_watch_streams_events_bookmarks_and_gone(kube: FakeKube) -> None:
    client: Any = importlib.import_module("kubernetes.client")
    config: Any = importlib.import_module("kubernetes.config")
    watch: Any = importlib.import_module("kubernetes.watch")

    path = Path(write_kubeconfig(Path(kube.ca_file).parent / "w-config", {"wds1": kube}))
    api = client.CoreV1Api(config.new_client_from_config(str(path), "wds1"))
    kube.put(_cm("cm0", "default"))
    rv = api.list_namespaced_config_map("default").metadata.resource_version
    kube.put(_cm("cm1", "default"))
    kube.put({**_cm("cm0", "default", app="x")})
    kube.store.delete(("", "configmaps", "default", "cm1"))
    seen = []
    for event in watch.Watch().stream(
        api.list_namespaced_config_map,
        "default",
        resource_version=rv,
        allow_watch_bookmarks=True,
        timeout_seconds=2,
    ):
        seen.append((event["type"], event["raw_object"]["metadata"].get("name")))
        if event["type"] == "BOOKMARK":
            break
    assert seen[:3] == [("ADDED", "cm1"), ("MODIFIED", "cm0"), ("DELETED", "cm1")]
    assert seen[3][0] == "BOOKMARK"
    kube.store.compact()
    with pytest.raises(client.ApiException) as gone:
        for _ in watch.Watch().stream(
            api.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=2
        ):
            pass
    assert gone.value.status == 410


def test_server_stops_by_itself(tmp_path: Path) -> None:
    kube = FakeKube(lifetime=0.5).start()
    kubeconfig = write_kubeconfig(tmp_path / "config", {"wds1": kube})
    assert kube.stopping.wait(timeout=10)
    done = kubectl(kubeconfig, "get", "cm", "--request-timeout=5s")
    assert done.returncode == 1
    # kubectl words it "connection refused" or "The connection to the server ... was refused".
    assert "refused" in done.stderr
