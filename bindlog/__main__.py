"""`python -m bindlog` and the `bindlog` console script: run the CLI as a process of its own.

Two costs a one-shot process need not pay, so this path, and only this path, avoids them (the
library and in-process callers of `bindlog.cli.main`, such as the tests, keep normal behaviour):

- The cyclic garbage collector. A run builds a large acyclic graph (parsed documents, the model,
  the engine's tables, the Bindings) and frees it by reference counting; the collector would
  only rescan it again and again as it grows (CPython 3.11 spends most of an evaluation that
  way). It stays off for the whole run: what a run leaves cyclic is freed with the process.
- Teardown. Once the output is written and flushed, freeing every object one by one before the
  process ends took 12 % of a resolve at M and 5.6 s at L; `os._exit` hands the memory back to
  the kernel at once. Nothing is left to run at exit: output files are written atomically (and
  fsynced) before `main` returns.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn


def run() -> NoReturn:
    gc.disable()
    from bindlog.cli import main

    try:
        code = main()
    except SystemExit as e:  # argparse: --help, --version, usage errors
        code = _exit_code(e.code)
    except BrokenPipeError:  # the reader left early (`| head`): not worth a traceback
        os._exit(1)
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left early (`| head`): nothing more can be delivered
        code = code or 1
    try:
        sys.stderr.flush()
    except BrokenPipeError:
        code = code or 1
    os._exit(code)


def _exit_code(code: object) -> int:
    """The status `SystemExit(code)` gives, the way the interpreter converts it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    run()
