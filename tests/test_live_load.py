"""Live load: a WDS and an ITS read through the `kubernetes` client against the loopback server
give the same snapshot, hence the same Bindings, as files holding the same objects."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakekube import FakeKube, Fault, write_kubeconfig
from fakekube.cli import Ran, run_cli
from fakekube.scenario import configmap, policy, populate

from bindlog.adapters import load
from bindlog.adapters.live import LiveOptions, load_live, never_downsync
from bindlog.errors import BindlogError
from bindlog.model import UNKNOWN_SOURCE, Snapshot

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube() as k:
        populate(k)
        yield k


@pytest.fixture
def kubeconfig(kube: FakeKube, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "config", {"wds1": kube})


def bindlog(*args: str) -> Ran:
    return run_cli(*args)


def _sourceless(snapshot: Snapshot) -> tuple[Any, ...]:
    def strip(items: tuple[Any, ...]) -> list[Any]:
        return sorted((dataclasses.replace(i, source=UNKNOWN_SOURCE) for i in items), key=repr)

    return (
        strip(snapshot.clusters),
        strip(snapshot.namespaces),
        strip(snapshot.objects),
        strip(snapshot.policies),
    )


def _dump_server(kube: FakeKube, path: Path) -> Path:
    """Every object the server holds, as a file, exactly as a GET returns it (uid, rv)."""
    docs = []
    for (group, resource, _ns, _name), obj in sorted(kube.store.objects.items()):
        res = next(r for r in kube.resources if (r.group, r.resource) == (group, resource))
        docs.append({"apiVersion": res.group_version, "kind": res.kind, **obj})
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_live_load_equals_file_load(kube: FakeKube, kubeconfig: Path, tmp_path: Path) -> None:
    state = load_live(LiveOptions(str(kubeconfig), "wds1"))
    dumped = _dump_server(kube, tmp_path / "all.yaml")
    from_files = load([str(dumped)])
    # never-downsync resources (Events, Leases) are not even listed live; files keep them, and
    # the rules never bind them
    groups, pairs = never_downsync()
    kept = tuple(
        o
        for o in from_files.snapshot.objects
        if o.ref.group not in groups and (o.ref.group, o.ref.resource) not in pairs
    )
    dropped = {o.ref.resource for o in from_files.snapshot.objects} - {o.ref.resource for o in kept}
    assert dropped == {"events", "leases"}
    expected = dataclasses.replace(from_files.snapshot, objects=kept)
    assert _sourceless(state.loaded.snapshot) == _sourceless(expected)
    assert state.loaded.snapshot.bindings == ()  # no Binding in the WDS yet
    web = next(p for p in state.loaded.snapshot.policies if p.name == "web-edge")
    stored = kube.store.objects[("control.kubestellar.io", "bindingpolicies", "", "web-edge")]
    assert web.uid == stored["metadata"]["uid"]
    live = bindlog("resolve", "--kubeconfig", str(kubeconfig), "--context", "wds1", "-o", "json")
    files = bindlog("resolve", "-f", str(dumped), "-o", "json")
    assert live.returncode == 0, live.stderr
    assert live.stdout == files.stdout
    by_name = {b["metadata"]["name"]: b for b in json.loads(live.stdout)["items"]}
    # hand-derived: web-edge picks app=web objects (not the Lease: coordination.k8s.io is never
    # downsynced) for the edge WEC; team-b-gold everything namespaced in team-b for both WECs
    web_entries = by_name["web-edge"]["spec"]["workload"]["namespaceScope"]
    # entries sort by GVR string: "/v1, Resource=configmaps" before "apps/v1, ..."
    assert [(e["resource"], e["name"]) for e in web_entries] == [
        ("configmaps", "cfg"),
        ("deployments", "web"),
    ]
    assert by_name["web-edge"]["spec"]["destinations"] == [{"clusterId": "wec1"}]
    assert by_name["web-edge"]["metadata"]["ownerReferences"][0]["uid"] == web.uid
    gold = by_name["team-b-gold"]["spec"]
    assert [e["name"] for e in gold["workload"]["namespaceScope"]] == ["api"]
    assert gold["destinations"] == [{"clusterId": "wec1"}, {"clusterId": "wec2"}]
    rv = kube.store.objects[("apps", "deployments", "team-b", "api")]["metadata"]["resourceVersion"]
    assert gold["workload"]["namespaceScope"][0]["resourceVersion"] == rv


def test_lists_are_paginated(
    kube: FakeKube, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bindlog.adapters.live as live

    for i in range(7):
        kube.put(configmap(f"many-{i}", "team-a"))
    monkeypatch.setattr(live, "PAGE_SIZE", 3)
    state = load_live(LiveOptions(str(kubeconfig), "wds1"))
    names = {o.ref.name for o in state.loaded.snapshot.objects if o.ref.resource == "configmaps"}
    assert names == {"cfg", *(f"many-{i}" for i in range(7))}
    pages = [p for m, p in kube.requests if m == "GET" and p.startswith("/api/v1/configmaps?")]
    assert len(pages) == 3  # 8 objects in pages of 3
    assert sum("continue=" in p for p in pages) == 2


def test_its_context_holds_the_inventory(tmp_path: Path) -> None:
    with FakeKube() as wds, FakeKube(token="its-token") as its:
        populate(wds, its)
        kc = write_kubeconfig(tmp_path / "config", {"wds1": wds, "its1": its})
        done = bindlog(
            "resolve", "--kubeconfig", str(kc), "--context", "wds1", "--its-context", "its1",
            "-o", "json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        items = json.loads(done.stdout)["items"]
        dest = {b["metadata"]["name"]: b["spec"].get("destinations") for b in items}
        assert dest["team-b-gold"] == [{"clusterId": "wec1"}, {"clusterId": "wec2"}]
        assert wds.count("GET", "managedclusters") == 0
        assert its.count("GET", "/apis/cluster.open-cluster-management.io/v1/managedclusters") == 1


def test_files_are_laid_over_the_live_state(kubeconfig: Path, tmp_path: Path) -> None:
    # the file replaces live web-edge (now for core WECs) and adds a policy
    override = tmp_path / "what-if.yaml"
    override.write_text(
        yaml.safe_dump_all(
            [
                policy(
                    "web-edge",
                    {"location": "core"},
                    [{"objectSelectors": [{"matchLabels": {"app": "web"}}]}],
                ),
                policy("extra", {"tier": "gold"}, [{"objectNames": ["cfg"]}]),
            ]
        )
    )
    done = bindlog(
        "resolve", "--kubeconfig", str(kubeconfig), "--context", "wds1", "-f", str(override),
        "-o", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    by_name = {b["metadata"]["name"]: b["spec"] for b in json.loads(done.stdout)["items"]}
    assert by_name["web-edge"]["destinations"] == [{"clusterId": "wec2"}]
    assert [e["name"] for e in by_name["extra"]["workload"]["namespaceScope"]] == ["cfg"]
    assert "team-b-gold" in by_name  # live policies not in the file stay


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "401 Unauthorized: injected failure"),
        (403, "403 Forbidden: injected failure"),
        (404, "404 NotFound: injected failure"),
    ],
)
def test_api_errors_name_context_and_call(
    kube: FakeKube, kubeconfig: Path, status: int, words: str
) -> None:
    kube.faults.append(Fault("GET", "/bindingpolicies", status))
    done = bindlog("status", "--kubeconfig", str(kubeconfig), "--context", "wds1")
    assert done.returncode == 1
    assert done.stderr == (
        'bindlog: context "wds1": GET /apis/control.kubestellar.io/v1alpha1/bindingpolicies: '
        f"{words}\n"
    )
    assert kube.token not in done.stdout + done.stderr


def test_unreachable_server_and_timeout(kube: FakeKube, kubeconfig: Path, tmp_path: Path) -> None:
    dead = tmp_path / "dead"
    dead.write_text(kubeconfig.read_text().replace(kube.url, "https://127.0.0.1:9"))
    done = bindlog("resolve", "--kubeconfig", str(dead), "--context", "wds1")
    assert done.returncode == 1
    assert done.stderr.startswith('bindlog: context "wds1": GET /api: cannot reach the server')
    assert "Traceback" not in done.stderr
    kube.faults.append(Fault("GET", "/apis/apps/v1/deployments", delay=3))
    done = bindlog(
        "resolve", "--kubeconfig", str(kubeconfig), "--context", "wds1", "--request-timeout", "1"
    )
    assert done.returncode == 1
    assert done.stderr == 'bindlog: context "wds1": GET /apis/apps/v1/deployments: timed out\n'


def test_kubeconfig_problems_and_token_never_printed(kubeconfig: Path, kube: FakeKube) -> None:
    done = bindlog("resolve", "--kubeconfig", str(kubeconfig), "--context", "nope")
    assert done.returncode == 1
    assert done.stderr.startswith(f'bindlog: context "nope": cannot load it from {kubeconfig}')
    assert kube.token not in done.stderr
    with pytest.raises(BindlogError) as e:
        load_live(LiveOptions(str(kubeconfig), "wds1", request_timeout=5), ["/nonexistent.yaml"])
    assert str(e.value) == "/nonexistent.yaml[doc 0]: no such file or directory"


def test_usage_without_input() -> None:
    done = bindlog("resolve")
    assert done.returncode == 2
    assert "give -f/--filename, or --context" in done.stderr


def test_progress_only_on_a_terminal(kubeconfig: Path) -> None:
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bindlog", "resolve", "--kubeconfig", str(kubeconfig),
             "--context", "wds1", "-o", "table"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL,
            timeout=120, check=False,
        )  # fmt: skip
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: all was read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    text = seen.decode()
    assert "listing bindingpolicies.control.kubestellar.io in wds1: 3" in text
    assert re.search(r"listed \d+ objects in [\d.]+s", text)
    piped = bindlog("resolve", "--kubeconfig", str(kubeconfig), "--context", "wds1")
    assert piped.stderr == ""  # not a terminal: no progress


def test_in_cluster_config_when_no_kubeconfig(
    kube: FakeKube, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    incluster: Any = importlib.import_module("kubernetes.config.incluster_config")
    token = tmp_path / "token"
    token.write_text(kube.token)
    monkeypatch.setattr(incluster, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster, "SERVICE_CERT_FILENAME", str(kube.ca_file))
    host, port = kube.url.removeprefix("https://").split(":")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))  # no kubeconfig anywhere
    state = load_live(LiveOptions())
    assert state.wds.context == "in-cluster"
    assert {p.name for p in state.loaded.snapshot.policies} == {
        "nothing",
        "team-b-gold",
        "web-edge",
    }
    done = bindlog("status", "--context", "wds1", "-o", "json")  # the context only names it
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)) == ["nothing", "team-b-gold", "web-edge"]


def test_unavailable_aggregated_api_is_skipped_with_a_warning(
    kube: FakeKube, kubeconfig: Path
) -> None:
    kube.faults.append(Fault("GET", "/apis/apps/v1", 503, message="service unavailable"))
    done = bindlog("resolve", "--kubeconfig", str(kubeconfig), "--context", "wds1", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        'warning: context "wds1": GET /apis/apps/v1: 503 ServiceUnavailable: service unavailable:'
        " the resources of apps/v1 are not read\n"
    )
    assert kube.count("GET", "/apis/apps/v1/deployments") == 0
    web = next(b for b in json.loads(done.stdout)["items"] if b["metadata"]["name"] == "web-edge")
    assert [e["name"] for e in web["spec"]["workload"]["namespaceScope"]] == ["cfg"]
