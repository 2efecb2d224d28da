"""`bindlog completion bash|zsh|fish`: shell completion generated from the argument parser,
so it always knows the commands, flags and choices of this version."""

from __future__ import annotations

import argparse
import shlex
from typing import Any, TextIO

from bindlog.cli.common import EXIT_OK
from bindlog.cli.parser import examples

SHELLS = ("bash", "zsh", "fish")
PROGRAMS = ("bindlog", "kubectl-bindlog")
PATH_FLAGS = ("-f", "--filename", "--output-file", "--output-dir", "--junit")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a shell completion script for bindlog and kubectl-bindlog.",
        **examples(
            "source <(bindlog completion bash)                  # bash, this shell",
            "bindlog completion bash > /etc/bash_completion.d/bindlog",
            "source <(bindlog completion zsh)                   # zsh",
            "bindlog completion fish > ~/.config/fish/completions/bindlog.fish",
        ),
    )
    parser.add_argument("shell", choices=SHELLS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from bindlog.cli import build_parser

    commands = _commands(build_parser())
    out.write({"bash": bash, "zsh": zsh, "fish": fish}[args.shell](commands))
    return EXIT_OK


Command = tuple[str, str, list[argparse.Action]]  # name, help, actions


def _commands(parser: argparse.ArgumentParser) -> list[Command]:
    out: list[Command] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                out.append((name, helps.get(name, ""), list(sub._actions)))
    return out


def _choices(action: argparse.Action) -> list[str]:
    if action.choices:
        return [str(c) for c in action.choices]
    formats = getattr(action.type, "formats", None)
    if formats:
        return [f"{f}=" if f in ("jsonpath", "custom-columns") else f for f in formats]
    return []


def _flags(actions: list[argparse.Action]) -> list[str]:
    return [o for a in actions for o in a.option_strings]


def bash(commands: list[Command]) -> str:
    names = " ".join(c[0] for c in commands)
    cases = []
    for name, _, actions in commands:
        value_cases = []
        for a in actions:
            if not a.option_strings:
                continue
            pattern = "|".join(a.option_strings)
            if choices := _choices(a):
                words = shlex.quote(" ".join(choices))
                value_cases.append(
                    f'            {pattern}) COMPREPLY=($(compgen -W {words} -- "$cur")); return;;'
                )
            elif any(o in PATH_FLAGS for o in a.option_strings):
                value_cases.append(
                    f'            {pattern}) COMPREPLY=($(compgen -f -- "$cur")); return;;'
                )
        positional = [c for a in actions if not a.option_strings for c in _choices(a)]
        words = shlex.quote(" ".join(_flags(actions) + positional))
        cases.append(
            f"        {name})\n"
            f'            case "$prev" in\n'
            + "\n".join(value_cases)
            + ("\n" if value_cases else "")
            + "            esac\n"
            f'            COMPREPLY=($(compgen -W {words} -- "$cur"));;'
        )
    return f"""# bash completion for bindlog and kubectl-bindlog: source <(bindlog completion bash)
_bindlog() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" cmd="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            -*) ;;
            *) cmd="${{COMP_WORDS[i]}}"; break;;
        esac
    done
    case "$cmd" in
        "") COMPREPLY=($(compgen -W '{names} --version --help' -- "$cur"));;
{chr(10).join(cases)}
    esac
}}
complete -o default -F _bindlog {" ".join(PROGRAMS)}
"""


def zsh(commands: list[Command]) -> str:
    return (
        f"#compdef {' '.join(PROGRAMS)}\n"
        "# zsh completion for bindlog: source <(bindlog completion zsh)\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + bash(commands)
    )


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish(commands: list[Command]) -> str:
    lines = ["# fish completion for bindlog: bindlog completion fish | source"]
    for prog in PROGRAMS:
        lines.append(f"complete -c {prog} -f")
        lines.append(
            f"complete -c {prog} -n __fish_use_subcommand -l version -d 'print the version'"
        )
        for name, help_text, actions in commands:
            lines.append(
                f"complete -c {prog} -n __fish_use_subcommand -a {name} -d {_fish_quote(help_text)}"
            )
            seen = f"-n '__fish_seen_subcommand_from {name}'"
            for a in actions:
                if not a.option_strings:
                    if choices := _choices(a):
                        lines.append(
                            f"complete -c {prog} {seen} -a {_fish_quote(' '.join(choices))}"
                        )
                    continue
                parts = [f"complete -c {prog} {seen}"]
                for o in a.option_strings:
                    parts.append(f"-l {o[2:]}" if o.startswith("--") else f"-s {o[1:]}")
                if choices := _choices(a):
                    parts.append(f"-x -a {_fish_quote(' '.join(choices))}")
                elif any(o in PATH_FLAGS for o in a.option_strings):
                    parts.append("-r -F")
                elif a.nargs != 0:
                    parts.append("-x")
                if a.help:
                    parts.append(f"-d {_fish_quote(a.help.split('(')[0].strip())}")
                lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"
