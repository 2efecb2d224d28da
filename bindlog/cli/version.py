"""`bindlog version` and `bindlog --version`."""

from __future__ import annotations

import argparse
import json
import platform
from importlib import metadata
from typing import Any, TextIO

from bindlog.cli.common import EXIT_OK
from bindlog.cli.parser import examples


def version_text() -> str:
    from bindlog import __version__

    return f"bindlog {__version__}"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "version",
        help="print bindlog's version and those of what it runs on",
        description="Print bindlog's version and those of what it runs on.",
        **examples("bindlog version", "bindlog version -o json", "bindlog --version"),
    )
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def info() -> dict[str, str]:
    from bindlog import __version__

    out = {"bindlog": __version__, "python": platform.python_version()}
    for dist in ("pyDatalog", "PyYAML"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    data = info()
    if args.output == "json":
        out.write(json.dumps(data, indent=2) + "\n")
    else:
        out.write(
            f"{version_text()} ("
            + ", ".join(f"{k} {v}" for k, v in data.items() if k != "bindlog")
            + ")\n"
        )
    return EXIT_OK
