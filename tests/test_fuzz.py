"""Fuzzing the adapters and the selector parser with structured inputs (bounded in CI).

Whatever the input, loading ends in a Snapshot or an InputError, never another exception. For a
longer local run: `BINDLOG_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bindlog.adapters.bounded_parse import Budget, LimitExceeded, json_document, yaml_documents
from bindlog.adapters.manifests import build_snapshot
from bindlog.adapters.selectors import parse_selector
from bindlog.adapters.yaml_files import Document, Limits, _flatten, _yaml_documents
from bindlog.engine.evaluate import evaluate
from bindlog.errors import InputError, InputProblem
from bindlog.model import Source

# Examples per fuzz test: bounded for CI, raised for a longer local run.
EXAMPLES = int(os.environ.get("BINDLOG_FUZZ_EXAMPLES", "300"))

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(
        [
            "",
            "*",
            "In",
            "NotIn",
            "Exists",
            "DoesNotExist",
            "Inn",
            "a",
            "app",
            "v1",
            "apps/v1",
            "x') or True #",
            "kube-system",
            "a/b",
            "-bad-",
            "ConfigMap",
            "Namespace",
        ]
    ),
    st.text(max_size=8),
)
KEYS = st.sampled_from(
    [
        "apiVersion",
        "kind",
        "metadata",
        "name",
        "namespace",
        "labels",
        "spec",
        "clusterSelectors",
        "downsync",
        "matchLabels",
        "matchExpressions",
        "key",
        "operator",
        "values",
        "resources",
        "apiGroup",
        "namespaces",
        "objectNames",
        "objectSelectors",
        "namespaceSelectors",
        "createOnly",
        "statusCollectors",
        "items",
        "uid",
        "resourceVersion",
        "group",
        "names",
        "plural",
        "scope",
        "app",
        "x",
    ]
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=25,
)
KINDS = st.sampled_from(
    [
        ("v1", "ConfigMap"),
        ("v1", "Namespace"),
        ("apps/v1", "Deployment"),
        ("control.kubestellar.io/v1alpha1", "BindingPolicy"),
        ("cluster.open-cluster-management.io/v1", "ManagedCluster"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("v1", "List"),
        ("example.com/v1", "Widget"),
    ]
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    api, kind = draw(KINDS)
    doc: dict[str, Any] = draw(st.dictionaries(KEYS, TREES, max_size=4))
    if draw(st.booleans()):
        doc["apiVersion"], doc["kind"] = api, kind
    if draw(st.booleans()):
        doc["metadata"] = draw(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["a", "b", "", "a/b"])},
                optional={"namespace": SCALARS, "labels": TREES},
            )
        )
    return doc


def _load(docs: list[Any]) -> None:
    problems: list[InputProblem] = []
    found: list[Document] = []
    for i, body in enumerate(docs):
        source = Source("fuzz.yaml", i)
        found.extend(_flatten(source, body, problems))
    try:
        snapshot, _ = build_snapshot(found)
    except InputError as e:
        error: InputError | None = e
    else:
        error = None
    if error is not None:
        assert error.problems
        assert all(str(p) for p in error.problems)
        return
    if not problems:
        evaluate(snapshot)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(documents(), max_size=6))
def test_structured_documents_never_crash(docs: list[dict[str, Any]]) -> None:
    _load(docs)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(TREES, max_size=4))
def test_arbitrary_trees_never_crash(docs: list[Any]) -> None:
    _load(docs)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_is_parsed_or_reported(text: str) -> None:
    problems: list[InputProblem] = []
    docs = _yaml_documents("fuzz.yaml", text, problems, Limits().budget())
    try:
        # The same parser we build on (libyaml where present): pure-Python PyYAML differs on
        # corner cases such as a trailing tab.
        plain = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError):
        assert len(problems) == 1  # PyYAML refuses it: so must we, with one clear problem
        assert str(problems[0]).startswith("fuzz.yaml[doc ")
        assert "invalid YAML" in str(problems[0])
        return
    if problems:  # only our stricter rule may refuse what PyYAML accepts
        assert "duplicate key" in str(problems[0])
    else:
        assert [body for _, body in docs] == plain


@settings(max_examples=EXAMPLES, deadline=None)
@given(TREES)
def test_selector_parser_never_crashes(raw: Any) -> None:
    found: list[tuple[str, str]] = []
    sel = parse_selector(raw, "spec.x", found)
    assert sel.error is None or isinstance(sel.error, str)
    for path, detail in found:
        assert path.startswith("spec.x")
        assert detail


JSON_TREES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6)),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=30,
)


def _nodes(value: Any) -> tuple[int, int]:
    """(nodes, depth) the way YAML composes them: keys are nodes, depth counts containers."""
    if isinstance(value, dict):
        inner = [_nodes(k) for k in value] + [_nodes(v) for v in value.values()]
    elif isinstance(value, list):
        inner = [_nodes(v) for v in value]
    else:
        return 1, 0
    return 1 + sum(n for n, _ in inner), 1 + max((d for _, d in inner), default=0)


@settings(max_examples=EXAMPLES, deadline=None)
@given(JSON_TREES, st.sampled_from([None, 0, 1, 2, 4]))
def test_json_is_counted_exactly_before_it_is_built(tree: Any, indent: int | None) -> None:
    text = json.dumps(tree, indent=indent)
    nodes, depth = _nodes(tree)
    budget = Budget(total_nodes=nodes, document_nodes=nodes, depth=max(depth, 1))
    assert json_document(text, budget) == tree
    assert budget.total_nodes == 0  # spent exactly what the document holds
    with pytest.raises(LimitExceeded):
        json_document(text, Budget(total_nodes=nodes - 1, document_nodes=nodes, depth=100))


@settings(max_examples=EXAMPLES, deadline=None)
@given(JSON_TREES)
def test_yaml_and_json_count_the_same_nodes(tree: Any) -> None:
    nodes, depth = _nodes(tree)
    text = yaml.safe_dump(tree)
    budget = Budget(total_nodes=nodes, document_nodes=nodes, depth=max(depth, 1))
    assert list(yaml_documents(text, budget)) == [tree]
    assert budget.total_nodes == 0
