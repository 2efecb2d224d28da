"""bindlog: KubeStellar BindingPolicy resolution as Datalog rules.

Data flows one way: `load` (manifests -> Snapshot) -> `evaluate` (Snapshot -> Result, through the
rules in bindlog/rules) -> `bindings` (Result -> Binding objects).
"""

from __future__ import annotations

from bindlog.adapters import LoadOptions, load
from bindlog.api import Run, resolve
from bindlog.engine.evaluate import Result, evaluate
from bindlog.errors import BindlogError, InputError
from bindlog.export.bindings import bindings

__all__ = [
    "BindlogError",
    "InputError",
    "LoadOptions",
    "Result",
    "Run",
    "bindings",
    "evaluate",
    "load",
    "resolve",
]
__version__ = "0.1.0"
