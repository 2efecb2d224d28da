"""Command line: parse arguments, call the library, render, pick the exit code.

One module per command (`register` adds its parser, `run` carries it out); `common` holds the
input flags every command shares.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from bindlog.adapters import Limits
from bindlog.cli import apply, graph, resolve, status, watch, why
from bindlog.cli.common import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Usage,
    options,
)
from bindlog.errors import BindlogError, InputError

__all__ = ["EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

COMMANDS = (resolve, status, why, graph, apply, watch)


def build_parser() -> argparse.ArgumentParser:
    # As a kubectl plugin (the kubectl-bindlog script), usage reads the way the user typed it.
    plugin = os.path.basename(sys.argv[0]) == "kubectl-bindlog"
    parser = argparse.ArgumentParser(
        prog="kubectl bindlog" if plugin else "bindlog",
        description="Resolve KubeStellar BindingPolicies into Bindings with Datalog rules.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if hasattr(args, "filename"):
        args.options = options(args, parser)
        args.limits = Limits(args.max_file_size, args.max_document_nodes, args.max_nesting)
    try:
        code: int = args.handler(args, out, err)
        return code
    except Usage as e:
        parser.print_usage(err)
        print(f"bindlog: error: {e}", file=err)
        return EXIT_USAGE
    except InputError as e:
        print(e.render(), file=err)
        print(f"bindlog: {len(e.problems)} problem(s) in the input; nothing written", file=err)
        return EXIT_INPUT
    except BindlogError as e:
        print(f"bindlog: {e}", file=err)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("bindlog: interrupted; nothing was written, earlier output is intact", file=err)
        return EXIT_INTERRUPTED
