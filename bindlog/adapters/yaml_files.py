"""Read manifests from files, directories and stdin into (Source, document) pairs.

YAML is read only with PyYAML's safe loader (the C one where available); `.json` files with the
json module. Multi-document streams are split, and `kind: List` / `*List` documents flattened.
Problems are collected, not raised one by one: the caller reports all of them at once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from bindlog.errors import InputProblem
from bindlog.model import Source

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"


@dataclass(frozen=True, slots=True)
class Document:
    source: Source
    body: dict[str, Any]


def expand_paths(paths: list[str], problems: list[InputProblem]) -> list[str]:
    """Files in the order given; a directory contributes its manifest files, recursively, sorted."""
    out: list[str] = []
    for path in paths:
        if path == STDIN:
            out.append(path)
            continue
        p = Path(path)
        if p.is_dir():
            found = sorted(
                str(f)
                for f in p.rglob("*")
                if f.suffix.lower() in MANIFEST_SUFFIXES and f.is_file()
            )
            out.extend(found)
        elif p.exists():
            out.append(path)
        else:
            problems.append(InputProblem(Source(path, 0), "", "", "no such file or directory"))
    return out


def read_documents(
    paths: list[str], problems: list[InputProblem], stdin: TextIO | None = None
) -> Iterator[Document]:
    """Yield every object document in `paths`; unreadable or malformed input goes to `problems`."""
    for path in expand_paths(paths, problems):
        text = _read_text(path, problems, stdin)
        if text is None:
            continue
        if path.lower().endswith(".json"):
            docs = _json_documents(path, text, problems)
        else:
            docs = _yaml_documents(path, text, problems)
        for index, body in docs:
            yield from _flatten(Source(path, index), body, problems)


def _read_text(path: str, problems: list[InputProblem], stdin: TextIO | None) -> str | None:
    try:
        if path == STDIN:
            return (stdin or sys.stdin).read()
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except UnicodeDecodeError as e:
        problems.append(
            InputProblem(Source(_name(path), 0), "", "", f"not UTF-8 text (byte {e.start})")
        )
    except OSError as e:
        problems.append(
            InputProblem(Source(_name(path), 0), "", "", f"cannot read: {e.strerror or e}")
        )
    return None


def _name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def _yaml_documents(path: str, text: str, problems: list[InputProblem]) -> list[tuple[int, Any]]:
    docs: list[tuple[int, Any]] = []
    index = 0
    try:
        for index, body in enumerate(yaml.load_all(text, Loader=_SafeLoader)):
            docs.append((index, body))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        doc = len(docs)
        problems.append(
            InputProblem(Source(_name(path), doc), "", "", f"invalid YAML: {where}{problem}")
        )
    return docs


def _json_documents(path: str, text: str, problems: list[InputProblem]) -> list[tuple[int, Any]]:
    try:
        return [(0, json.loads(text))]
    except json.JSONDecodeError as e:
        problems.append(
            InputProblem(
                Source(_name(path), 0),
                "",
                "",
                f"invalid JSON: line {e.lineno}, column {e.colno}: {e.msg}",
            )
        )
        return []


def _flatten(source: Source, body: Any, problems: list[InputProblem]) -> Iterator[Document]:
    source = Source(_name(source.path), source.document, source.item)
    if body is None:
        return  # an empty document, e.g. a trailing `---`
    if not isinstance(body, dict):
        problems.append(
            InputProblem(source, "", "", f"document must be a mapping, not {_type(body)}")
        )
        return
    kind = body.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in body:
        items = body.get("items")
        if not isinstance(items, list):
            problems.append(InputProblem(source, "", "items", "Invalid value: must be a list"))
            return
        for i, item in enumerate(items):
            item_source = Source(source.path, source.document, i)
            if not isinstance(item, dict):
                problems.append(
                    InputProblem(item_source, "", "", f"item must be a mapping, not {_type(item)}")
                )
                continue
            yield Document(item_source, item)
        return
    yield Document(source, body)


def _type(value: Any) -> str:
    return {
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
    }.get(type(value), type(value).__name__)
