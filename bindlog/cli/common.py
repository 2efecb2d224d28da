"""What every command shares: input flags, loading, usage errors, exit codes."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from bindlog import api
from bindlog.adapters import Limits, LoadOptions
from bindlog.adapters.resources import parse_resource_map

if TYPE_CHECKING:
    from bindlog.adapters.live import LiveState

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Usage(Exception):
    """A usage error found after argument parsing: printed with the usage line, exit 2."""


def input_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-f",
        "--filename",
        action="append",
        metavar="PATH",
        help="manifest file, directory (recursive) or - for stdin; repeatable; required "
        "unless --context is given (then laid over the live objects)",
    )
    live_args(p)
    p.add_argument(
        "--resource-map",
        action="append",
        default=[],
        metavar="KIND.GROUP=PLURAL",
        help="resource name for a kind that is neither built in nor defined by a "
        "CustomResourceDefinition in the input; repeatable",
    )
    p.add_argument(
        "--guess-resources",
        action="store_true",
        help="map unknown kinds to resources with kubectl's guessing rule",
    )
    p.add_argument(
        "--default-namespace",
        default="default",
        metavar="NS",
        help="namespace of namespaced objects that name none (default: %(default)s)",
    )
    limits = Limits()
    p.add_argument(
        "--max-file-size",
        type=size,
        default=limits.max_file_bytes,
        metavar="SIZE",
        help="largest file or stdin stream read (default: 64Mi)",
    )
    p.add_argument(
        "--max-document-nodes",
        type=int,
        default=limits.max_document_nodes,
        metavar="N",
        help="most nodes in one document, YAML aliases expanded (default: %(default)s)",
    )
    p.add_argument(
        "--max-depth",
        dest="max_nesting",
        type=int,
        default=limits.max_depth,
        metavar="N",
        help="deepest nesting of one document (default: %(default)s)",
    )


def live_args(p: argparse.ArgumentParser) -> None:
    """kubectl's flags for reaching a WDS and its ITS (the `kubernetes` client loads only when
    one is given)."""
    g = p.add_argument_group("live clusters")
    g.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig file (default: $KUBECONFIG)")
    g.add_argument("--context", metavar="CTX", help="kubeconfig context of the WDS to read")
    g.add_argument(
        "--its-context",
        metavar="CTX",
        help="kubeconfig context of the ITS holding the ManagedClusters (default: --context)",
    )
    g.add_argument(
        "--request-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="timeout of each API request (default: %(default)s)",
    )


def is_live(args: argparse.Namespace) -> bool:
    return any(getattr(args, flag, None) for flag in ("context", "kubeconfig", "its_context"))


def run_resolution(args: argparse.Namespace, err: TextIO, explain: bool = False) -> api.Run:
    if is_live(args):
        state = load_live_state(args, err)
        run = api.run_loaded(state.loaded, explain)
    else:
        if not args.filename:
            raise Usage("give -f/--filename, or --context to read a live WDS")
        run = api.resolve(
            args.filename, args.options, stdin=sys.stdin.buffer, explain=explain, limits=args.limits
        )
    for warning in run.warnings:
        print(f"warning: {warning}", file=err)
    return run


def load_live_state(args: argparse.Namespace, err: TextIO, pool_size: int = 8) -> LiveState:
    """List the live WDS/ITS named by the flags, files in -f laid over them."""
    from bindlog.adapters.live import LiveOptions, load_live

    if args.its_context and not args.context:
        raise Usage("--its-context needs --context (the WDS)")
    opts = LiveOptions(
        args.kubeconfig, args.context, args.its_context, args.request_timeout, pool_size
    )
    progress = err if err.isatty() else None
    return load_live(
        opts, args.filename or [], args.options, sys.stdin.buffer, args.limits, progress
    )


def size(text: str) -> int:
    units = {"": 1, "k": 1000, "ki": 1024, "m": 1000**2, "mi": 1024**2, "g": 1000**3, "gi": 1024**3}
    number = text.rstrip("KMGikmgBb")
    unit = text[len(number) :].lower().removesuffix("b")
    if not number.isdigit() or unit not in units:
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (e.g. 64Mi, 100M, 5000000)")
    return int(number) * units[unit]


def options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> LoadOptions:
    mapping: dict[tuple[str, str], str] = {}
    for text in args.resource_map:
        try:
            key, plural = parse_resource_map(text)
        except ValueError as e:
            parser.error(str(e))
        mapping[key] = plural
    return LoadOptions(mapping, args.guess_resources, args.default_namespace)
