"""Atomic writes: a file is replaced whole, a directory of Bindings is swapped in whole.

What may be replaced: a regular file (`--output-file`), or a directory that is empty or holds
bindlog's marker file (`--output-dir`). Anything else at the path (a device, a FIFO, a socket,
someone's directory) is refused: renaming over `/dev/null` would replace it for everyone.

Symbolic links are written through, as shell redirection and `cp` do: the link stays, its target
is replaced (atomically, like any other file). A dangling link creates its target.

New files and directories get the mode the umask allows (0666/0777 & ~umask), as a shell
redirection would; a replaced file keeps its mode.

The directory swap leaves, whatever kills it and when, either the previous export or the new one
under the name:
  1. the new content is written to `.NAME.bindlog-staging.PID.*` beside it;
  2. on Linux, renameat2(RENAME_EXCHANGE) swaps the two directories in one step; elsewhere the
     previous export is renamed to `.NAME.bindlog-old`, then the staging directory to NAME;
  3. the previous content is removed.
A run killed between the two renames of step 2 (SIGKILL, power loss) leaves `.NAME.bindlog-old`;
the next export into NAME restores it first (or removes it, if NAME was already replaced), and
removes staging directories whose process is gone. SIGINT and SIGTERM undo step 2 on the spot.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bindlog.errors import ExportError

MARKER = ".bindlog-export"
_MARKER_TEXT = "written by bindlog; replaced whole on each export\n"
_OLD = ".{name}.bindlog-old"
_STAGING = ".{name}.bindlog-staging."
NAME_MAX = 255  # bytes in one file name on every common Linux and macOS file system

# Tests turn this off to exercise the two-rename path on Linux too.
USE_EXCHANGE = True

# Outputs this process has completed, so that an interrupt that lands after the commit point
# is reported truthfully ("written") rather than as "nothing was written".
committed: list[Path] = []

_DEFERRED = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the swap and its cleanup run: they take milliseconds, and
    a half-done swap or leftover hidden directories are worse than a short delay. SIGKILL cannot
    be held; recovery on the next run covers it."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
    except (AttributeError, ValueError, OSError):  # no POSIX threads' signal masks
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _what(mode: int) -> str:
    for test, what in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def _through_links(path: Path) -> Path:
    """The path a write lands on: symbolic links followed, as `>` follows them."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _fail(path: Path, action: str, e: OSError) -> ExportError:
    return ExportError(f"{path}: {action}: {e.strerror or e}; previous content kept")


def write_file_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename: never half-written."""
    path = Path(path)
    if not str(path):
        raise ExportError("the output file name is empty")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    target = _through_links(path)
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as e:
        raise _fail(path, "cannot write", e) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise ExportError(f"{path}: exists and is {_what(info.st_mode)}; refusing to replace it")
    parent = target.parent
    if not parent.is_dir():
        raise ExportError(f"{path}: cannot write: directory {parent} does not exist")
    mode = stat.S_IMODE(info.st_mode) if info else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bindlog-tmp", dir=parent)
    except OSError as e:
        raise _fail(path, "cannot write", e) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            if info is not None and os.geteuid() == 0:
                with contextlib.suppress(OSError):  # root keeps the owner of what it replaces
                    os.fchown(fh.fileno(), info.st_uid, info.st_gid)
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        with _signals_deferred():
            os.replace(tmp, target)
            committed.append(path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _fail(path, "cannot write", e) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def file_names(names: list[str], ext: str) -> dict[str, str]:
    """Object name -> file name (name + ext). A name valid for an object (up to 253 characters)
    can be too long for a file (255 bytes with its extension): it is cut and given a hash of the
    whole name after a `_`, a character no object name holds, so no two names meet."""
    out: dict[str, str] = {}
    for name in names:
        whole = f"{name}{ext}"
        if len(os.fsencode(whole)) <= NAME_MAX:
            out[name] = whole
            continue
        import hashlib  # only for names too long to keep: not every run pays its import

        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        room = NAME_MAX - len(ext) - len(digest) - 1
        head = os.fsencode(name)[:room].decode("utf-8", "ignore")
        out[name] = f"{head}_{digest}{ext}"
    if len(set(out.values())) != len(out):
        raise ExportError("two Bindings would be written to the same file name")
    return out


def write_directory_atomic(directory: Path, files: dict[str, str]) -> None:
    """Make `directory` hold exactly `files` (name -> text), all or nothing.

    An existing directory is replaced only if it is empty or was written by bindlog (it holds
    the marker file), so user files are never removed.
    """
    if not str(directory):
        raise ExportError("the output directory name is empty")
    directory = Path(os.path.abspath(_through_links(Path(directory))))
    if not directory.name:
        raise ExportError(f"{directory}: refusing to replace a root directory")
    for name in files:
        if name in ("", ".", "..", MARKER) or "/" in name or "\\" in name or "\0" in name:
            raise ExportError(f"refusing to write file name {name!r} into {directory}")
    parent = directory.parent
    if not parent.is_dir():
        raise ExportError(f"{directory}: cannot write: directory {parent} does not exist")
    with _locked(parent):
        _recover(directory)
        _check_replaceable(directory)
        _swap_in(directory, files)


def _check_replaceable(directory: Path) -> None:
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return
    except OSError as e:
        raise _fail(directory, "cannot export", e) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ExportError(
            f"{directory}: exists and is {_what(info.st_mode)}, not a directory; "
            "refusing to replace it"
        )
    try:
        entries = os.listdir(directory)
    except OSError as e:
        raise _fail(directory, "cannot export", e) from None
    if entries and not (directory / MARKER).is_file():
        raise ExportError(
            f"{directory}: not empty and not written by bindlog; refusing to replace it"
        )


def _swap_in(directory: Path, files: dict[str, str]) -> None:
    parent, name = directory.parent, directory.name
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=_STAGING.format(name=name) + f"{os.getpid()}.", dir=parent)
        )
    except OSError as e:
        raise _fail(directory, "cannot create a staging directory", e) from None
    try:
        os.chmod(staging, 0o777 & ~_umask())
        for file_name, text in files.items():
            (staging / file_name).write_text(text, encoding="utf-8")
        (staging / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        with _signals_deferred():
            _commit(staging, directory)
            committed.append(directory)
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as e:
        raise _fail(directory, "export failed", e) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _commit(staging: Path, directory: Path) -> None:
    """Put `staging` under the name `directory`; whatever was there is removed."""
    if not os.path.lexists(directory):
        os.rename(staging, directory)
    elif USE_EXCHANGE and _exchange(staging, directory):
        pass  # staging now holds the previous export: the caller removes it
    else:
        old = directory.parent / _OLD.format(name=directory.name)
        os.rename(directory, old)
        try:
            os.rename(staging, directory)
        except BaseException:
            os.rename(old, directory)  # put the previous export back
            raise
        shutil.rmtree(old, ignore_errors=True)


def _recover(directory: Path) -> None:
    """Finish what a killed export left: restore or drop `.NAME.bindlog-old`, and remove
    staging directories whose process is gone."""
    parent, name = directory.parent, directory.name
    old = parent / _OLD.format(name=name)
    if os.path.lexists(old):
        if not old.is_dir() or old.is_symlink() or not (old / MARKER).is_file():
            raise ExportError(
                f"{old}: not written by bindlog; remove it to export into {directory}"
            )
        try:
            if os.path.lexists(directory):
                shutil.rmtree(old)  # killed after the swap: the new export is in place
            else:
                os.rename(old, directory)  # killed between the renames: the old one comes back
        except OSError as e:
            raise _fail(directory, "cannot recover an interrupted export", e) from None
    prefix = _STAGING.format(name=name)
    with contextlib.suppress(OSError):
        for entry in os.listdir(parent):
            if entry.startswith(prefix) and not _alive(entry[len(prefix) :].split(".", 1)[0]):
                stale = parent / entry
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale, ignore_errors=True)


def _alive(pid_text: str) -> bool:
    if not pid_text.isdigit():
        return True  # not ours to judge: leave it
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, someone else's
    return True


@contextlib.contextmanager
def _locked(parent: Path) -> Iterator[None]:
    """One export into a parent directory at a time (recovery must not race a live swap)."""
    try:
        fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    import ctypes  # only for --output-dir: not every run pays its import

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))
