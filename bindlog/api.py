"""The library's front door: load -> evaluate -> Bindings, the calls the CLI makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from bindlog.adapters import Limits, Loaded, LoadOptions, load
from bindlog.engine.evaluate import Result, evaluate
from bindlog.errors import InputProblem
from bindlog.export.bindings import bindings


@dataclass(frozen=True, slots=True)
class Run:
    """One resolution: the engine result, the Bindings, and what to tell the user."""

    result: Result
    bindings: list[dict[str, Any]]
    warnings: tuple[InputProblem, ...]
    status_errors: dict[str, list[str]]


def resolve(
    paths: list[str],
    options: LoadOptions | None = None,
    stdin: BinaryIO | None = None,
    explain: bool = False,
    limits: Limits | None = None,
) -> Run:
    """Load manifests, evaluate the rules and build every Binding (with traces if `explain`)."""
    return run_loaded(load(paths, options, stdin, limits), explain)


def run_loaded(loaded: Loaded, explain: bool = False) -> Run:
    """Evaluate an already loaded input (files, a live cluster, or both)."""
    result = evaluate(loaded.snapshot)
    return Run(result, bindings(result, explain), loaded.warnings, result.status_errors())
