"""Bound questions (what `bindlog why` asks) answer as the full evaluation does: a BoundModel
derives only what one question needs, from the same rules, and must agree with Model."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import given, settings
from test_properties import BASE_SETTINGS, snapshots

from bindlog.engine.bound import BoundModel
from bindlog.engine.evaluate import Result
from bindlog.engine.incremental import Model
from bindlog.model import Snapshot


def _same_answers(bound: BoundModel, other: BoundModel | Result) -> None:
    assert bound.ids == other.ids
    for p in other.ids:
        assert bound.resolution(p) == other.resolution(p)
        assert bound.matching_cluster_selectors(p) == other.matching_cluster_selectors(p)
    enc = other.encoding
    for o in enc.objects:
        assert bound.policies_selecting_object(o) == other.policies_selecting_object(o)
    for c in enc.wecs:
        assert bound.policies_selecting_wec(c) == other.policies_selecting_wec(c)


@settings(BASE_SETTINGS, max_examples=40)
@given(snapshots(valid_cluster_selectors=False))
def test_bound_answers_equal_the_full_evaluation(snapshot: Snapshot) -> None:
    _same_answers(BoundModel(snapshot), Model(snapshot).result)


@settings(BASE_SETTINGS, max_examples=15)
@given(snapshots(valid_cluster_selectors=False))
def test_pydatalogs_bound_answers_equal_the_set_at_a_time_ones(snapshot: Snapshot) -> None:
    _same_answers(BoundModel(snapshot, engine="pydatalog"), BoundModel(snapshot, engine="setwise"))
