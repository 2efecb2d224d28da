"""Read manifests from files, directories and stdin into (Source, document) pairs.

YAML is read only with PyYAML's safe loader, extended to reject duplicate keys and to count
nodes while composing (see `bounded_parse`); JSON with the json module, counted on the text
first. Multi-document streams are split, and `kind: List` / `*List` documents flattened. Input is
bounded (see `Limits`): per file and in all, in bytes and in nodes (aliases expanded), and in
depth; a bound stops the work where it is reached. Directories are walked without following
symlinked directories; special files (FIFOs, devices, sockets) and unreadable directories found
there are reported, never opened or skipped. Problems are collected, not raised one by one: the
caller reports all of them at once.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import yaml

from bindlog.adapters.bounded_parse import (
    Budget,
    LimitExceeded,
    has_surrogate_escape,
    json_document,
    looks_like_json,
    python_error,
    surrogate_paths,
    yaml_documents,
)
from bindlog.errors import InputProblem
from bindlog.model import Source

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
MiB = 1024 * 1024
_CHUNK = MiB


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one run reads; each is a command-line flag. The defaults admit a
    40,000-object `kubectl get -A -o json` dump, and keep any input to about 10 s of parsing:
    PyYAML takes some 10 us a node, json some 0.3 us, hence the separate YAML bound."""

    max_file_bytes: int = 64 * MiB  # --max-file-size: one file, or stdin
    max_document_nodes: int = 2_000_000  # --max-document-nodes: one document, aliases expanded
    max_depth: int = 100  # --max-depth: nesting of mappings and lists
    max_total_bytes: int = 256 * MiB  # --max-total-size: all files and stdin together
    max_total_nodes: int = 3_000_000  # --max-total-nodes: all documents together
    max_yaml_nodes: int = 500_000  # --max-yaml-nodes: all YAML documents together

    def budget(self) -> Budget:
        return Budget(
            self.max_total_nodes, self.max_document_nodes, self.max_depth, self.max_yaml_nodes
        )


@dataclass(frozen=True, slots=True)
class Document:
    source: Source
    body: dict[str, Any]


_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _special(mode: int) -> str | None:
    return next((what for test, what in _SPECIAL if test(mode)), None)


def expand_paths(
    paths: list[str], problems: list[InputProblem], warnings: list[InputProblem] | None = None
) -> list[str]:
    """The files `paths` name, in reading order; see `_expand`."""
    return [path for path, _ in _expand(paths, problems, warnings)]


def _expand(
    paths: list[str], problems: list[InputProblem], warnings: list[InputProblem] | None = None
) -> list[tuple[str, bool]]:
    """Files in the order given; a directory contributes its manifest files, recursively, sorted.

    Symbolic links to directories are not followed (no loops); links to files are read. Inside
    a directory, a manifest-named entry that is not a regular file (FIFO, device, socket) and a
    subdirectory that cannot be listed are problems: reading them could hang, skipping them
    would drop objects without a word. A path named explicitly is read whatever it is, so
    `-f <(kubectl get ...)` works.
    """
    # (path, found by walking a directory): a walked path is opened without blocking and read
    # only if it is still a regular file then, so a FIFO swapped in after the walk cannot hang.
    out: list[tuple[str, bool]] = []
    for path in paths:
        if path == STDIN:
            out.append((path, False))
            continue
        if os.path.isdir(path):
            out.extend((found, True) for found in _walk(path, problems))
        elif os.path.lexists(path):
            out.append((path, False))
        else:
            problems.append(InputProblem(Source(path, 0), "", "", "no such file or directory"))
    return _once(out, warnings)


def _once(
    paths: list[tuple[str, bool]], warnings: list[InputProblem] | None
) -> list[tuple[str, bool]]:
    """Each file read once, however many times it is named (`-f dir -f dir/a.yaml`): read
    twice, every object in it would be its own duplicate."""
    seen: dict[tuple[int, int], str] = {}
    out: list[tuple[str, bool]] = []
    for path, walked in paths:
        try:
            info = os.stat(path) if path != STDIN else None
        except OSError:
            info = None
        if info is not None and stat.S_ISREG(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in seen:
                if warnings is not None:
                    warnings.append(
                        InputProblem(
                            Source(path, 0),
                            "",
                            "",
                            f"named more than once: read once, as {seen[key]}",
                        )
                    )
                continue
            seen[key] = path
        out.append((path, walked))
    return out


def _walk(top: str, problems: list[InputProblem]) -> list[str]:
    found: list[str] = []

    def unreadable(e: OSError) -> None:
        where = e.filename or top
        problems.append(
            InputProblem(Source(str(where), 0), "", "", f"cannot list directory: {_reason(e)}")
        )

    for root, dirs, files in os.walk(top, followlinks=False, onerror=unreadable):
        dirs.sort()
        for f in sorted(files):
            if os.path.splitext(f)[1].lower() not in MANIFEST_SUFFIXES:
                continue
            full = os.path.join(root, f)
            try:
                what = _special(os.stat(full).st_mode)
            except OSError:
                what = None  # dangling links and loops: reported when read
            if what is None:
                found.append(full)
            else:
                problems.append(
                    InputProblem(Source(full, 0), "", "", f"not a regular file ({what}): not read")
                )
        # A symlink to a directory is listed in `dirs` and not followed; a manifest-named one
        # is a manifest the user meant to be read.
        for d in dirs:
            full = os.path.join(root, d)
            if os.path.islink(full) and os.path.splitext(d)[1].lower() in MANIFEST_SUFFIXES:
                problems.append(
                    InputProblem(
                        Source(full, 0), "", "", "not a regular file (a directory): not read"
                    )
                )
    return sorted(found)


def read_documents(
    paths: list[str],
    problems: list[InputProblem],
    stdin: BinaryIO | None = None,
    limits: Limits | None = None,
    warnings: list[InputProblem] | None = None,
) -> Iterator[Document]:
    """Yield every object document in `paths`; unreadable or malformed input goes to `problems`."""
    limits = limits or Limits()
    budget = limits.budget()
    bytes_left = limits.max_total_bytes
    for path, walked in _expand(paths, problems, warnings):
        if budget.exhausted or bytes_left < 0:
            break  # the total was reported once; reading on would only repeat it
        text, bytes_left = _read_text(path, walked, problems, stdin, limits, bytes_left)
        if text is None:
            continue
        docs = _documents(path, text, problems, budget)
        if not docs and warnings is not None and not text.strip():
            warnings.append(
                InputProblem(Source(_name(path), 0), "", "", "empty file: no manifests")
            )
        check_surrogates = has_surrogate_escape(text)
        for index, body in docs:
            source = Source(_name(path), index)
            if check_surrogates and _has_surrogates(source, body, problems):
                continue
            yield from _flatten(source, body, problems)


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


def _read_text(
    path: str,
    walked: bool,
    problems: list[InputProblem],
    stdin: BinaryIO | None,
    limits: Limits,
    bytes_left: int,
) -> tuple[str | None, int]:
    name = _name(path)
    limit = min(limits.max_file_bytes, bytes_left)
    try:
        if path == STDIN:
            raw = _read_bounded(stdin or sys.stdin.buffer, limit)
        else:
            # A named path is opened as `cat` would (a FIFO waits for its writer); a walked one
            # without blocking, and read only if it is still a regular file. O_NOCTTY: a
            # terminal named by mistake does not become ours.
            flags = os.O_RDONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(path, flags | (os.O_NONBLOCK if walked else 0))
            with os.fdopen(fd, "rb") as fh:
                info = os.fstat(fh.fileno())
                if stat.S_ISDIR(info.st_mode):
                    raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
                if walked and not stat.S_ISREG(info.st_mode):
                    raise OSError(errno.EINVAL, f"not a regular file ({_special(info.st_mode)})")
                if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                    raw = None  # reported below, never read
                else:
                    raw = _read_bounded(fh, limit)
    except OSError as e:
        problems.append(InputProblem(Source(name, 0), "", "", f"cannot read: {_reason(e)}"))
        return None, bytes_left
    if raw is None or len(raw) > limit:
        if limit < limits.max_file_bytes:
            detail = (
                f"the input is larger than the {limits.max_total_bytes} bytes allowed in all "
                "(raise --max-total-size, or split the run)"
            )
            bytes_left = -1
        else:
            detail = (
                f"larger than the {limits.max_file_bytes} bytes allowed per input "
                "(raise --max-file-size, or split the stream)"
            )
        problems.append(InputProblem(Source(name, 0), "", "", detail))
        return None, bytes_left
    bytes_left -= len(raw)
    try:
        return raw.decode("utf-8"), bytes_left
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        problems.append(
            InputProblem(Source(name, 0), "", "", f"not UTF-8 text: byte {e.start} (line {line})")
        )
        return None, bytes_left


def _read_bounded(stream: BinaryIO, limit: int) -> bytes:
    """At most limit + 1 bytes, read in chunks: the limit may be far larger than memory."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def _documents(
    path: str, text: str, problems: list[InputProblem], budget: Budget
) -> list[tuple[int, Any]]:
    if path.lower().endswith(".json"):
        return _json_documents(path, text, problems, budget)
    if looks_like_json(text):
        # kubectl get -o json, piped: try the fast parser; real YAML flow style falls back.
        left = budget.total_nodes
        quiet: list[InputProblem] = []
        docs = _json_documents(path, text, quiet, budget)
        if not quiet or budget.exhausted:
            problems.extend(quiet)
            return docs
        budget.total_nodes = left
    return _yaml_documents(path, text, problems, budget)


def _yaml_documents(
    path: str, text: str, problems: list[InputProblem], budget: Budget
) -> list[tuple[int, Any]]:
    docs: list[tuple[int, Any]] = []
    source = Source(_name(path), 0)
    try:
        for index, body in enumerate(yaml_documents(text, budget)):
            docs.append((index, body))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        context = getattr(e, "context", None)
        detail = f"{context}: {problem}" if context else problem
        problems.append(
            InputProblem(Source(source.path, len(docs)), "", "", f"invalid YAML: {where}{detail}")
        )
    except LimitExceeded as e:
        problems.append(InputProblem(Source(source.path, len(docs)), "", "", str(e)))
    except RecursionError:
        problems.append(
            InputProblem(Source(source.path, len(docs)), "", "", "invalid YAML: nested too deeply")
        )
    return docs


def _json_documents(
    path: str, text: str, problems: list[InputProblem], budget: Budget
) -> list[tuple[int, Any]]:
    source = Source(_name(path), 0)
    if not text.strip():
        return []
    try:
        return [(0, json_document(text, budget))]
    except json.JSONDecodeError as e:
        problems.append(
            InputProblem(
                source, "", "", f"invalid JSON: line {e.lineno}, column {e.colno}: {e.msg}"
            )
        )
    except LimitExceeded as e:
        problems.append(InputProblem(source, "", "", str(e)))
    except ValueError as e:  # duplicate keys; integers over Python's 4,300-digit limit
        problems.append(InputProblem(source, "", "", f"invalid JSON: {python_error(e)}"))
    except RecursionError:
        problems.append(InputProblem(source, "", "", "invalid JSON: nested too deeply"))
    return []


def _has_surrogates(source: Source, body: Any, problems: list[InputProblem]) -> bool:
    """A lone UTF-16 surrogate (JSON's "\\ud800") is no character: it cannot be printed, nor
    written as YAML or UTF-8. Reported with its field, like any invalid value."""
    found = False
    for field, _ in surrogate_paths(body):
        problems.append(
            InputProblem(
                source, "", field, "Invalid value: holds a lone UTF-16 surrogate (not Unicode text)"
            )
        )
        found = True
    return found


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
