"""`bindlog graph`: objects -> BindingPolicy -> WECs as dot, mermaid, svg or png; aggregated
when large, with a warning (and the flag that narrows it) when a renderer would choke."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from bindlog.cli.common import EXIT_OK, Usage, input_args, run_resolution, selector_arg
from bindlog.cli.parser import examples
from bindlog.errors import ExportError
from bindlog.export import graph_limits
from bindlog.export.write import write_file_atomic
from bindlog.model import Snapshot, WorkloadObject


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "graph",
        help="the objects -> BindingPolicy -> WECs graph (dot, mermaid, svg, png)",
        description="Draw which objects each BindingPolicy selects and which WECs it sends "
        "them to, left to right, with a legend. Large graphs are aggregated: WECs selected "
        "alike become one node labelled with the label values the policies test, objects "
        "are grouped by namespace and resource, edges carry counts.",
        **examples(
            "bindlog graph -f examples/nginx -o mermaid",
            "bindlog graph -f examples/nginx -o png --output-file bindings.png",
            "bindlog graph -f examples/nginx --policy nginx -o svg --output-file nginx.svg",
            "bindlog graph -f examples/nginx --wec cluster1 --show-unbound",
            "bindlog graph -f examples/nginx -l owner=web-team --aggregate always",
        ),
    )
    input_args(parser)
    selector_arg(parser, "BindingPolicies")
    parser.add_argument("-o", "--output", choices=("dot", "mermaid", "svg", "png"), default="dot")
    parser.add_argument("--object", metavar="TYPE/NAME", help="only around this object")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-n", "--namespace", help="namespace of --object")
    where.add_argument(
        "-A", "--all-namespaces", action="store_true", help="--object in any namespace (default)"
    )
    parser.add_argument("--wec", help="only around this WEC")
    parser.add_argument("--policy", help="only around this BindingPolicy")
    parser.add_argument(
        "--aggregate",
        choices=("auto", "always", "never"),
        default="auto",
        help="group WECs and objects into counted nodes (auto: when more than "
        f"{graph_limits.AUTO_NODES} would be drawn)",
    )
    parser.add_argument(
        "--show-unbound",
        action="store_true",
        help="also draw the objects no policy binds (dashed)",
    )
    parser.add_argument(
        "--max-edges",
        type=int,
        default=graph_limits.MAX_RENDER_EDGES,
        metavar="N",
        help="refuse to render svg or png with more edges than this, as Graphviz would take "
        "minutes to draw a picture nobody can read (0: no limit; default: %(default)s)",
    )
    parser.add_argument("--output-file", metavar="FILE", help="write to FILE atomically")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # Imported here, not with the CLI: only this command uses networkx.
    from bindlog.cli import names
    from bindlog.export import graph as graph_export
    from bindlog.export import graph_aggregate

    target: tuple[str, str | None, str] | None = None
    if args.object:
        try:
            target = names.parse_target(args.object)
        except ValueError as e:
            raise Usage(f"--object: {e}") from None
    if args.output in ("svg", "png") and not args.output_file and out.isatty():
        raise Usage(f"refusing to write {args.output} to a terminal: use --output-file")
    found: list[WorkloadObject] = []

    def check(snapshot: Snapshot) -> None:
        if target is not None:
            kind, namespace, name = target
            found.append(names.find_object(snapshot, kind, name, namespace or args.namespace))
        if args.wec:
            names.check_wec(snapshot, args.wec)
        if args.policy:
            names.check_policy(snapshot, args.policy)

    result = run_resolution(args, err, check=check)
    graph = graph_export.build_graph(result.result, show_unbound=args.show_unbound)
    if found or args.wec or args.policy:
        graph = graph_export.focus(graph, found[0] if found else None, args.wec, args.policy)
    hint = graph_export.NARROWING
    if graph_aggregate.should_aggregate(graph, args.aggregate):
        tested = {
            req.key
            for policy in result.result.snapshot.policies
            for selector in policy.cluster_selectors
            for req in selector.requirements
        }
        graph = graph_aggregate.aggregate(graph, tested)
    else:
        hint += ", or group WECs and objects with --aggregate always"
    warnings: list[str] = []
    with args.progress.phase("writing"):
        if args.output == "mermaid":
            mermaid = graph_export.to_mermaid(graph)
            warnings = graph_export.mermaid_warnings(mermaid, hint)
            data: str | bytes = mermaid
        elif args.output == "dot":
            data = graph_export.to_dot(graph)
            warnings = graph_export.dot_warnings(graph, hint)
        else:
            edges = len(graph.edges)
            if args.max_edges and edges > args.max_edges:
                raise ExportError(
                    f"the graph has {edges:,} edges even aggregated, more than --max-edges "
                    f"{args.max_edges:,}: Graphviz would take minutes to draw a picture nobody "
                    f"can read; {hint} (-o dot writes the text anyway)"
                )
            data, warnings = graph_export.render_image(
                graph_export.to_dot(graph), args.output, hint
            )
        for warning in warnings:
            print(f"warning: {warning}", file=err)
        if args.output_file:
            write_file_atomic(Path(args.output_file), data)
        elif isinstance(data, bytes):
            out.flush()
            sys.stdout.buffer.write(data)
        else:
            out.write(data)
    return EXIT_OK
