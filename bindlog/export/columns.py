"""Tables the kubectl way: aligned columns, `--no-headers`, `-o wide`, `-o name`,
`-o custom-columns=HEADER:PATH,...`, names in natural order (`wec2` before `wec10`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from bindlog.export import jsonpath

T = TypeVar("T")
WIDE_WEC_NAMES = 5  # WEC names shown in the wide WECS column before "+N more"
BINDING_RESOURCE = "binding.control.kubestellar.io"
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """`wec2` < `wec10`: digit runs compare as numbers, the rest as text."""
    return tuple(
        (1, int(part)) if part.isdigit() else (0, part) for part in _DIGITS.split(text) if part
    )


def natural_sorted(items: Iterable[T], key: Callable[[T], str] | None = None) -> list[T]:
    get = key or str
    return sorted(items, key=lambda item: natural_key(get(item)))


def format_table(rows: Sequence[Sequence[str]], headers: Sequence[str] | None) -> str:
    """Columns left-aligned, three spaces apart, like kubectl's tab writer."""
    all_rows = [list(headers)] if headers is not None else []
    all_rows += [list(r) for r in rows]
    if not all_rows:
        return ""
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    lines = [
        "   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in all_rows
    ]
    return "\n".join(lines) + "\n"


def _counts(doc: dict[str, Any]) -> tuple[int, int, list[str]]:
    workload = doc["spec"]["workload"]
    cs, ns = len(workload.get("clusterScope", ())), len(workload.get("namespaceScope", ()))
    wecs = [d["clusterId"] for d in doc["spec"].get("destinations", ())]
    return cs, ns, wecs


def _wec_names(wecs: list[str]) -> str:
    if not wecs:
        return "<none>"
    shown = natural_sorted(wecs)[:WIDE_WEC_NAMES]
    more = len(wecs) - len(shown)
    return ",".join(shown) + (f" +{more} more" if more else "")


def bindings_table(docs: list[dict[str, Any]], wide: bool, headers: bool) -> str:
    """One line per Binding: name, object counts, destination count; wide adds WEC names."""
    head = ["NAME", "CLUSTER-SCOPED", "NAMESPACED", "OBJECTS", "DESTINATIONS"]
    if wide:
        head.append("WECS")
    rows = []
    for doc in natural_sorted(docs, key=lambda d: str(d["metadata"]["name"])):
        cs, ns, wecs = _counts(doc)
        row = [doc["metadata"]["name"], str(cs), str(ns), str(cs + ns), str(len(wecs))]
        if wide:
            row.append(_wec_names(wecs))
        rows.append(row)
    return format_table(rows, head if headers else None)


def names(docs: list[dict[str, Any]], resource: str = BINDING_RESOURCE) -> str:
    """`-o name`: `resource.group/NAME`, one a line."""
    return "".join(
        f"{resource}/{n}\n" for n in natural_sorted(str(d["metadata"]["name"]) for d in docs)
    )


def parse_custom_columns(spec: str) -> list[tuple[str, jsonpath.Template]]:
    """`HEADER:PATH,HEADER:PATH`; raises ValueError with kubectl's hint on a bad spec."""
    columns = []
    for part in _split_columns(spec):
        header, colon, path = part.partition(":")
        if not colon or not header or not path:
            raise ValueError(
                f"custom-columns: {part!r} is not HEADER:PATH "
                "(e.g. custom-columns=NAME:.metadata.name,WECS:.spec.destinations[*].clusterId)"
            )
        columns.append((header, jsonpath.relaxed(path)))
    if not columns:
        raise ValueError("custom-columns needs at least one HEADER:PATH")
    return columns


def _split_columns(spec: str) -> list[str]:
    """Split on commas outside brackets and quotes (a path may hold `['a','b']`)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, c in enumerate(spec):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "[(":
            depth += 1
        elif c in "])":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(spec[start:i])
            start = i + 1
    parts.append(spec[start:])
    return [p for p in parts if p]


def custom_columns(
    items: list[dict[str, Any]], columns: list[tuple[str, jsonpath.Template]], headers: bool
) -> str:
    """One row per item; several values of a cell joined by commas, none shown as `<none>`."""
    rows = []
    for item in items:
        row = []
        for _, template in columns:
            values = template.values(item)
            row.append(",".join(jsonpath_text(v) for v in values) if values else "<none>")
        rows.append(row)
    return format_table(rows, [h for h, _ in columns] if headers else None)


def jsonpath_text(value: Any) -> str:
    return jsonpath.parse("{@}").render(value)
