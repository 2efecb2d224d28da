"""Errors raised by the library; only the CLI prints them and picks exit codes."""

from __future__ import annotations

from dataclasses import dataclass

from bindlog.model import Source

MAX_REPORTED_PROBLEMS = 200


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with the input, rendered the apimachinery field-error way."""

    source: Source | None
    obj: str  # "BindingPolicy/nginx", or "" when the document has no usable identity
    field: str  # "spec.clusterSelectors[0].matchExpressions[0].operator"
    detail: str

    def __str__(self) -> str:
        if self.source is None and not self.obj:
            return f"{self.field}: {self.detail}" if self.field else self.detail
        where = str(self.source) if self.source else "<input>"
        parts = [where]
        if self.obj:
            parts.append(f" {self.obj}")
        head = "".join(parts)
        return f"{head}: {self.field}: {self.detail}" if self.field else f"{head}: {self.detail}"


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
