"""The graph sizes the CLI names in its help: kept apart from the graph modules, which import
networkx, so that building the parser (every command) does not."""

from __future__ import annotations

AUTO_NODES = 40  # --aggregate auto: group once more WEC and object nodes than this
MAX_RENDER_EDGES = 2_000  # `dot` on more takes minutes and draws a picture nobody can read
