"""`bindlog graph`: the hand-written DOT golden of an aggregated graph, layout direction, the
legend, unbound objects, size warnings and PNG rendering (where Graphviz is installed)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from bindlog.export import graph as graph_export

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "cli"
FIXTURE = "tests/cli/graph-fixture"


def bindlog(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_aggregated_dot_golden() -> None:
    # Derived by hand: e1, e2 and e10 are selected alike (edge-apps and everywhere, through
    # clusterSelectors[0]) and share location-group=edge, the only label a selector tests (zone
    # differs and is not tested); c1 only by everywhere. Objects group by namespace x resource;
    # the Service nobody selects is drawn dashed because of --show-unbound.
    done = bindlog("graph", "-f", FIXTURE, "--aggregate", "always", "--show-unbound")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (GOLDEN / "graph-aggregated.dot").read_text()


def test_small_graph_is_drawn_in_full_left_to_right() -> None:
    done = bindlog("graph", "-f", FIXTURE)
    assert '"object:deployments.apps/shop/a" -> "policy:edge-apps" [label="downsync[0]"];' in (
        done.stdout
    )
    assert '"policy:edge-apps" -> "wec:e10" [label="clusterSelectors[0]"];' in done.stdout
    assert "services/shop/s" not in done.stdout  # unbound objects only when asked
    assert "subgraph cluster_legend" in done.stdout


def test_focus_on_a_wec_keeps_its_policies_and_their_objects() -> None:
    done = bindlog("graph", "-f", FIXTURE, "--wec", "c1", "-o", "mermaid")
    assert done.returncode == 0, done.stderr
    assert "BindingPolicy/everywhere" in done.stdout
    assert "BindingPolicy/edge-apps" not in done.stdout
    assert "WEC e1" not in done.stdout
    assert "configmaps/shop/x" in done.stdout
    wrong = bindlog("graph", "-f", FIXTURE, "--wec", "e100")
    assert wrong.returncode == 1
    assert '(did you mean "e10" or "e1"?)' in wrong.stderr


def _star(edges: int) -> graph_export.Graph:
    graph: graph_export.Graph = nx.MultiDiGraph()
    graph.add_node("policy:p", kind="policy", label="BindingPolicy/p")
    for i in range(edges):
        graph.add_node(f"wec:w{i}", kind="wec", label=f"WEC w{i}")
        graph.add_edge("policy:p", f"wec:w{i}", label="clusterSelectors[0]")
    return graph


def test_mermaid_limits_are_warned_about() -> None:
    assert graph_export.mermaid_warnings(graph_export.to_mermaid(_star(500))) == []
    warnings = graph_export.mermaid_warnings(graph_export.to_mermaid(_star(501)))
    assert len(warnings) == 1  # the legend's two edges do not count
    assert "501 edges; Mermaid draws at most 500" in warnings[0]
    assert "--policy NAME" in warnings[0]
    long = graph_export.mermaid_warnings("flowchart LR\n" + "x" * 50_000)
    assert "50,013 characters; Mermaid accepts at most 50,000" in long[0]


def test_tall_dot_graphs_are_warned_about() -> None:
    graph: graph_export.Graph = nx.MultiDiGraph()
    for i in range(456):
        graph.add_node(f"wec:w{i}", kind="wec", label=f"WEC w{i}")
    warnings = graph_export.dot_warnings(graph)
    assert "456 nodes in one column" in warnings[0]
    assert "--wec NAME" in warnings[0]
    graph.remove_node("wec:w0")
    assert graph_export.dot_warnings(graph) == []  # 455 x 72 px = 32,760 px still fits


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_png_rendering(tmp_path: Path) -> None:
    out = tmp_path / "g.png"
    done = bindlog(
        "graph", "-f", FIXTURE, "--aggregate", "always", "-o", "png", "--output-file", str(out)
    )
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > height  # left to right: wider than tall
    assert height < 1000


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_too_many_edges_for_an_image_is_refused(tmp_path: Path) -> None:
    done = bindlog(
        "graph",
        "-f",
        FIXTURE,
        "-o",
        "png",
        "--max-edges",
        "3",
        "--output-file",
        str(tmp_path / "g.png"),
    )
    assert done.returncode == 1
    assert "more than --max-edges 3" in done.stderr
    assert not (tmp_path / "g.png").exists()
