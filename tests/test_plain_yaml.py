"""`plain_yaml`: the depth-first constructor and the remembering resolver build exactly the
documents, errors and node counts of PyYAML's general scheme, and the fast path is really taken
where it should be (else the parity checks would prove nothing)."""

from __future__ import annotations

import datetime
import gc
import os
import weakref
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bindlog.adapters.bounded_parse import (
    Budget,
    LimitExceeded,
    _documents,
    _LibyamlLoader,
    yaml_documents,
)
from bindlog.adapters.plain_yaml import Declined

# Alias-free pieces (the fast path is only given texts without aliases): scalars of every core
# type, plain and quoted, explicit tags, merge and value keys, repeated keys, flow and block
# nesting, several documents.
PIECES = [
    "[", "]", "{", "}", ", ", ": ", '"k"', "- ", "? ", "\n", "  ", "a", "b", "k: ", "1", "0x1F",
    "1e3", ".nan", "-.inf", "~", "null", "true", "yes", "Off", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", '"1"', "'true'", "&a ", "<<: ", "= ", "!!map ", "!!seq ",
    "!!int ", "!!str ", "!!float ",
    "!!binary aGk= ", "!!timestamp ", "!!omap ", "!!set ", "! ", "!!bool ", "---\n", "|\n  t\n",
    "#c\n", "\t", "{a: 1, a: 2}", "{1: a, 1.0: b}",
]  # fmt: skip
EXAMPLES = int(os.environ.get("BINDLOG_FUZZ_EXAMPLES", "300"))
TEXTS = st.lists(st.sampled_from(PIECES), min_size=1, max_size=30).map("".join)


def _budget(total: int = 3_000_000, document: int = 2_000_000, depth: int = 100) -> Budget:
    return Budget(total, document, depth, yaml_nodes=500_000)


def _typed(value: Any) -> Any:
    """The value with every scalar's type made visible (1, 1.0 and True compare equal)."""
    if isinstance(value, dict):
        return [(_typed(k), _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


def _outcome(text: str, plain: bool, limits: tuple[int, int, int]) -> tuple[Any, ...]:
    budget = _budget(*limits)
    docs: list[Any] = []
    try:
        docs.extend(_documents(_LibyamlLoader(text, budget, plain=plain), budget, walk=False))
    except (yaml.YAMLError, LimitExceeded) as e:
        error: str | None = f"{type(e).__name__}: {e}"
    else:
        error = None
    return _typed(docs), error, budget.total_nodes, budget.yaml_nodes


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(TEXTS, st.sampled_from([(3_000_000, 2_000_000, 100), (9, 2_000_000, 100), (99, 99, 2)]))
def test_the_plain_path_builds_what_the_general_scheme_builds(
    text: str, limits: tuple[int, int, int]
) -> None:
    assert _outcome(text, True, limits) == _outcome(text, False, limits)


def _plain(text: str, depth: int = 100) -> Any:
    loader = _LibyamlLoader(text, _budget(depth=depth), plain=True)
    try:
        return loader.construct_plain(loader.get_single_node())
    finally:
        loader.dispose()


def test_plain_data_takes_the_plain_path() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {app: web, v: '1'}\n"
        "data:\n  n: 1\n  f: 1.5\n  t: true\n  z: ~\n  d: 2026-01-02\n  s: [x, 'y', 3]\n"
    )
    built = _plain(text)
    assert built == yaml.safe_load(text)
    assert _typed(built) == _typed(yaml.safe_load(text))
    assert built["data"]["d"] == datetime.date(2026, 1, 2)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\n<<: {b: 2}\n",  # merge key
        "= : 1\n",  # value key
        "a: !!set {b}\n",
        "a: !!omap [b: 1]\n",
        "{a: 1, a: 2}\n",  # a repeated key: the general scheme refuses it
        "{[1]: 2}\n",
        "a: !custom x\n",
        "[[[1]]]\n",  # three levels, past the depth of 2 below
    ],
)
def test_what_the_plain_path_declines(text: str) -> None:
    with pytest.raises(Declined):
        _plain(text, depth=2)


def test_nesting_is_bounded_as_the_general_scheme_bounds_it() -> None:
    # Two collection levels fit a depth of 2 (the general scheme's rounds); three do not.
    assert _plain("a: [1]\n", depth=2) == {"a": [1]}
    assert _plain("[[1]]\n", depth=2) == [[1]]
    with pytest.raises(Declined):
        _plain("a: {b: [1]}\n", depth=2)


def test_a_plain_value_is_resolved_by_its_text_and_quoting() -> None:
    # The remembered tag of a plain `1` must not leak to a quoted "1", nor the reverse.
    text = "a: '1'\nb: 1\nc: \"1\"\nd: 1\n"
    for plain in (True, False):
        budget = _budget()
        docs = list(_documents(_LibyamlLoader(text, budget, plain=plain), budget, walk=False))
        assert _typed(docs) == _typed([{"a": "1", "b": 1, "c": "1", "d": 1}])


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        return fh.read()


# The fast path is never given a text that may hold an alias.
MANIFESTS = sorted(
    path
    for top in ("tests/corpus", "tests/scenarios", "examples")
    for folder, _, names in os.walk(os.path.join(ROOT, top))
    for name in names
    if name.endswith((".yaml", ".yml")) and "*" not in _read(path := os.path.join(folder, name))
)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: os.path.relpath(p, ROOT))
def test_every_manifest_of_the_repository_reads_the_same_both_ways(path: str) -> None:
    text = _read(path)
    assert _outcome(text, True, (3_000_000, 2_000_000, 100)) == _outcome(
        text, False, (3_000_000, 2_000_000, 100)
    )


def test_a_loader_is_freed_without_the_cyclic_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    # `python -m bindlog` runs with the collector off: a loader caught in a reference cycle
    # would keep its whole input text until the process ends.
    made: list[weakref.ref[_LibyamlLoader]] = []
    init = _LibyamlLoader.__init__

    def recorded(self: _LibyamlLoader, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(_LibyamlLoader, "__init__", recorded)
    gc.disable()
    try:
        docs = list(yaml_documents("a: 1\n---\nb: [x, 2]\n", _budget()))
        assert docs == [{"a": 1}, {"b": ["x", 2]}]
        assert made
        assert all(ref() is None for ref in made)
    finally:
        gc.enable()
