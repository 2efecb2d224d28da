"""`bindlog test DIR`: run the placement unit tests (bindlog-test.yaml files) found in DIR,
print a pass/fail table, optionally JUnit XML and GitHub annotations; exit 1 on any failure."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from bindlog.analysis import placement_tests
from bindlog.cli import names, warnings_report
from bindlog.cli.common import EXIT_OK, input_args, limits_from
from bindlog.cli.output import output_args
from bindlog.cli.parser import examples
from bindlog.cli.progress import Progress
from bindlog.export import columns, junit
from bindlog.export.write import write_file_atomic

EXIT_FAILED = 1


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "test",
        help="run placement unit tests (bindlog-test.yaml) against the manifests beside them",
        description="Run the placement unit tests in every bindlog-test.yaml under DIR (or in "
        "FILE): each lists objects that must (not) reach WECs, the objects a WEC receives and "
        "the content of Bindings. Exit 1 when any test fails. See "
        "examples/placement-tests/ for the format.",
        **examples(
            "bindlog test examples/placement-tests/pass",
            "bindlog test examples/placement-tests --junit report.xml   # JUnit XML for CI",
            "GITHUB_ACTIONS=true bindlog test examples/placement-tests  # ::error annotations",
            "# (the last two exit 1: examples/placement-tests/fail fails on purpose)",
        ),
    )
    parser.add_argument("target", metavar="DIR", help="directory (searched recursively) or file")
    input_args(parser, filename=False)
    output_args(parser, ("table", "wide"), "table")
    parser.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report to FILE")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    limits = limits_from(args)
    progress = Progress(err)
    suites = [
        placement_tests.read_suite(path, limits)
        for path in placement_tests.find_test_files(args.target)
    ]
    outcomes: list[placement_tests.Outcome] = []
    for suite in suites:
        with progress.phase(f"testing {suite.name}"):
            outcomes.extend(
                placement_tests.run_suite(
                    suite,
                    names.find_object,
                    args.options,
                    limits,
                    lambda found: warnings_report.report(found, {}, err, args.verbosity),
                )
            )
    wide = args.output.kind == "wide"
    rows = []
    for o in outcomes:
        row = [o.suite, o.case.name, "pass" if o.passed else "FAIL", o.detail]
        if wide:
            row.insert(0, f"{o.path}:{o.case.line}")
        rows.append(row)
    head = ["SUITE", "TEST", "RESULT", "DETAIL"]
    if wide:
        head.insert(0, "WHERE")
    out.write(columns.format_table(rows, None if args.no_headers else head))
    failed = [o for o in outcomes if not o.passed]
    print(
        f"{len(outcomes) - len(failed)} passed, {len(failed)} failed ({len(suites)} suite(s))",
        file=err,
    )
    if args.junit:
        write_file_atomic(Path(args.junit), junit.junit_xml(outcomes))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for o in failed:
            out.write(github_annotation(o) + "\n")
    return EXIT_FAILED if failed else EXIT_OK


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(o: placement_tests.Outcome) -> str:
    """A workflow command GitHub Actions turns into an error on the test file's line."""
    props = (
        f"file={_escape_property(o.path)},line={o.case.line},"
        f"title={_escape_property(f'bindlog test: {o.case.name}')}"
    )
    return f"::error {props}::{_escape_data(o.detail)}"
