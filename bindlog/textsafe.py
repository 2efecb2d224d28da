"""Text that reaches a terminal: control characters escaped, echoed values shortened.

Names and values come from the input, and a terminal obeys what it is sent: ESC sequences can
retitle the window, move the cursor or hide the line before them, a CR can overwrite what was
printed. kubectl escapes ESC and CR in what it prints (printers.EscapeTerminal); bindlog escapes
every C0 and C1 control, DEL, and the bidirectional overrides that reorder a line on screen
(Trojan Source), as Python writes them in a string literal: ESC becomes `\\x1b`. Newlines and
tabs are kept in multi-line output (`keep_newlines`), escaped elsewhere.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, line/paragraph separators,
# and lone surrogates (which no terminal encoding can carry).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\t\n]"
)
_UNSAFE_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def needs_escape(text: str, keep_newlines: bool = True) -> bool:
    pattern = _UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE
    return pattern.search(text) is not None


def escape_terminal(text: str, keep_newlines: bool = True, limit: int | None = None) -> str:
    """`text` safe to print: controls escaped; if `limit` is given, cut to about that many
    characters, keeping the head and the tail (where messages put the reason)."""
    if limit is not None:
        text = truncate_middle(text, limit)
    pattern = _UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE
    return pattern.sub(_escape_char, text)


def truncate_middle(text: str, limit: int) -> str:
    """At most about `limit` characters: head and tail kept, the middle said, not shown."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}...({len(text) - head - tail} characters not shown)...{text[-tail:]}"
