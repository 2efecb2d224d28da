"""kubectl's JSONPath template dialect (client-go util/jsonpath), for `-o jsonpath=...`.

No PyPI library implements this dialect: jsonpath-ng and friends evaluate one path, while
kubectl's is a template (text outside `{}` is printed, `{range ...}{end}` loops, `{"\\n"}` is a
literal) whose paths print scalars bare and objects as compact JSON, several results of one path
space-separated. This module follows client-go's parser and evaluator:

- paths: `.field`, `['field']`, `['a','b']`, `.*`, `[*]`, `[i]`, `[start:end:step]` (negative
  indices count from the end), `[i,j]`, `..field` (recursive descent), `$` (root), `@` (current);
- filters: `[?(@.x)]` (exists), `[?(@.x == "y")]` with `==`, `!=`, `<`, `>`, `<=`, `>=` against
  a string, number, boolean or another path;
- missing keys print nothing (kubectl's default `--allow-missing-template-keys`); an index out
  of bounds and a filter on a non-list are errors, as in kubectl.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["JSONPathError", "Template", "parse", "relaxed"]


class JSONPathError(ValueError):
    """The template does not parse, or cannot be evaluated on this document."""


# --- syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    names: tuple[str, ...]  # several for `['a','b']`; () is `.` alone (the current node)


@dataclass(frozen=True, slots=True)
class Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class Recursive:
    pass


@dataclass(frozen=True, slots=True)
class Root:
    pass


@dataclass(frozen=True, slots=True)
class Current:
    pass


@dataclass(frozen=True, slots=True)
class Slice:
    start: int | None
    end: int | None
    step: int | None
    single: bool  # `[i]`, not `[i:j]`


@dataclass(frozen=True, slots=True)
class Indices:
    indices: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Filter:
    left: Path
    op: str  # "exists" or a comparison
    right: Path | Literal | None


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


Step = Field | Wildcard | Recursive | Root | Current | Slice | Indices | Filter


@dataclass(frozen=True, slots=True)
class Path:
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Range:
    path: Path
    body: tuple[Node, ...]


Node = Text | Literal | Path | Range


# --- parsing --------------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z0-9_\-]+")
_NUMBER = re.compile(r"[+-]?(\d+\.\d*|\d*\.\d+|\d+)([eE][+-]?\d+)?")
_OPS = ("==", "!=", "<=", ">=", "<", ">")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> JSONPathError:
        return JSONPathError(f"{message} at position {self.pos} in {self.text!r}")

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_spaces(self) -> None:
        while self.peek() == " ":
            self.pos += 1

    # template level

    def template(self) -> tuple[Node, ...]:
        nodes, stopped_by_end = self._nodes()
        if stopped_by_end:
            raise self.fail("{end} without {range}")
        return nodes

    def _nodes(self) -> tuple[tuple[Node, ...], bool]:
        nodes: list[Node] = []
        while self.pos < len(self.text):
            brace = self.text.find("{", self.pos)
            if brace < 0:
                nodes.append(Text(self.text[self.pos :]))
                self.pos = len(self.text)
                break
            if brace > self.pos:
                nodes.append(Text(self.text[self.pos : brace]))
            self.pos = brace + 1
            self.skip_spaces()
            if self._keyword("end"):
                self._close()
                return tuple(nodes), True
            if self._keyword("range"):
                self.skip_spaces()
                path = self.path(stop="}")
                self._close()
                body, ended = self._nodes()
                if not ended:
                    raise self.fail("{range} without {end}")
                nodes.append(Range(path, body))
                continue
            if self.peek() in ('"', "'"):
                nodes.append(Literal(self.quoted()))
                self.skip_spaces()
                self._close()
                continue
            nodes.append(self.path(stop="}"))
            self._close()
        return tuple(nodes), False

    def _keyword(self, word: str) -> bool:
        after = self.text[self.pos + len(word) : self.pos + len(word) + 1]
        if self.text.startswith(word, self.pos) and after in (" ", "}"):
            self.pos += len(word)
            return True
        return False

    def _close(self) -> None:
        self.skip_spaces()
        if self.peek() != "}":
            raise self.fail("unclosed action: expected }")
        self.pos += 1

    # paths

    def path(self, stop: str) -> Path:
        steps: list[Step] = []
        while True:
            self.skip_spaces()
            c = self.peek()
            if c == "" or c in stop:
                break
            if self.peek(2) == "..":
                self.pos += 1
                steps.append(Recursive())
                continue
            if c == "$":
                self.pos += 1
                steps.append(Root())
            elif c == "@":
                self.pos += 1
                steps.append(Current())
            elif c == ".":
                self.pos += 1
                if self.peek() == "*":
                    self.pos += 1
                    steps.append(Wildcard())
                    continue
                match = _IDENT.match(self.text, self.pos)
                if match is None:
                    steps.append(Field(()))
                else:
                    self.pos = match.end()
                    steps.append(Field((match.group(),)))
            elif c == "[":
                steps.append(self.bracket())
            elif match := _IDENT.match(self.text, self.pos):
                # A bare first field, as in `{items[0]}`: client-go reads it as `.items`.
                if steps:
                    raise self.fail(f"unexpected {match.group()!r}")
                self.pos = match.end()
                steps.append(Field((match.group(),)))
            else:
                raise self.fail(f"unrecognized character {c!r}")
        if not steps:
            raise self.fail("empty path")
        return Path(tuple(steps))

    def bracket(self) -> Step:
        self.pos += 1  # [
        self.skip_spaces()
        if self.peek(2) == "?(":
            self.pos += 2
            step = self.filter()
            self.skip_spaces()
            if self.peek(2) != ")]":
                raise self.fail("unclosed filter: expected )]")
            self.pos += 2
            return step
        end = self.text.find("]", self.pos)
        if end < 0:
            raise self.fail("unclosed [")
        if self.peek() in ('"', "'"):
            names = [self.quoted()]
            self.skip_spaces()
            while self.peek() == ",":
                self.pos += 1
                self.skip_spaces()
                names.append(self.quoted())
                self.skip_spaces()
            if self.peek() != "]":
                raise self.fail("expected ]")
            self.pos += 1
            return Field(tuple(names))
        inner = self.text[self.pos : end].replace(" ", "")
        self.pos = end + 1
        if inner == "*":
            return Wildcard()
        if "," in inner:
            try:
                return Indices(tuple(int(i) for i in inner.split(",")))
            except ValueError:
                raise self.fail(f"invalid index list [{inner}]") from None
        parts = inner.split(":")
        if len(parts) > 3:
            raise self.fail(f"invalid slice [{inner}]")
        try:
            numbers = [int(p) if p else None for p in parts]
        except ValueError:
            raise self.fail(f"invalid array index [{inner}]") from None
        if len(numbers) == 1:
            if numbers[0] is None:
                raise self.fail("empty array index []")
            return Slice(numbers[0], None, None, single=True)
        numbers += [None] * (3 - len(numbers))
        return Slice(numbers[0], numbers[1], numbers[2], single=False)

    def filter(self) -> Filter:
        self.skip_spaces()
        left = self.path(stop=" =!<>)")
        self.skip_spaces()
        op = next((o for o in _OPS if self.text.startswith(o, self.pos)), None)
        if op is None:
            return Filter(left, "exists", None)
        self.pos += len(op)
        self.skip_spaces()
        right: Path | Literal
        c = self.peek()
        if c in ('"', "'"):
            right = Literal(self.quoted())
        elif number := _NUMBER.match(self.text, self.pos):
            self.pos = number.end()
            text = number.group()
            right = Literal(float(text) if any(ch in text for ch in ".eE") else int(text))
        elif self.text.startswith("true", self.pos) or self.text.startswith("false", self.pos):
            value = self.text.startswith("true", self.pos)
            self.pos += 4 if value else 5
            right = Literal(value)
        else:
            right = self.path(stop=" )")
        return Filter(left, op, right)

    def quoted(self) -> str:
        quote = self.peek()
        self.pos += 1
        out: list[str] = []
        while True:
            c = self.peek()
            if c == "":
                raise self.fail("unterminated string")
            self.pos += 1
            if c == quote:
                return "".join(out)
            if c != "\\":
                out.append(c)
                continue
            e = self.peek()
            self.pos += 1
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
            elif e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", self.peek(4)):
                out.append(chr(int(self.peek(4), 16)))
                self.pos += 4
            else:
                raise self.fail(f"invalid escape \\{e}")


# --- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    nodes: tuple[Node, ...]
    source: str

    def render(self, doc: Any) -> str:
        out: list[str] = []
        _render(self.nodes, doc, doc, out)
        return "".join(out)

    def values(self, doc: Any) -> list[Any]:
        """Every value the template's paths select, for one-path templates (custom columns)."""
        out: list[Any] = []
        for node in self.nodes:
            if isinstance(node, Path):
                out.extend(_eval(node, doc, doc))
        return out


def parse(text: str) -> Template:
    return Template(_Parser(text).template(), text)


def relaxed(text: str) -> Template:
    """A custom-columns path: `.a.b`, `a.b` and `{.a.b}` all mean `{.a.b}` (as in kubectl)."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if not text.startswith((".", "[", "$", "@")):
        text = "." + text
    return parse("{" + text + "}")


def _render(nodes: tuple[Node, ...], root: Any, current: Any, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Literal):
            out.append(str(node.value))
        elif isinstance(node, Range):
            for item in _eval(node.path, root, current):
                _render(node.body, root, item, out)
        else:
            out.append(" ".join(_text(v) for v in _eval(node, root, current)))


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _eval(path: Path, root: Any, current: Any) -> list[Any]:
    values = [current]
    steps = path.steps
    i = 0
    while i < len(steps):
        step = steps[i]
        if isinstance(step, Recursive):
            values = [d for v in values for d in _descendants(v)]
        elif isinstance(step, Root):
            values = [root]
        elif isinstance(step, Current):
            values = [current] if i == 0 else values
        elif isinstance(step, Field):
            values = [x for v in values for x in _field(v, step.names)]
        elif isinstance(step, Wildcard):
            values = [x for v in values for x in _children(v)]
        elif isinstance(step, Slice):
            values = [x for v in values if isinstance(v, list) for x in _slice(v, step)]
        elif isinstance(step, Indices):
            values = [x for v in values if isinstance(v, list) for x in _indices(v, step)]
        else:
            values = [x for v in values for x in _filter(v, step, root)]
        i += 1
    return values


def _field(value: Any, names: tuple[str, ...]) -> Iterator[Any]:
    if not names:
        yield value
        return
    if isinstance(value, dict):
        for name in names:
            if name in value:
                yield value[name]


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    if isinstance(value, list):
        return list(value)
    return []


def _descendants(value: Any) -> Iterator[Any]:
    yield value
    for child in _children(value):
        yield from _descendants(child)


def _slice(items: list[Any], s: Slice) -> list[Any]:
    n = len(items)
    if s.single:
        assert s.start is not None
        i = s.start + n if s.start < 0 else s.start
        if not 0 <= i < n:
            raise JSONPathError(f"array index out of bounds: index {s.start}, length {n}")
        return [items[i]]
    start = 0 if s.start is None else (s.start + n if s.start < 0 else s.start)
    end = n if s.end is None else (s.end + n if s.end < 0 else s.end)
    if start == end:
        return []
    if not 0 <= start < n or not 0 <= end <= n:
        raise JSONPathError(f"array index out of bounds: [{start}:{end}], length {n}")
    if start > end:
        raise JSONPathError(f"starting index {start} is greater than ending index {end}")
    step = s.step or 1
    if step <= 0:
        raise JSONPathError(f"step must be positive, not {step}")
    return items[start:end:step]


def _indices(items: list[Any], s: Indices) -> list[Any]:
    return [x for i in s.indices for x in _slice(items, Slice(i, None, None, single=True))]


def _filter(value: Any, f: Filter, root: Any) -> list[Any]:
    if not isinstance(value, list):
        raise JSONPathError(f"{_text(value)[:60]} is not a list and cannot be filtered")
    out = []
    for item in value:
        lefts = _eval(f.left, root, item)
        if f.op == "exists":
            if lefts:
                out.append(item)
            continue
        if isinstance(f.right, Literal):
            rights = [f.right.value]
        else:
            rights = _eval(f.right, root, item) if f.right is not None else []
        if not lefts or not rights:
            continue
        if len(lefts) > 1 or len(rights) > 1:
            raise JSONPathError("a filter can only compare one value at a time")
        if _compare(lefts[0], f.op, rights[0]):
            out.append(item)
    return out


def _compare(left: Any, op: str, right: Any) -> bool:
    numeric = (int, float)
    same = (
        isinstance(left, numeric)
        and isinstance(right, numeric)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ) or type(left) is type(right)
    if op == "==":
        return bool(same and left == right)
    if op == "!=":
        return not (same and left == right)
    if not same or not isinstance(left, int | float | str) or isinstance(left, bool):
        raise JSONPathError(f"cannot compare {_text(left)} {op} {_text(right)}")
    return bool(
        {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
    )
