"""`bindlog resolve`: every Binding, as YAML, JSON, a table, files or a directory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from bindlog.cli.common import EXIT_OK, Usage, input_args, run_resolution
from bindlog.export import render
from bindlog.export.write import write_directory_atomic, write_file_atomic


def register(sub: Any) -> None:
    resolve = sub.add_parser("resolve", help="compute the Binding of every BindingPolicy")
    input_args(resolve)
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
    resolve.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.output == "table" and args.output_dir:
        raise Usage("--output-dir writes Binding documents: use -o yaml or -o json")
    if args.output_dir and args.output_file:
        raise Usage("--output-dir and --output-file cannot be combined")
    result = run_resolution(args, err, explain=args.explain)
    for name, errors in sorted(result.status_errors.items()):
        for text in errors:
            print(f"warning: BindingPolicy/{name}: status.errors: {text}", file=err)
    if args.output_dir:
        ext, dump = (".json", render.one_json) if args.output == "json" else (".yaml", _yaml1)
        files = {f"{b['metadata']['name']}{ext}": dump(b) for b in result.bindings}
        write_directory_atomic(Path(args.output_dir), files)
        print(f"wrote {len(files)} Binding(s) to {args.output_dir}", file=err)
        return EXIT_OK
    if not args.output_file and args.output != "table":
        # Streamed, one Binding at a time: the whole text is never held (memory at L).
        (render.write_json if args.output == "json" else render.write_yaml)(result.bindings, out)
        return EXIT_OK
    text = {"yaml": render.to_yaml, "json": render.to_json, "table": render.to_table}[args.output](
        result.bindings
    )
    if args.output_file:
        write_file_atomic(Path(args.output_file), text)
    else:
        out.write(text)
    return EXIT_OK


def _yaml1(doc: dict[str, object]) -> str:
    return render.to_yaml([doc])
