"""Command line: parse arguments, call the library, render, pick the exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bindlog import api
from bindlog.adapters import Limits, LoadOptions
from bindlog.adapters.resources import parse_resource_map
from bindlog.analysis import why
from bindlog.errors import BindlogError, InputError
from bindlog.export import explain_render, render
from bindlog.export import graph as graph_export
from bindlog.export.write import write_directory_atomic, write_file_atomic

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _input_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-f",
        "--filename",
        action="append",
        required=True,
        metavar="PATH",
        help="manifest file, directory (recursive) or - for stdin; repeatable",
    )
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
        type=_size,
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bindlog",
        description="Resolve KubeStellar BindingPolicies into Bindings with Datalog rules.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    resolve = sub.add_parser("resolve", help="compute the Binding of every BindingPolicy")
    _input_args(resolve)
    resolve.add_argument("-o", "--output", choices=("yaml", "json", "table"), default="yaml")
    resolve.add_argument(
        "--output-dir",
        metavar="DIR",
        help="write one file per Binding into DIR, replacing it whole",
    )
    resolve.add_argument(
        "--output-file",
        metavar="FILE",
        help="write the output to FILE atomically instead of stdout",
    )
    resolve.add_argument(
        "--explain",
        action="store_true",
        help="annotate each Binding with the clauses and clusterSelectors that matched "
        "(annotation bindlog.kubestellar.io/explain, JSON)",
    )
    status = sub.add_parser(
        "status", help="what KubeStellar would write into each BindingPolicy's status.errors"
    )
    _input_args(status)
    status.add_argument("-o", "--output", choices=("text", "json"), default="text")
    why = sub.add_parser(
        "why",
        help="explain why an object is (or is not) bound, what a WEC receives, what a "
        "BindingPolicy selects",
        description="TARGET is TYPE/NAME for a workload object (TYPE as kubectl takes it: "
        "plural, singular, Kind or short name, optionally .group), wec/NAME or "
        "bindingpolicy/NAME.",
    )
    why.add_argument("target", metavar="TARGET")
    why.add_argument("-n", "--namespace", help="namespace of the object")
    why.add_argument("--wec", help="explain this WEC only: a proof if bound, why not otherwise")
    _input_args(why)
    why.add_argument("-o", "--output", choices=("text", "json"), default="text")
    why.add_argument("--proof-depth", type=int, default=16, help="proof depth cap")
    why.add_argument("--proof-nodes", type=int, default=400, help="proof size cap")
    graph_cmd = sub.add_parser(
        "graph", help="the policy -> WEC and policy -> object graph (dot, mermaid, svg, png)"
    )
    _input_args(graph_cmd)
    graph_cmd.add_argument(
        "-o", "--output", choices=("dot", "mermaid", "svg", "png"), default="dot"
    )
    graph_cmd.add_argument("--object", metavar="TYPE/NAME", help="only around this object")
    graph_cmd.add_argument("-n", "--namespace", help="namespace of --object")
    graph_cmd.add_argument("--wec", help="only around this WEC")
    graph_cmd.add_argument("--policy", help="only around this BindingPolicy")
    graph_cmd.add_argument("--output-file", metavar="FILE", help="write to FILE atomically")
    return parser


def _run(args: argparse.Namespace, err: TextIO, explain: bool = False) -> api.Run:
    run = api.resolve(
        args.filename, args.options, stdin=sys.stdin.buffer, explain=explain, limits=args.limits
    )
    for warning in run.warnings:
        print(f"warning: {warning}", file=err)
    return run


def _size(text: str) -> int:
    units = {"": 1, "k": 1000, "ki": 1024, "m": 1000**2, "mi": 1024**2, "g": 1000**3, "gi": 1024**3}
    number = text.rstrip("KMGikmgBb")
    unit = text[len(number) :].lower().removesuffix("b")
    if not number.isdigit() or unit not in units:
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (e.g. 64Mi, 100M, 5000000)")
    return int(number) * units[unit]


def _options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> LoadOptions:
    mapping: dict[tuple[str, str], str] = {}
    for text in args.resource_map:
        try:
            key, plural = parse_resource_map(text)
        except ValueError as e:
            parser.error(str(e))
        mapping[key] = plural
    return LoadOptions(mapping, args.guess_resources, args.default_namespace)


def _resolve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.output == "table" and args.output_dir:
        raise _Usage("--output-dir writes Binding documents: use -o yaml or -o json")
    if args.output_dir and args.output_file:
        raise _Usage("--output-dir and --output-file cannot be combined")
    run = _run(args, err, explain=args.explain)
    for name, errors in sorted(run.status_errors.items()):
        for text in errors:
            print(f"warning: BindingPolicy/{name}: status.errors: {text}", file=err)
    if args.output_dir:
        ext, dump = (".json", render.one_json) if args.output == "json" else (".yaml", _yaml1)
        files = {f"{b['metadata']['name']}{ext}": dump(b) for b in run.bindings}
        write_directory_atomic(Path(args.output_dir), files)
        print(f"wrote {len(files)} Binding(s) to {args.output_dir}", file=err)
        return EXIT_OK
    text = {"yaml": render.to_yaml, "json": render.to_json, "table": render.to_table}[args.output](
        run.bindings
    )
    if args.output_file:
        write_file_atomic(Path(args.output_file), text)
    else:
        out.write(text)
    return EXIT_OK


def _yaml1(doc: dict[str, object]) -> str:
    return render.to_yaml([doc])


def _status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    run = _run(args, err)
    report = {
        name: {"errors": run.status_errors.get(name, [])}
        for name in sorted(b["metadata"]["name"] for b in run.bindings)
    }
    if args.output == "json":
        out.write(json.dumps(report, indent=2) + "\n")
    else:
        for name, status in report.items():
            errors = status["errors"]
            out.write(f"BindingPolicy/{name}: {'ok' if not errors else ''}\n")
            for text in errors:
                out.write(f"  error: {text}\n")
    return EXIT_OK


def _why(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kind, slash, name = args.target.partition("/")
    if not slash or not kind or not name:
        raise _Usage(f"TARGET must be TYPE/NAME, not {args.target!r}")
    run = _run(args, err)
    explainer = why.Explainer(run.result, args.proof_depth, args.proof_nodes)
    style = explain_render.Style(out.isatty() and not os.environ.get("NO_COLOR"))
    render_json = args.output == "json"
    if kind.lower() in why.WEC_TYPES:
        wec_report = explainer.explain_wec(name)
        text = (
            explain_render.dumps(explain_render.wec_report_json(wec_report))
            if render_json
            else explain_render.wec_report_text(wec_report, style)
        )
    elif kind.lower() in why.POLICY_TYPES:
        policy_report = explainer.explain_policy(name)
        text = (
            explain_render.dumps(explain_render.policy_report_json(policy_report))
            if render_json
            else explain_render.policy_report_text(policy_report, style)
        )
    else:
        obj = why.find_object(run.result, kind, name, args.namespace)
        report = explainer.explain_object(obj, args.wec)
        text = (
            explain_render.dumps(explain_render.object_report_json(report, explainer.describer))
            if render_json
            else explain_render.object_report_text(report, explainer.describer, style)
        )
    out.write(text)
    return EXIT_OK


def _graph(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    run = _run(args, err)
    obj = None
    if args.object:
        kind, slash, name = args.object.partition("/")
        if not slash or not kind or not name:
            raise _Usage(f"--object must be TYPE/NAME, not {args.object!r}")
        obj = why.find_object(run.result, kind, name, args.namespace)
    graph = graph_export.build_graph(run.result)
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
            raise _Usage(f"refusing to write {args.output} to a terminal: use --output-file")
        out.flush()
        sys.stdout.buffer.write(data)
    else:
        out.write(data)
    return EXIT_OK


class _Usage(Exception):
    pass


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    args.options = _options(args, parser)
    args.limits = Limits(args.max_file_size, args.max_document_nodes, args.max_nesting)
    handler = {"resolve": _resolve, "status": _status, "why": _why, "graph": _graph}[args.command]
    try:
        return handler(args, out, err)
    except _Usage as e:
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
