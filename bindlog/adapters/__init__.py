"""Input adapters: manifests (files, directories, stdin) -> Snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from bindlog.adapters.manifests import LoadOptions, build_snapshot
from bindlog.adapters.yaml_files import Document, Limits, read_documents
from bindlog.errors import InputError, InputProblem
from bindlog.gcpause import no_gc
from bindlog.model import Snapshot


@dataclass(frozen=True, slots=True)
class Loaded:
    snapshot: Snapshot
    warnings: tuple[InputProblem, ...]  # tolerated problems (skipped selectors, empty files)
    # The CustomResourceDefinition documents read: manifests added later (what-if) map kinds
    # through them as the first load did.
    crds: tuple[Document, ...] = ()


def load(
    paths: list[str],
    options: LoadOptions | None = None,
    stdin: BinaryIO | None = None,
    limits: Limits | None = None,
) -> Loaded:
    """Read and validate every manifest in `paths` ("-" is stdin); raises InputError with all
    problems found, in file and document order."""
    problems: list[InputProblem] = []
    warnings: list[InputProblem] = []
    with no_gc():
        documents = list(read_documents(paths, problems, stdin, limits, warnings))
        if not documents and not problems:
            problems.append(InputProblem(None, "", "", "no manifests found in the input"))
        try:
            snapshot, more_warnings = build_snapshot(documents, options)
        except InputError as e:
            raise InputError([*problems, *e.problems]) from None
    if problems:
        raise InputError(problems)
    crds = tuple(d for d in documents if d.body.get("kind") == "CustomResourceDefinition")
    return Loaded(snapshot, (*warnings, *more_warnings), crds)


__all__ = ["Limits", "LoadOptions", "Loaded", "load"]
