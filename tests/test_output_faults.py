"""Outputs under faults: a signal or a kill at every step of a directory swap, a full disk, and
paths that must not be replaced.

The swap is exercised in forked children (cheap, and a real SIGKILL ends them with no cleanup at
all). Every call the swap makes to the file system is a point; a signal is sent just before and
just after each one in turn, with renameat2's exchange and with the two-rename fallback.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bindlog.cli.faults import Terminated, handle_sigterm
from bindlog.errors import ExportError
from bindlog.export import write
from bindlog.export.write import MARKER, file_names, write_directory_atomic, write_file_atomic

OLD = {"a.yaml": "old a\n", "b.yaml": "old b\n"}
NEW = {"a.yaml": "new a\n", "c.yaml": "new c\n", "d.yaml": "new d\n"}


def _content(directory: Path) -> dict[str, str] | None:
    if not directory.is_dir():
        return None
    return {p.name: p.read_text() for p in directory.iterdir() if p.name != MARKER}


def _in_child(run: Callable[[], None], point: int, sig: int, exchange: bool) -> tuple[int, int]:
    """Fork; in the child, send `sig` at the `point`-th step of `run`. Returns (exit status or
    -signal, number of points the child passed)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which always leaves through _exit
        os.close(read_end)
        count = 0

        def hit() -> None:
            nonlocal count
            count += 1
            os.write(write_end, b".")
            if count == point:
                os.kill(os.getpid(), sig)

        def wrap(owner: Any, name: str) -> None:
            real = getattr(owner, name)

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                hit()
                result = real(*args, **kwargs)
                hit()
                return result

            setattr(owner, name, wrapped)

        for owner, name in (
            (os, "rename"),
            (write, "_exchange"),
            (shutil, "rmtree"),
            (Path, "write_text"),
        ):
            wrap(owner, name)
        write.USE_EXCHANGE = exchange
        code = 0
        try:
            with handle_sigterm():
                run()
        except KeyboardInterrupt:
            code = 130
        except Terminated:
            code = 143
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write_end)
    passed = 0
    while chunk := os.read(read_end, 4096):
        passed += len(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return code, passed


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize(
    "sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["KILL", "INT", "TERM"]
)
def test_a_signal_at_any_step_of_the_swap_leaves_old_or_new(
    tmp_path: Path, exchange: bool, sig: int
) -> None:
    out = tmp_path / "out"
    point = 1
    while True:
        shutil.rmtree(out, ignore_errors=True)
        write_directory_atomic(out, OLD)
        code, passed = _in_child(lambda: write_directory_atomic(out, NEW), point, sig, exchange)
        if point > passed:  # the signal was never sent: the export ran to the end
            assert code == 0
            assert _content(out) == NEW
            break
        found = _content(out)
        if sig == signal.SIGKILL:
            assert code == -signal.SIGKILL
            if found is None:  # killed between the two renames: only the fallback leaves this
                assert not exchange
                assert _content(tmp_path / ".out.bindlog-old") == OLD
            else:
                assert found in (OLD, NEW), f"point {point}"
            write._recover(out)  # what the next export does first
            assert _content(out) in (OLD, NEW)
            assert _leftovers(tmp_path) == []
        else:
            assert code == (130 if sig == signal.SIGINT else 143), f"point {point}"
            assert found in (OLD, NEW), f"point {point}"
            assert _leftovers(tmp_path) == [], f"point {point}"  # cleaned on the spot
        point += 1
    assert point > 6  # the steps were really walked through


def test_recovery_restores_an_export_killed_between_the_renames(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_directory_atomic(out, OLD)
    os.rename(out, tmp_path / ".out.bindlog-old")  # the state a kill after step 1 leaves
    stale = tmp_path / ".out.bindlog-staging.999999999.x"  # a dead process's staging
    stale.mkdir()
    (stale / "a.yaml").write_text("half\n")
    write._recover(out)
    assert _content(out) == OLD
    assert _leftovers(tmp_path) == []
    write_directory_atomic(out, NEW)
    assert _content(out) == NEW


def test_recovery_refuses_a_foreign_directory_with_the_marker_name(tmp_path: Path) -> None:
    (tmp_path / ".out.bindlog-old").mkdir()
    (tmp_path / ".out.bindlog-old" / "mine.txt").write_text("keep\n")
    with pytest.raises(ExportError, match="not written by bindlog"):
        write_directory_atomic(tmp_path / "out", NEW)
    assert (tmp_path / ".out.bindlog-old" / "mine.txt").read_text() == "keep\n"


def _fill_disk(monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """Every write past the first `after` bytes fails with ENOSPC, as on a full disk."""
    real = os.fdopen
    budget = [after]

    class Full:
        def __init__(self, fh: Any) -> None:
            self._fh = fh

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

        def write(self, data: bytes) -> int:
            if len(data) > budget[0]:
                raise OSError(28, "No space left on device")
            budget[0] -= len(data)
            return int(self._fh.write(data))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._fh, name)

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Full(real(*a, **k)))


def test_a_full_disk_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous\n")
    _fill_disk(monkeypatch, after=3)
    with pytest.raises(ExportError, match="No space left on device; previous content kept"):
        write_file_atomic(target, "a longer new content\n")
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_a_full_disk_keeps_the_previous_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_directory_atomic(out, OLD)

    def full(self: Path, *args: Any, **kwargs: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(ExportError, match="No space left on device; previous content kept"):
        write_directory_atomic(out, NEW)
    monkeypatch.undo()
    assert _content(out) == OLD
    assert _leftovers(tmp_path) == []


def test_special_files_are_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock.yaml"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        targets = {fifo: "a FIFO", sock_path: "a socket", tmp_path: "a directory"}
        if os.geteuid() == 0:  # only root can make a device node: a copy of /dev/null
            dev = tmp_path / "null.yaml"
            os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            targets[dev] = "a character device"
        for path, what in targets.items():
            with pytest.raises(ExportError, match=f"exists and is {what}; refusing to replace"):
                write_file_atomic(path, "x\n")
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    finally:
        sock.close()
    with pytest.raises(ExportError, match="a FIFO, not a directory"):
        write_directory_atomic(fifo, NEW)


def test_symlinks_are_written_through(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    write_file_atomic(link, "new\n")
    assert link.is_symlink()
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # a replaced file keeps its mode
    dangling = tmp_path / "dangling.yaml"
    dangling.symlink_to(tmp_path / "created.yaml")
    write_file_atomic(dangling, "made\n")  # as `>` does: the target is created
    assert (tmp_path / "created.yaml").read_text() == "made\n"
    out_link = tmp_path / "out-link"
    out_link.symlink_to(tmp_path / "out")
    write_directory_atomic(out_link, NEW)
    assert out_link.is_symlink()
    assert _content(tmp_path / "out") == NEW


def test_new_outputs_honour_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_file_atomic(tmp_path / "f.yaml", "x\n")
        write_directory_atomic(tmp_path / "d", NEW)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "f.yaml").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "d" / "a.yaml").stat().st_mode) == 0o640


def test_a_missing_parent_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        write_file_atomic(tmp_path / "missing" / "f.yaml", "x\n")
    with pytest.raises(ExportError, match="does not exist"):
        write_directory_atomic(tmp_path / "missing" / "d", NEW)


def test_names_too_long_for_a_file_are_shortened_without_collisions() -> None:
    long_a, long_b = "a" * 253, "a" * 252 + "b"  # valid object names, differing at the end
    short = "a" * 250  # its file name is exactly 255 bytes: kept as it is
    names = file_names([long_a, long_b, short], ".yaml")
    assert names[short] == short + ".yaml"
    for name in (long_a, long_b):
        assert len(names[name].encode()) <= 255
        assert names[name].endswith(".yaml")
        assert "_" in names[name]  # no object name holds `_`: a real name cannot meet it
    assert len(set(names.values())) == 3


def test_the_exchange_is_atomic_on_linux(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    assert write._exchange(a, b)
    assert (a / "x").read_text() == "b"
    assert (b / "x").read_text() == "a"
