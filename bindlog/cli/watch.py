"""`bindlog watch`: follow a live WDS and print (or apply) the Bindings that change."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from dataclasses import replace
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from bindlog.cli.apply import add_apply_args
from bindlog.cli.apply import options as apply_options
from bindlog.cli.common import EXIT_OK, Usage, input_args, load_live_state

if TYPE_CHECKING:
    from bindlog.adapters.watch import BindingChange
    from bindlog.export.apply import ApplyOptions

WATCH_CONNECTIONS = 64

DESCRIPTION = """\
List the WDS (BindingPolicies, workload objects, Namespaces) and the ITS (ManagedClusters),
print every Binding, then watch them and print each Binding that changes (ADDED, MODIFIED,
DELETED). With --apply, write the changed Bindings with server-side apply instead (see
`bindlog apply --help`: where KubeStellar's binding controller runs, this fights it). SIGINT or
SIGTERM stops it cleanly; a restart reconciles from a fresh list.
"""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "watch",
        help="follow a live WDS and print (or apply) the Bindings that change",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    input_args(parser)
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.add_argument(
        "--apply", action="store_true", help="apply the changed Bindings instead of printing them"
    )
    add_apply_args(parser)
    parser.add_argument(
        "--watch-seconds",
        type=int,
        default=290,
        metavar="N",
        help="server-side timeout of each watch request before reconnecting (default: 290)",
    )
    parser.set_defaults(handler=run)


def _text(change: BindingChange) -> str:
    name = f"binding.control.kubestellar.io/{change.name}"
    if change.binding is None:
        return f"{change.type} {name}"
    spec = change.binding.get("spec") or {}
    workload = spec.get("workload") or {}
    objects = len(workload.get("clusterScope") or []) + len(workload.get("namespaceScope") or [])
    wecs = ",".join(d["clusterId"] for d in spec.get("destinations") or []) or "-"
    return f"{change.type} {name} objects={objects} destinations={wecs}"


def _json(change: BindingChange) -> str:
    obj = change.binding or {
        "apiVersion": "control.kubestellar.io/v1alpha1",
        "kind": "Binding",
        "metadata": {"name": change.name},
    }
    return json.dumps({"type": change.type, "object": obj}, sort_keys=False)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from bindlog.adapters.watch import BindingChange, LiveModel, drain, start_watchers
    from bindlog.export.apply import apply_bindings

    if not args.context:
        raise Usage("watch follows a live WDS: give --context")
    if args.filename:
        raise Usage("watch follows the live state only: -f cannot be combined with it")
    opts = apply_options(args)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        # each watched resource keeps a connection open: size the pool so that none is
        # discarded (urllib3 would warn on stderr for each)
        state = load_live_state(args, err, pool_size=opts.concurrency + WATCH_CONNECTIONS)
        live = LiveModel(state, err)
        first = [BindingChange("ADDED", n, b) for n, b in sorted(live.bindings.items())]
        _emit(args, opts, state, first, out, err, apply_bindings, initial=True)
        items, _ = start_watchers(state, stop, args.watch_seconds)
        print("bindlog: watching", file=err, flush=True)
        while not stop.is_set():
            batch = drain(items, 0.2)
            if batch:
                changed = live.apply(batch)
                _emit(args, opts, state, changed, out, err, apply_bindings)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    print("bindlog: watch stopped", file=err, flush=True)
    return EXIT_OK


def _emit(
    args: argparse.Namespace,
    opts: ApplyOptions,
    state: Any,
    changes: list[BindingChange],
    out: TextIO,
    err: TextIO,
    apply_bindings: Any,
    initial: bool = False,
) -> None:
    if not changes:
        return
    if not args.apply:
        for change in changes:
            print(_json(change) if args.output == "json" else _text(change), file=out, flush=True)
        return
    wanted = [c.binding for c in changes if c.binding is not None]
    removed = [c.name for c in changes if c.binding is None]
    # On start, reconcile everything (compare with the live Bindings, prune only if asked);
    # later, apply just what changed and delete this ApplySet's Bindings whose policy went.
    step = opts if initial else replace(opts, prune=opts.prune or bool(removed))
    report = apply_bindings(
        state.wds, state.binding_resource, wanted, step, compare=initial, removed=removed
    )
    for outcome in report.outcomes:
        line = outcome.line(opts.dry_run)
        if args.output == "json":
            fields = {"binding": outcome.name, "action": outcome.action}
            line = json.dumps({**fields, "reason": outcome.reason} if outcome.reason else fields)
        print(line, file=out, flush=True)
