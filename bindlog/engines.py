"""Which engine evaluates the rules: a name, read without importing either engine.

"setwise" (engine/setwise.py) evaluates the compiled rules set-at-a-time over the facts held in
Python; "pydatalog" hands them to pyDatalog, through the planned access paths. Both read the
same binding.dl and derive the same relations (tests/test_setwise.py,
tests/test_engines_cli.py); $BINDLOG_ENGINE picks one for a whole run.
"""

from __future__ import annotations

import os

from bindlog.errors import RuleError

ENGINES = ("setwise", "pydatalog")
ENGINE_VARIABLE = "BINDLOG_ENGINE"


def default_engine() -> str:
    """The engine $BINDLOG_ENGINE names, else "setwise"."""
    return os.environ.get(ENGINE_VARIABLE) or "setwise"


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise RuleError(
            f"unknown rule engine {engine!r}: ${ENGINE_VARIABLE} takes " + " or ".join(ENGINES)
        )
