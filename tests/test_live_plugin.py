"""kubectl runs bindlog as a plugin (`kubectl bindlog ...`) with kubectl's kubeconfig flags, and
file-only runs never import the `kubernetes` client."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakekube import FakeKube, write_kubeconfig
from fakekube.scenario import populate

ROOT = Path(__file__).resolve().parent.parent


def test_console_script_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["kubectl-bindlog"] == "bindlog.__main__:run"


def test_kubectl_bindlog_resolve(tmp_path: Path) -> None:
    # what the installed console script does: run bindlog.__main__:run under the name
    # kubectl-bindlog, found by kubectl on PATH
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl-bindlog"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from bindlog.__main__ import run\nrun()\n"
    )
    script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    with FakeKube() as kube:
        populate(kube)
        kubeconfig = write_kubeconfig(tmp_path / "config", {"wds1": kube})
        env["KUBECONFIG"] = str(kubeconfig)  # kubectl's own way of naming the kubeconfig
        via_kubectl = subprocess.run(
            ["kubectl", "bindlog", "resolve", "--context", "wds1", "-o", "json"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        direct = subprocess.run(
            [sys.executable, "-m", "bindlog", "resolve", "--kubeconfig", str(kubeconfig),
             "--context", "wds1", "-o", "json"],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert via_kubectl.returncode == 0, via_kubectl.stderr
        assert via_kubectl.stdout == direct.stdout
        assert '"name": "web-edge"' in via_kubectl.stdout
        usage = subprocess.run(
            ["kubectl", "bindlog", "resolve"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert usage.returncode == 2
        assert usage.stderr.startswith("usage: kubectl bindlog ")


def test_file_runs_never_import_the_client() -> None:
    code = (
        "import sys, io\n"
        "from bindlog.cli import main\n"
        "assert main(['resolve', '-f', 'examples/nginx'], out=io.StringIO()) == 0\n"
        "print('kubernetes' in sys.modules, 'urllib3' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False False\n"
