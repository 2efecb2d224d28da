"""`-o/--output` the kubectl way: fixed formats plus `jsonpath=TEMPLATE` and
`custom-columns=HEADER:PATH,...`, checked when the arguments are parsed (before any input is
read), and `--no-headers`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bindlog.analysis.did_you_mean import suggest

if TYPE_CHECKING:  # imported where a template is given: `-o json` and `-o yaml` need neither
    from bindlog.export import jsonpath

TEMPLATED = ("jsonpath", "custom-columns")


@dataclass(frozen=True, slots=True)
class Output:
    kind: str  # "yaml", "json", "table", ..., "jsonpath", "custom-columns"
    template: jsonpath.Template | None = None
    columns: list[tuple[str, jsonpath.Template]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.kind


def output_type(formats: tuple[str, ...]) -> Callable[[str], Output]:
    def parse(text: str) -> Output:
        kind, eq, arg = text.partition("=")
        if kind in TEMPLATED and kind in formats:
            from bindlog.export import columns, jsonpath

            if not eq or not arg:
                raise argparse.ArgumentTypeError(f"{kind} needs a template: -o {kind}=...")
            try:
                if kind == "jsonpath":
                    return Output(kind, template=jsonpath.parse(arg))
                return Output(kind, columns=columns.parse_custom_columns(arg))
            except ValueError as e:
                raise argparse.ArgumentTypeError(f"{kind}: {e}") from None
        if text in formats:
            return Output(text)
        allowed = ", ".join(f"{f}=..." if f in TEMPLATED else f for f in formats)
        raise argparse.ArgumentTypeError(
            f"unknown output format {text!r}{suggest(kind, formats)}; allowed: {allowed}"
        )

    parse.__name__ = "output format"
    parse.formats = formats  # type: ignore[attr-defined]  # read by shell completion
    return parse


def output_args(
    p: argparse.ArgumentParser, formats: tuple[str, ...], default: str, headers: bool = True
) -> None:
    shown = "|".join(f"{f}=..." if f in TEMPLATED else f for f in formats)
    p.add_argument(
        "-o",
        "--output",
        type=output_type(formats),
        default=Output(default),
        metavar="FORMAT",
        help=f"output format: {shown} (default: {default})",
    )
    if headers:
        p.add_argument(
            "--no-headers",
            action="store_true",
            help="print tables (table, wide, custom-columns) without their header line",
        )


def render_templated(output: Output, doc: Any, items: list[Any], headers: bool) -> str | None:
    """jsonpath on the document `-o json` prints; custom-columns on its items. None otherwise."""
    if output.template is not None:
        return output.template.render(doc)
    if output.columns:
        from bindlog.export import columns

        return columns.custom_columns(items, output.columns, headers)
    return None
