"""`bindlog resolve`: every Binding, as YAML, JSON, a table, names, a JSONPath template,
custom columns, files or a directory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from bindlog.cli.common import EXIT_OK, Usage, input_args, run_resolution, selector_arg
from bindlog.cli.output import output_args, render_templated
from bindlog.cli.parser import examples
from bindlog.export import render
from bindlog.export.write import file_names, write_directory_atomic, write_file_atomic

FORMATS = ("yaml", "json", "table", "wide", "name", "jsonpath", "custom-columns")


def register(sub: Any) -> None:
    resolve = sub.add_parser(
        "resolve",
        help="compute the Binding of every BindingPolicy",
        description="Compute the Binding KubeStellar derives from every BindingPolicy.",
        **examples(
            "bindlog resolve -f examples/nginx                     # YAML stream of Bindings",
            "bindlog resolve -f examples/nginx -o wide             # counts and WEC names",
            "bindlog resolve -f examples/nginx -o name",
            "bindlog resolve -f examples/nginx -l owner=web-team   # policies labelled so",
            "bindlog resolve -f examples/nginx \\",
            '    -o jsonpath=\'{range .items[*]}{.metadata.name}{"\\t"}'
            '{.spec.destinations[*].clusterId}{"\\n"}{end}\'',
            "bindlog resolve -f examples/nginx \\",
            "    -o custom-columns=NAME:.metadata.name,WECS:.spec.destinations[*].clusterId",
            "bindlog resolve -f examples/nginx --output-dir out/   # one file per Binding",
        ),
    )
    input_args(resolve)
    selector_arg(resolve, "BindingPolicies")
    output_args(resolve, FORMATS, "yaml")
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
    resolve.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kind = args.output.kind
    if args.output_dir and kind not in ("yaml", "json"):
        raise Usage("--output-dir writes Binding documents: use -o yaml or -o json")
    if args.output_dir and args.output_file:
        raise Usage("--output-dir and --output-file cannot be combined")
    result = run_resolution(args, err, explain=args.explain, status_warnings=True)
    with args.progress.phase("writing"):
        if args.output_dir:
            ext, dump = (".json", render.one_json) if kind == "json" else (".yaml", _yaml1)
            names = file_names([b["metadata"]["name"] for b in result.bindings], ext)
            files = {names[b["metadata"]["name"]]: dump(b) for b in result.bindings}
            for name, file_name in names.items():
                if file_name != f"{name}{ext}":
                    print(f"note: Binding {name} written to {file_name}: name too long", file=err)
            write_directory_atomic(Path(args.output_dir), files)
            print(f"wrote {len(files)} Binding(s) to {args.output_dir}", file=err)
            return EXIT_OK
        text = format_bindings(result.bindings, args)
        if args.output_file:
            write_file_atomic(Path(args.output_file), text)
        else:
            out.write(text)
    return EXIT_OK


def format_bindings(docs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    kind, headers = args.output.kind, not args.no_headers
    if kind in ("table", "wide", "name"):
        from bindlog.export import columns  # and JSONPath with it: only these formats use them

        if kind == "name":
            return columns.names(docs)
        return columns.bindings_table(docs, wide=kind == "wide", headers=headers)
    if kind == "yaml":
        return render.to_yaml(docs)
    as_list = {"apiVersion": "v1", "kind": "List", "items": docs}
    templated = render_templated(args.output, as_list, docs, headers)
    return templated if templated is not None else render.to_json(docs)


def _yaml1(doc: dict[str, object]) -> str:
    return render.to_yaml([doc])
