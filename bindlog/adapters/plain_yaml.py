"""The common case of YAML construction, without PyYAML's per-node machinery, to the same values.

Most manifests are plain data: mappings of strings, lists, and scalars of the core types, with no
anchor, alias, merge key or unusual tag. For them PyYAML's SafeConstructor still runs its general
scheme for every node (a memo of constructed nodes for aliases, a generator per collection
filled breadth-first in rounds, a constructor looked up by tag for every scalar), and the
resolver runs the implicit-type regexes on every plain scalar, though keys and values repeat
across documents. Together that was about 40 % of reading the M benchmark input.

`PlainYaml` is mixed into the libyaml loader, before PyYAML's classes:

- `resolve` gives a plain scalar the tag PyYAML's resolver gives it, remembered per value for
  one stream (the tag depends on the value alone while no path resolver is registered).
- `construct_plain` builds a document depth-first with dicts, lists and the loader's own scalar
  constructors. It declines (raises `Declined`) whatever it does not build exactly as the
  loader would: other tags, merge keys, collections as keys, repeated keys, nesting deeper than
  the budget allows. The caller then constructs the document the general way from the same node
  graph, which also finds and words every error in the order it always did. It must only be
  given a node graph without shared nodes (a text without aliases): a shared node is built once
  by the general scheme and is one object, here it would be two.
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

_STR = BaseResolver.DEFAULT_SCALAR_TAG
_SEQ = BaseResolver.DEFAULT_SEQUENCE_TAG
_MAP = BaseResolver.DEFAULT_MAPPING_TAG
_general_resolve: Any = BaseResolver.resolve  # untyped in PyYAML
# Scalar tags whose constructors return a value (no generator, no state): everything else,
# `!!merge` (`<<`) and `!!value` (`=`) included, is declined.
SCALAR_TAGS = tuple(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "binary", "timestamp")
)


class Declined(Exception):
    """The document holds something `construct_plain` leaves to the general constructor."""


class PlainYaml:
    """Mixin for a loader that is also a SafeConstructor and a BaseResolver."""

    yaml_constructors: dict[str, Any]
    yaml_path_resolvers: dict[Any, Any]
    plain_tags: dict[str, str]
    max_collection_depth: int  # collections nested deeper than this are declined

    def resolve(self, kind: Any, value: Any, implicit: tuple[bool, bool]) -> Any:
        # libyaml's composer calls this for every node without an explicit tag.
        if kind is ScalarNode and not self.yaml_path_resolvers:
            if not implicit[0]:  # quoted: a string, as BaseResolver.resolve decides
                return _STR
            tag = self.plain_tags.get(value)
            if tag is None:
                tag = self.plain_tags[value] = _general_resolve(self, kind, value, implicit)
            return tag
        return _general_resolve(self, kind, value, implicit)

    plain_scalars: dict[str, Any] | None = None

    def construct_plain(self, node: Any) -> Any:
        """The document at `node`, as the loader's construct_document would build it."""
        if self.plain_scalars is None:
            self.plain_scalars = {tag: self.yaml_constructors[tag] for tag in SCALAR_TAGS}
        # A builder per document: kept on the loader, it would make a reference cycle, which
        # a run without the cyclic collector (bindlog.__main__) never frees, and with it the text.
        return _Builder(self, self.plain_scalars, self.max_collection_depth).build(node, 1)


class _Builder:
    __slots__ = ("loader", "max_depth", "scalars")

    def __init__(self, loader: Any, scalars: dict[str, Any], max_depth: int) -> None:
        self.loader, self.scalars, self.max_depth = loader, scalars, max_depth

    def build(self, node: Any, depth: int) -> Any:
        """`depth`: how deep a collection at `node` is (the root's is 1): the general scheme
        fills one level a round, and refuses more rounds than the budget's depth."""
        cls = node.__class__
        tag = node.tag
        if cls is ScalarNode:
            if tag == _STR:
                return node.value
            construct = self.scalars.get(tag)
            if construct is None:
                raise Declined(tag)
            return construct(self.loader, node)
        if depth > self.max_depth:
            raise Declined("depth")
        if cls is MappingNode and tag == _MAP:
            mapping: dict[Any, Any] = {}
            build = self.build
            for key_node, value_node in node.value:
                if key_node.__class__ is not ScalarNode:
                    raise Declined("a collection as a key")
                mapping[build(key_node, depth)] = build(value_node, depth + 1)
            if len(mapping) != len(node.value):
                raise Declined("a repeated key")
            return mapping
        if cls is SequenceNode and tag == _SEQ:
            return [self.build(item, depth + 1) for item in node.value]
        raise Declined(tag)
