"""The YAML half of `bounded_parse`: libyaml's composer, counted through the resolver hooks, must
read, count and refuse exactly what PyYAML's Python composer (counting node by node) does."""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bindlog.adapters.bounded_parse import (
    _MAY_BE_ALIAS,
    Budget,
    LimitExceeded,
    _ComposingLoader,
    _documents,
    _LibyamlLoader,
    yaml_documents,
)

# Pieces of YAML that exercise what differs between composers: aliases and anchors, merge
# keys, tags, flow and block nesting, several documents, and `*` that is not an alias.
PIECES = [
    "[", "]", "{", "}", ", ", ",", ": ", ":", '"k"', "- ", "? ", "\n", "  ", "a", "b", "1", ".nan",
    "*a", "&a ", "*b", "&b ", "<<: ", "!!map ", "!!seq ", "!!int ", "!!omap ", "!!set ",
    "---\n", "'*'", '"x*"', "|\n  t\n", "#c\n", "\t", "0 * *",
]  # fmt: skip
# Examples per property: bounded for CI, raised for a longer local run (as in test_fuzz).
EXAMPLES = int(os.environ.get("BINDLOG_FUZZ_EXAMPLES", "300"))
TEXTS = st.lists(st.sampled_from(PIECES), min_size=1, max_size=30).map("".join)


def _budget(total: int = 3_000_000, document: int = 2_000_000, depth: int = 100) -> Budget:
    return Budget(total, document, depth, yaml_nodes=500_000)


def _outcome(loader: type[Any], text: str, budget: Budget) -> tuple[Any, ...]:
    docs: list[Any] = []
    try:
        docs.extend(_documents(loader(text, budget), budget, walk=True))
    except (yaml.YAMLError, LimitExceeded) as e:
        error: str | None = type(e).__name__
    else:
        error = None
    return repr(docs), error, budget.total_nodes, budget.yaml_nodes


@settings(max_examples=EXAMPLES, deadline=None)
@given(TEXTS, st.sampled_from([(3_000_000, 2_000_000, 100), (9, 2_000_000, 100), (99, 6, 100)]))
def test_libyaml_composes_and_counts_as_the_python_composer(
    text: str, limits: tuple[int, int, int]
) -> None:
    expected = _outcome(_ComposingLoader, text, _budget(*limits))
    got = _outcome(_LibyamlLoader, text, _budget(*limits))
    assert got[0] == expected[0]  # the same documents before any error
    if got[1] == expected[1]:
        assert got[2:] == expected[2:]  # the same nodes spent
    else:
        # Both refuse, with different errors: which one is met first may differ in a document
        # that is malformed, too deep or too large at once (the Python composer counts aliases
        # and depth as it goes, libyaml's composer reads the whole document first).
        assert None not in (got[1], expected[1])


def _shares_a_node(root: yaml.Node) -> bool:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(TEXTS)
def test_a_text_whose_documents_hold_an_alias_is_always_walked(text: str) -> None:
    # Documents are measured without a walk only where `_MAY_BE_ALIAS` finds nothing: it may
    # be too cautious, never blind to an alias libyaml composed.
    loader = _LibyamlLoader(text, _budget())
    try:
        while loader.check_node():
            loader.start_document()
            if _shares_a_node(loader.compose()):
                assert _MAY_BE_ALIAS.search(text)
    except (yaml.YAMLError, LimitExceeded):
        pass


@pytest.mark.parametrize(
    ("text", "alias"),
    [
        ("a: *x\n", True),
        ("[*x]", True),
        ("{a: *x}", True),
        ("? *x\n: 1\n", True),
        ("- *x\n", True),
        ("*x", True),
        ("[a,*x]", True),
        ('{"a":*x}', True),
        ("[?*x]", True),
        ("a:\t*x", True),
        ("a: '*'\n", False),
        ('a: "*.example.com"\n', False),
        ('schedule: "*/5"\n', False),
        ("schedule: 0 */5 a\n", True),  # a plain scalar, but walking it is only caution
        ("a: b*c\n", False),
    ],
)
def test_where_an_alias_may_start(text: str, alias: bool) -> None:
    assert (_MAY_BE_ALIAS.search(text) is not None) is alias


def _load(text: str, budget: Budget | None = None) -> list[Any]:
    return list(yaml_documents(text, budget or _budget()))


def test_a_document_past_the_bound_is_refused_where_the_bound_is_reached() -> None:
    # Malformed after the 2,000th node: reading on past the bound of 1,000 would end in the
    # syntax error instead.
    text = "[" + "0, " * 2_000 + "]]]"
    with pytest.raises(yaml.YAMLError):
        _load(text)
    with pytest.raises(LimitExceeded, match="expands to more than 1000 nodes"):
        _load(text, _budget(document=1_000))


def test_aliases_past_the_bound_are_counted_one_by_one() -> None:
    # More `*` than the budget: the Python composer counts each alias as it composes.
    text = "[&a 0" + ", *a" * 2_000 + "]]]"
    with pytest.raises(LimitExceeded, match="expands to more than 1000 nodes"):
        _load(text, _budget(document=1_000))


def test_every_node_is_spent_once_and_aliases_expanded() -> None:
    budget = _budget()
    docs = _load("a: &x [1, 2]\nb: *x\n---\n- c\n", budget)
    assert docs == [{"a": [1, 2], "b": [1, 2]}, ["c"]]
    # {a, [1, 2], b, [1, 2]}: 1 + 2 * (1 + 3) = 9 nodes; [c]: 2 nodes.
    assert budget.total_nodes == 3_000_000 - 11
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n"
    with pytest.raises(LimitExceeded, match="expands to more than 40 nodes"):
        _load(bomb, _budget(document=40))
    with pytest.raises(LimitExceeded, match="recursive document"):
        _load("a: &a [*a]\n")


def test_anchor_errors_name_the_anchor() -> None:
    with pytest.raises(yaml.YAMLError, match="found undefined alias 'x'"):
        _load("a: 1\n---\na: *x\n")
    with pytest.raises(yaml.YAMLError, match="found duplicate anchor 'x'"):
        _load("a: &x 1\nb: &x 2\n")


def test_the_budget_is_spent_once_when_an_anchor_error_is_reread() -> None:
    budget = _budget()
    found: list[Any] = []
    with pytest.raises(yaml.YAMLError):
        found.extend(yaml_documents("a: 1\n---\nb: 2\n---\nc: *x\n", budget))
    assert found == [{"a": 1}, {"b": 2}]
    assert budget.total_nodes == 3_000_000 - 6


def test_nesting_is_bounded_to_the_level() -> None:
    assert _load("[" * 100 + "]" * 100)
    budget = _budget()
    for deeper in ("[" * 101 + "]" * 101, "[" * 100 + "!!seq []" + "]" * 100):
        with pytest.raises(LimitExceeded, match="nested deeper than 100 levels"):
            _load(deeper, budget)
    assert budget.total_nodes == 3_000_000  # a document refused for its depth costs nothing


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!bool abc", "cannot read 'abc' as !!bool: not a boolean"),
        ("!!timestamp abc", "cannot read 'abc' as !!timestamp: not a timestamp"),
        ("!!int ''", "cannot read '' as !!int: not an integer"),
        ("!!int abc", "cannot read 'abc' as !!int: not an integer"),
        ("!!float abc", "cannot read 'abc' as !!float: not a number"),
        ("2026-13-01", "cannot read '2026-13-01' as !!timestamp: month must be in 1..12"),
        ("!!map [1]", "expected a mapping node, but found sequence"),
        ("!!set [1]", "expected a mapping node, but found sequence"),
        ("{[1]: 2}", "found unhashable key"),
        ("!!python/name:os.system x", "could not determine a constructor"),
    ],
)
def test_values_the_safe_constructor_refuses_are_yaml_errors(value: str, message: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match=message.replace("[", r"\[")):
        _load(f"k: {value}\n")


def test_duplicate_keys_are_refused_as_written() -> None:
    for text in ("a: 1\nb: 2\na: 3\n", "a: 1\n'a': 2\n", ".nan: 1\n.nan: 2\n"):
        with pytest.raises(yaml.constructor.ConstructorError, match="found duplicate key"):
            _load(text)
    with pytest.raises(yaml.constructor.ConstructorError, match="found duplicate key 'x'"):
        _load("c: {<<: {y: 1, z: 2}, x: 1, x: 2}\n")
    # Different spellings of one value, and a key that overrides a merged one, are not.
    assert _load("1: a\n0x1: b\n") == [{1: "b"}]
    assert _load("b: &b {x: 1, y: 2}\nc: {<<: *b, x: 3}\n") == [
        {"b": {"x": 1, "y": 2}, "c": {"x": 3, "y": 2}}
    ]
    nan_key = next(iter(_load(".nan: 1\n")[0]))
    assert math.isnan(nan_key)
