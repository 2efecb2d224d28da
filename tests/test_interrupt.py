"""Nothing lost: SIGINT in the middle of an export leaves the previous output intact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs the CLI in a child process whose second file write during staging raises a real SIGINT.
CHILD = """
import os, signal, sys
from pathlib import Path
import bindlog.export.write as write

real = Path.write_text
count = 0

def interrupting_write_text(self, *args, **kwargs):
    global count
    count += 1
    if count == 2:
        os.kill(os.getpid(), signal.SIGINT)
    return real(self, *args, **kwargs)

Path.write_text = interrupting_write_text
from bindlog.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _export(out: Path, *paths: str, child: str | None = None) -> subprocess.CompletedProcess[str]:
    args = ["resolve", *(a for p in paths for a in ("-f", p)), "--output-dir", str(out)]
    cmd = (
        [sys.executable, "-c", child, *args] if child else [sys.executable, "-m", "bindlog", *args]
    )
    return subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )


def test_sigint_mid_export_keeps_the_previous_export(tmp_path: Path) -> None:
    out = tmp_path / "bindings"
    first = _export(out, "examples/nginx/clusters.yaml", "examples/nginx/policies.yaml")
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "nginx.yaml" in before

    # A second export that would change the content is interrupted after its first file.
    done = _export(out, "examples/nginx", child=CHILD)
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bindings"]  # no staging left over

    # Uninterrupted, the same export replaces the directory whole.
    again = _export(out, "examples/nginx")
    assert again.returncode == 0, again.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} != before
