"""The live model: one loaded snapshot, changed a little by change sets.

What-if, watch and the explainer share one `Model`: it holds the current snapshot and the
derived relations, `apply` keeps a change set (watch), `what_if` answers for a change set and
leaves the model as it was.
"""

from __future__ import annotations

from bindlog.changes import ChangeSet, apply_to_snapshot
from bindlog.engine.evaluate import Result, evaluate
from bindlog.model import Snapshot


class Model:
    """A snapshot with its derived relations, kept current under change sets."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._result = evaluate(snapshot)

    @property
    def snapshot(self) -> Snapshot:
        return self._result.snapshot

    @property
    def result(self) -> Result:
        return self._result

    def apply(self, changes: ChangeSet) -> Result:
        """Apply `changes` and keep them; returns the new result."""
        self._result = self.what_if(changes)
        return self._result

    def what_if(self, changes: ChangeSet) -> Result:
        """The result after `changes`; the model itself stays as it was."""
        if not changes:
            return self._result
        return evaluate(apply_to_snapshot(self.snapshot, changes))
