"""bindlog: KubeStellar BindingPolicy resolution as Datalog rules.

Data flows one way: `load` (manifests -> Snapshot) -> `evaluate` (Snapshot -> Result, through the
rules in bindlog/rules) -> `bindings` (Result -> Binding objects).
"""

from __future__ import annotations

from bindlog.adapters import LoadOptions, load
from bindlog.analysis.whatif import LoadedModel, Outcome, load_model
from bindlog.api import Run, resolve
from bindlog.changes import ChangeError, ChangeSet, Delete, Key, Put, SetLabels
from bindlog.engine.evaluate import Result, evaluate
from bindlog.errors import BindlogError, InputError
from bindlog.export.bindings import bindings
from bindlog.export.diff import Diff, diff_bindings

__all__ = [
    "BindlogError",
    "ChangeError",
    "ChangeSet",
    "Delete",
    "Diff",
    "InputError",
    "Key",
    "LoadOptions",
    "LoadedModel",
    "Outcome",
    "Put",
    "Result",
    "Run",
    "SetLabels",
    "bindings",
    "diff_bindings",
    "evaluate",
    "load",
    "load_model",
    "resolve",
]
__version__ = "0.1.0"
