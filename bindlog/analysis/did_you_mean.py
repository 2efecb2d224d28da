"""Near misses for a mistyped name: the "did you mean" of every lookup."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(word: str, candidates: Iterable[str]) -> str:
    """` (did you mean "x"?)` for the closest candidates, or "" when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    listed = " or ".join(f'"{c}"' for c in close)
    return f" (did you mean {listed}?)"
