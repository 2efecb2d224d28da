"""bindlog: KubeStellar BindingPolicy resolution as Datalog rules.

Data flows one way: `load` (manifests -> Snapshot) -> `evaluate` (Snapshot -> Result, through the
rules in bindlog/rules) -> `bindings` (Result -> Binding objects).

The names below are imported on first use (PEP 562), not with the package: `import bindlog.cli`
must not pay for the engine, and a command pays only for the modules it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bindlog.adapters import LoadOptions, load
    from bindlog.analysis.whatif import LoadedModel, Outcome, load_model
    from bindlog.api import Run, resolve
    from bindlog.changes import ChangeError, ChangeSet, Delete, Key, Put, SetLabels
    from bindlog.engine.evaluate import Result, evaluate
    from bindlog.errors import BindlogError, InputError
    from bindlog.export.bindings import bindings
    from bindlog.export.diff import Diff, diff_bindings

_HOMES = {
    "ChangeError": "bindlog.changes",
    "ChangeSet": "bindlog.changes",
    "Delete": "bindlog.changes",
    "Diff": "bindlog.export.diff",
    "Key": "bindlog.changes",
    "LoadedModel": "bindlog.analysis.whatif",
    "Outcome": "bindlog.analysis.whatif",
    "Put": "bindlog.changes",
    "SetLabels": "bindlog.changes",
    "diff_bindings": "bindlog.export.diff",
    "load_model": "bindlog.analysis.whatif",
    "BindlogError": "bindlog.errors",
    "InputError": "bindlog.errors",
    "LoadOptions": "bindlog.adapters",
    "Result": "bindlog.engine.evaluate",
    "Run": "bindlog.api",
    "bindings": "bindlog.export.bindings",
    "evaluate": "bindlog.engine.evaluate",
    "load": "bindlog.adapters",
    "resolve": "bindlog.api",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bindlog' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once imported, a plain module attribute
    return value
