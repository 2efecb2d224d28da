"""The argument parser: kubectl-like help with examples, and "did you mean" on typos."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from bindlog.analysis.did_you_mean import suggest

_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")
_UNRECOGNIZED = "unrecognized arguments: "


class BindlogParser(argparse.ArgumentParser):
    """argparse with suggestions for mistyped commands, choices and flags."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._seen = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def _command_parser(self) -> argparse.ArgumentParser:
        """The subcommand's parser, whose flags an unrecognized one is compared with."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for word in getattr(self, "_seen", []):
                    if word in action.choices:
                        parser: argparse.ArgumentParser = action.choices[word]
                        return parser
        return self

    def error(self, message: str) -> NoReturn:
        match = _INVALID_CHOICE.search(message)
        if match:
            choices = re.findall(r"'([^']*)'", match.group(2))
            message += suggest(match.group(1), choices)
        elif message.startswith(_UNRECOGNIZED):
            flags = [f for f in self._command_parser()._option_string_actions if f[:2] == "--"]
            hints = [
                suggest(word.split("=", 1)[0], flags)
                for word in message.removeprefix(_UNRECOGNIZED).split()
                if word.startswith("--")
            ]
            message += "".join(h for h in hints if h)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def examples(*lines: str) -> dict[str, Any]:
    """Keyword arguments for add_parser: an Examples section that keeps its layout."""
    body = "\n".join(f"  {line}" for line in lines)
    return {
        "epilog": f"examples:\n{body}",
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
