"""Warnings sized for people: by default one line per policy (or other object) with a count,
`-v` every warning in full, `-q` none."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from bindlog.errors import InputProblem

QUIET, NORMAL, VERBOSE = -1, 0, 1


def report(
    problems: Iterable[InputProblem],
    status_errors: dict[str, list[str]],
    err: TextIO,
    verbosity: int,
) -> None:
    if verbosity <= QUIET:
        return
    groups: dict[str, list[str]] = {}
    for problem in problems:
        groups.setdefault(problem.obj or f"#{len(groups)}", []).append(str(problem))
    for name, errors in status_errors.items():
        key = f"BindingPolicy/{name}"
        groups.setdefault(key, []).extend(f"{key}: status.errors: {e}" for e in errors)
    if verbosity >= VERBOSE:
        for lines in groups.values():
            for line in lines:
                print(f"warning: {line}", file=err)
        return
    hidden = 0
    for key, lines in groups.items():
        first = lines[0]
        more = len(lines) - 1
        hidden += more
        suffix = f" (+{more} more warning(s) about {key})" if more else ""
        print(f"warning: {first}{suffix}", file=err)
    if hidden:
        total = sum(len(lines) for lines in groups.values())
        print(
            f"bindlog: {total} warnings shown as {len(groups)}; -v shows every one, -q none",
            file=err,
        )
