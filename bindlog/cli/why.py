"""`bindlog why`: why an object is (not) bound, what a WEC receives, what a policy selects;
`--expect bound|unbound` makes it a CI assertion."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

import yaml

from bindlog.cli.common import (
    EXIT_OK,
    Usage,
    input_args,
    load_checked,
    positive_int,
    selector_arg,
)
from bindlog.cli.output import output_args, render_templated
from bindlog.cli.parser import examples
from bindlog.model import Snapshot, WorkloadObject
from bindlog.textsafe import escape_terminal, needs_escape

FORMATS = ("text", "json", "yaml", "jsonpath")
EXIT_UNEXPECTED = 1


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "why",
        help="explain why an object is (or is not) bound, what a WEC receives, what a "
        "BindingPolicy selects",
        description="TARGET is TYPE/NAME or TYPE/NAMESPACE/NAME for a workload object (TYPE as "
        "kubectl takes it: plural, singular, Kind or short name, optionally .group; the ids "
        "bindlog prints, like deployments.apps/nginx/nginx, are accepted back), wec/NAME or "
        "bindingpolicy/NAME.",
        **examples(
            "bindlog why deploy/nginx -n nginx -f examples/nginx     # which WECs, through what",
            "bindlog why deployments.apps/nginx/nginx -f examples/nginx",
            "bindlog why deploy/nginx -n nginx --wec cloud1 -f examples/nginx   # why not",
            "bindlog why deploy/nginx -n nginx --wec cluster1 --proofs -f examples/nginx",
            "bindlog why deploy/nginx -n nginx --wec cluster1 --expect bound -f examples/nginx",
            "bindlog why wec/cluster1 -l app.kubernetes.io/name=nginx -f examples/nginx",
            "bindlog why bp/nginx -f examples/nginx -o json",
        ),
    )
    parser.add_argument("target", metavar="TARGET")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-n", "--namespace", help="namespace of the object")
    where.add_argument(
        "-A",
        "--all-namespaces",
        action="store_true",
        help="look for the object in every namespace (the default without -n)",
    )
    parser.add_argument("--wec", help="explain this WEC only: a proof if bound, why not otherwise")
    input_args(parser)
    selector_arg(parser, "workload objects")
    output_args(parser, FORMATS, "text", headers=False)
    parser.add_argument(
        "--proofs", action="store_true", help="print the full derivation of each binding"
    )
    parser.add_argument(
        "--expect",
        choices=("bound", "unbound"),
        help="exit 1 unless the object is bound (to --wec, or to some WEC) or unbound as said",
    )
    parser.add_argument("--proof-depth", type=positive_int, default=16, help="proof depth cap")
    parser.add_argument("--proof-nodes", type=positive_int, default=400, help="proof size cap")
    parser.set_defaults(handler=run, select_objects=True)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # Imported here, not with the CLI: the explainer brings the rule program's parser, which
    # other commands never use.
    from bindlog.analysis import why
    from bindlog.cli import names
    from bindlog.export import explain_render

    try:
        kind, namespace, name = names.parse_target(args.target)
    except ValueError as e:
        raise Usage(f"TARGET: {e}") from None
    if namespace is not None and args.namespace and namespace != args.namespace:
        raise Usage(f"TARGET names namespace {namespace!r} but -n says {args.namespace!r}")
    namespace = namespace or args.namespace
    is_wec, is_policy = kind.lower() in why.WEC_TYPES, kind.lower() in why.POLICY_TYPES
    if args.expect and (is_wec or is_policy):
        raise Usage("--expect applies to a workload object, not to a WEC or a BindingPolicy")
    found: list[WorkloadObject] = []

    def check(snapshot: Snapshot) -> None:
        # Every name is checked against the loaded input before the rules run.
        if args.wec:
            names.check_wec(snapshot, args.wec)
        if is_wec:
            names.check_wec(snapshot, name)
        elif is_policy:
            names.check_policy(snapshot, name)
        else:
            try:
                found.append(names.find_object(snapshot, kind, name, namespace))
            except why.LookupError_ as e:
                if args.selector is None:
                    raise
                raise why.LookupError_(
                    f"{e}; -l {args.selector.text} restricts the objects"
                ) from None

    # Only bound questions are asked: nothing is derived for the objects, WECs and policies
    # the question does not reach (bindlog/engine/bound.py).
    from bindlog.cli import warnings_report
    from bindlog.engine.bound import BoundModel

    loaded, snapshot = load_checked(args, err, check)
    verbosity = getattr(args, "verbosity", warnings_report.NORMAL)
    warnings_report.report(loaded.warnings, {}, err, verbosity)
    with args.progress.phase("evaluating"):
        model = BoundModel(snapshot)
    explainer = why.Explainer(model, args.proof_depth, args.proof_nodes)
    bound: bool | None = None
    if is_wec:
        wec_report = explainer.explain_wec(name)
        doc = explain_render.wec_report_json(wec_report)

        def render(style: explain_render.Style) -> str:
            return explain_render.wec_report_text(wec_report, style)

    elif is_policy:
        policy_report = explainer.explain_policy(name)
        doc = explain_render.policy_report_json(policy_report)

        def render(style: explain_render.Style) -> str:
            return explain_render.policy_report_text(policy_report, style)

    else:
        report = explainer.explain_object(found[0], args.wec, proofs=args.proofs)
        doc = explain_render.object_report_json(report, explainer.describer)

        def render(style: explain_render.Style) -> str:
            return explain_render.object_report_text(report, explainer.describer, style)

        bound = report.wec in report.bound if args.wec else bool(report.bound)
    kind_out = args.output.kind
    if kind_out == "json":
        out.write(explain_render.dumps(doc))
    elif kind_out == "yaml":
        out.write(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    elif kind_out == "jsonpath":
        out.write(render_templated(args.output, doc, [], True) or "")
    else:
        # Names and values are printed as the terminal should show them, not obey them: text
        # with controls is escaped, and then printed without colour (the escapes would eat its
        # codes).
        text = render(explain_render.Style(False))
        if needs_escape(text):
            text = escape_terminal(text)
        elif out.isatty() and not os.environ.get("NO_COLOR"):
            text = render(explain_render.Style(True))
        out.write(text)
    if args.expect and bound is not None and bound != (args.expect == "bound"):
        where = f"WEC {args.wec}" if args.wec else "any WEC"
        state = "bound" if bound else "not bound"
        print(
            f"bindlog: expected {args.target} {args.expect} to {where}, but it is {state}", file=err
        )
        return EXIT_UNEXPECTED
    return EXIT_OK
