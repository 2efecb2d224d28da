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
    from bindlog.api import Run, resolve
    from bindlog.engine.evaluate import Result, evaluate
    from bindlog.errors import BindlogError, InputError
    from bindlog.export.bindings import bindings

_HOMES = {
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bindlog' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once imported, a plain module attribute
    return value
