"""The rule program: parsed from the same text pyDatalog runs, stratified, and documented."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from bindlog.adapters import load
from bindlog.engine import interface
from bindlog.engine.evaluate import evaluate
from bindlog.engine.facts import encode
from bindlog.engine.program import bundled_program, parse_program
from bindlog.errors import RuleError

BUILTINS = {p.name for p in interface.BUILTINS} | {a.name for a in interface.AGGREGATES}


def test_every_rule_says_which_kubestellar_behaviour_it_encodes() -> None:
    program = bundled_program()
    assert len(program.rules) > 20
    for rule in program.rules:
        assert rule.comment, rule.rule_id


def test_every_body_predicate_is_derived_input_or_builtin() -> None:
    program = bundled_program()
    fixture = Path(__file__).resolve().parent / "explain" / "fixture"
    inputs = set(encode(load([str(fixture)]).snapshot)[1])
    catalogue = resources.files("bindlog.rules").joinpath("README.md").read_text()
    documented = set(re.findall(r"`([a-z_]+)\(", catalogue))
    for rule in program.rules:
        for atom in rule.body:
            name = atom.predicate
            assert name in program.derived or name in BUILTINS or name in documented, name
    # The catalogue names no predicate the rules do not use, and every input the engine writes.
    used = {a.predicate for r in program.rules for a in r.body} | program.derived
    assert documented <= used, documented - used
    assert inputs <= documented | BUILTINS, inputs - documented


def test_negation_inside_recursion_is_rejected() -> None:
    with pytest.raises(RuleError, match="negation inside a recursive cycle"):
        parse_program("p(X) <= q(X) & ~r(X)\nr(X) <= p(X)\n")


def test_only_the_constant_rule_text_is_ever_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyDatalog import pyDatalog

    loaded: list[str] = []
    real_load = pyDatalog.load

    def spy(code: str) -> None:
        loaded.append(code)
        real_load(code)

    monkeypatch.setattr(pyDatalog, "load", spy)
    fixture = Path(__file__).resolve().parent / "explain" / "fixture"
    result = evaluate(load([str(fixture)]).snapshot)
    assert result.resolutions
    # Loaded: the constant facts of binding.dl, then rules compiled from its parsed text. Every
    # statement must be one of those: the program's facts, or a rule whose head and body
    # predicates are the program's own (or their compiled access paths and plan guards) and
    # whose constants all appear in binding.dl.
    program = bundled_program()
    constants = {
        repr(a)
        for atom in (*program.facts, *(x for r in program.rules for x in (r.head, *r.body)))
        for a in atom.args
        if isinstance(a, str)
    }
    names = program.derived | {a.predicate for r in program.rules for a in r.body}
    names |= {f.predicate for f in program.facts}
    assert loaded
    for chunk in loaded:
        for line in chunk.splitlines():
            for pred in re.findall(r"([a-z_][a-z0-9_]*)\(", line):
                assert pred.split("__")[0] in names, line
            for const in re.findall(r"'[^']*'", line):
                assert const in constants, line
