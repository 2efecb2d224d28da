"""`bindlog what-if`: how the Bindings would change under labels, manifests and deletions.

Exit codes follow `git diff` / `kubectl diff` with `--exit-code`: 0 no Binding changes, 1 some
Binding changes, 2 bad input or usage. Without `--exit-code` a successful run exits 0 whatever
changes, and bad input exits 1 like every other command.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from bindlog.analysis.whatif import (
    LoadedModel,
    Outcome,
    PairExplanation,
    Scenario,
    explain_pairs,
    load_model,
    notes,
    read_scenarios,
)
from bindlog.changes import Change, ChangeSet
from bindlog.cli import warnings_report
from bindlog.cli.common import EXIT_OK, Usage, input_args
from bindlog.cli.diff import EXIT_CHANGED, dumps_json, dumps_yaml, report_errors
from bindlog.errors import InputProblem
from bindlog.export import explain_render
from bindlog.export.diff import diff_json, diff_text


def register(sub: Any) -> None:
    p = sub.add_parser(
        "what-if",
        help="show how the Bindings would change if labels, objects or policies changed",
        description="Apply changes to the loaded input, without touching it, and print how "
        "the Bindings would change. Changes apply in this order: --apply-file, --delete, "
        "--label. TYPE is as `bindlog why` takes it: wec, namespace/ns, bindingpolicy/bp, "
        "or a workload type (deploy, configmaps, widgets.example.com, ...).",
    )
    input_args(p)
    p.add_argument(
        "--label",
        action="append",
        nargs="+",
        default=[],
        metavar=("TYPE/NAME", "KEY=VALUE|KEY-"),
        help="set (KEY=VALUE) or remove (KEY-) labels of a WEC, Namespace or object; repeatable",
    )
    p.add_argument(
        "--delete", action="append", default=[], metavar="TYPE/NAME", help="delete; repeatable"
    )
    p.add_argument(
        "-n",
        "--namespace",
        action=_Namespace,
        nargs="+",
        metavar=("NS", "KEY=VALUE|KEY-"),
        help="namespace of the objects --label and --delete name (one per command, as in "
        "kubectl); may stand between a --label target and its labels",
    )
    p.add_argument(
        "--apply-file",
        action="append",
        default=[],
        metavar="FILE",
        help="manifests to add or replace (as kubectl apply would); repeatable",
    )
    p.add_argument(
        "--scenarios",
        metavar="FILE",
        help="YAML list of independent scenarios, each answered against the same input",
    )
    p.add_argument("-o", "--output", choices=("text", "yaml", "json"), default="text")
    p.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when some Binding changes, 0 when none, 2 on bad input or usage",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="attach a proof to each (object, WEC) pair added, a refutation to each removed",
    )
    p.add_argument(
        "--explain-limit",
        type=int,
        default=20,
        metavar="N",
        help="explain at most N pairs per scenario (default: %(default)s)",
    )
    p.set_defaults(handler=run)


class _Namespace(argparse.Action):
    """`-n NS`, allowing kubectl's `--label TYPE/NAME -n NS KEY=VALUE`: the labels after NS
    belong to the --label before it."""

    def __call__(
        self, parser: argparse.ArgumentParser, ns: argparse.Namespace, values: Any, _: Any = None
    ) -> None:
        namespace, *edits = values
        if ns.namespace is not None and ns.namespace != namespace:
            parser.error("one namespace per command (-n): use --scenarios for several")
        ns.namespace = namespace
        if edits:
            if not ns.label:
                parser.error(f"{edits[0]!r} after -n {namespace} follows no --label TYPE/NAME")
            ns.label[-1] = [*ns.label[-1], *edits]


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with report_errors(err, exit_code=2 if args.exit_code else None) as failed:
        code = _run(args, out, err)
    return failed.code if failed.code is not None else code


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    inline = bool(args.label or args.delete or args.apply_file)
    if args.scenarios and inline:
        raise Usage("--scenarios cannot be combined with --label, --delete or --apply-file")
    if not args.scenarios and not inline:
        raise Usage("nothing to try: give --label, --delete, --apply-file or --scenarios")
    if "-" in args.apply_file and "-" in args.filename:
        raise Usage("stdin (-) can be read by -f or by --apply-file, not both")
    loaded = load_model(args.filename, args.options, sys.stdin.buffer, args.limits)
    verbosity = getattr(args, "verbosity", warnings_report.NORMAL)
    warnings_report.report(loaded.warnings, {}, err, verbosity)  # -v / -q, as other commands
    if args.scenarios:
        scenarios = read_scenarios(args.scenarios, loaded, args.limits)
    else:
        scenarios = [Scenario("", inline_changes(args, loaded, err))]
    # One scenario at a time: an outcome holds a whole evaluated model, so none is kept.
    changed, docs = False, []
    for scenario in scenarios:
        outcome = loaded.what_if(scenario.changes)
        changed = changed or outcome.diff.changed
        if args.output == "text":
            out.write(_text(scenario, outcome, args))
        else:
            docs.append(_doc(scenario, outcome, args))
        del outcome
    if args.output != "text":
        doc = {"scenarios": docs} if args.scenarios else docs[0]
        out.write(dumps_json(doc) if args.output == "json" else dumps_yaml(doc))
    return EXIT_CHANGED if args.exit_code and changed else EXIT_OK


def inline_changes(
    args: argparse.Namespace, loaded: LoadedModel, err: TextIO = sys.stderr
) -> ChangeSet:
    changes: list[Change] = []
    if args.apply_file:
        warnings: list[InputProblem] = []
        changes.extend(loaded.manifests(args.apply_file, sys.stdin.buffer, args.limits, warnings))
        verbosity = getattr(args, "verbosity", warnings_report.NORMAL)
        warnings_report.report(warnings, {}, err, verbosity)
    changes.extend(loaded.delete(target, args.namespace) for target in args.delete)
    for target, *edits in args.label:
        changes.append(loaded.label(target, *edits, namespace=args.namespace))
    return ChangeSet(tuple(changes))


def _doc(scenario: Scenario, outcome: Outcome, args: argparse.Namespace) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": scenario.name} if args.scenarios else {}
    doc.update(diff_json(outcome.diff))
    doc["notes"] = notes(outcome)
    if args.explain:
        explained, left_out = explain_pairs(outcome, args.explain_limit)
        doc["explanations"] = [_explanation_json(e) for e in explained]
        doc["explanationsLeftOut"] = left_out
    return doc


def _explanation_json(e: PairExplanation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "binding": e.binding,
        "object": e.object.json(),
        "wec": e.wec,
        "pair": "added" if e.added else "removed",
    }
    if e.note is not None:
        out["note"] = e.note
    if e.report is not None:
        out["explanation"] = explain_render.object_report_json(e.report, e.describer)
    return out


def _text(scenario: Scenario, outcome: Outcome, args: argparse.Namespace) -> str:
    text = diff_text(outcome.diff)
    if args.scenarios:
        text = f"scenario {scenario.name}: {text}"
    text += "".join(f"note: {note}\n" for note in notes(outcome))
    if args.explain:
        explained, left_out = explain_pairs(outcome, args.explain_limit)
        style = explain_render.Style(False)
        for e in explained:
            sign = "+" if e.added else "-"
            text += f"{sign} {e.object} on WEC {e.wec} (Binding {e.binding}):\n"
            if e.note is not None:
                text += f"    {e.note}\n"
            if e.report is not None:
                body = explain_render.object_report_text(e.report, e.describer, style)
                text += "".join(f"    {line}\n" for line in body.splitlines())
        if left_out:
            text += f"... {left_out} more pair(s) not explained (see --explain-limit)\n"
    return text
