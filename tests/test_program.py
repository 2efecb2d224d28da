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
from bindlog.engine.planner import CompiledRule
from bindlog.engine.program import Var, bundled_program, parse_program
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


def test_only_rules_compiled_from_binding_dl_reach_pydatalog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No text is ever handed to pyDatalog; every rule it receives is compiled from the parsed
    binding.dl: predicates of the program (or their access paths and plan guards) and
    constants written in the program."""
    from pyDatalog import pyDatalog

    from bindlog.engine.pydatalog_backend import Backend

    # The pyDatalog engine (the default one evaluates set-at-a-time and never loads it).
    monkeypatch.setenv("BINDLOG_ENGINE", "pydatalog")
    texts: list[str] = []
    monkeypatch.setattr(pyDatalog, "load", lambda code: texts.append(code))
    added: list[CompiledRule] = []
    real_add = Backend.add_rules

    def spy(self: Backend, rules: list[CompiledRule]) -> None:
        rules = list(rules)
        added.extend(rules)
        real_add(self, rules)

    monkeypatch.setattr(Backend, "add_rules", spy)
    fixture = Path(__file__).resolve().parent / "explain" / "fixture"
    result = evaluate(load([str(fixture)]).snapshot)
    assert result.resolutions
    assert texts == []
    program = bundled_program()
    constants = {
        a
        for atom in (*program.facts, *(x for r in program.rules for x in (r.head, *r.body)))
        for a in atom.args
        if not isinstance(a, Var)
    }
    names = program.derived | {a.predicate for r in program.rules for a in r.body}
    assert added
    for rule in added:
        for lit in (rule.head, *rule.body):
            assert lit.name.split("__")[0] in names, rule
            assert all(isinstance(a, Var) or a in constants for a in lit.args), rule
