"""`bindlog graph`: the policy -> WEC and policy -> object graph as dot, mermaid, svg or png."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from bindlog.cli.common import EXIT_OK, Usage, input_args, run_resolution
from bindlog.export.write import write_file_atomic


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "graph", help="the policy -> WEC and policy -> object graph (dot, mermaid, svg, png)"
    )
    input_args(parser)
    parser.add_argument("-o", "--output", choices=("dot", "mermaid", "svg", "png"), default="dot")
    parser.add_argument("--object", metavar="TYPE/NAME", help="only around this object")
    parser.add_argument("-n", "--namespace", help="namespace of --object")
    parser.add_argument("--wec", help="only around this WEC")
    parser.add_argument("--policy", help="only around this BindingPolicy")
    parser.add_argument("--output-file", metavar="FILE", help="write to FILE atomically")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # Imported here, not with the CLI: only this command uses networkx.
    from bindlog.analysis import why
    from bindlog.export import graph as graph_export

    result = run_resolution(args, err)
    obj = None
    if args.object:
        kind, slash, name = args.object.partition("/")
        if not slash or not kind or not name:
            raise Usage(f"--object must be TYPE/NAME, not {args.object!r}")
        obj = why.find_object(result.result, kind, name, args.namespace)
    graph = graph_export.build_graph(result.result)
    if obj or args.wec or args.policy:
        graph = graph_export.focus(graph, obj, args.wec, args.policy)
    if args.output == "mermaid":
        data: str | bytes = graph_export.to_mermaid(graph)
    elif args.output == "dot":
        data = graph_export.to_dot(graph)
    else:
        data = graph_export.render_image(graph_export.to_dot(graph), args.output)
    if args.output_file:
        write_file_atomic(Path(args.output_file), data)
    elif isinstance(data, bytes):
        if out.isatty():
            raise Usage(f"refusing to write {args.output} to a terminal: use --output-file")
        out.flush()
        sys.stdout.buffer.write(data)
    else:
        out.write(data)
    return EXIT_OK
