"""Fuzzing the adapters and the selector parser with structured inputs (bounded in CI).

Whatever the input, loading ends in a Snapshot or an InputError, never another exception. For a
longer local run: `BINDLOG_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py`.
"""

from __future__ import annotations

import os
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bindlog.adapters.manifests import build_snapshot
from bindlog.adapters.selectors import parse_selector
from bindlog.adapters.yaml_files import Document, Limits, _flatten, _within_limits, _yaml_documents
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
        if _within_limits(source, body, Limits(), problems):
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
    docs = _yaml_documents("fuzz.yaml", text, problems)
    try:
        # The same parser we build on (libyaml where present): pure-Python PyYAML differs on
        # corner cases such as a trailing tab.
        plain = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (yaml.YAMLError, RecursionError):
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
