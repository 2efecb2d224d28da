"""`bindlog watch` as a user runs it, against the loopback server: it reacts to a relabelled WEC,
a new object, a deleted or invalid policy, relists after 410 Gone, reconnects from the last
resourceVersion (BOOKMARKs included) and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakekube import FakeKube, Fault, write_kubeconfig
from fakekube.scenario import CONTROL, configmap, policy_ref, populate, wec

ROOT = Path(__file__).resolve().parent.parent


class Watch:
    """A running `bindlog watch`, its stdout lines queued as they come."""

    running: list[Watch] = []  # noqa: RUF012 (the test module's registry, for cleanup)

    def __init__(self, kubeconfig: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bindlog", "watch", "--kubeconfig", str(kubeconfig),
             "--context", "wds1", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        Watch.running.append(self)
        self.err: list[str] = []
        self.pumps = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put)),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err.append)),
        ]
        for pump in self.pumps:
            pump.daemon = True
            pump.start()

    @staticmethod
    def _pump(stream: Any, sink: Callable[[str], None]) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    def until_watching(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while "bindlog: watching" not in self.err:
            assert time.monotonic() < deadline, self.err
            assert self.proc.poll() is None, self.err
            time.sleep(0.05)

    def err_line(self, text: str, timeout: float = 30) -> bool:
        """Whether a stderr line containing `text` arrives within `timeout`: stderr is pumped
        by its own thread, so it may trail the stdout line that announced the change."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in list(self.err)):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def take(self, n: int, timeout: float = 30) -> list[str]:
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            try:
                out.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"got {out}, stderr {self.err}") from None
        return out

    def quiet(self, seconds: float = 1.0) -> bool:
        try:
            extra = self.lines.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected output {extra!r}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        for pump in self.pumps:
            pump.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            assert stream is not None
            stream.close()
        return code


@pytest.fixture(autouse=True)
def _no_leftover_watch() -> Iterator[None]:
    """A failing test must not leave its `bindlog watch` running."""
    yield
    for w in Watch.running:
        if w.proc.poll() is None:
            w.proc.kill()
            w.stop()
    Watch.running.clear()


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube(bookmark_interval=0.3) as k:
        populate(k)
        yield k


@pytest.fixture
def kubeconfig(kube: FakeKube, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "config", {"wds1": kube})


def events(lines: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    out = {}
    for line in lines:
        event = json.loads(line)
        out[event["object"]["metadata"]["name"]] = (event["type"], event["object"])
    return out


def names_in(binding: dict[str, Any]) -> list[str]:
    return [e["name"] for e in binding["spec"]["workload"].get("namespaceScope", [])]


def test_watch_reacts_to_wec_object_and_policy_changes(kube: FakeKube, kubeconfig: Path) -> None:
    w = Watch(kubeconfig, "-o", "json")
    first = events(w.take(3))
    assert {n: t for n, (t, _) in first.items()} == {
        "nothing": "ADDED",
        "team-b-gold": "ADDED",
        "web-edge": "ADDED",
    }
    w.until_watching()
    # a relabelled WEC: wec2 moves to the edge, so web-edge goes there too
    kube.put(wec("wec2", location="edge", tier="gold"))
    kind, web = events(w.take(1))["web-edge"]
    assert kind == "MODIFIED"
    assert web["spec"]["destinations"] == [{"clusterId": "wec1"}, {"clusterId": "wec2"}]
    assert w.quiet(0.5)  # team-b-gold selects by tier, unchanged: nothing printed for it
    # a new object: a web ConfigMap in team-a, picked by web-edge and by nothing (configmaps
    # in team-a)
    kube.put(configmap("cfg2", "team-a", app="web"))
    got = events(w.take(2))
    assert names_in(got["web-edge"][1]) == ["cfg", "cfg2", "web"]
    assert names_in(got["nothing"][1]) == ["cfg", "cfg2"]
    # a deleted policy: its Binding is gone
    kube.remove(policy_ref("team-b-gold"))
    assert events(w.take(1))["team-b-gold"][0] == "DELETED"
    assert w.stop() == 0
    assert w.err[-1] == "bindlog: watch stopped"
    assert not any("Traceback" in line for line in w.err)
    assert not any("pool is full" in line for line in w.err)
    assert kube.token not in "\n".join(w.err)


def test_invalid_policy_is_reported_and_the_rest_go_on(kube: FakeKube, kubeconfig: Path) -> None:
    w = Watch(kubeconfig)
    assert len(w.take(3)) == 3
    w.until_watching()
    bad = {
        "apiVersion": CONTROL,
        "kind": "BindingPolicy",
        "metadata": {"name": "nothing"},
        "spec": {"clusterSelectors": [{"matchExpressions": [{"key": "a", "operator": "Near"}]}]},
    }
    kube.put(bad)
    assert w.take(1) == ["DELETED binding.control.kubestellar.io/nothing"]
    assert w.err_line("Near")
    assert w.err_line("bindingpolicy/nothing left out until it is valid again")
    kube.put(wec("wec2", location="edge", tier="gold"))
    assert w.take(1) == [
        "MODIFIED binding.control.kubestellar.io/web-edge objects=2 destinations=wec1,wec2"
    ]
    assert w.stop() == 0


def test_relist_after_410_and_reconnect_from_last_version(tmp_path: Path) -> None:
    with FakeKube(bookmark_interval=0.2, max_watch_seconds=1) as kube:
        populate(kube)
        kubeconfig = write_kubeconfig(tmp_path / "config", {"wds1": kube})
        list_rv = kube.store.rv
        w = Watch(kubeconfig)
        assert len(w.take(3)) == 3
        w.until_watching()
        # the change and the compaction land together: no watcher can have seen the event, so
        # every one is told 410 Gone and relists
        with kube.store.lock:
            kube.put(wec("wec2", location="edge", tier="gold"))
            kube.store.compact()
        assert w.take(1) == [
            "MODIFIED binding.control.kubestellar.io/web-edge objects=2 destinations=wec1,wec2"
        ]
        assert w.quiet(1.5)  # relists of unchanged resources print nothing
        relists = [
            p
            for m, p in kube.requests
            if m == "GET" and "/managedclusters?" in p and "watch=" not in p
        ]
        assert len(relists) >= 2  # the first list, then the relist after 410
        # streams end every second; reconnections carry on from the last resourceVersion seen,
        # which for deployments (no events) is a BOOKMARK's
        versions = [
            int(m.group(1))
            for _, p in kube.requests
            if "/deployments?" in p and "watch=true" in p
            for m in [re.search(r"resourceVersion=(\d+)", p)]
            if m
        ]
        assert versions[0] == list_rv
        assert max(versions) > list_rv
        # a failed reconnection is reported and retried; the watch goes on
        kube.faults.append(Fault("GET", "/api/v1/configmaps", 503))
        deadline = time.monotonic() + 30
        want = (
            'bindlog: context "wds1": GET /api/v1/configmaps: 503 ServiceUnavailable: '
            "injected failure; retrying"
        )
        while want not in w.err:
            assert time.monotonic() < deadline, w.err
            time.sleep(0.05)
        kube.put(configmap("cfg2", "team-a", app="web"))
        assert sorted(w.take(2)) == [
            "MODIFIED binding.control.kubestellar.io/nothing objects=2 destinations=-",
            "MODIFIED binding.control.kubestellar.io/web-edge objects=3 destinations=wec1,wec2",
        ]
        assert w.stop() == 0


def test_watch_apply_writes_only_what_changed(kube: FakeKube, kubeconfig: Path) -> None:
    w = Watch(kubeconfig, "--apply")
    assert sorted(w.take(3)) == [
        "binding.control.kubestellar.io/nothing serverside-applied",
        "binding.control.kubestellar.io/team-b-gold serverside-applied",
        "binding.control.kubestellar.io/web-edge serverside-applied",
    ]
    w.until_watching()
    patches = kube.count("PATCH", "/bindings/")
    kube.put(wec("wec2", location="edge", tier="gold"))
    assert w.take(1) == ["binding.control.kubestellar.io/web-edge serverside-applied"]
    assert kube.count("PATCH", "/bindings/") == patches + 1
    web = kube.store.objects[("control.kubestellar.io", "bindings", "", "web-edge")]
    assert web["spec"]["destinations"] == [{"clusterId": "wec1"}, {"clusterId": "wec2"}]
    kube.remove(policy_ref("nothing"))
    assert w.take(1) == ["binding.control.kubestellar.io/nothing pruned"]
    assert ("control.kubestellar.io", "bindings", "", "nothing") not in kube.store.objects
    assert w.stop() == 0
    # a restart reconciles from a fresh list: everything is already as wanted
    w = Watch(kubeconfig, "--apply")
    assert sorted(w.take(2)) == [
        "binding.control.kubestellar.io/team-b-gold unchanged",
        "binding.control.kubestellar.io/web-edge unchanged",
    ]
    assert w.stop() == 0


def test_watch_follows_the_its_for_wecs(tmp_path: Path) -> None:
    with FakeKube() as wds, FakeKube(token="its-token") as its:
        populate(wds, its)
        kubeconfig = write_kubeconfig(tmp_path / "config", {"wds1": wds, "its1": its})
        w = Watch(kubeconfig, "--its-context", "its1")
        assert len(w.take(3)) == 3
        w.until_watching()
        its.put(wec("wec2", location="edge", tier="gold"))
        assert w.take(1) == [
            "MODIFIED binding.control.kubestellar.io/web-edge objects=2 destinations=wec1,wec2"
        ]
        assert wds.count("GET", "managedclusters") == 0
        assert w.stop() == 0
