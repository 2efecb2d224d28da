"""bindlog's CLI run in the test process (the `kubernetes` import is paid once, not per run):
the same parsing, output and exit codes as `python -m bindlog`."""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> Ran:
    from bindlog.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out, err)
    return Ran(code, out.getvalue(), err.getvalue())
