"""Pausing CPython's cyclic garbage collector around work that builds no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc() -> Iterator[None]:
    """No cyclic collection inside the block (restored after, errors included). Loading and
    evaluating allocate hundreds of thousands of objects in no reference cycle: the collections
    their allocation triggers find nothing and cost most of the time (CPython 3.11)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
