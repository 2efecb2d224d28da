"""The CLI when the world fails it: broken and closed streams, signals, special files, full
disks, usage mistakes, and names that try to talk to the terminal. No case ends in a traceback.

Cases that need a real process (pipes, signals, resource limits) run `python -m bindlog`; the
rest call `main` in-process, which is much faster.
"""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bindlog.adapters import Limits, load
from bindlog.adapters.yaml_files import _read_text
from bindlog.cli import main
from bindlog.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "nginx")
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: x}\n"
POLICY = (
    "apiVersion: control.kubestellar.io/v1alpha1\nkind: BindingPolicy\n"
    "metadata: {name: %s, uid: u1}\n"
    "spec: {clusterSelectors: [{}], downsync: [{resources: [%s]}]}\n"
)
CLUSTER = (
    "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
    "metadata: {name: c1, labels: {a: b}}\n"
)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def child(*argv: str, preexec: Any = None, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bindlog", *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--output-file", "", "--output-file needs a path, not an empty string"),
        ("--output-dir", "", "--output-dir needs a path, not an empty string"),
        ("--max-depth", "-1", "argument --max-depth: invalid count '-1': must be 1 or more"),
        ("--max-document-nodes", "0", "invalid count '0': must be 1 or more"),
        ("--max-total-nodes", "-5", "invalid count '-5': must be 1 or more"),
        ("--max-file-size", "-1", "invalid size '-1'"),
        ("--max-total-size", "2Gi" + "0" * 30, "invalid size"),
        ("--max-file-size", "99999999999999999999", "must be between 1 and 1Gi * 1Gi bytes"),
    ],
)
def test_bad_flag_values_are_usage_errors(
    flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("resolve", "-f", EXAMPLE, f"{flag}={value}")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path: Path) -> None:
    # One Binding listing 3,000 objects: far more than a pipe's buffer, so that writing
    # outlives the reader.
    text = "".join("---\n" + CONFIGMAP % f"cm-{i}" for i in range(3000))
    text += "---\n" + POLICY % ("p", "configmaps")
    (tmp_path / "in.yaml").write_text(CLUSTER + text)
    proc = child("resolve", "-f", str(tmp_path / "in.yaml"), stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"---\n"
    proc.stdout.close()  # as `| head -1` does
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141
    assert err == b""  # no message, no traceback: as kubectl ends on SIGPIPE


def _errors(stderr: bytes) -> bytes:
    """stderr without warnings (the example's policies have no uid, which is warned about)."""
    return b"".join(
        line for line in stderr.splitlines(keepends=True) if not line.startswith(b"warning: ")
    )


def test_a_closed_stdout_is_an_error_not_a_traceback() -> None:
    done = subprocess.run(
        f"exec {sys.executable} -m bindlog resolve -f {EXAMPLE} >&-",
        shell=True,
        cwd=ROOT,
        capture_output=False,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert _errors(done.stderr) == b"bindlog: cannot write output: standard output is closed\n"


def test_sigterm_is_handled_like_sigint(tmp_path: Path) -> None:
    fifo = tmp_path / "never-written.yaml"
    os.mkfifo(fifo)
    proc = child("resolve", "-f", str(fifo), stdout=subprocess.PIPE)
    holder = os.open(fifo, os.O_WRONLY)  # a writer that never writes: the read blocks
    try:
        time.sleep(1.0)  # let the child start and block in read
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(holder)
    assert proc.returncode == 143
    assert err == b"bindlog: terminated; nothing was written, earlier output is intact\n"
    assert out == b""


def test_an_explicit_fifo_is_read_as_process_substitution_delivers_it(tmp_path: Path) -> None:
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)
    text = Path(EXAMPLE, "clusters.yaml").read_text() + "---\n"
    text += Path(EXAMPLE, "policies.yaml").read_text() + "---\n"
    text += Path(EXAMPLE, "workload.yaml").read_text()

    def feed() -> None:
        with open(fifo, "w") as fh:
            fh.write(text)

    writer = threading.Thread(target=feed)
    writer.start()
    code, out, err = run("resolve", "-f", str(fifo), "-o", "table")
    writer.join()
    assert code == 0, err
    assert out.splitlines()[1].split()[0] == "nginx"


def test_special_files_and_unreadable_directories_in_inputs_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ok.yaml").write_text(CONFIGMAP % "a")
    os.mkfifo(tmp_path / "fifo.yaml")
    os.mkfifo(tmp_path / "not-a-manifest.txt")  # not a manifest name: ignored like README.md
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.json"))
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.yaml").write_text(CONFIGMAP % "b")
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path) == locked:  # root reads anything: a permission error is simulated
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    expected = [  # the top directory's files first, then what is below it
        f"{tmp_path}/fifo.yaml[doc 0]: not a regular file (a FIFO): not read",
        f"{tmp_path}/sock.json[doc 0]: not a regular file (a socket): not read",
        f"{locked}[doc 0]: cannot list directory: Permission denied",
    ]
    if os.geteuid() == 0:
        os.mknod(tmp_path / "dev.yaml", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
        expected.insert(
            0, f"{tmp_path}/dev.yaml[doc 0]: not a regular file (a character device): not read"
        )
    try:
        with pytest.raises(InputError) as info:
            load([str(tmp_path)])
    finally:
        sock.close()
    assert [str(p) for p in info.value.problems] == expected


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(CONFIGMAP % "a")
    loaded = load([str(tmp_path), str(tmp_path / "cm.yaml")])
    assert [o.ref.name for o in loaded.snapshot.objects] == ["a"]
    assert [str(w) for w in loaded.warnings] == [
        f"{tmp_path}/cm.yaml[doc 0]: named more than once: read once, as {tmp_path}/cm.yaml"
    ]


def test_a_duplicate_names_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CONFIGMAP % "same")
    (tmp_path / "b.yaml").write_text("---\n" + CONFIGMAP % "same")
    with pytest.raises(InputError) as info:
        load([str(tmp_path)])
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path}/b.yaml[doc 0] ConfigMap/same: metadata.name: Duplicate value: "
        f"configmaps/x/same already defined at {tmp_path}/a.yaml[doc 0]"
    ]


def test_total_budgets_stop_the_run_once(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"{i}.yaml").write_text(CONFIGMAP % f"cm-{i}")
    code, _, err = run("resolve", "-f", str(tmp_path), "--max-total-nodes", "20")
    assert code == 1
    assert err == (
        f"{tmp_path}/1.yaml[doc 0]: the input holds more than 20 nodes in all "
        "(see --max-total-nodes)\nbindlog: 1 problem(s) in the input; nothing written\n"
    )
    size = len((CONFIGMAP % "cm-0").encode())
    code, _, err = run("resolve", "-f", str(tmp_path), "--max-total-size", str(size * 2))
    assert code == 1
    assert err == (
        f"{tmp_path}/2.yaml[doc 0]: the input is larger than the {size * 2} bytes allowed in "
        "all (raise --max-total-size, or split the run)\n"
        "bindlog: 1 problem(s) in the input; nothing written\n"
    )


def _no_core_and_small_files(limit: int) -> Any:
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def test_a_write_that_hits_the_file_size_limit_keeps_the_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous\n")
    proc = child(
        "resolve",
        "-f",
        EXAMPLE,
        "--output-file",
        str(target),
        preexec=_no_core_and_small_files(100),
        stdout=subprocess.PIPE,
    )
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert (
        _errors(err).decode()
        == f"bindlog: {target}: cannot write: File too large; previous content kept\n"
    )
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_output_file_into_a_missing_directory(tmp_path: Path) -> None:
    code, _out, err = run("resolve", "-f", EXAMPLE, "--output-file", str(tmp_path / "no" / "f"))
    assert code == 1
    assert (
        _errors(err.encode()).decode()
        == f"bindlog: {tmp_path}/no/f: cannot write: directory {tmp_path}/no does not exist\n"
    )


def test_a_policy_name_too_long_for_a_file_name_is_exported(tmp_path: Path) -> None:
    name = "p" * 253
    (tmp_path / "in.yaml").write_text(
        CLUSTER + "---\n" + CONFIGMAP % "a" + "---\n" + POLICY % (name, "configmaps")
    )
    code, _, err = run(
        "resolve", "-f", str(tmp_path / "in.yaml"), "--output-dir", str(tmp_path / "out")
    )
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert len(files) == 1
    assert len(files[0].encode()) == 255
    assert re.fullmatch(r"p{233}_[0-9a-f]{16}\.yaml", files[0])
    assert err == (
        f"note: Binding {name} written to {files[0]}: name too long\n"
        f"wrote 1 Binding(s) to {tmp_path / 'out'}\n"
    )


HOSTILE_ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
    'metadata: {name: "evil\\e]0;owned\\a\\e[2J\\"q"}\n---\n'
)


def test_why_text_escapes_what_names_would_tell_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(
        CLUSTER + "---\n" + HOSTILE_ROLE + POLICY % ("p", "clusterroles")
    )
    name = 'evil\x1b]0;owned\x07\x1b[2J"q'
    code, out, err = run("why", f"clusterrole/{name}", "-f", str(tmp_path / "in.yaml"))
    assert code == 0, err
    assert "\x1b" not in out
    assert "\x07" not in out
    assert 'evil\\x1b]0;owned\\x07\\x1b[2J"q' in out


def test_graph_output_is_valid_whatever_the_names_hold(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(
        CLUSTER + "---\n" + HOSTILE_ROLE + POLICY % ("p", "clusterroles")
    )
    code, dot, err = run("graph", "-f", str(tmp_path / "in.yaml"))
    assert code == 0, err
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f]", dot)
    quoted = r'"(?:[^"\\]|\\.)*"'
    lines = dot.splitlines()
    assert lines[4] == "  subgraph cluster_legend {"  # the legend: fixed text, no input names
    after_legend = lines.index("  }", 4) + 1
    for line in lines[after_legend:-1]:  # every node and edge line: quoted strings only
        assert re.fullmatch(
            rf"  {quoted}( -> {quoted})? \[label={quoted}(, fillcolor={quoted})?\];", line
        ), line
    if shutil.which("dot"):  # and Graphviz agrees
        done = subprocess.run(
            ["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=False
        )
        assert done.returncode == 0, done.stderr
    code, mermaid, err = run("graph", "-f", str(tmp_path / "in.yaml"), "-o", "mermaid")
    assert code == 0, err
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f]", mermaid)
    for line in mermaid.splitlines():
        if re.match(r"  n\d+\[", line):  # a node: the quoted label holds no quote of its own
            assert re.fullmatch(r'  n\d+\["[^"]*"\]:::\w+', line), line


def test_a_fifo_swapped_in_after_the_walk_is_not_opened_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "late.yaml"
    os.mkfifo(fifo)  # no writer: a blocking open would wait for ever
    problems: list[Any] = []
    text, _ = _read_text(str(fifo), True, problems, None, Limits(), 10**9)
    assert text is None
    assert [str(p) for p in problems] == [
        f"{fifo}[doc 0]: cannot read: not a regular file (a FIFO)"
    ]
