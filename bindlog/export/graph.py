"""The binding graph, read left to right: objects -> BindingPolicy -> WECs, as DOT, Mermaid, SVG
or PNG, with a legend.

Built with networkx from the evaluated result (matching clauses and clusterSelectors come from the
rules' relations), filtered to the neighbourhood of one object, WEC or policy on request, and
aggregated when large (graph_aggregate.py). Size checks say when Graphviz would shrink the bitmap
or Mermaid would refuse the text, and which flag narrows the picture.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from typing import Any

import networkx as nx

from bindlog.engine.evaluate import Result
from bindlog.errors import ExportError
from bindlog.export.columns import natural_key
from bindlog.model import Modulation, WorkloadObject
from bindlog.textsafe import escape_terminal

COLOURS = {"policy": "#f4a261", "wec": "#2a9d8f", "object": "#e9c46a", "unbound": "#eeeeee"}
Graph = Any  # nx.MultiDiGraph; kept loose because networkx's stubs make node data untyped

# Mermaid's defaults (mermaid.initialize): past these it renders an error instead of the chart.
MERMAID_MAX_EDGES = 500
MERMAID_MAX_TEXT = 50_000
# Graphviz shrinks bitmaps whose side would pass this many pixels (cairo's limit), which is how a
# large graph becomes an unreadable 339 x 32,767 px PNG.
GRAPHVIZ_MAX_PIXELS = 32_767
MAX_LABELLED_EDGES = 60
LEGEND_MERMAID_EDGES = 2
NARROWING = "narrow it with --policy NAME, --wec NAME, --object TYPE/NAME or -l SELECTOR"


def build_graph(result: Result, show_unbound: bool = False) -> Graph:
    graph: Graph = nx.MultiDiGraph()
    clauses = result.matching_clauses()
    labels = {c.name: dict(c.labels) for c in result.snapshot.clusters}
    bound: set[WorkloadObject] = set()
    for p, res in result.items():
        pnode = f"policy:{res.policy.name}"
        graph.add_node(pnode, kind="policy", label=f"BindingPolicy/{res.policy.name}")
        for wec, indices in sorted(result.matching_cluster_selectors(p).items()):
            graph.add_node(f"wec:{wec}", kind="wec", label=f"WEC {wec}", labels=labels[wec])
            label = ", ".join(f"clusterSelectors[{i}]" for i in indices)
            graph.add_edge(pnode, f"wec:{wec}", label=label, selectors=indices)
        for obj, mod in sorted(res.objects.items(), key=lambda item: item[0].ref):
            onode = _object_node(obj)
            bound.add(obj)
            graph.add_node(onode, kind="object", label=str(obj.ref), obj=obj)
            indices = clauses.get((p, obj), ())
            label = ", ".join(f"downsync[{c}]" for c in indices)
            graph.add_edge(onode, pnode, label=label + _mod_label(mod), clauses=indices)
    if show_unbound:
        for obj in result.snapshot.objects:
            if obj not in bound:
                graph.add_node(_object_node(obj), kind="unbound", label=str(obj.ref), obj=obj)
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
            raise ExportError(f"{node.split(':', 1)[1]} is not in the graph (no policy selects it)")
        if node.startswith("policy:"):
            keep_policies &= {node}
        else:
            keep_policies &= set(nx.all_neighbors(graph, node))
            targets.add(node)
    nodes = set(keep_policies)
    for p in keep_policies:
        for other in nx.all_neighbors(graph, p):
            kind = graph.nodes[other]["kind"]
            same_kind_target = any(graph.nodes[t]["kind"] == kind for t in targets)
            if not same_kind_target or other in targets:
                nodes.add(other)
    return graph.subgraph(nodes).copy()


def _dot_escape(text: str) -> str:
    # Controls (NUL, which Graphviz rejects; ESC; CR) shown as visible escapes first, then the
    # backslashes of those escapes and the quotes made literal for DOT's quoted strings.
    # Newlines the labels are built with (aggregated nodes) stay line breaks, DOT's `\n`.
    lines = (escape_terminal(line, keep_newlines=False) for line in text.split("\n"))
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)


def _ordered_nodes(graph: Graph) -> list[tuple[str, dict[str, Any]]]:
    return sorted(graph.nodes(data=True), key=lambda item: natural_key(item[0]))


def _ordered_edges(graph: Graph) -> list[tuple[str, str, dict[str, Any]]]:
    return sorted(
        graph.edges(data=True), key=lambda e: (natural_key(e[0]), natural_key(e[1]), e[2]["label"])
    )


def _legend_dot(unlabelled_edges: int | None) -> list[str]:
    c = COLOURS
    note = (
        []
        if unlabelled_edges is None
        else [
            f'    "legend:note" [shape=plaintext, style="", label="{unlabelled_edges} edges: '
            'their labels are SVG tooltips; wider edges carry more objects or WECs"];'
        ]
    )
    return [
        "  subgraph cluster_legend {",
        '    label="legend"; fontname="Helvetica"; style="dashed"; color="#999999";',
        f'    "legend:object" [label="workload objects", fillcolor="{c["object"]}"];',
        f'    "legend:policy" [label="BindingPolicy", fillcolor="{c["policy"]}"];',
        f'    "legend:wec" [label="WECs (clusters)", fillcolor="{c["wec"]}"];',
        '    "legend:object" -> "legend:policy" [label="matched by\\nspec.downsync[i]"];',
        '    "legend:policy" -> "legend:wec" [label="selects through\\nspec.clusterSelectors[i]"];',
        *note,
        "  }",
    ]


def to_dot(graph: Graph) -> str:
    lines = [
        "digraph bindings {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    lines += _legend_dot(None if len(graph.edges) <= MAX_LABELLED_EDGES else len(graph.edges))
    for node, data in _ordered_nodes(graph):
        style = ', style="rounded,filled,dashed"' if data["kind"] == "unbound" else ""
        lines.append(
            f'  "{_dot_escape(node)}" [label="{_dot_escape(data["label"])}", '
            f'fillcolor="{COLOURS[data["kind"]]}"{style}];'
        )
    edges = _ordered_edges(graph)
    # Past a few dozen edges their labels stack up between the columns and make the picture
    # tall and unreadable: they move to tooltips (SVG) and the count becomes the pen width.
    labelled = len(edges) <= MAX_LABELLED_EDGES
    for u, v, data in edges:
        text = _dot_escape(data["label"])
        attrs = f'label="{text}"' if labelled else f'tooltip="{text}"'
        if "count" in data and data["count"] > 1:
            attrs += f", penwidth={min(1 + math.log2(data['count']) / 2, 4):.1f}"
        lines.append(f'  "{_dot_escape(u)}" -> "{_dot_escape(v)}" [{attrs}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid has no backslash escapes: quotes and brackets become entities (`#` first, since
    # Mermaid reads `#...;` as one); controls become visible escapes.
    # Newlines the labels are built with (aggregated nodes) stay line breaks, Mermaid's `<br/>`.
    text = "\n".join(escape_terminal(line, keep_newlines=False) for line in text.split("\n"))
    for char, entity in (
        ("#", "#35;"),
        ("&", "#amp;"),
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
    ):
        text = text.replace(char, entity)
    return text.replace("\n", "<br/>")


def to_mermaid(graph: Graph) -> str:
    ids = {node: f"n{i}" for i, (node, _) in enumerate(_ordered_nodes(graph))}
    lines = [
        "flowchart LR",
        '  subgraph legend["legend"]',
        '    legend_o["workload objects"]:::object -->|"matched by spec.downsync[i]"| '
        'legend_p["BindingPolicy"]:::policy',
        '    legend_p -->|"selects through spec.clusterSelectors[i]"| '
        'legend_w["WECs (clusters)"]:::wec',
        "  end",
    ]
    for node, data in _ordered_nodes(graph):
        lines.append(f'  {ids[node]}["{_mermaid_text(data["label"])}"]:::{data["kind"]}')
    for u, v, data in _ordered_edges(graph):
        lines.append(f'  {ids[u]} -->|"{_mermaid_text(data["label"])}"| {ids[v]}')
    for kind, colour in COLOURS.items():
        dashed = ",stroke-dasharray:4" if kind == "unbound" else ""
        lines.append(f"  classDef {kind} fill:{colour}{dashed}")
    return "\n".join(lines) + "\n"


# --- size checks ----------------------------------------------------------------------------


def mermaid_warnings(text: str, hint: str = NARROWING) -> list[str]:
    edges = text.count("-->") - LEGEND_MERMAID_EDGES
    out = []
    if edges > MERMAID_MAX_EDGES:
        out.append(
            f"this Mermaid chart has {edges} edges; Mermaid draws at most {MERMAID_MAX_EDGES} "
            f"by default (maxEdges): {hint}"
        )
    if len(text) > MERMAID_MAX_TEXT:
        out.append(
            f"this Mermaid chart is {len(text):,} characters; Mermaid accepts at most "
            f"{MERMAID_MAX_TEXT:,} by default (maxTextSize): {hint}"
        )
    return out


def dot_warnings(graph: Graph, hint: str = NARROWING) -> list[str]:
    """Graphviz lays ranks left to right; the tallest rank sets the picture's height. Each node
    takes about 0.75 inch of it at 96 dpi, so past ~450 nodes in one rank a bitmap is scaled
    down to fit cairo's limit and its text becomes unreadable."""
    ranks: dict[str, int] = {}
    for _, data in graph.nodes(data=True):
        rank = {"unbound": "object"}.get(data["kind"], data["kind"])
        lines = str(data["label"]).count("\n") + 1
        ranks[rank] = ranks.get(rank, 0) + lines
    tallest = max(ranks.values(), default=0)
    height = tallest * 72  # px: 0.5 inch node + 0.25 inch gap at 96 dpi, per text line
    if height <= GRAPHVIZ_MAX_PIXELS:
        return []
    return [
        f"this graph is about {height:,} px tall ({tallest} nodes in one column); Graphviz "
        f"scales bitmaps down to {GRAPHVIZ_MAX_PIXELS:,} px, which makes the text unreadable: "
        f"{hint}"
    ]


_SCALING = re.compile(r"Scaling by ([0-9.]+) to fit", re.IGNORECASE)


def render_image(dot_text: str, fmt: str, hint: str = NARROWING) -> tuple[bytes, list[str]]:
    """SVG or PNG through Graphviz's `dot`, which must be installed; and Graphviz's complaint,
    turned into a warning, when it had to shrink the bitmap."""
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
    warnings = []
    scaled = _SCALING.search(done.stderr.decode(errors="replace"))
    if scaled:
        warnings.append(
            f"Graphviz scaled the {fmt} down by {scaled.group(1)} to fit its size limit, "
            f"so the text is hard to read: {hint}"
        )
    return done.stdout, warnings
