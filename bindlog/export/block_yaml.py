"""Block-style YAML for plain data, byte for byte what PyYAML's C safe dumper writes, faster.

Even with the C emitter, PyYAML represents and resolves every scalar in Python (building a
node, running the implicit-type regexes), which made `-o yaml` the slowest output. Bindings
are trees of dicts, lists, strings, booleans and ints in which the same strings recur (groups,
versions, namespaces, WEC names), so this writer lays out the block structure itself and decides
once per distinct string how to write it: identifiers and decimal numbers by rule, anything else
by asking PyYAML.

It covers the options bindlog uses (`sort_keys=False, default_flow_style=False,
allow_unicode=True, explicit_start=True`, default indent and width) and declines, by raising
`Unsupported`, whatever it cannot be sure to write identically: other types, a string that is
not printable on one line, a string that PyYAML could fold at the line width. The caller then
uses PyYAML for the whole stream. Without libyaml (PyYAML's pure-Python emitter, whose limits
differ slightly) it declines everything.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_LIBYAML = hasattr(yaml, "CSafeDumper")
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
WIDTH = 80  # PyYAML's default best_width: plain and quoted scalars fold past it
MAX_SIMPLE_KEY = 128  # UTF-8 bytes: libyaml writes a longer key as a complex key ("? ")


class Unsupported(Exception):
    """The data holds something this writer does not write the way PyYAML would."""


def dump_all(docs: list[dict[str, Any]]) -> str:
    """The YAML stream `yaml.dump_all(docs, Dumper=CSafeDumper, sort_keys=False,
    default_flow_style=False, allow_unicode=True, explicit_start=True)` writes."""
    if not _LIBYAML:
        raise Unsupported("PyYAML without libyaml: the forms above are libyaml's")
    writer = _Writer()
    for doc in docs:
        if type(doc) is not dict or not doc:
            raise Unsupported("a document that is not a non-empty mapping")
        writer.out.append("---\n")
        writer.seen = {id(doc)}
        writer.mapping(doc, 0, "")
    return "".join(writer.out)


class _Writer:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.forms: dict[str, str] = {}  # string -> how PyYAML writes it as a scalar
        self.keys: dict[str, str] = {}  # key -> its form and ":", checked to be a simple key
        self.foldable: set[str] = set()  # strings PyYAML could fold past the width (spaces, ")
        # Containers of the current document: one met twice is written by PyYAML as an anchor
        # and aliases (&id001, *id001), which this writer does not do.
        self.seen: set[int] = set()

    def shared(self, container: object) -> None:
        key = id(container)
        if key in self.seen:
            raise Unsupported("a dict or list that occurs twice in one document")
        self.seen.add(key)

    def mapping(self, data: dict[Any, Any], indent: int, first: str) -> None:
        """Keys at column `indent`; the first line starts with `first` (after "- ")."""
        pad = " " * indent
        forms, keys, foldable = self.forms, self.keys, self.foldable
        append = self.out.append  # one piece a line where it can: most lines are `key: value`
        lead = first
        for key, value in data.items():
            written = keys.get(key)
            if written is None:
                written = self.key(key)
            if type(value) is str:  # the common case, inline
                form = forms.get(value)
                if form is None:
                    form = self.string(value)
                if value in foldable and indent + len(written) + 1 + len(form) > WIDTH:
                    raise Unsupported("a string PyYAML may fold at the line width")
                append(f"{lead}{written} {form}\n")
            elif type(value) is dict and value:
                self.shared(value)
                append(f"{lead}{written}\n")
                self.mapping(value, indent + 2, " " * (indent + 2))
            elif type(value) is list and value:
                self.shared(value)
                append(f"{lead}{written}\n")
                self.sequence(value, indent, pad)
            else:
                append(f"{lead}{written} {self.scalar(value, indent + len(written) + 1)}\n")
            lead = pad

    def sequence(self, data: list[Any], indent: int, first: str) -> None:
        """Items as "- " at column `indent` (PyYAML does not indent a list in a mapping)."""
        pad = " " * indent
        append = self.out.append
        lead = first
        for item in data:
            if type(item) is dict and item:
                self.shared(item)
                append(f"{lead}- ")
                self.mapping(item, indent + 2, "")
            elif type(item) is list and item:
                self.shared(item)
                append(f"{lead}- ")
                self.sequence(item, indent + 2, "")
            else:
                append(f"{lead}- {self.scalar(item, indent + 2)}\n")
            lead = pad

    def scalar(self, value: object, column: int) -> str:
        """`value` as a scalar written from `column` on."""
        kind = type(value)
        if type(value) is str:
            form = self.forms.get(value) or self.string(value)
            if value in self.foldable and column + len(form) > WIDTH:
                raise Unsupported("a string PyYAML may fold at the line width")
            return form
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return repr(value)
        if value is None:
            return "null"
        if kind is dict:  # empty: non-empty ones are blocks
            self.shared(value)
            return "{}"
        if kind is list:
            self.shared(value)
            return "[]"
        raise Unsupported(f"a value of type {kind.__name__}")

    def key(self, key: object) -> str:
        if type(key) is not str or len(key.encode()) > MAX_SIMPLE_KEY:
            raise Unsupported(f"key {key!r}")  # not a string, or not a simple key
        written = self.keys[key] = (self.forms.get(key) or self.string(key)) + ":"
        return written  # keys are never folded

    def string(self, text: str) -> str:
        form = self.forms[text] = scalar_form(text)
        if " " in form or form[0] == '"':
            self.foldable.add(text)
        return form


# Strings PyYAML certainly writes as they are: a letter, then letters, digits and `_./-`, and
# not a word its resolver reads as a boolean or null (those, and all others, are asked).
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*\Z")
_RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf"})
# Decimal integers without a leading zero (resource versions): PyYAML quotes them, '123'.
_DECIMAL = re.compile(r"[1-9][0-9]*\Z")


def scalar_form(text: str) -> str:
    """How PyYAML writes `text` as a block scalar on one line (plain, or quoted as needed)."""
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    if _DECIMAL.match(text):
        return f"'{text}'"
    return pyyaml_form(text)


def pyyaml_form(text: str) -> str:
    """`scalar_form` as PyYAML's own dumper gives it."""
    if not text.isprintable():  # line breaks, control and format characters: leave to PyYAML
        raise Unsupported("a string with unprintable characters")
    written: str = yaml.dump([text], Dumper=_Dumper, allow_unicode=True, default_flow_style=False)
    form = written[2:-1]  # "- " + form + "\n"
    if not written.startswith("- ") or "\n" in form or not form:
        raise Unsupported("a string PyYAML writes on several lines")
    return form
