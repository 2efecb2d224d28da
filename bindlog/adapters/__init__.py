"""Input adapters: manifests (files, directories, stdin) -> Snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from bindlog.adapters.manifests import LoadOptions, Warning_, build_snapshot
from bindlog.adapters.yaml_files import read_documents
from bindlog.errors import InputError, InputProblem
from bindlog.model import Snapshot


@dataclass(frozen=True, slots=True)
class Loaded:
    snapshot: Snapshot
    warnings: tuple[Warning_, ...]


def load(
    paths: list[str], options: LoadOptions | None = None, stdin: TextIO | None = None
) -> Loaded:
    """Read and validate every manifest in `paths` ("-" is stdin); raises InputError with all
    problems found, in file and document order."""
    problems: list[InputProblem] = []
    documents = list(read_documents(paths, problems, stdin))
    try:
        snapshot, warnings = build_snapshot(documents, options)
    except InputError as e:
        raise InputError([*problems, *e.problems]) from None
    if problems:
        raise InputError(problems)
    return Loaded(snapshot, tuple(warnings))


__all__ = ["LoadOptions", "Loaded", "Warning_", "load"]
