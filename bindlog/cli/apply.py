"""`bindlog apply`: write every Binding into the WDS with server-side apply."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from bindlog import api
from bindlog.cli.common import EXIT_INPUT, EXIT_OK, Usage, input_args, is_live, load_live_state

if TYPE_CHECKING:
    from bindlog.export.apply import ApplyOptions

DESCRIPTION = """\
Resolve the BindingPolicies of a live WDS (files in -f laid over it) and write every Binding
with server-side apply (field manager "bindlog" by default), in bounded-concurrency batches,
retrying 429 and 5xx answers. Bindings whose applied fields already equal the live ones are
not written. The Bindings form a KEP-3659 ApplySet (parent: ConfigMap --applyset in
--applyset-namespace); --prune deletes only members of that set that the result no longer has.
The parent is an object of the WDS like any other: keep it in a namespace no BindingPolicy
selects, or it becomes part of the workload it describes.

Warning: KubeStellar's own binding controller writes these Bindings with plain updates. Where it
runs, bindlog apply fights it: an apply meets the controller's fields as a conflict, reported as
failed, and --force-conflicts takes them over until the controller writes them back. Use apply
where bindlog, not the controller, is the writer of Bindings (or to repair a drift, knowingly).
"""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "apply",
        help="write every Binding into the WDS with server-side apply",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    input_args(parser)
    add_apply_args(parser)
    parser.set_defaults(handler=run)


def add_apply_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("apply")
    g.add_argument(
        "--dry-run",
        choices=("none", "client", "server"),
        default="none",
        help="client: send nothing; server: the API server checks but stores nothing",
    )
    g.add_argument(
        "--prune", action="store_true", help="delete this ApplySet's Bindings no longer wanted"
    )
    g.add_argument(
        "--force-conflicts",
        action="store_true",
        help="take over fields another field manager (e.g. KubeStellar's controller) owns",
    )
    g.add_argument("--field-manager", default="bindlog", metavar="NAME")
    g.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="applies in flight at once"
    )
    g.add_argument("--applyset", default="bindlog", metavar="NAME", help="ApplySet parent name")
    g.add_argument("--applyset-namespace", default="default", metavar="NS")


def options(args: argparse.Namespace) -> ApplyOptions:
    from bindlog.export.apply import ApplyOptions

    if args.concurrency < 1:
        raise Usage("--concurrency must be at least 1")
    return ApplyOptions(
        dry_run=args.dry_run,
        prune=args.prune,
        force_conflicts=args.force_conflicts,
        field_manager=args.field_manager,
        concurrency=args.concurrency,
        applyset_name=args.applyset,
        applyset_namespace=args.applyset_namespace,
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from bindlog.export.apply import apply_bindings

    if not is_live(args) or not args.context:
        raise Usage("apply writes into a live WDS: give --context")
    opts = options(args)
    state = load_live_state(args, err, pool_size=opts.concurrency)
    result = api.run_loaded(state.loaded)
    for warning in result.warnings:
        print(f"warning: {warning}", file=err)
    report = apply_bindings(state.wds, state.binding_resource, result.bindings, opts)
    for outcome in report.outcomes:
        print(outcome.line(opts.dry_run), file=out)
    print(f"bindlog: {report.summary()}", file=err)
    return EXIT_INPUT if report.failed else EXIT_OK
