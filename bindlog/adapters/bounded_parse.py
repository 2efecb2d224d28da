"""Parse YAML and JSON text with bounded work: nodes are counted before anything is built.

YAML: a safe loader whose composer counts every node as it is composed and stops at the budget,
so a flat 64 MiB document costs the budget's worth of work, not its own. Once a document's node
graph is composed, its size with aliases expanded is computed over the shared graph (each node
once), so "billion laughs" and merge-key bombs stop before construction. Construction errors
(`!!int abc`, month 13, integers over Python's 4,300-digit limit) become YAML errors with a mark.

JSON: the structure is counted on the text with C-speed string operations before `json.loads`
builds anything. Text that looks like JSON (kubectl get -o json piped to stdin) takes the JSON
path whatever the file is called: it is a YAML subset, and json is some 30 times faster.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import MappingStartEvent, SequenceStartEvent
from yaml.resolver import Resolver


def _event_source() -> type[Any]:
    """libyaml's parser where PyYAML was built with it: composing and constructing stay in
    Python either way (that is where the counting happens)."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        from yaml.parser import Parser
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class PureParser(Reader, Scanner, Parser):
            def __init__(self, stream: str) -> None:
                Reader.__init__(self, stream)
                Scanner.__init__(self)
                Parser.__init__(self)

        return PureParser
    return CParser


_EventSource = _event_source()


class LimitExceeded(Exception):
    """A bound of `Budget` was reached; the message names it and its flag."""


@dataclass(slots=True)
class Budget:
    """What is left to spend: nodes across the whole input (and, since YAML costs some 30 times
    more a node than JSON to parse, YAML nodes on their own); per-document bounds."""

    total_nodes: int
    document_nodes: int
    depth: int
    yaml_nodes: int = sys.maxsize
    total_limit: int = 0
    yaml_limit: int = 0

    def __post_init__(self) -> None:
        self.total_limit, self.yaml_limit = self.total_nodes, self.yaml_nodes

    def cap(self, yaml_text: bool) -> int:
        """The most nodes the next document may hold."""
        left = min(self.total_nodes, self.yaml_nodes) if yaml_text else self.total_nodes
        return min(self.document_nodes, max(left, 0))

    def spend(self, nodes: int, yaml_text: bool = False) -> None:
        if nodes > self.document_nodes:
            raise LimitExceeded(
                f"expands to more than {self.document_nodes} nodes through YAML aliases "
                "or sheer size (see --max-document-nodes)"
            )
        if yaml_text and nodes > self.yaml_nodes:
            self.total_nodes = -1
            raise LimitExceeded(
                f"the input holds more than {self.yaml_limit} YAML nodes in all "
                "(see --max-yaml-nodes; JSON input is bounded by --max-total-nodes only)"
            )
        if nodes > self.total_nodes:
            self.total_nodes = -1
            raise LimitExceeded(
                f"the input holds more than {self.total_limit} nodes in all (see --max-total-nodes)"
            )
        self.total_nodes -= nodes
        if yaml_text:
            self.yaml_nodes -= nodes

    def too_deep(self) -> LimitExceeded:
        return LimitExceeded(f"nested deeper than {self.depth} levels (see --max-depth)")

    @property
    def exhausted(self) -> bool:
        return self.total_nodes < 0


class _BoundedLoader(Composer, _EventSource, SafeConstructor, Resolver):  # type: ignore[misc,valid-type]
    """The safe loader with a counting composer, duplicate keys refused, errors given marks."""

    def __init__(self, text: str, budget: Budget) -> None:
        _EventSource.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.budget = budget
        self.nodes = 0
        self.depth = 0
        # The composed-node cap of one document: whichever bound is nearer.
        self.cap = budget.cap(yaml_text=True)

    def compose_document(self) -> Any:
        self.nodes, self.depth = 0, 0
        self.cap = self.budget.cap(yaml_text=True)
        return super().compose_document()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> Any:
        # Counted before the node is built: the parse stops at the bound, not after the document.
        self.nodes += 1
        if self.nodes > self.cap:
            self.budget.spend(self.nodes, yaml_text=True)  # raises, naming the bound reached
        if not self.check_event(SequenceStartEvent, MappingStartEvent):
            return super().compose_node(parent, index)
        self.depth += 1  # depth counts mappings and lists, as --max-depth says
        try:
            if self.depth > self.budget.depth:
                raise self.budget.too_deep()
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError, ArithmeticError) as e:
            # `!!int abc`, `2026-13-01`, 5,000 digits: Python's own errors, given a place.
            shown = node.value if isinstance(node, yaml.ScalarNode) else _tag(node.tag)
            if isinstance(shown, str) and len(shown) > 40:
                shown = f"{shown[:40]}... ({len(shown)} characters)"
            raise ConstructorError(
                None,
                None,
                f"cannot read {shown!r} as {_tag(node.tag)}: {python_error(e)}",
                node.start_mark,
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key_node.value!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def python_error(e: BaseException) -> str:
    """Python's message, without advice meant for Python programmers."""
    text = str(e)
    if "integer string conversion" in text:
        return "integers of more than 4300 digits are not read"
    if text.startswith("invalid literal for int()"):
        return "not an integer"
    if text.startswith("could not convert string to float"):
        return "not a number"
    return text


def _tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def expanded_size(root: yaml.Node, budget: Budget) -> int:
    """Nodes of the document as a reader sees it (aliases expanded), each shared node measured
    once; raises LimitExceeded on a recursive alias or a bound, before anything is constructed."""
    cap = budget.document_nodes + 1
    sizes: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, depth)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            nodes, depth = 1, 0 if isinstance(node, yaml.ScalarNode) else 1
            for child in children:
                n, d = sizes[id(child)]
                nodes, depth = min(nodes + n, cap), max(depth, d + 1 if d else 1)
            sizes[key] = (nodes, depth)
            if depth > budget.depth:
                raise budget.too_deep()
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise LimitExceeded("recursive document: an alias refers to an ancestor")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)][0]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def yaml_documents(text: str, budget: Budget) -> Iterator[Any]:
    """Each document of a YAML stream, constructed only once it is known to fit the budget.

    Raises yaml.YAMLError for malformed YAML, LimitExceeded for a bound, RecursionError when
    --max-depth was raised past what Python's stack holds."""
    loader = _BoundedLoader(text, budget)
    try:
        while loader.check_node():
            node: Any = loader.get_node()
            budget.spend(expanded_size(node, budget), yaml_text=True)
            yield loader.construct_document(node)
    finally:
        loader.dispose()


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_SPACE = re.compile(r"[ \t\r\n]+")
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")


def looks_like_json(text: str) -> bool:
    head = text.lstrip(" \t\r\n\ufeff")[:1]
    return head in ("{", "[")


def json_document(text: str, budget: Budget) -> Any:
    """The one document of a JSON text, counted on the text before it is built.

    Raises json.JSONDecodeError / ValueError for malformed JSON, LimitExceeded for a bound."""
    # Exact count on the text with strings blanked out and whitespace dropped: each key and
    # value follows a `[`, `{`, `,` or `:` except the root, and an empty container has no child
    # after its opening bracket. C-speed passes over the text; nothing is built.
    bare = _JSON_SPACE.sub("", _JSON_STRING.sub('""', text))
    opens = bare.count("[") + bare.count("{")
    empty = bare.count("[]") + bare.count("{}")
    budget.spend(1 + bare.count(",") + bare.count(":") + opens - empty)
    if opens > budget.depth:
        _check_json_depth(bare, budget)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    return json.loads(text, object_pairs_hook=no_duplicates)


def _check_json_depth(bare: str, budget: Budget) -> None:
    """Peel innermost bracket pairs one level a pass (C-speed); more passes than the bound
    means deeper than the bound."""
    brackets = _NOT_BRACKET.sub("", bare)
    for _ in range(budget.depth):
        brackets = _INNERMOST.sub("", brackets)
        if not brackets:
            return
    raise budget.too_deep()


def has_surrogate_escape(text: str) -> bool:
    """True if the text may decode to a lone UTF-16 surrogate (JSON allows `"\\ud800"`)."""
    return _SURROGATE_ESCAPE.search(text) is not None


def surrogate_paths(body: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, offending string) for every key or value holding a lone surrogate."""
    if isinstance(body, str):
        if not _encodable(body):
            yield path, body
    elif isinstance(body, dict):
        for key, value in body.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and not _encodable(key):
                yield path or "<key>", key
                continue
            yield from surrogate_paths(value, sub)
    elif isinstance(body, list):
        for i, value in enumerate(body):
            yield from surrogate_paths(value, f"{path}[{i}]")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
