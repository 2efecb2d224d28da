"""Scalars where Kubernetes wants a string, read the way kubectl reads them.

kubectl turns YAML into JSON with sigs.k8s.io/yaml (YAMLToJSON, go-yaml v2: YAML 1.1), then the
API server decodes that JSON into typed fields. So an unquoted `yes`, `no`, `on`, `off`, `true`,
`false` or a number becomes a JSON boolean or number, and a string field rejects it ("cannot
unmarshal bool into Go struct field ... of type string"). PyYAML is YAML 1.1 too and reads those
the same way, so bindlog rejects them likewise, with a hint to quote the value. Two differences
are bridged here: go-yaml v2 keeps timestamp-looking scalars as strings when decoding into an
untyped value (PyYAML makes a `date` of `2024-01-31`; its text is recovered exactly), and map
keys that are booleans or integers become strings ("true", "10") in kubectl's JSON.
"""

from __future__ import annotations

import datetime
import json
import re

import yaml

QUOTE_HINT = (
    "unquoted yes, no, on, off, true, false and numbers are not strings in YAML 1.1, "
    "which kubectl reads too: quote the value"
)


def k8s_string(value: object) -> str | None:
    """`value` as the string kubectl would send, or None if the API server gets a non-string."""
    if isinstance(value, str):
        return value
    # A date-only timestamp: PyYAML's regex takes exactly YYYY-MM-DD, so isoformat() is the text.
    if type(value) is datetime.date:
        return value.isoformat()
    return None


def k8s_key(key: object) -> object:
    """A mapping key as kubectl's YAML-to-JSON conversion renders it (bools and ints as text)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    return key


def not_a_string(value: object) -> str:
    """The detail for a non-string where a string is wanted, with the YAML 1.1 hint if it fits."""
    shown = json.dumps(value, default=str)
    hint = f" ({QUOTE_HINT})" if isinstance(value, bool | int | float) else ""
    return f"Invalid value: {shown}: must be a string{hint}"


# Plain scalars that go-yaml v2 (kubectl) resolves to booleans or numbers but PyYAML keeps as
# strings: the one-letter booleans, exponents without a dot or sign, Go's 0o octal prefix.
_GO_YAML_ONLY_BOOL = frozenset({"y", "Y", "n", "N"})
_GO_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_YAML_OCTAL = re.compile(r"[-+]?0o[0-7_]+")
_PYYAML = yaml.resolver.Resolver()


def kubectl_reads_otherwise(text: str) -> str | None:
    """ "a boolean" or "a number" if kubectl would read `text`, unquoted, as one; else None.

    Only for strings PyYAML produced: they may have been quoted, which bindlog cannot see, so
    the caller warns rather than fails."""
    if text in _GO_YAML_ONLY_BOOL:
        return "a boolean"
    if not (_GO_YAML_FLOAT.fullmatch(text) or _GO_YAML_OCTAL.fullmatch(text)):
        return None
    # A string PyYAML would have typed unquoted ("5", "1.5") was quoted: no doubt there.
    tag = _PYYAML.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if tag != "tag:yaml.org,2002:str":
        return None
    return "a number"


def unquoted_warning(text: str) -> str | None:
    what = kubectl_reads_otherwise(text)
    if what is None:
        return None
    return (
        f"{json.dumps(text)}, if unquoted, is {what} to kubectl (go-yaml reads YAML 1.1 more "
        "widely than PyYAML) and the API server rejects it where a string is wanted: quote it"
    )
