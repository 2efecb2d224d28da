"""Drift at the library level: the Bindings found in the WDS (`snapshot.bindings`) against the
ones the rules give for the same live state. (`bindlog diff` renders this comparison.)"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakekube import FakeKube, write_kubeconfig
from fakekube.scenario import populate, wec

from bindlog import api
from bindlog.adapters.live import LiveOptions, load_live
from bindlog.export.apply import ApplyOptions, apply_bindings


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Iterator[tuple[FakeKube, Path]]:
    with FakeKube() as kube:
        populate(kube)
        yield kube, write_kubeconfig(tmp_path / "config", {"wds1": kube})


def drift(path: Path) -> dict[str, tuple[Any, Any]]:
    """Per Binding name: (live spec, wanted spec), for those that differ."""
    state = load_live(LiveOptions(str(path), "wds1"))
    wanted = {b["metadata"]["name"]: b["spec"] for b in api.run_loaded(state.loaded).bindings}
    live = {b["metadata"]["name"]: b.get("spec") for b in state.loaded.snapshot.bindings}  # type: ignore[index]
    return {
        n: (live.get(n), wanted.get(n))
        for n in sorted(live.keys() | wanted.keys())
        if live.get(n) != wanted.get(n)
    }


def test_drift_found_and_not_found(kubeconfig: tuple[FakeKube, Path]) -> None:
    kube, path = kubeconfig
    before = drift(path)
    assert sorted(before) == ["nothing", "team-b-gold", "web-edge"]  # no Binding in the WDS yet
    assert all(live is None for live, _ in before.values())
    state = load_live(LiveOptions(str(path), "wds1"))
    wanted = api.run_loaded(state.loaded).bindings
    apply_bindings(state.wds, state.binding_resource, wanted, ApplyOptions())
    assert drift(path) == {}  # what the controller would hold is what the rules give
    kube.put(wec("wec2", location="edge", tier="gold"))  # the WEC moved; Bindings did not
    after = drift(path)
    assert list(after) == ["web-edge"]
    live, wanted = after["web-edge"]
    assert live["destinations"] == [{"clusterId": "wec1"}]
    assert wanted["destinations"] == [{"clusterId": "wec1"}, {"clusterId": "wec2"}]
