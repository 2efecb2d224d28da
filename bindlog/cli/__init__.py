"""Command line: parse arguments, call the library, render, pick the exit code.

One module per command (`register` adds its parser, `run` carries it out); `common` holds the
input flags every command shares.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from bindlog.cli.common import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Usage,
    limits_from,
    options,
)
from bindlog.cli.faults import Terminated, guarded_streams, handle_sigterm, report_fault
from bindlog.cli.parser import BindlogParser, examples
from bindlog.engines import ENGINE_VARIABLE, ENGINES
from bindlog.errors import BindlogError, InputError
from bindlog.textsafe import escape_terminal

__all__ = ["EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

# Command -> its module in bindlog.cli, in help order; a module is imported only when its
# command is registered.
COMMANDS = {
    "resolve": "resolve",
    "status": "status",
    "why": "why",
    "graph": "graph",
    "what-if": "whatif",
    "diff": "diff",
    "apply": "apply",
    "watch": "watch",
    "test": "test",
    "version": "version",
    "completion": "completion",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` the parser of that one command: a run of one
    command imports its module alone, not every command's (a tenth of a second)."""
    # As a kubectl plugin (the kubectl-bindlog script), usage reads the way the user typed it.
    plugin = os.path.basename(sys.argv[0]) == "kubectl-bindlog"
    parser = BindlogParser(
        prog="kubectl bindlog" if plugin else "bindlog",
        description="Resolve KubeStellar BindingPolicies into Bindings with Datalog rules.",
        **examples(
            "bindlog resolve -f examples/nginx -o wide",
            "bindlog why deploy/nginx -n nginx -f examples/nginx",
            "bindlog test examples/placement-tests/pass",
            "bindlog COMMAND --help                 # flags and examples of one command",
        ),
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"bindlog.cli.{COMMANDS[name]}").register(sub)
    return parser


class _Version(argparse._VersionAction):
    """`--version`, its text found only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from bindlog.cli.version import version_text

        self.version = version_text()
        super().__call__(parser, *args, **kwargs)


def _command(argv: Sequence[str] | None) -> str | None:
    """The command `argv` starts with, if it is one whose parser stands alone. Anything else
    (no command, an option first, a misspelt command, `completion`, which lists every command)
    gets the whole parser, and with it argparse's usual messages."""
    args = sys.argv[1:] if argv is None else argv
    first = args[0] if args else None
    return first if first in COMMANDS and first != "completion" else None


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = guarded_streams(out, err)
    with handle_sigterm():
        try:
            return _run(argv, out, err)
        except (KeyboardInterrupt, Terminated, OSError, Exception) as e:
            # Whatever escaped, even while reporting another error: a message, never a trace.
            return report_fault(e, out, err)


def _run(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    for flag in ("output_file", "output_dir"):
        if getattr(args, flag, None) == "":
            parser.error(f"--{flag.replace('_', '-')} needs a path, not an empty string")
    engine = os.environ.get(ENGINE_VARIABLE)
    if engine and engine not in ENGINES:
        parser.error(f"${ENGINE_VARIABLE}={engine!r}: use " + " or ".join(ENGINES))
    if hasattr(args, "resource_map"):  # the input flags; `bindlog test` has them without -f
        args.options = options(args, parser)
        args.limits = limits_from(args)
    try:
        code: int = args.handler(args, out, err)
        out.flush()  # a closed pipe or a full disk is reported here, not at interpreter exit
        return code
    except Usage as e:
        parser.print_usage(err)
        print(f"bindlog: error: {escape_terminal(str(e))}", file=err)
        return EXIT_USAGE
    except InputError as e:
        print(e.render(), file=err)
        print(f"bindlog: {len(e.problems)} problem(s) in the input; nothing written", file=err)
        return EXIT_INPUT
    except BindlogError as e:
        print(f"bindlog: {escape_terminal(str(e))}", file=err)
        return EXIT_INPUT
