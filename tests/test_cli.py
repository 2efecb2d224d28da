"""End-to-end: the CLI as a user runs it, in a subprocess, with no stdin unless given."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/nginx"
WIDGET = (
    "apiVersion: example.com/v1\nkind: Widget\n"
    "metadata: {name: w, namespace: ns, resourceVersion: '1'}\n"
    "---\napiVersion: control.kubestellar.io/v1alpha1\nkind: BindingPolicy\n"
    "metadata: {name: p, uid: u}\nspec: {clusterSelectors: [{}], downsync: [{resources: [%s]}]}\n"
)


def bindlog(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        check=False,
    )


def test_yaml_is_a_stream_of_bindings() -> None:
    done = bindlog("resolve", "-f", EXAMPLE)
    assert done.returncode == 0, done.stderr
    docs = list(yaml.safe_load_all(done.stdout))
    assert [d["metadata"]["name"] for d in docs] == ["nginx", "nginx-config-everywhere"]
    assert all(d["kind"] == "Binding" for d in docs)
    assert docs[0]["spec"]["destinations"] == [{"clusterId": "cluster1"}, {"clusterId": "cluster2"}]


def test_json_is_a_v1_list() -> None:
    done = bindlog("resolve", "-f", EXAMPLE, "-o", "json")
    doc = json.loads(done.stdout)
    assert doc["apiVersion"] == "v1"
    assert doc["kind"] == "List"
    assert doc["items"] == list(yaml.safe_load_all(bindlog("resolve", "-f", EXAMPLE).stdout))


def test_table_counts() -> None:
    done = bindlog("resolve", "-f", EXAMPLE, "-o", "table")
    assert done.stdout.splitlines() == [
        "NAME                      CLUSTER-SCOPED   NAMESPACED   OBJECTS   DESTINATIONS",
        "nginx                     1                1            2         2",
        "nginx-config-everywhere   0                1            1         3",
    ]


def test_stdin_stream() -> None:
    text = Path(ROOT / EXAMPLE / "workload.yaml").read_text()
    done = bindlog(
        "resolve",
        "-f",
        "-",
        "-f",
        f"{EXAMPLE}/clusters.yaml",
        "-f",
        f"{EXAMPLE}/policies.yaml",
        "-o",
        "table",
        stdin=text,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == bindlog("resolve", "-f", EXAMPLE, "-o", "table").stdout


def test_output_dir_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = bindlog("resolve", "-f", EXAMPLE, "--output-dir", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == [
        ".bindlog-export",
        "nginx-config-everywhere.yaml",
        "nginx.yaml",
    ]
    assert yaml.safe_load((out / "nginx.yaml").read_text())["kind"] == "Binding"
    # A second export with no policies leaves no stale file behind.
    done = bindlog(
        "resolve",
        "-f",
        f"{EXAMPLE}/clusters.yaml",
        "-f",
        f"{EXAMPLE}/workload.yaml",
        "--output-dir",
        str(out),
        "-o",
        "json",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"wrote 0 Binding(s) to {out}\n"
    assert [p.name for p in out.iterdir()] == [".bindlog-export"]


def test_output_dir_refuses_a_directory_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    done = bindlog("resolve", "-f", EXAMPLE, "--output-dir", str(out))
    assert done.returncode == 1
    assert "not empty and not written by bindlog; refusing to replace it" in done.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "bindings.json"
    target.write_text("old")
    done = bindlog("resolve", "-f", EXAMPLE, "-o", "json", "--output-file", str(target))
    assert done.returncode == 0
    assert json.loads(target.read_text())["kind"] == "List"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bindings.json"]


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
    done = bindlog("resolve", "-f", str(bad), "--output-file", str(target))
    assert done.returncode == 1
    assert target.read_text() == "old"


def test_usage_errors_exit_2() -> None:
    for args in (
        ("resolve",),
        ("resolve", "-f", EXAMPLE, "-o", "xml"),
        ("resolve", "-f", EXAMPLE, "--resource-map", "Widget"),
        ("resolve", "-f", EXAMPLE, "-o", "table", "--output-dir", "x"),
        ("frobnicate",),
    ):
        done = bindlog(*args)
        assert done.returncode == 2, args
        assert done.stdout == ""
        assert "usage: bindlog" in done.stderr


def test_resource_map_and_guessing(tmp_path: Path) -> None:
    manifests = tmp_path / "m.yaml"
    manifests.write_text(WIDGET % "gizmos")
    done = bindlog("resolve", "-f", str(manifests))
    assert done.returncode == 1
    assert "no resource known for kind 'Widget.example.com'" in done.stderr
    mapped = bindlog("resolve", "-f", str(manifests), "--resource-map", "Widget.example.com=gizmos")
    assert mapped.returncode == 0, mapped.stderr
    entries = yaml.safe_load(mapped.stdout)["spec"]["workload"]["namespaceScope"]
    assert [e["resource"] for e in entries] == ["gizmos"]
    manifests.write_text(WIDGET % "widgets")
    guessed = bindlog("resolve", "-f", str(manifests), "--guess-resources")
    assert guessed.returncode == 0, guessed.stderr
    entries = yaml.safe_load(guessed.stdout)["spec"]["workload"]["namespaceScope"]
    assert [e["resource"] for e in entries] == ["widgets"]


def test_status_json() -> None:
    done = bindlog("status", "-f", EXAMPLE, "-o", "json")
    assert json.loads(done.stdout) == {
        "nginx": {"errors": []},
        "nginx-config-everywhere": {"errors": []},
    }


def test_explain_annotation() -> None:
    done = bindlog("resolve", "-f", EXAMPLE, "--explain")
    nginx = next(yaml.safe_load_all(done.stdout))
    trace = json.loads(nginx["metadata"]["annotations"]["bindlog.kubestellar.io/explain"])
    assert trace == {
        "destinations": {"cluster1": [0], "cluster2": [0]},
        "objects": {"/v1/namespaces/nginx": [0], "apps/v1/deployments/nginx/nginx": [1]},
    }


def test_graph_outputs() -> None:
    dot = bindlog("graph", "-f", EXAMPLE, "--policy", "nginx")
    assert dot.returncode == 0, dot.stderr
    assert dot.stdout.startswith("digraph bindings {")
    assert '"policy:nginx" -> "wec:cluster1" [label="clusterSelectors[0]"];' in dot.stdout
    assert "nginx-config-everywhere" not in dot.stdout
    mermaid = bindlog("graph", "-f", EXAMPLE, "-o", "mermaid", "--wec", "cloud1")
    assert mermaid.stdout.splitlines()[0] == "flowchart LR"
    assert "BindingPolicy/nginx-config-everywhere" in mermaid.stdout
    assert 'BindingPolicy/nginx"' not in mermaid.stdout


def test_help() -> None:
    done = bindlog("--help")
    assert done.returncode == 0
    for command in ("resolve", "status", "why", "graph"):
        assert command in done.stdout
