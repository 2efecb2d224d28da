"""The process entry point (`python -m bindlog`, the `bindlog` script): exit codes kept, and a
reader that leaves early (`| head`) gets no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POLICY = """apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: all, uid: u-all}
spec:
  clusterSelectors: [{}]
  downsync: [{resources: [configmaps]}]
---
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {name: wec1}
"""
CONFIGMAP = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, namespace: ns}}\n"


def _bindlog(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_exit_codes_survive_the_fast_exit() -> None:
    assert _bindlog("--help").returncode == 0
    assert _bindlog("resolve").returncode == 2  # usage: no -f
    assert _bindlog("resolve", "-f", "no/such/file.yaml").returncode == 1
    done = _bindlog("resolve", "-f", "examples/nginx", "-o", "json")
    assert done.returncode == 0
    assert done.stdout.startswith("{\n")
    assert done.stdout.endswith("}\n")


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_reader_gone_gets_no_traceback(tmp_path: Path, output: str) -> None:
    manifest = tmp_path / "in.yaml"
    manifest.write_text(POLICY + "".join(CONFIGMAP.format(i=i) for i in range(50)))
    # stdout is a pipe whose reader has already left, as after `| head` has read its fill.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bindlog", "resolve", "-f", str(manifest), "-o", output],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    # 128 + SIGPIPE, as a shell reports a writer killed by its reader leaving (cli/faults.py).
    assert done.returncode == 141
    assert done.stderr == ""
