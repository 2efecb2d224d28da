"""Bindings and statuses -> text: YAML streams, JSON lists, tables.

YAML is written by `block_yaml` where it can be sure of PyYAML's bytes, else by PyYAML.

JSON is written by orjson (the standard encoder falls back to pure Python with `indent`, and
was 6 % of a resolve at M), to the same bytes as `json.dumps(doc, indent=2)`: orjson leaves
non-ASCII characters and DEL unescaped where json escapes them (`ensure_ascii`), so those are
escaped afterwards, the way json does. What orjson refuses (lone surrogates, integers past 64
bits, non-string keys) goes through json itself. Bindings hold no floats, whose text the two
encoders may write differently.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, TextIO

import yaml

from bindlog.export import block_yaml

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(docs: list[dict[str, Any]]) -> str:
    """A multi-document YAML stream, keys in schema order."""
    try:
        return block_yaml.dump_all(docs)
    except block_yaml.Unsupported:
        pass
    return (
        yaml.dump_all(
            docs,
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            explicit_start=True,
        )
        if docs
        else ""
    )


def to_json(docs: list[dict[str, Any]]) -> str:
    """A `v1 List`, the way kubectl prints several objects as JSON."""
    return dumps_json({"apiVersion": "v1", "kind": "List", "items": docs})


def write_json(docs: list[dict[str, Any]], out: TextIO) -> None:
    """`to_json(docs)` written to `out` one Binding at a time: at L the whole text, held as
    bytes, as str and encoded again by `out`, would be three copies of some hundred MB."""
    if not docs:
        out.write(to_json(docs))
        return
    out.write('{\n  "apiVersion": "v1",\n  "kind": "List",\n  "items": [\n')
    last = len(docs) - 1
    for i, doc in enumerate(docs):
        # Newlines in the text are all layout (strings have theirs escaped): indent each line.
        text = dumps_json(doc)[:-1].replace("\n", "\n    ")
        out.write(f"    {text},\n" if i < last else f"    {text}\n")
    out.write("  ]\n}\n")


def write_yaml(docs: list[dict[str, Any]], out: TextIO) -> None:
    """`to_yaml(docs)` written to `out` one Binding at a time (see `write_json`). A stream of
    mappings is the concatenation of its documents, each starting with `---`."""
    if not all(type(doc) is dict for doc in docs):
        out.write(to_yaml(docs))
        return
    for doc in docs:
        out.write(to_yaml([doc]))


def one_json(doc: dict[str, Any]) -> str:
    return dumps_json(doc)


def dumps_json(doc: object) -> str:
    """`json.dumps(doc, indent=2) + "\\n"`, byte for byte, faster."""
    import orjson  # here: YAML and table output need not import it (~8 ms, with uuid)

    try:
        text = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
    except TypeError:  # orjson.JSONEncodeError: see the module docstring
        return json.dumps(doc, indent=2) + "\n"
    if text.isascii() and "\x7f" not in text:
        return text
    # Outside strings orjson writes only printable ASCII and newlines; inside them it has
    # escaped every control character already. What is left to escape is DEL and non-ASCII.
    return _not_ascii().sub(_escape, text)


@functools.cache
def _not_ascii() -> re.Pattern[str]:
    # Compiled on first use: a class over all of Unicode takes ~10 ms, which ASCII output
    # (nearly all of it) need not pay at every start.
    return re.compile("[\x7f-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as json writes it
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"
