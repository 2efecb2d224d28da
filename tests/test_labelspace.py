"""`LabelSpace`: a selector's classes, from bitsets built lazily and kept current, are the
classes whose labels it matches one by one (Kubernetes semantics), before and after classes
are added once selectors have been asked (the incremental path)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bindlog.engine.labelsets import LabelSpace, bitset, members, selector_matches
from bindlog.model import LabelSelector, Operator, Requirement

KEYS = ["app", "env", "tier"]
VALUES = ["a", "b", "c"]
LABELS = st.dictionaries(st.sampled_from([*KEYS, "other"]), st.sampled_from(VALUES)).map(
    lambda d: tuple(sorted(d.items()))
)
REQUIREMENTS = st.builds(
    Requirement,
    st.sampled_from(KEYS),
    st.sampled_from(list(Operator)),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True).map(tuple),
).map(
    lambda r: (
        r if r.operator in (Operator.IN, Operator.NOT_IN) else Requirement(r.key, r.operator, ())
    )
)
SELECTORS = st.lists(REQUIREMENTS, max_size=3).map(lambda rs: LabelSelector(tuple(rs)))


Labels = tuple[tuple[str, str], ...]


def _expected(space: LabelSpace, labels: list[Labels], sel: LabelSelector) -> set[int]:
    return {space.class_of(ls) for ls in labels if selector_matches(sel, dict(ls))}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(SELECTORS, min_size=1, max_size=4),
    st.lists(LABELS, max_size=12),
    st.lists(LABELS, max_size=6),
)
def test_matching_classes_are_the_classes_matched_one_by_one(
    selectors: list[LabelSelector],
    before: list[Labels],
    after: list[Labels],
) -> None:
    space = LabelSpace(selectors)
    for ls in before:
        space.class_of(ls)
    for sel in selectors:
        assert set(members(space.matching_mask(sel))) == _expected(space, before, sel)
    for ls in after:  # classes added once the bitsets exist: they must be kept current
        space.class_of(ls)
    for sel in selectors:
        assert set(members(space.matching_mask(sel))) == _expected(space, before + after, sel)


@given(st.sets(st.integers(min_value=0, max_value=3_000)))
def test_bitset_sets_exactly_its_bits(ids: set[int]) -> None:
    mask = bitset(ids)
    assert mask == sum(1 << i for i in ids)
    assert members(mask) == sorted(ids)
