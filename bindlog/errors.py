"""Errors raised by the library; only the CLI prints them and picks exit codes."""

from __future__ import annotations

from dataclasses import dataclass

from bindlog.model import Source
from bindlog.textsafe import escape_terminal

MAX_REPORTED_PROBLEMS = 200
# An echoed value is cut to this many characters (head and tail kept): a 10 MB label value
# needs no more to be recognised, and a terminal should not scroll through it.
MAX_ECHOED = 300


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with the input, rendered the apimachinery field-error way."""

    source: Source | None
    obj: str  # "BindingPolicy/nginx", or "" when the document has no usable identity
    field: str  # "spec.clusterSelectors[0].matchExpressions[0].operator"
    detail: str

    def __str__(self) -> str:
        """One line, safe for a terminal: controls escaped, long values cut in the middle."""
        field, detail = _safe(self.field), _safe(self.detail, MAX_ECHOED * 2)
        if self.source is None and not self.obj:
            return f"{field}: {detail}" if field else detail
        where = _safe(str(self.source)) if self.source else "<input>"
        head = f"{where} {_safe(self.obj)}" if self.obj else where
        return f"{head}: {field}: {detail}" if field else f"{head}: {detail}"


def _safe(text: str, limit: int = MAX_ECHOED) -> str:
    return escape_terminal(text, keep_newlines=False, limit=limit)


class BindlogError(Exception):
    """Base of every error the CLI turns into exit status 1."""


class InputError(BindlogError):
    """The input is invalid; carries every problem found, not only the first."""

    def __init__(self, problems: list[InputProblem] | tuple[InputProblem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        shown = [str(p) for p in self.problems[:MAX_REPORTED_PROBLEMS]]
        extra = len(self.problems) - len(shown)
        if extra > 0:
            shown.append(f"... and {extra} more")
        return "\n".join(shown)


class RuleError(BindlogError):
    """The bundled rule program is malformed: a bug of bindlog, not of the input."""


class ExportError(BindlogError):
    """Writing the result failed; nothing was changed."""
