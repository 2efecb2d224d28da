"""Parse YAML and JSON text with bounded work: nodes are counted before anything is built.

YAML: PyYAML's safe loader, with the composer counting every node as it builds it and stopping at
the budget, so a flat 64 MiB document costs the budget's worth of work, not its own. Where PyYAML
has libyaml (and libyaml bounds nesting), libyaml's own C composer builds the node graph: it calls
the resolver's `descend_resolver` once for every node it makes, and that is where nodes are
counted, at the speed of a bare `CSafeLoader` parse. Aliases are not nodes it makes; there are at
most as many as `*` in the text, so a text with more `*` than the budget left is composed by
PyYAML's Python composer, which counts them one by one. Once a document's node graph is composed,
its size with aliases expanded is computed over the shared graph (each node once) wherever the
text may hold an alias, so "billion laughs" and merge-key bombs stop before construction.
Construction is SafeConstructor's; its errors (`!!int abc`, month 13, integers over Python's
4,300-digit limit) become YAML errors with a mark, and duplicate keys are refused.

JSON: the structure is counted on the text with C-speed string operations before `json.loads`
builds anything. Text that looks like JSON (kubectl get -o json piped to stdin) takes the JSON
path whatever the file is called: it is a YAML subset, and json is some 30 times faster.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import sys
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import MappingStartEvent, SequenceStartEvent
from yaml.resolver import Resolver

from bindlog.adapters.plain_yaml import Declined, PlainYaml


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


def _python_event_source() -> type[Any]:
    """PyYAML's pure-Python reader, scanner and parser, for a PyYAML built without libyaml."""
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class PureParser(Reader, Scanner, Parser):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

    return PureParser


_CParser: type[Any]
try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = _python_event_source()  # `_LibyamlLoader` is then never used
    _LIBYAML = False
else:
    _LIBYAML = True
# What PyYAML's Python composer reads events from: libyaml's parser where PyYAML has it.
_EventSource = _CParser


@functools.cache
def _libyaml_bounds_nesting() -> bool:
    """True if libyaml refuses nesting past 1,000 levels (it does since 0.2.6): its composer
    recurses in C, so only then may it compose whatever depth the text asks for."""
    probe = _CParser("[" * 1001 + "]" * 1001)
    try:
        while probe.get_event() is not None:
            pass
    except yaml.YAMLError as e:
        return "maximum nesting depth" in str(e)
    return False


class _Constructor(SafeConstructor):
    """SafeConstructor that refuses duplicate keys and nesting past the bound, and gives Python's
    own errors (`!!int abc`, month 13, 5,000 digits) the node's place."""

    budget: Budget

    def construct_document(self, node: yaml.Node) -> Any:
        # BaseConstructor.construct_document, counting rounds: each round of state generators
        # fills the collections one level down, so the rounds are the depth of the document.
        data = self.construct_object(node)
        depth = 0
        while self.state_generators:
            depth += 1
            if depth > self.budget.depth:
                raise self.budget.too_deep()
            state_generators = self.state_generators
            self.state_generators = []
            for generator in state_generators:
                for _ in generator:
                    pass
        self.constructed_objects = {}
        self.recursive_objects = {}
        self.deep_construct = False
        return data

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        # SafeConstructor's construct_mapping and BaseConstructor's in one frame (the same
        # checks, in the same order), with duplicate keys refused.
        if not isinstance(node, yaml.MappingNode):
            found = getattr(node, "id", "node")  # "scalar", "sequence": every Node class has one
            raise ConstructorError(
                None, None, f"expected a mapping node, but found {found}", node.start_mark
            )
        pairs = node.value  # its own pairs: merging deletes `<<` from it, and prepends a copy
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if type(key) is not str and not isinstance(key, Hashable):  # str: the ABC is slow
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        # As many keys as pairs, and nothing merged: no key was repeated (equal scalar keys
        # construct to equal objects; even `.nan` is one shared object). Otherwise look closer.
        if len(mapping) != len(pairs) or node.value is not pairs:
            _refuse_duplicate_keys(node, pairs)
        return mapping


def _refuse_duplicate_keys(node: yaml.Node, pairs: list[tuple[yaml.Node, yaml.Node]]) -> None:
    """A scalar key written twice with the same tag is an error (it would silently win)."""
    seen: dict[tuple[str, Any], Any] = {}
    for key_node, _ in pairs:
        if not isinstance(key_node, yaml.ScalarNode):
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


_NOT_A = {"bool": "not a boolean", "timestamp": "not a timestamp", "int": "not an integer"}


def _placed(construct: Callable[[Any, yaml.Node], Any]) -> Callable[[Any, yaml.Node], Any]:
    """A scalar constructor whose Python errors become ConstructorErrors at the node."""

    def placed(loader: Any, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, ArithmeticError, LookupError, AttributeError) as e:
            # `!!int abc`, `2026-13-01`, 5,000 digits, `!!bool abc`, `!!timestamp abc`.
            tag = _tag(node.tag)
            shown = node.value
            if isinstance(shown, str) and len(shown) > 40:
                shown = f"{shown[:40]}... ({len(shown)} characters)"
            if isinstance(e, ValueError | TypeError | ArithmeticError):
                detail = python_error(e)
            else:  # a regex that did not match, a table without the word
                detail = _NOT_A.get(tag[2:], "not a valid value")
            raise ConstructorError(
                None, None, f"cannot read {shown!r} as {tag}: {detail}", node.start_mark
            ) from None

    return placed


for _scalar in ("null", "bool", "int", "float", "binary", "timestamp"):
    _tag_name = f"tag:yaml.org,2002:{_scalar}"
    _Constructor.add_constructor(_tag_name, _placed(SafeConstructor.yaml_constructors[_tag_name]))


class _LibyamlLoader(PlainYaml, _CParser, _Constructor, Resolver):  # type: ignore[misc]
    """libyaml's parser and composer. The composer calls the resolver's `descend_resolver` before
    and `ascend_resolver` after every node it builds (never for an alias): here they are C
    callables, cheaper than PyYAML's own no-op methods. `descend_resolver` does nothing;
    `ascend_resolver` draws from the document's allowance of nodes, and raises StopIteration
    once it is spent, so the parse stops at the bound. Plain scalars are resolved, and, where
    `plain` is set (the text holds no alias), documents constructed, by `PlainYaml`."""

    def __init__(self, text: str, budget: Budget, plain: bool = False) -> None:
        _CParser.__init__(self, text)
        _Constructor.__init__(self)
        Resolver.__init__(self)
        self.budget = budget
        self.cap = 0
        self.allowance: Iterator[int] = iter(())
        self.descend_resolver = {}.get  # type: ignore[method-assign,assignment]
        self.plain = plain
        self.plain_tags = {}
        self.max_collection_depth = budget.depth

    def construct_document(self, node: yaml.Node) -> Any:
        if self.plain:
            try:
                return self.construct_plain(node)
            except (Declined, yaml.YAMLError, RecursionError):
                pass  # the general scheme builds it, or words its error as it always has
        return super().construct_document(node)

    def start_document(self) -> None:
        self.cap = self.budget.cap(yaml_text=True)
        self.allowance = iter(range(self.cap))
        self.ascend_resolver = self.allowance.__next__  # type: ignore[method-assign,assignment]

    def compose(self) -> yaml.Node:
        try:
            node: yaml.Node = self.get_node()
        except StopIteration:
            self.budget.spend(self.cap + 1, yaml_text=True)  # raises, naming the bound reached
            raise
        return node

    @property
    def nodes(self) -> int:
        return self.cap - operator.length_hint(self.allowance)


class _ComposingLoader(Composer, _EventSource, _Constructor, Resolver):  # type: ignore[misc,valid-type]
    """PyYAML's Python composer on libyaml's events (or Python's), counting every node, aliases
    included, and the depth as it composes."""

    def __init__(self, text: str, budget: Budget) -> None:
        _EventSource.__init__(self, text)
        Composer.__init__(self)
        _Constructor.__init__(self)
        Resolver.__init__(self)
        self.budget = budget
        self.nodes = 0
        self.depth = 0
        self.cap = 0

    def start_document(self) -> None:
        self.nodes, self.depth, self.cap = 0, 0, self.budget.cap(yaml_text=True)

    def compose(self) -> Any:
        return self.get_node()

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


# Where an alias can start: at the start of the text or after whitespace, a line break, a BOM or
# one of `[ { , ? :` (and, to be generous, `] } -`). Anything else before a `*` makes it part of
# a scalar, or a syntax error before any node is composed. Matches in strings are only caution.
_MAY_BE_ALIAS = re.compile(r"(?<![^\s\ufeff\[\]{},?:\-])\*")


def yaml_documents(text: str, budget: Budget) -> Iterator[Any]:
    """Each document of a YAML stream, constructed only once it is known to fit the budget.

    Raises yaml.YAMLError for malformed YAML, LimitExceeded for a bound, RecursionError when
    --max-depth was raised past what Python's stack holds."""
    stars = text.count("*")
    if not (_LIBYAML and stars <= budget.cap(yaml_text=True) and _libyaml_bounds_nesting()):
        yield from _documents(_ComposingLoader(text, budget), budget, walk=True)
        return
    saved = budget.total_nodes, budget.yaml_nodes
    done = 0
    walk = stars > 0 and _MAY_BE_ALIAS.search(text) is not None
    try:
        for body in _documents(_LibyamlLoader(text, budget, plain=not walk), budget, walk):
            done += 1
            yield body
    except ComposerError:
        # libyaml's composer words an undefined or repeated anchor without its name: the
        # Python composer reads the text again, from the budget it started with, to say it.
        budget.total_nodes, budget.yaml_nodes = saved
        for index, body in enumerate(_documents(_ComposingLoader(text, budget), budget, True)):
            if index >= done:
                yield body


def _documents(loader: Any, budget: Budget, walk: bool) -> Iterator[Any]:
    """Compose, measure, construct: `walk` measures each document with aliases expanded (it
    may hold one); otherwise the nodes composed are its size."""
    try:
        while loader.check_node():
            loader.start_document()
            node = loader.compose()
            nodes = expanded_size(node, budget) if walk else loader.nodes
            budget.spend(nodes, yaml_text=True)
            try:
                body = loader.construct_document(node)
            except LimitExceeded:
                # Nested too deeply, found while constructing: a document refused for its depth
                # costs nothing, as when the depth is found while composing.
                budget.total_nodes += nodes
                budget.yaml_nodes += nodes
                raise
            yield body
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
