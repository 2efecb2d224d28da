"""Loading builds no cyclic garbage, so it runs with the cyclic collector paused (and restores
it as it found it, errors included); `python -m bindlog` leaves the collector off throughout."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from bindlog.adapters import load
from bindlog.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
INPUTS = [ROOT / "examples" / "nginx", ROOT / "tests" / "cli" / "graph-fixture"]


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_loading_leaves_no_cyclic_garbage(path: Path) -> None:
    gc.collect()
    gc.disable()
    try:
        loaded = load([str(path)])
        assert loaded.snapshot.objects  # the probe loaded something
        del loaded
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_restored_as_found(enabled: bool, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n")
    (gc.enable if enabled else gc.disable)()
    try:
        load([str(INPUTS[0])])
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            load([str(bad)])
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_the_collector_is_paused_while_reading_and_validating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bindlog.adapters as adapters

    seen: list[bool] = []
    read, build = vars(adapters)["read_documents"], vars(adapters)["build_snapshot"]

    def reading(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return read(*args, **kwargs)

    def building(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return build(*args, **kwargs)

    monkeypatch.setattr(adapters, "read_documents", reading)
    monkeypatch.setattr(adapters, "build_snapshot", building)
    assert gc.isenabled()
    load([str(INPUTS[0])])
    assert seen == [False, False]
    assert gc.isenabled()
