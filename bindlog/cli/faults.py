"""What the CLI does when the world fails it: signals, closed or broken streams, full disks,
and exceptions nothing else caught. Each ends in one line on stderr and an exit code; never a
traceback (set BINDLOG_TRACEBACK=1 to see one when debugging bindlog itself).

Exit codes follow the shell's 128 + signal: SIGINT 130, SIGTERM 143 (the same cleanup as SIGINT:
staging removed, earlier output kept), and a reader that went away (`| head -1`) 141, silently,
as kubectl and other Go tools end on SIGPIPE.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from types import FrameType
from typing import TextIO

from bindlog.cli.common import (
    EXIT_BROKEN_PIPE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
)
from bindlog.export import write
from bindlog.textsafe import escape_terminal


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so that cleanup runs as it does for Ctrl-C.

    A BaseException, like KeyboardInterrupt: `except Exception` in library code must not eat it.
    """


class _ClosedStream(io.TextIOBase):
    """Stands for a standard stream that was closed before bindlog started (`>&-`)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, f"standard {self._name} is closed")

    def isatty(self) -> bool:
        return False


class _WholeWriter(io.TextIOBase):
    """Standard output written with os.write until every byte is out.

    Python's buffered stdout drops the rest of a large write that the reader cut short (the
    kernel returns a short count, and TextIOWrapper ignores it), so `| head -1` would end in a
    silent success with the output cut. Writing whole, the next write fails with EPIPE and the
    run ends as a broken pipe should.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._fd = stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, text: str) -> int:
        data = memoryview(text.encode(self._stream.encoding or "utf-8"))
        self._stream.flush()  # whatever was printed through sys.stdout goes first
        while data:
            data = data[os.write(self._fd, data) :]
        return len(text)


def guarded_streams(out: TextIO | None, err: TextIO | None) -> tuple[TextIO, TextIO]:
    """stdout and stderr to use; a closed one is replaced by a stand-in (a closed stdout fails
    on the first write with a message; a closed stderr swallows the messages)."""
    if out is None and sys.stdout is not None:
        try:
            out = _WholeWriter(sys.stdout)  # type: ignore[assignment]
        except (OSError, ValueError, AttributeError):  # no file descriptor: use it as it is
            out = sys.stdout
    chosen_out = out or _ClosedStream("output")
    chosen_err = err or sys.stderr or io.StringIO()
    return chosen_out, chosen_err  # type: ignore[return-value]


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def handle_sigterm() -> Iterator[None]:
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (bindlog.cli.main called from a worker)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def report_fault(e: BaseException, out: TextIO, err: TextIO) -> int:
    """Tell the user what happened in one line and pick the exit code."""
    if isinstance(e, BrokenPipeError):
        _silence_stdout(out)
        return EXIT_BROKEN_PIPE
    if isinstance(e, KeyboardInterrupt | Terminated):
        what, code = (
            ("interrupted", EXIT_INTERRUPTED)
            if isinstance(e, KeyboardInterrupt)
            else ("terminated", EXIT_TERMINATED)
        )
        if write.committed:  # the signal came after the output was complete
            done = ", ".join(str(p) for p in write.committed)
            return _say(err, f"{what} after the output was written: {done} is complete", code)
        return _say(err, f"{what}; nothing was written, earlier output is intact", code)
    if os.environ.get("BINDLOG_TRACEBACK"):
        with contextlib.suppress(Exception):
            traceback.print_exception(e, file=err)
    if isinstance(e, OSError):
        where = f"{e.filename}: " if e.filename else ""
        return _say(err, f"cannot write output: {where}{e.strerror or e}", EXIT_INPUT)
    if isinstance(e, UnicodeEncodeError):
        encoding = getattr(out, "encoding", None) or e.encoding
        return _say(
            err,
            f"cannot write output: the output encoding {encoding} cannot hold "
            f"{e.object[e.start : e.end]!r} (set PYTHONIOENCODING=utf-8)",
            EXIT_INPUT,
        )
    if isinstance(e, MemoryError):
        return _say(
            err,
            "out of memory: lower --max-total-nodes or --max-total-size, or split the input",
            EXIT_INPUT,
        )
    if isinstance(e, RecursionError):
        return _say(err, "input nested too deeply to process (see --max-depth)", EXIT_INPUT)
    return _say(
        err,
        f"internal error, please report it: {type(e).__name__}: {e} "
        "(BINDLOG_TRACEBACK=1 shows where)",
        EXIT_INPUT,
    )


def _say(err: TextIO, text: str, code: int) -> int:
    with contextlib.suppress(Exception):
        print(f"bindlog: {escape_terminal(text, limit=2000)}", file=err)
        err.flush()
    return code


def _silence_stdout(out: TextIO) -> None:
    """Point fd 1 at /dev/null so that the interpreter's last flush does not fail again."""
    with contextlib.suppress(Exception):
        if out is sys.stdout or isinstance(out, _WholeWriter):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
