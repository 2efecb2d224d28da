"""Bad and hostile input: every case ends in a clear message and a clean exit.

Each `tests/corpus/<case>` (a file or a directory) has `<case>.expected`: the first line is
`exit: N`, the rest the exact stderr of `bindlog resolve -f tests/corpus/<case>`. Cases that
cannot live in the repository (huge, non-UTF-8, symlink loops) are made here at test time.
Regenerate the expected files with `pytest tests/test_corpus.py --update-goldens`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.suffix != ".expected")


def bindlog(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_corpus_has_forty_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case: str, request: pytest.FixtureRequest) -> None:
    # -v: every warning in full (by default several about one policy share a line), so that
    # each case pins every message exactly.
    done = bindlog("resolve", "-v", "-f", f"tests/corpus/{case}")
    stderr = done.stderr.decode()
    expected = CORPUS / f"{case}.expected"
    actual = f"exit: {done.returncode}\n{stderr}"
    if request.config.getoption("--update-goldens", default=False):
        expected.write_text(actual)
    assert actual == expected.read_text()
    assert "Traceback" not in stderr
    if done.returncode != 0:
        assert done.stdout == b"", "nothing may be written on bad input"


def test_non_utf8_bytes(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n")
    done = bindlog("resolve", "-f", str(bad))
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"{bad}[doc 0]: not UTF-8 text: byte 52 (line 4)\n"
        "bindlog: 1 problem(s) in the input; nothing written\n"
    )


def test_unreadable_entries_and_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "loop-a.yaml").symlink_to(tmp_path / "loop-b.yaml")
    (tmp_path / "loop-b.yaml").symlink_to(tmp_path / "loop-a.yaml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "back").symlink_to(tmp_path)  # a directory loop: never followed
    done = bindlog("resolve", "-f", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"{tmp_path}/dangling.yaml[doc 0]: cannot read: No such file or directory\n"
        f"{tmp_path}/loop-a.yaml[doc 0]: cannot read: Too many levels of symbolic links\n"
        f"{tmp_path}/loop-b.yaml[doc 0]: cannot read: Too many levels of symbolic links\n"
        "bindlog: 3 problem(s) in the input; nothing written\n"
    )


def test_missing_paths_and_empty_directories(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"  # a directory, whatever its name says
    empty.mkdir()
    done = bindlog("resolve", "-f", str(empty), "-f", str(tmp_path / "missing.yaml"))
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"{tmp_path}/missing.yaml[doc 0]: no such file or directory\n"
        "bindlog: 1 problem(s) in the input; nothing written\n"
    )
    done = bindlog("resolve", "-f", str(empty))
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "no manifests found in the input\nbindlog: 1 problem(s) in the input; nothing written\n"
    )


def test_a_100_megabyte_file_stops_with_a_size_error(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as fh:  # sparse: 100 MB on paper, nothing on disk
        fh.truncate(100 * 1024 * 1024)
    done = bindlog("resolve", "-f", str(huge))
    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"{huge}[doc 0]: larger than the 67108864 bytes allowed per input "
        "(raise --max-file-size, or split the stream)\n"
        "bindlog: 1 problem(s) in the input; nothing written\n"
    )


def test_a_huge_stdin_stream_is_read_only_up_to_the_limit() -> None:
    doc = b"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n"
    stream = doc * (2 * 1024 * 1024 // len(doc) + 1)  # a bit over 2 MiB
    done = bindlog("resolve", "-f", "-", "--max-file-size", "1Mi", stdin=stream)
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "<stdin>[doc 0]: larger than the 1048576 bytes allowed per input "
        "(raise --max-file-size, or split the stream)\n"
        "bindlog: 1 problem(s) in the input; nothing written\n"
    )


def test_limits_are_flags(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, namespace: x}\n"
        f"data: {{k: {'[' * 20}{']' * 20}}}\n"
    )
    assert bindlog("resolve", "-f", str(deep), "--max-depth", "10").returncode == 1
    assert bindlog("resolve", "-f", str(deep), "--max-depth", "30").returncode == 0
    assert bindlog("resolve", "-f", str(deep), "--max-document-nodes", "10").returncode == 1
    bad = bindlog("resolve", "-f", str(deep), "--max-file-size", "lots")
    assert bad.returncode == 2
    assert b"invalid size 'lots'" in bad.stderr
