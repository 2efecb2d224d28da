"""Scalars where Kubernetes wants a string, read the way kubectl reads them.

kubectl turns YAML into JSON with sigs.k8s.io/yaml (YAMLToJSON, go-yaml v2: YAML 1.1), then the
API server decodes that JSON into typed fields. So an unquoted `yes`, `no`, `on`, `off`, `true`,
`false` or a number becomes a JSON boolean or number, and a string field rejects it ("cannot
unmarshal bool into Go struct field ... of type string"). PyYAML is YAML 1.1 too and reads those
the same way, so bindlog rejects them likewise, with a hint to quote the value. Two differences
are bridged here: go-yaml v2 keeps timestamp-looking scalars as strings when decoding into an
untyped value (PyYAML makes a `date` of `2024-01-31`; its text is recovered exactly), and map
keys that are booleans or integers become strings ("true", "10") in kubectl's JSON. One is not:
go-yaml also reads an unquoted `y`, `n`, `1e3` or `0o17` as a boolean or number where PyYAML
keeps a string, and once loaded a string does not say whether it was quoted; the YAML reader
would have to resolve those scalars as go-yaml does.
"""

from __future__ import annotations

import datetime
import json

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
