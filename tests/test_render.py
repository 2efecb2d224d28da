"""The fast writers give the same bytes as the standard ones they replace.

`render.to_json` must equal `json.dumps(..., indent=2)` (ensure_ascii on) and `render.to_yaml`
PyYAML's C safe dumper with bindlog's options, on every golden scenario's Bindings (with and
without explanations), on hostile strings and on generated data.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bindlog import api
from bindlog.export import block_yaml, render

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
VALID = sorted(p for p in SCENARIOS.iterdir() if p.is_dir() and not p.name.startswith("invalid-"))

HOSTILE = [
    "",
    " ",
    "a b",
    " leading",
    "trailing ",
    "é",
    "naïve ünïcödé",
    "日本語",
    "emoji 😀 and \U0001f9ea",
    "\x7f",
    "\x00",
    "\x1f",
    "tab\there",
    "line\nbreak",
    "cr\rlf",
    "\u2028",
    "\u2029",
    "\x85",
    "\xa0nbsp",
    "\ufeffbom",
    '"quoted"',
    "'single'",
    "back\\slash",
    "it's",
    "a: b",
    "a #b",
    "- item",
    "? key",
    "[flow]",
    "{flow}",
    "*alias",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "|",
    ">",
    "---",
    "...",
    "~",
    "null",
    "Null",
    "NULL",
    "true",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "123",
    "0x1F",
    "0o17",
    "1_000",
    "1:20",
    "1.5",
    ".inf",
    "-.Inf",
    ".nan",
    "1e3",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "<<",
    "=",
    "x" * 200,
    "word " * 30,
    "é" * 100,
    "k" * 128,  # the longest simple key
    "k" * 129,
    "é" * 64,  # 128 bytes
    "é" * 65,
]


def _pyyaml(docs: list[dict[str, Any]]) -> str:
    """What render.to_yaml wrote before block_yaml: the reference."""
    if not docs:
        return ""
    return yaml.dump_all(
        docs,
        Dumper=yaml.CSafeDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        explicit_start=True,
    )


def _streamed(write: Callable[[list[dict[str, Any]], io.StringIO], None], docs: Any) -> str:
    out = io.StringIO()
    write(docs, out)
    return out.getvalue()


def _json(doc: object) -> str:
    return json.dumps(doc, indent=2) + "\n"


def _golden_bindings() -> list[tuple[str, list[dict[str, Any]]]]:
    out = []
    for directory in VALID:
        files = [
            str(p)
            for p in sorted(directory.iterdir())
            if not p.name.startswith("expected") and p.suffix != ".md"
        ]
        for explain in (False, True):
            out.append(
                (
                    f"{directory.name}/explain={explain}",
                    api.resolve(files, explain=explain).bindings,
                )
            )
    return out


GOLDEN = _golden_bindings()


def test_goldens_are_many_and_nonempty() -> None:
    assert len(GOLDEN) >= 40
    assert sum(len(docs) for _, docs in GOLDEN) >= 80


@pytest.mark.parametrize(("name", "docs"), GOLDEN, ids=[n for n, _ in GOLDEN])
def test_golden_bindings_identical(name: str, docs: list[dict[str, Any]]) -> None:
    # The fast path itself must take Bindings (not only fall back to PyYAML).
    assert block_yaml.dump_all(docs) == _pyyaml(docs)
    assert render.to_yaml(docs) == _pyyaml(docs)
    assert render.to_json(docs) == _json({"apiVersion": "v1", "kind": "List", "items": docs})
    assert _streamed(render.write_json, docs) == render.to_json(docs)
    assert _streamed(render.write_yaml, docs) == render.to_yaml(docs)
    for doc in docs:
        assert render.one_json(doc) == _json(doc)
        assert render.to_yaml([doc]) == _pyyaml([doc])


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_identical(text: str) -> None:
    doc: dict[str, Any] = {
        "metadata": {"name": text, "labels": {text: text} if text else {"k": text}},
        "spec": {"list": [text, {"key": text}, [text]], text or "x": [{"a": text, "b": [text]}]},
    }
    assert render.to_yaml([doc, doc]) == _pyyaml([doc, doc])
    assert render.one_json(doc) == _json(doc)
    assert render.to_json([doc]) == _json({"apiVersion": "v1", "kind": "List", "items": [doc]})


def test_plain_bindings_take_the_fast_path() -> None:
    doc = {"metadata": {"name": "a", "labels": {"x": "y"}}, "spec": {"n": [1, True, None, {}]}}
    assert block_yaml.dump_all([doc]) == "---\nmetadata:\n  name: a\n  labels:\n    x: y\n" + (
        "spec:\n  n:\n  - 1\n  - true\n  - null\n  - {}\n"
    )


def test_what_the_fast_writer_declines_goes_to_pyyaml() -> None:
    for doc in ({"f": 1.5}, {1: "x"}, {"t": (1, 2)}, {"s": "line\nbreak"}, {"k" * 129: 1}):
        with pytest.raises(block_yaml.Unsupported):
            block_yaml.dump_all([doc])  # type: ignore[list-item]
        assert render.to_yaml([doc]) == _pyyaml([doc])  # type: ignore[list-item]


def test_json_what_orjson_refuses_goes_to_json() -> None:
    for doc in ({"s": "\ud800"}, {"n": 2**70}, {1: "x"}):
        assert render.dumps_json(doc) == _json(doc)


def test_json_escapes_like_json() -> None:
    doc = {"é": "😀\x7f\u2028", "k": '\x00\x1f"\\/'}
    assert render.one_json(doc) == (
        '{\n  "\\u00e9": "\\ud83d\\ude00\\u007f\\u2028",\n  "k": "\\u0000\\u001f\\"\\\\/"\n}\n'
    )


_printable = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")), max_size=40
)


def _docs(text: st.SearchStrategy[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), text)
    data = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)
        ),
        max_leaves=30,
    )
    return st.lists(st.dictionaries(text, data, min_size=1, max_size=5), max_size=3)


# Printable text is what the fast writer takes; any text also exercises what it declines.
_fast_docs = _docs(st.one_of(_printable, st.sampled_from([h for h in HOSTILE if h.isprintable()])))
_any_docs = _docs(st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE)))


@given(_fast_docs)
def test_generated_printable_yaml_identical(docs: list[dict[str, Any]]) -> None:
    assert render.to_yaml(docs) == _pyyaml(docs)


@given(_any_docs)
def test_generated_yaml_identical(docs: list[dict[str, Any]]) -> None:
    assert render.to_yaml(docs) == _pyyaml(docs)
    assert _streamed(render.write_yaml, docs) == _pyyaml(docs)


@given(_any_docs)
def test_generated_json_identical(docs: list[dict[str, Any]]) -> None:
    expected = _json({"apiVersion": "v1", "kind": "List", "items": docs})
    assert render.to_json(docs) == expected
    assert _streamed(render.write_json, docs) == expected


@given(
    st.lists(st.sampled_from(["word", "é", "a b", "x" * 30, " "]), min_size=1, max_size=12),
    st.integers(0, 12),
)
def test_line_width_folding_identical(parts: list[str], depth: int) -> None:
    # Strings near PyYAML's 80-column width, nested at varying depth, as values, keys and items.
    text = " ".join(parts)
    value: Any = {"key": text, text: [text]}
    for _ in range(depth):
        value = {"k": value, "l": [value]}
    assert render.to_yaml([{"root": value}]) == _pyyaml([{"root": value}])


@given(
    st.one_of(
        st.from_regex(r"[A-Za-z][A-Za-z0-9_./-]{0,12}", fullmatch=True),
        st.from_regex(r"[0-9][0-9_]{0,8}", fullmatch=True),
        st.sampled_from(HOSTILE).filter(str.isprintable),
    )
)
def test_scalar_shortcuts_agree_with_pyyaml(text: str) -> None:
    # The forms block_yaml decides without asking PyYAML are the ones PyYAML gives.
    assert _form_or_declined(block_yaml.scalar_form, text) == _form_or_declined(
        block_yaml.pyyaml_form, text
    )


def _form_or_declined(form: Callable[[str], str], text: str) -> str | None:
    try:
        return form(text)
    except block_yaml.Unsupported:
        return None


@pytest.mark.parametrize("word", ["yes", "No", "TRUE", "off", "Null", "y", "N", "NaN", "0", "012"])
def test_reserved_words_are_quoted_like_pyyaml(word: str) -> None:
    assert block_yaml.scalar_form(word) == block_yaml.pyyaml_form(word)
