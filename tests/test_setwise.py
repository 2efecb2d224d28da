"""The set-at-a-time evaluator derives the relations pyDatalog derives from the same rules.

Hand-derived cases for each thing its join does (checks, negation, constants, repeated
variables, projections, intersections, routing, aggregates), then every relation of binding.dl
against pyDatalog's plain evaluation on random snapshots, and the model built either way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
from hypothesis import given, settings
from test_incremental import observable
from test_properties import BASE_SETTINGS, snapshots

from bindlog.engine.facts import encode
from bindlog.engine.incremental import Model, checked_program
from bindlog.engine.interface import AGGREGATES, Aggregate
from bindlog.engine.kb import KnowledgeBase, program_facts
from bindlog.engine.program import parse_program
from bindlog.engine.setwise import SetEvaluator
from bindlog.errors import RuleError
from bindlog.model import Snapshot


def _eval(text: str, facts: dict[str, Any]) -> SetEvaluator:
    return SetEvaluator(parse_program(text, "t.dl").rules, facts)


def test_join_negation_and_constants() -> None:
    ev = _eval(
        "ok(X, Y) <= e(X, Z) & f(Z, Y) & ~bad(Y)\nred(X) <= c(X, 'red')\nmark(X, 'm') <= e(X, 1)",
        {
            "e": [(1, 2), (1, 3), (4, 1)],
            "f": [(2, "a"), (2, "b"), (3, "c")],
            "bad": [("b",)],
            "c": [("x", "red"), ("y", "blue")],
        },
    )
    # e(1,2)->a,b; e(1,3)->c; b is bad. e(4,1): no f(1, _).
    assert ev.relation("ok") == {(1, "a"), (1, "c")}
    assert ev.relation("red") == {("x",)}
    assert ev.relation("mark") == {(4, "m")}
    assert sorted(ev.rows("ok", (1, None))) == [(1, "a"), (1, "c")]
    assert ev.rows("ok", (None, "c")) == [(1, "c")]


def test_repeated_variable_in_a_literal_must_agree() -> None:
    ev = _eval(
        "loop(X) <= e(X, X)\nsym(X, Y) <= e(X, Y) & e(Y, X)", {"e": [(1, 1), (1, 2), (2, 1)]}
    )
    assert ev.relation("loop") == {(1,)}
    assert ev.relation("sym") == {(1, 1), (1, 2), (2, 1)}


def test_existential_variables_are_projected_away() -> None:
    # has(P) reads only whether p has some row: one row per P whatever the C's.
    ev = _eval(
        "has(P) <= sel(P, C) & ~gone(P)",
        {"sel": [(1, c) for c in range(50)] + [(2, 0)], "gone": [(2,)]},
    )
    assert ev.relation("has") == {(1,)}


def test_one_new_variable_meets_every_literal_it_completes() -> None:
    # OC is bound by cls and checked against lab (kept) and out (negated) in one intersection.
    ev = _eval(
        "adm(T, OC) <= test(T, G, L) & cls(OC, G) & lab(L, OC) & ~out(T, OC)",
        {
            "test": [("t1", "g", "l1"), ("t2", "h", "l1")],
            "cls": [(1, "g"), (2, "g"), (3, "h"), (4, "g")],
            "lab": [("l1", 1), ("l1", 2), ("l1", 3)],
            "out": [("t1", 2)],
        },
    )
    assert ev.relation("adm") == {("t1", 1), ("t2", 3)}


def test_rows_are_routed_through_the_literal_that_meets_fewest() -> None:
    # k1 is selective by ns, k2 by label: whichever is first, the answer is the intersection.
    facts: dict[str, Any] = {
        "key": [("k1", "n1", "all"), ("k2", "any", "l2")],
        "ns": [("n1", 1), ("n1", 2)] + [("any", o) for o in range(20)],
        "lab": [("all", o) for o in range(20)] + [("l2", 5)],
        "obj": [(o,) for o in range(20)],
    }
    ev = _eval("pick(K, O) <= key(K, N, L) & ns(N, O) & lab(L, O) & obj(O)", facts)
    assert ev.relation("pick") == {("k1", 1), ("k1", 2), ("k2", 5)}


def test_aggregate_counts_distinct_values() -> None:
    agg = Aggregate("n_of", "q", "how many")
    ev = SetEvaluator(
        parse_program("q(K, V) <= r(K, V, W)\nsingle(K) <= n_of(K, 1)", "t.dl").rules,
        {"r": [(1, "a", 0), (1, "a", 1), (1, "b", 0), (2, "a", 0)]},
        [agg],
    )
    assert ev.relation("n_of") == {(1, 2), (2, 1)}
    assert ev.relation("single") == {(2,)}


def test_unsafe_and_recursive_rules_are_refused() -> None:
    with pytest.raises(RuleError, match="unbound"):
        _eval("p(X) <= ~q(X)", {"q": [(1,)]}).relation("p")
    with pytest.raises(RuleError, match="recursive"):
        _eval("p(X) <= q(X)\nq(X) <= p(X)", {}).relation("p")


def test_unknown_relations_are_empty_and_facts_cannot_get_rules() -> None:
    assert _eval("p(X) <= nothing(X)", {}).relation("p") == set()
    with pytest.raises(RuleError, match="given as facts"):
        _eval("p(X) <= q(X)", {"p": [(1,)]})


def _pydatalog_relations(
    snapshot: Snapshot,
) -> tuple[dict[str, set[tuple[object, ...]]], SetEvaluator]:
    program = checked_program()
    enc, facts = encode(snapshot)
    kb = KnowledgeBase(program, materialize=False)
    kb.assert_facts(facts)
    arity = {r.head.predicate: len(r.head.args) for r in program.rules}
    for pred, n in arity.items():
        kb.ensure_compiled(pred, (None,) * n)
    kb.choose_plans(enc.clause_ids)
    for agg in AGGREGATES:
        kb.assert_facts({agg.name: kb.aggregate_rows(agg, None)})
    plain = {pred: set(kb.query(pred, (None,) * n)) for pred, n in arity.items()}
    ev = SetEvaluator(program.rules, {**program_facts(program), **facts}, AGGREGATES)
    return plain, ev


@settings(BASE_SETTINGS, max_examples=60)
@given(snapshots(valid_cluster_selectors=False))
def test_every_relation_equals_pydatalogs(snapshot: Snapshot) -> None:
    plain, ev = _pydatalog_relations(snapshot)
    for pred, rows in plain.items():
        assert ev.relation(pred) == rows, pred


@settings(BASE_SETTINGS, max_examples=40)
@given(snapshots(valid_cluster_selectors=False))
def test_model_built_set_at_a_time_equals_the_pydatalog_build(snapshot: Snapshot) -> None:
    assert observable(Model(snapshot).result) == observable(
        Model(snapshot, engine="pydatalog").result
    )


@settings(BASE_SETTINGS, max_examples=40)
@given(snapshots(valid_cluster_selectors=False))
def test_bound_questions_derive_what_the_whole_relation_holds(snapshot: Snapshot) -> None:
    # Every derived relation asked with each argument position bound (to each value the
    # relation holds there, and to one it does not) answers the matching rows of the whole.
    program = checked_program()
    _, facts = encode(snapshot)
    every = {**program_facts(program), **facts}
    whole = SetEvaluator(program.rules, every, AGGREGATES)
    for pred in sorted(program.derived):
        rows = whole.relation(pred)
        arity = len(program.rules_for(pred)[0].head.args)
        for pos in range(arity):
            values = [*sorted({r[pos] for r in rows}, key=str)[:4], "no-such-value"]
            bound = SetEvaluator(program.rules, every, AGGREGATES)
            for v in values:
                args = tuple(v if i == pos else None for i in range(arity))
                expected = {r for r in rows if r[pos] == v}
                assert set(bound.query(pred, args)) == expected, (pred, args)


def test_a_live_store_is_read_in_place_and_changes_are_seen() -> None:
    store: dict[str, set[tuple[Any, ...]]] = {"e": {(1, 2)}, "f": {(2, "x")}}
    ev = SetEvaluator(parse_program("p(X, Y) <= e(X, Z) & f(Z, Y)", "t.dl").rules, {}, (), store)
    assert ev.query("p", (1, None)) == [(1, "x")]
    store["f"].add((2, "y"))
    ev.update("f", added=[(2, "y")])
    assert sorted(ev.query("p", (1, None))) == [(1, "x"), (1, "y")]
    assert ev.relation("p") == {(1, "x"), (1, "y")}


def test_updates_patch_indexes_projections_and_value_sets_in_place() -> None:
    store: dict[str, set[tuple[Any, ...]]] = {
        "cls": {(1, "g", "n1"), (2, "g", "n1"), (3, "h", "n2")},
        "lab": {("l", 1), ("l", 3)},
        "test": {("t", "g", "l")},
    }
    rules = parse_program(
        "adm(T, OC) <= test(T, G, L) & cls(OC, G, NS) & lab(L, OC)\ngrp(G) <= cls(OC, G, NS)",
        "t.dl",
    ).rules
    ev = SetEvaluator(rules, {}, (), store)
    assert ev.relation("adm") == {("t", 1)}
    assert ev.relation("grp") == {("g",), ("h",)}
    assert ev.query("adm", ("t", None)) == [("t", 1)]
    # Move class 1 to group h, add class 4 in group g with the label; drop the label of 3.
    moved = [(1, "h", "n1"), (4, "g", "n2")]
    store["cls"] -= {(1, "g", "n1")}
    store["cls"] |= set(moved)
    ev.update("cls", added=moved, removed=[(1, "g", "n1")])
    store["lab"] |= {("l", 4)}
    store["lab"] -= {("l", 3)}
    ev.update("lab", added=[("l", 4)], removed=[("l", 3)])
    assert ev.query("adm", ("t", None)) == [("t", 4)]
    assert ev.relation("adm") == {("t", 4)}
    assert ev.relation("grp") == {("g",), ("h",)}
    # The last row of group h goes: grp's projection forgets h only then.
    for row in [(1, "h", "n1"), (3, "h", "n2")]:
        store["cls"].discard(row)
        ev.update("cls", removed=[row])
    assert ev.relation("grp") == {("g",)}


def test_pydatalog_asked_directly_after_a_set_at_a_time_build_knows_every_input() -> None:
    # No selector matches anything: no wec_selector_matches fact at all. Handing the facts
    # over to pyDatalog (a prover asking it directly) must still know the predicate.
    from bindlog.adapters.selectors import parse_selector
    from bindlog.model import BindingPolicy, Cluster

    sel = parse_selector({"matchLabels": {"env": "prod"}}, "spec", [])
    snapshot = Snapshot(
        clusters=(Cluster("wec0", ()),),
        policies=(BindingPolicy("p", "uid", (sel,), ()),),
    )
    result = Model(snapshot).result
    assert result.backend.query("wec_selector_matches", (None, None)) == []
    assert result.kb.query("selects_wec", (None, None)) == []
