"""`labelsets.members`: the set bits of a bitset, sparse or dense, in increasing order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bindlog.engine.labelsets import members


@given(st.sets(st.integers(min_value=0, max_value=5_000)))
def test_members_are_the_set_bits_in_order(bits: set[int]) -> None:
    assert members(sum(1 << b for b in bits)) == sorted(bits)


def test_dense_and_sparse_bitsets() -> None:
    assert members(0) == []
    assert members(1) == [0]
    assert members((1 << 4_000) - 1) == list(range(4_000))  # every bit: picked all at once
    assert members(1 << 4_000 | 1 << 7) == [7, 4_000]  # two of 4,001: found one by one
