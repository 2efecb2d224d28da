"""Read manifests from files, directories and stdin into (Source, document) pairs.

YAML is read only with PyYAML's safe loader (the C one where available), extended to reject
duplicate keys; `.json` files with the json module, likewise. Multi-document streams are split,
and `kind: List` / `*List` documents flattened. Input is bounded (see `Limits`): oversized files,
documents that expand past a node budget through aliases ("billion laughs"), recursive or too
deeply nested documents are reported, never followed. Problems are collected, not raised one by
one: the caller reports all of them at once.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from bindlog.errors import InputProblem
from bindlog.model import Source

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one run reads; each is a command-line flag."""

    max_file_bytes: int = 64 * MiB  # --max-file-size: one file, or stdin
    max_document_nodes: int = 1_000_000  # --max-document-nodes: after alias expansion
    max_depth: int = 100  # --max-depth: nesting of mappings and lists


@dataclass(frozen=True, slots=True)
class Document:
    source: Source
    body: dict[str, Any]


class _StrictSafeLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, refusing duplicate keys (the API server would reject them too)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = (key_node.tag, key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key_node.value!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def expand_paths(paths: list[str], problems: list[InputProblem]) -> list[str]:
    """Files in the order given; a directory contributes its manifest files, recursively, sorted.

    Symbolic links to directories are not followed (no loops); links to files are read.
    """
    out: list[str] = []
    for path in paths:
        if path == STDIN:
            out.append(path)
            continue
        p = Path(path)
        if p.is_dir():
            found: list[str] = []
            for root, dirs, files in os.walk(p, followlinks=False, onerror=None):
                dirs.sort()
                found.extend(
                    os.path.join(root, f)
                    for f in files
                    if os.path.splitext(f)[1].lower() in MANIFEST_SUFFIXES
                )
            out.extend(sorted(found))
        elif p.exists() or p.is_symlink():
            out.append(path)
        else:
            problems.append(InputProblem(Source(path, 0), "", "", "no such file or directory"))
    return out


def read_documents(
    paths: list[str],
    problems: list[InputProblem],
    stdin: BinaryIO | None = None,
    limits: Limits | None = None,
    warnings: list[InputProblem] | None = None,
) -> Iterator[Document]:
    """Yield every object document in `paths`; unreadable or malformed input goes to `problems`."""
    limits = limits or Limits()
    for path in expand_paths(paths, problems):
        text = _read_text(path, problems, stdin, limits)
        if text is None:
            continue
        if path.lower().endswith(".json"):
            docs = _json_documents(path, text, problems)
        else:
            docs = _yaml_documents(path, text, problems)
        if not docs and warnings is not None and not text.strip():
            warnings.append(
                InputProblem(Source(_name(path), 0), "", "", "empty file: no manifests")
            )
        for index, body in docs:
            source = Source(_name(path), index)
            if _within_limits(source, body, limits, problems):
                yield from _flatten(source, body, problems)


def _read_text(
    path: str, problems: list[InputProblem], stdin: BinaryIO | None, limits: Limits
) -> str | None:
    name = _name(path)
    try:
        if path == STDIN:
            stream = stdin or sys.stdin.buffer
            raw = stream.read(limits.max_file_bytes + 1)
        else:
            size = os.stat(path).st_size
            if size > limits.max_file_bytes:
                raw = b"x" * (limits.max_file_bytes + 1)  # reported below, never read
            else:
                with open(path, "rb") as fh:
                    raw = fh.read(limits.max_file_bytes + 1)
    except OSError as e:
        problems.append(InputProblem(Source(name, 0), "", "", f"cannot read: {e.strerror or e}"))
        return None
    if len(raw) > limits.max_file_bytes:
        problems.append(
            InputProblem(
                Source(name, 0),
                "",
                "",
                f"larger than the {limits.max_file_bytes} bytes allowed per input "
                "(raise --max-file-size, or split the stream)",
            )
        )
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        problems.append(
            InputProblem(Source(name, 0), "", "", f"not UTF-8 text: byte {e.start} (line {line})")
        )
        return None


def _name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def _yaml_documents(path: str, text: str, problems: list[InputProblem]) -> list[tuple[int, Any]]:
    docs: list[tuple[int, Any]] = []
    try:
        for index, body in enumerate(yaml.load_all(text, Loader=_StrictSafeLoader)):
            docs.append((index, body))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        context = getattr(e, "context", None)
        detail = f"{context}: {problem}" if context else problem
        problems.append(
            InputProblem(Source(_name(path), len(docs)), "", "", f"invalid YAML: {where}{detail}")
        )
    except RecursionError:
        problems.append(
            InputProblem(Source(_name(path), len(docs)), "", "", "invalid YAML: nested too deeply")
        )
    return docs


def _json_documents(path: str, text: str, problems: list[InputProblem]) -> list[tuple[int, Any]]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    source = Source(_name(path), 0)
    if not text.strip():
        return []
    try:
        return [(0, json.loads(text, object_pairs_hook=no_duplicates))]
    except json.JSONDecodeError as e:
        problems.append(
            InputProblem(
                source, "", "", f"invalid JSON: line {e.lineno}, column {e.colno}: {e.msg}"
            )
        )
    except ValueError as e:
        problems.append(InputProblem(source, "", "", f"invalid JSON: {e}"))
    except RecursionError:
        problems.append(InputProblem(source, "", "", "invalid JSON: nested too deeply"))
    return []


def _within_limits(source: Source, body: Any, limits: Limits, problems: list[InputProblem]) -> bool:
    """Count the document's nodes as a reader would see them (aliases expanded) and its depth,
    without expanding anything: shared subtrees are measured once."""
    if not isinstance(body, dict | list):
        return True
    sizes: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, depth)
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(body, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, dict | list):
            continue
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if done:
            on_path.discard(key)
            nodes, depth = 1, 1
            for child in children:
                if isinstance(child, dict | list):
                    n, d = sizes[id(child)]
                    nodes += n
                    depth = max(depth, d + 1)
                else:
                    nodes += 1
            sizes[key] = (min(nodes, limits.max_document_nodes + 1), depth)
            continue
        if key in sizes:
            continue
        if key in on_path:
            problems.append(
                InputProblem(source, "", "", "recursive document: an alias refers to an ancestor")
            )
            return False
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if isinstance(child, dict | list))
        if len(on_path) > limits.max_depth:
            break
    nodes, depth = sizes.get(id(body), (1, limits.max_depth + 1))
    if depth > limits.max_depth:
        problems.append(
            InputProblem(
                source, "", "", f"nested deeper than {limits.max_depth} levels (see --max-depth)"
            )
        )
        return False
    if nodes > limits.max_document_nodes:
        problems.append(
            InputProblem(
                source,
                "",
                "",
                f"expands to more than {limits.max_document_nodes} nodes through YAML aliases "
                "or sheer size (see --max-document-nodes)",
            )
        )
        return False
    return True


def _flatten(source: Source, body: Any, problems: list[InputProblem]) -> Iterator[Document]:
    if body is None:
        return  # an empty document, e.g. a trailing `---`
    if not isinstance(body, dict):
        what = "item" if source.item is not None else "document"
        problems.append(
            InputProblem(source, "", "", f"{what} must be a mapping, not {_type(body)}")
        )
        return
    kind = body.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in body:
        items = body.get("items")
        if not isinstance(items, list):
            problems.append(InputProblem(source, "", "items", "Invalid value: must be a list"))
            return
        for i, item in enumerate(items):
            # Lists nest (kubectl flattens them too); an item keeps its top-level index.
            index = i if source.item is None else source.item
            yield from _flatten(Source(source.path, source.document, index), item, problems)
        return
    yield Document(source, body)


def _type(value: Any) -> str:
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)
