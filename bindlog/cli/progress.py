"""A progress line on stderr for runs longer than about a second: which phase (loading,
evaluating, writing) and for how long. Only on a terminal, never on stdout, and erased when the
phase ends, so piped output and logs stay clean."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

DELAY = 1.0  # seconds before the line first appears
TICK = 0.25


class Progress:
    def __init__(self, err: TextIO, enabled: bool | None = None) -> None:
        self.err = err
        if enabled is None:
            enabled = _isatty(err) and not os.environ.get("BINDLOG_NO_PROGRESS")
        self.enabled = enabled
        self.delay = float(os.environ.get("BINDLOG_PROGRESS_DELAY", DELAY))

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        done = threading.Event()
        shown = threading.Event()
        start = time.monotonic()

        def tick() -> None:
            if done.wait(self.delay):
                return
            while not done.is_set():
                self.err.write(f"\r\033[Kbindlog: {name}… {time.monotonic() - start:.1f}s")
                self.err.flush()
                shown.set()
                done.wait(TICK)

        thread = threading.Thread(target=tick, name="bindlog-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            if shown.is_set():
                self.err.write("\r\033[K")
                self.err.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
