"""`bindlog status`: what KubeStellar would write into each BindingPolicy's status.errors."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from bindlog.cli.common import EXIT_OK, input_args, run_resolution


def register(sub: Any) -> None:
    status = sub.add_parser(
        "status", help="what KubeStellar would write into each BindingPolicy's status.errors"
    )
    input_args(status)
    status.add_argument("-o", "--output", choices=("text", "json"), default="text")
    status.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    result = run_resolution(args, err)
    # KubeStellar writes the status of every policy whose sync succeeds, Binding or not.
    synced = (res.policy.name for res in result.result.resolutions if not res.invalid)
    report = {name: {"errors": result.status_errors.get(name, [])} for name in sorted(synced)}
    if args.output == "json":
        out.write(json.dumps(report, indent=2) + "\n")
    else:
        for name, status in report.items():
            errors = status["errors"]
            out.write(f"BindingPolicy/{name}: {'ok' if not errors else ''}\n")
            for text in errors:
                out.write(f"  error: {text}\n")
    return EXIT_OK
