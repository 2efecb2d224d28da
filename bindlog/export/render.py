"""Bindings and statuses -> text: YAML streams, JSON lists, tables."""

from __future__ import annotations

import json
from typing import Any

import yaml

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(docs: list[dict[str, Any]]) -> str:
    """A multi-document YAML stream, keys in schema order."""
    return (
        yaml.dump_all(
            docs,
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            explicit_start=True,
        )
        if docs
        else ""
    )


def to_json(docs: list[dict[str, Any]]) -> str:
    """A `v1 List`, the way kubectl prints several objects as JSON."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}, indent=2) + "\n"


def one_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def to_table(docs: list[dict[str, Any]]) -> str:
    """One line per Binding: its name, object counts and destination count."""
    rows = [("NAME", "CLUSTER-SCOPED", "NAMESPACED", "OBJECTS", "DESTINATIONS")]
    for doc in docs:
        workload = doc["spec"]["workload"]
        cs, ns = len(workload.get("clusterScope", ())), len(workload.get("namespaceScope", ()))
        dests = len(doc["spec"].get("destinations", ()))
        rows.append((doc["metadata"]["name"], str(cs), str(ns), str(cs + ns), str(dests)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"
