"""Atomic writes: a file is replaced whole, a directory of Bindings is swapped in whole."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from bindlog.errors import ExportError

MARKER = ".bindlog-export"


def write_file_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename: never half-written."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_directory_atomic(directory: Path, files: dict[str, str]) -> None:
    """Make `directory` hold exactly `files` (name -> text), all or nothing.

    The new content is written to a sibling directory and swapped in by rename. An existing
    directory is replaced only if it is empty or was written by bindlog (it holds the marker
    file), so user files are never removed.
    """
    directory = Path(directory)
    for name in files:
        if name in ("", ".", "..", MARKER) or "/" in name or "\\" in name or "\0" in name:
            raise ExportError(f"refusing to write file name {name!r} into {directory}")
    if directory.exists():
        if not directory.is_dir():
            raise ExportError(f"{directory}: exists and is not a directory")
        entries = list(directory.iterdir())
        if entries and not (directory / MARKER).is_file():
            raise ExportError(
                f"{directory}: not empty and not written by bindlog; refusing to replace it"
            )
    parent = directory.absolute().parent
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
    except OSError as e:
        raise ExportError(f"{directory}: cannot create a staging directory: {e}") from e
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        (staging / MARKER).write_text("written by bindlog; replaced whole on each export\n")
        if directory.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old.", dir=parent))
            os.replace(directory, retired / "d")
            try:
                os.replace(staging, directory)
            except BaseException:
                os.replace(retired / "d", directory)  # put the previous export back
                raise
            finally:
                shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, directory)
    except OSError as e:
        raise ExportError(f"{directory}: export failed, previous content kept: {e}") from e
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
