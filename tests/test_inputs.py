"""The knowledge base's Python copy of its facts answers as pyDatalog does, through changes."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import given, settings
from test_properties import BASE_SETTINGS, snapshots

from bindlog.engine.facts import encode
from bindlog.engine.incremental import checked_program
from bindlog.engine.inputs import InputRows
from bindlog.engine.kb import KnowledgeBase
from bindlog.model import Snapshot


def test_rows_by_bound_positions_follow_adds_and_removes() -> None:
    rows = InputRows()
    rows.add("e", [(1, "a"), (1, "b"), (2, "a")])
    assert sorted(rows.query("e", (1, None))) == [(1, "a"), (1, "b")]
    assert sorted(rows.query("e", (None, "a"))) == [(1, "a"), (2, "a")]
    rows.remove("e", [(1, "a")])
    rows.add("e", [(3, "a")])
    # The indexes built above are dropped with the change.
    assert rows.query("e", (1, None)) == [(1, "b")]
    assert sorted(rows.query("e", (None, "a"))) == [(2, "a"), (3, "a")]
    assert rows.query("e", (2, "a")) == [(2, "a")]
    assert rows.query("missing", (None,)) == []


@settings(BASE_SETTINGS, max_examples=30)
@given(snapshots(valid_cluster_selectors=False))
def test_inputs_equal_pydatalogs_facts(snapshot: Snapshot) -> None:
    _, facts = encode(snapshot)
    kb = KnowledgeBase(checked_program())
    kb.assert_facts(facts)
    half = {pred: rows[: len(rows) // 2] for pred, rows in facts.items()}
    kb.retract_facts(half)
    for pred, rows in facts.items():
        arity = len(rows[0]) if rows else 1
        expected = set(kb.backend.query(pred, (None,) * arity)) if rows else set()
        assert set(kb.inputs.query(pred, (None,) * arity)) == expected, pred
        for row in rows:
            assert set(kb.inputs.query(pred, (row[0],) + (None,) * (arity - 1))) == set(
                kb.backend.query(pred, (row[0],) + (None,) * (arity - 1))
            )


def test_bitset_members_at_every_density() -> None:
    from random import Random

    from bindlog.engine.labelsets import members

    rng = Random(7)
    assert members(0) == []
    assert members(1) == [0]
    assert members(1 << 300) == [300]
    for density in (0.001, 0.05, 0.3, 0.5, 0.99):
        ids = [i for i in range(3000) if rng.random() < density]
        assert members(sum(1 << i for i in ids)) == ids
