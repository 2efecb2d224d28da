"""The progress line: on stderr when it is a terminal, never on stdout, never in pipes."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(stderr_tty: bool) -> tuple[str, str]:
    env = {**os.environ, "BINDLOG_PROGRESS_DELAY": "0"}
    args = [sys.executable, "-m", "bindlog", "resolve", "-f", "examples/nginx", "-o", "json"]
    if not stderr_tty:
        done = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        return done.stdout, done.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL
    )
    os.close(slave)
    stdout = proc.communicate(timeout=120)[0].decode()
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return stdout, b"".join(chunks).decode()


def test_progress_on_a_terminal_only() -> None:
    stdout, stderr = _run(stderr_tty=True)
    assert json.loads(stdout)["kind"] == "List"  # stdout stays clean JSON
    assert "bindlog: loading…" in stderr
    assert "bindlog: evaluating…" in stderr
    assert stderr.endswith("\r\x1b[K")  # the line is erased when done
    stdout, stderr = _run(stderr_tty=False)
    assert json.loads(stdout)["kind"] == "List"
    # Only the example's one warning (its policies have no uid): no progress line, no controls.
    assert stderr == (
        "warning: examples/nginx/policies.yaml[doc 0] BindingPolicy/nginx: metadata.uid: not set "
        "(and 1 more): Bindings are written without ownerReferences (the API server rejects an "
        "empty uid; KubeStellar uses the live policy's uid)\n"
    )
