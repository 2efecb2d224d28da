"""`bindlog status`: what KubeStellar would write into each BindingPolicy's status.errors;
`--exit-code` makes it a CI gate."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

import yaml

from bindlog.cli.common import EXIT_OK, input_args, run_resolution, selector_arg
from bindlog.cli.output import output_args, render_templated
from bindlog.cli.parser import examples
from bindlog.export import columns

FORMATS = ("text", "json", "yaml", "table", "name", "jsonpath")
EXIT_POLICY_ERRORS = 1  # --exit-code: like `git diff --exit-code`, and `why --expect`
POLICY_RESOURCE = "bindingpolicy.control.kubestellar.io"


def register(sub: Any) -> None:
    status = sub.add_parser(
        "status",
        help="what KubeStellar would write into each BindingPolicy's status.errors",
        description="What KubeStellar would write into each BindingPolicy's status.errors. "
        f"With --exit-code, exit {EXIT_POLICY_ERRORS} when any policy has errors.",
        **examples(
            "bindlog status -f examples/nginx",
            "bindlog status -f examples/nginx --exit-code -q      # a CI gate",
            "bindlog status -f examples/nginx -o jsonpath='{.nginx.errors}'",
        ),
    )
    input_args(status)
    selector_arg(status, "BindingPolicies")
    output_args(status, FORMATS, "text")
    status.add_argument(
        "--exit-code",
        action="store_true",
        help=f"exit {EXIT_POLICY_ERRORS} when any BindingPolicy has status errors",
    )
    status.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    result = run_resolution(args, err)
    # KubeStellar writes the status of every policy whose sync succeeds, Binding or not.
    synced = (res.policy.name for _, res in result.result.items() if not res.invalid)
    names = columns.natural_sorted(synced)
    report = {name: {"errors": result.status_errors.get(name, [])} for name in names}
    kind = args.output.kind
    if kind == "json":
        out.write(json.dumps(report, indent=2) + "\n")
    elif kind == "yaml":
        out.write(yaml.safe_dump(report, sort_keys=False))
    elif kind == "name":
        out.writelines(f"{POLICY_RESOURCE}/{name}\n" for name in names)
    elif kind == "table":
        rows = [[n, str(len(s["errors"])), _first(s["errors"])] for n, s in report.items()]
        headers = None if args.no_headers else ["NAME", "ERRORS", "FIRST-ERROR"]
        out.write(columns.format_table(rows, headers))
    elif kind == "jsonpath":
        out.write(render_templated(args.output, report, [], True) or "")
    else:
        for name, status in report.items():
            errors = status["errors"]
            out.write(f"BindingPolicy/{name}: {'ok' if not errors else ''}\n")
            for text in errors:
                out.write(f"  error: {text}\n")
    failing = [name for name, status in report.items() if status["errors"]]
    if args.exit_code and failing:
        print(f"bindlog: {len(failing)} BindingPolicy(ies) with status errors", file=err)
        return EXIT_POLICY_ERRORS
    return EXIT_OK


def _first(errors: list[str]) -> str:
    if not errors:
        return "<none>"
    return errors[0] if len(errors[0]) <= 80 else errors[0][:79] + "…"
