"""Namespaces the input does not hold, where namespaceSelectors would test them.

The input is the whole WDS as far as bindlog knows: an object whose Namespace object is absent
fails every clause whose namespaceSelectors KubeStellar tests (the GET of the Namespace fails,
selectors.go 168-177; spec E7). Users who export only their own namespaces meet this with
`default`, so it is worth a warning, once per namespace. Nothing here invents a Namespace.

The test is made from the snapshot alone: a clause tests the Namespace of an object in NS when
its namespaceSelectors list is non-empty with no `{}` entry (ALabelSelectorIsEmpty passes
everything) and its namespaces list admits NS (that test comes first in testObject).
"""

from __future__ import annotations

from bindlog.errors import InputProblem
from bindlog.model import DownsyncClause, Snapshot


def tests_namespace_labels(clause: DownsyncClause, namespace: str) -> bool:
    """Would KubeStellar look up Namespace `namespace` for this clause (given steps 1-5 pass)?"""
    sels = clause.namespace_selectors
    if not sels or any(s.is_empty for s in sels):
        return False
    names = clause.namespaces
    return not names or "*" in names or namespace in names


def missing_namespaces(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    """Absent Namespace name -> the policies (sorted) whose namespaceSelectors would test it."""
    present = {ns.name for ns in snapshot.namespaces}
    used = sorted({o.ref.namespace for o in snapshot.objects} - present - {""})
    out: dict[str, tuple[str, ...]] = {}
    for namespace in used:
        policies = sorted(
            {
                p.name
                for p in snapshot.policies
                if any(tests_namespace_labels(c, namespace) for c in p.downsync)
            }
        )
        if policies:
            out[namespace] = tuple(policies)
    return out


def missing_namespace_note(namespace: str) -> str:
    return (
        f"Namespace {namespace} is not in the input: namespaceSelectors cannot match its "
        f"objects; add it, e.g. `kubectl get ns {namespace} -o yaml`"
    )


def missing_namespace_warnings(snapshot: Snapshot) -> list[InputProblem]:
    """One warning per absent Namespace that some namespaceSelectors would test."""
    return [
        InputProblem(None, "", "", missing_namespace_note(ns))
        for ns in missing_namespaces(snapshot)
    ]
