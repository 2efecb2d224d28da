"""Bound questions (what `bindlog why` asks) answer as the full evaluation does: a BoundModel
derives only what one question needs, from the same rules, and must agree with Model."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import given, settings
from test_properties import BASE_SETTINGS, snapshots

from bindlog.engine.bound import BoundModel
from bindlog.engine.incremental import Model
from bindlog.model import Snapshot


@settings(BASE_SETTINGS, max_examples=40)
@given(snapshots(valid_cluster_selectors=False))
def test_bound_answers_equal_the_full_evaluation(snapshot: Snapshot) -> None:
    full = Model(snapshot).result
    bound = BoundModel(snapshot)
    assert bound.ids == full.ids
    for p, res in full.items():
        assert bound.resolution(p) == res
        assert bound.matching_cluster_selectors(p) == full.matching_cluster_selectors(p)
    enc = full.encoding
    for o in enc.objects:
        assert bound.policies_selecting_object(o) == full.policies_selecting_object(o)
    for c in enc.wecs:
        assert bound.policies_selecting_wec(c) == full.policies_selecting_wec(c)


@settings(BASE_SETTINGS, max_examples=15)
@given(snapshots(valid_cluster_selectors=False))
def test_pydatalogs_bound_answers_equal_the_set_at_a_time_ones(snapshot: Snapshot) -> None:
    setwise = BoundModel(snapshot, engine="setwise")
    plain = BoundModel(snapshot, engine="pydatalog")
    for p in setwise.ids:
        assert plain.resolution(p) == setwise.resolution(p)
        assert plain.matching_cluster_selectors(p) == setwise.matching_cluster_selectors(p)
    enc = setwise.encoding
    for o in enc.objects:
        assert plain.policies_selecting_object(o) == setwise.policies_selecting_object(o)
    for c in enc.wecs:
        assert plain.policies_selecting_wec(c) == setwise.policies_selecting_wec(c)
