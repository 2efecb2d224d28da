"""What every command shares: input flags, loading, usage errors, exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from bindlog import api
from bindlog.adapters import Limits, Loaded, LoadOptions, load
from bindlog.adapters.k8s_names import namespace_name_problem
from bindlog.adapters.resources import parse_resource_map
from bindlog.cli import label_query, warnings_report
from bindlog.cli.progress import Progress
from bindlog.engine.evaluate import evaluate
from bindlog.export.bindings import bindings
from bindlog.model import LabelSelector, Snapshot

if TYPE_CHECKING:
    from bindlog.adapters.live import LiveState

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE, EXIT_TERMINATED = 141, 143  # 128 + SIGPIPE, 128 + SIGTERM, as shells report


class Usage(Exception):
    """A usage error found after argument parsing: printed with the usage line, exit 2."""


def input_args(p: argparse.ArgumentParser, filename: bool = True) -> None:
    if filename:  # `bindlog test` reads the manifests its test files name
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
        "--max-total-size",
        type=size,
        default=limits.max_total_bytes,
        metavar="SIZE",
        help="most bytes read from all inputs together (default: 256Mi)",
    )
    p.add_argument(
        "--max-document-nodes",
        type=positive_int,
        default=limits.max_document_nodes,
        metavar="N",
        help="most nodes in one document, YAML aliases expanded (default: %(default)s)",
    )
    p.add_argument(
        "--max-total-nodes",
        type=positive_int,
        default=limits.max_total_nodes,
        metavar="N",
        help="most nodes in all documents together, aliases expanded (default: %(default)s)",
    )
    p.add_argument(
        "--max-yaml-nodes",
        type=positive_int,
        default=limits.max_yaml_nodes,
        metavar="N",
        help="most nodes in all YAML documents together; YAML is ~30x slower to read than "
        "JSON (default: %(default)s)",
    )
    p.add_argument(
        "--max-depth",
        dest="max_nesting",
        type=positive_int,
        default=limits.max_depth,
        metavar="N",
        help="deepest nesting of one document (default: %(default)s)",
    )
    verbosity_args(p)


def limits_from(args: argparse.Namespace) -> Limits:
    return Limits(
        max_file_bytes=args.max_file_size,
        max_document_nodes=args.max_document_nodes,
        max_depth=args.max_nesting,
        max_total_bytes=args.max_total_size,
        max_total_nodes=args.max_total_nodes,
        max_yaml_nodes=args.max_yaml_nodes,
    )


def verbosity_args(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=warnings_report.VERBOSE,
        default=warnings_report.NORMAL,
        help="print every warning in full (default: one line per policy, with a count)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=warnings_report.QUIET,
        help="print no warnings",
    )


def selector_type(text: str) -> LabelSelector:
    try:
        return label_query.parse_label_query(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def selector_arg(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "-l",
        "--selector",
        type=selector_type,
        metavar="SELECTOR",
        help=f"only {what} whose labels match, in kubectl's syntax "
        "(app=web,tier!=db,env in (a,b),!legacy)",
    )


Check = Callable[[Snapshot], None]


def run_resolution(
    args: argparse.Namespace,
    err: TextIO,
    explain: bool = False,
    check: Check | None = None,
    status_warnings: bool = False,
) -> api.Run:
    """Load, restrict to `-l`, check the names asked about (`check`, before the costly
    evaluation), evaluate and build the Bindings, with a progress line on a terminal."""
    loaded, snapshot = load_checked(args, err, check)
    progress = args.progress
    with progress.phase("evaluating"):
        result = evaluate(snapshot)
        docs = bindings(result, explain)
    run = api.Run(result, docs, loaded.warnings, result.status_errors())
    verbosity = getattr(args, "verbosity", warnings_report.NORMAL)
    statuses = run.status_errors if status_warnings else {}
    warnings_report.report(run.warnings, statuses, err, verbosity)
    return run


def load_checked(
    args: argparse.Namespace, err: TextIO, check: Check | None = None
) -> tuple[Loaded, Snapshot]:
    """Load (files or a live WDS), restrict to `-l`, and check the names asked about
    (`check`), with a progress line on a terminal."""
    progress = args.progress = Progress(err)
    with progress.phase("loading"):
        if is_live(args):
            loaded = load_live_state(args, err).loaded
        elif not getattr(args, "filename", None):
            raise Usage("give -f/--filename, or --context to read a live WDS")
        else:
            loaded = load(args.filename, args.options, sys.stdin.buffer, args.limits)
    snapshot = restrict(loaded.snapshot, args)
    if check is not None:
        check(snapshot)
    return loaded, snapshot


def restrict(snapshot: Snapshot, args: argparse.Namespace) -> Snapshot:
    """`-l`: keep the policies (or, where `args.select_objects`, the objects) that match."""
    selector: LabelSelector | None = getattr(args, "selector", None)
    if selector is None:
        return snapshot
    if getattr(args, "select_objects", False):
        objects = tuple(o for o in snapshot.objects if label_query.matches(selector, o.labels))
        return replace(snapshot, objects=objects)
    policies = tuple(p for p in snapshot.policies if label_query.matches(selector, p.labels))
    return replace(snapshot, policies=policies)


MAX_SIZE = 2**60  # 1Ei: beyond any real input; larger numbers are typos


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
    if not number.isascii() or not number.isdigit() or unit not in units or len(number) > 30:
        raise argparse.ArgumentTypeError(
            f"invalid size {shorten(text)!r} (e.g. 64Mi, 100M, 5000000)"
        )
    value = int(number) * units[unit]
    if not 0 < value <= MAX_SIZE:
        raise argparse.ArgumentTypeError(
            f"invalid size {shorten(text)!r}: must be between 1 and 1Gi * 1Gi bytes"
        )
    return value


def positive_int(text: str) -> int:
    """A count limit: a whole number of at least 1 (a negative bound is a typo, not a wish)."""
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit() or len(stripped) > 18:
        raise argparse.ArgumentTypeError(f"invalid count {shorten(text)!r}: must be 1 or more")
    value = int(stripped)
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid count {shorten(text)!r}: must be 1 or more")
    return value


def shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else f"{text[:width]}..."


def options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> LoadOptions:
    mapping: dict[tuple[str, str], str] = {}
    for text in args.resource_map:
        try:
            key, plural = parse_resource_map(text)
        except ValueError as e:
            parser.error(str(e))
        mapping[key] = plural
    # An empty default would leave namespaced objects cluster-scoped (spec E15).
    if (why := namespace_name_problem(args.default_namespace)) is not None:
        parser.error(f"--default-namespace {args.default_namespace!r}: {why}")
    return LoadOptions(mapping, args.guess_resources, args.default_namespace)
