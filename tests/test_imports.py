"""A command imports only what it uses: the fixed cost users pay on every run.

Each check runs in a fresh interpreter and looks at `sys.modules` after the command: the
kubernetes client (0.2 s to import) belongs to live-cluster runs only, networkx to `graph` and
the explainer, pyDatalog and PyYAML to runs that resolve.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ["-f", "examples/nginx"]

PROBE = """
import io, json, sys
from bindlog.cli import main
argv = json.loads(sys.argv[1])
code = main(argv, io.StringIO(), io.StringIO()) if argv else 0
heavy = ("kubernetes", "networkx", "pyDatalog", "yaml", "orjson", "bindlog.engine")
print(json.dumps([code, sorted(h for h in heavy if h in sys.modules)]))
"""


def _loaded(*argv: str, engine: str | None = None) -> tuple[int, list[str]]:
    env = {k: v for k, v in os.environ.items() if k != "BINDLOG_ENGINE"}
    if engine is not None:
        env["BINDLOG_ENGINE"] = engine
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    code, modules = json.loads(done.stdout)
    return code, modules


def test_importing_the_cli_loads_neither_networkx_nor_kubernetes() -> None:
    code, modules = _loaded()
    assert code == 0
    assert "networkx" not in modules
    assert "kubernetes" not in modules


@pytest.mark.parametrize("output", ["json", "yaml", "table"])
def test_resolve_imports_neither_networkx_nor_kubernetes(output: str) -> None:
    code, modules = _loaded("resolve", *EXAMPLE, "-o", output)
    assert code == 0
    assert "networkx" not in modules
    assert "kubernetes" not in modules
    assert "bindlog.engine" in modules  # the probe sees real imports
    # The default engine evaluates set-at-a-time: pyDatalog is loaded only when asked for.
    assert "pyDatalog" not in modules
    code, modules = _loaded("resolve", *EXAMPLE, "-o", output, engine="pydatalog")
    assert code == 0
    assert "pyDatalog" in modules


@pytest.mark.parametrize(
    "argv",
    [
        ["status", *EXAMPLE],
        ["why", "deployment/nginx", "-n", "nginx", *EXAMPLE],
        ["graph", *EXAMPLE],
    ],
)
def test_file_only_commands_never_import_kubernetes(argv: list[str]) -> None:
    code, modules = _loaded(*argv)
    assert code == 0
    assert "kubernetes" not in modules


def test_status_imports_no_networkx() -> None:
    assert "networkx" not in _loaded("status", *EXAMPLE)[1]


def test_importing_the_package_loads_nothing_heavy() -> None:
    probe = "import sys, bindlog; print(sorted(m for m in sys.modules if m.startswith('bindlog')))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "['bindlog']"
    lazy = "import bindlog; print(bindlog.resolve.__module__, bindlog.InputError.__name__)"
    done = subprocess.run(
        [sys.executable, "-c", lazy], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["bindlog.api", "InputError"]
