"""The binding graph: policy -> WEC and policy -> object edges, as DOT, Mermaid, SVG or PNG.

Built with networkx from the evaluated result (matching clauses and clusterSelectors come from the
rules' relations), filtered to the neighbourhood of one object, WEC or policy on request.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import networkx as nx

from bindlog.engine.evaluate import Result
from bindlog.errors import ExportError
from bindlog.model import Modulation, WorkloadObject
from bindlog.textsafe import escape_terminal

COLOURS = {"policy": "#f4a261", "wec": "#2a9d8f", "object": "#e9c46a"}
Graph = Any  # nx.MultiDiGraph; kept loose because networkx's stubs make node data untyped


def build_graph(result: Result) -> Graph:
    graph: Graph = nx.MultiDiGraph()
    clauses = result.matching_clauses()
    for p, res in result.items():
        pnode = f"policy:{res.policy.name}"
        graph.add_node(pnode, kind="policy", label=f"BindingPolicy/{res.policy.name}")
        for wec, indices in sorted(result.matching_cluster_selectors(p).items()):
            graph.add_node(f"wec:{wec}", kind="wec", label=f"WEC {wec}")
            label = ", ".join(f"clusterSelectors[{i}]" for i in indices)
            graph.add_edge(pnode, f"wec:{wec}", label=label)
        for obj, mod in sorted(res.objects.items(), key=lambda item: item[0].ref):
            onode = _object_node(obj)
            graph.add_node(onode, kind="object", label=str(obj.ref))
            label = ", ".join(f"downsync[{c}]" for c in clauses.get((p, obj), ()))
            graph.add_edge(pnode, onode, label=label + _mod_label(mod))
    return graph


def _object_node(obj: WorkloadObject) -> str:
    return f"object:{obj.ref}"


def _mod_label(mod: Modulation) -> str:
    parts = mod.words()
    return f" ({'; '.join(parts)})" if parts else ""


def focus(
    graph: Graph,
    obj: WorkloadObject | None = None,
    wec: str | None = None,
    policy: str | None = None,
) -> Graph:
    """The policies touching the chosen nodes, with their edges to the chosen nodes."""
    keep_policies = {n for n, d in graph.nodes(data=True) if d["kind"] == "policy"}
    targets: set[str] = set()
    for node in (
        _object_node(obj) if obj else None,
        f"wec:{wec}" if wec else None,
        f"policy:{policy}" if policy else None,
    ):
        if node is None:
            continue
        if node not in graph:
            raise ExportError(f"{node.split(':', 1)[1]} is not in the graph")
        if node.startswith("policy:"):
            keep_policies &= {node}
        else:
            keep_policies &= set(graph.predecessors(node))
            targets.add(node)
    nodes = set(keep_policies)
    for p in keep_policies:
        for succ in graph.successors(p):
            kind = graph.nodes[succ]["kind"]
            same_kind_target = any(graph.nodes[t]["kind"] == kind for t in targets)
            if not same_kind_target or succ in targets:
                nodes.add(succ)
    return graph.subgraph(nodes).copy()


def _dot_escape(text: str) -> str:
    # Controls (NUL, which Graphviz rejects; ESC; newlines) shown as visible escapes first, then
    # the backslashes of those escapes and the quotes made literal for DOT's quoted strings.
    text = escape_terminal(text, keep_newlines=False)
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(graph: Graph) -> str:
    lines = [
        "digraph bindings {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node, data in sorted(graph.nodes(data=True)):
        lines.append(
            f'  "{_dot_escape(node)}" [label="{_dot_escape(data["label"])}", '
            f'fillcolor="{COLOURS[data["kind"]]}"];'
        )
    for u, v, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        lines.append(
            f'  "{_dot_escape(u)}" -> "{_dot_escape(v)}" [label="{_dot_escape(data["label"])}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid has no backslash escapes: quotes and brackets become entities (`#` first, since
    # Mermaid reads `#...;` as one); controls become visible escapes.
    text = escape_terminal(text, keep_newlines=False)
    for char, entity in (
        ("#", "#35;"),
        ("&", "#amp;"),
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
    ):
        text = text.replace(char, entity)
    return text


def to_mermaid(graph: Graph) -> str:
    ids = {node: f"n{i}" for i, node in enumerate(sorted(graph.nodes))}
    lines = ["flowchart LR"]
    for node, data in sorted(graph.nodes(data=True)):
        lines.append(f'  {ids[node]}["{_mermaid_text(data["label"])}"]:::{data["kind"]}')
    for u, v, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        lines.append(f'  {ids[u]} -->|"{_mermaid_text(data["label"])}"| {ids[v]}')
    for kind, colour in COLOURS.items():
        lines.append(f"  classDef {kind} fill:{colour}")
    return "\n".join(lines) + "\n"


def render_image(dot_text: str, fmt: str) -> bytes:
    """SVG or PNG through Graphviz's `dot`, which must be installed."""
    dot = shutil.which("dot")
    if dot is None:
        raise ExportError(
            "rendering to svg or png needs Graphviz's `dot`, which is not installed "
            "(Debian/Ubuntu: apt-get install graphviz; Fedora: dnf install graphviz; "
            "macOS: brew install graphviz); -o dot and -o mermaid need nothing"
        )
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise ExportError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout
