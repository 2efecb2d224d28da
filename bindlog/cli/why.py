"""`bindlog why`: why an object is (not) bound, what a WEC receives, what a policy selects."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

from bindlog.cli.common import EXIT_OK, Usage, input_args, positive_int, run_resolution
from bindlog.textsafe import escape_terminal, needs_escape


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "why",
        help="explain why an object is (or is not) bound, what a WEC receives, what a "
        "BindingPolicy selects",
        description="TARGET is TYPE/NAME for a workload object (TYPE as kubectl takes it: "
        "plural, singular, Kind or short name, optionally .group), wec/NAME or "
        "bindingpolicy/NAME.",
    )
    parser.add_argument("target", metavar="TARGET")
    parser.add_argument("-n", "--namespace", help="namespace of the object")
    parser.add_argument("--wec", help="explain this WEC only: a proof if bound, why not otherwise")
    input_args(parser)
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.add_argument("--proof-depth", type=positive_int, default=16, help="proof depth cap")
    parser.add_argument("--proof-nodes", type=positive_int, default=400, help="proof size cap")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kind, slash, name = args.target.partition("/")
    if not slash or not kind or not name:
        raise Usage(f"TARGET must be TYPE/NAME, not {args.target!r}")
    # Imported here, not with the CLI: the explainer brings the rule program's parser (and
    # networkx), which other commands never use.
    from bindlog.analysis import why
    from bindlog.export import explain_render

    result = run_resolution(args, err)
    explainer = why.Explainer(result.result, args.proof_depth, args.proof_nodes)
    render_json = args.output == "json"
    if kind.lower() in why.WEC_TYPES:
        wec_report = explainer.explain_wec(name)

        def render(style: explain_render.Style) -> str:
            if render_json:
                return explain_render.dumps(explain_render.wec_report_json(wec_report))
            return explain_render.wec_report_text(wec_report, style)

    elif kind.lower() in why.POLICY_TYPES:
        policy_report = explainer.explain_policy(name)

        def render(style: explain_render.Style) -> str:
            if render_json:
                return explain_render.dumps(explain_render.policy_report_json(policy_report))
            return explain_render.policy_report_text(policy_report, style)

    else:
        obj = why.find_object(result.result, kind, name, args.namespace)
        report = explainer.explain_object(obj, args.wec)

        def render(style: explain_render.Style) -> str:
            if render_json:
                return explain_render.dumps(
                    explain_render.object_report_json(report, explainer.describer)
                )
            return explain_render.object_report_text(report, explainer.describer, style)

    # Names and values are printed as the terminal should show them, not obey them: text with
    # controls is escaped, and then printed without colour (the escapes would eat its codes).
    text = render(explain_render.Style(False))
    if not render_json and needs_escape(text):
        text = escape_terminal(text)
    elif not render_json and out.isatty() and not os.environ.get("NO_COLOR"):
        text = render(explain_render.Style(True))
    out.write(text)
    return EXIT_OK
