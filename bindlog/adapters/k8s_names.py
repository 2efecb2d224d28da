"""Kubernetes name and label syntax, as apimachinery's validation package checks it."""

from __future__ import annotations

import re

_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def label_value_problem(value: object) -> str | None:
    """Why `value` is not a valid label value (IsValidLabelValue), or None."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.fullmatch(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character"
        )
    return None


def label_key_problem(key: object) -> str | None:
    """Why `key` is not a valid qualified name (IsQualifiedName), or None."""
    if not isinstance(key, str):
        return f"must be a string, not {type(key).__name__}"
    prefix, slash, name = key.rpartition("/")
    if slash:
        if not prefix:
            return "prefix part must be non-empty"
        if len(prefix) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(prefix):
            return "prefix part must be a lowercase RFC 1123 subdomain of at most 253 characters"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _QUALIFIED_NAME.fullmatch(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character"
        )
    return None


def dns_subdomain_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 subdomain (most kinds' metadata.name), or None."""
    if len(name) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(name):
        return (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (at most 253)"
        )
    return None


def object_name_problem(name: object) -> str | None:
    """Why `name` cannot be any object's metadata.name (the path-segment rule), or None."""
    if not isinstance(name, str):
        return f"must be a string, not {type(name).__name__}"
    if not name:
        return "must be non-empty"
    if len(name) > 253:
        return "must be no more than 253 characters"
    if name in (".", "..") or "/" in name or "%" in name:
        return "may not be '.' or '..' and may not contain '/' or '%'"
    return None


def namespace_name_problem(name: object) -> str | None:
    """Why `name` is not a valid Namespace name (a DNS-1123 label), or None."""
    if not isinstance(name, str):
        return f"must be a string, not {type(name).__name__}"
    if len(name) > 63 or not _DNS1123_LABEL.fullmatch(name):
        return "must be a lowercase RFC 1123 label of at most 63 characters"
    return None
