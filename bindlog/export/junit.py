"""Placement test outcomes as JUnit XML, the format CI systems show as a test report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from bindlog.analysis.placement_tests import Outcome


def junit_xml(outcomes: Sequence[Outcome]) -> str:
    root = ET.Element("testsuites", name="bindlog")
    suites: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        suites.setdefault(outcome.path, []).append(outcome)
    for path, members in suites.items():
        failures = sum(1 for o in members if not o.passed)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=members[0].suite,
            file=path,
            tests=str(len(members)),
            failures=str(failures),
            errors="0",
            skipped="0",
        )
        for o in members:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=o.suite,
                name=o.case.name,
                file=path,
                line=str(o.case.line),
            )
            if not o.passed:
                failure = ET.SubElement(case, "failure", message=o.detail, type="PlacementMismatch")
                failure.text = o.detail
    root.set("tests", str(len(outcomes)))
    root.set("failures", str(sum(1 for o in outcomes if not o.passed)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
