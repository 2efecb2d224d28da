"""Plans change only the cost: every plan the compiler derives from the rule text gives the same
relations, and the compiled access paths agree with the rules as written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import given, settings
from test_incremental import observable
from test_properties import BASE_SETTINGS, snapshots

from bindlog.engine.incremental import Model, checked_program
from bindlog.engine.interface import MEMBERSHIP
from bindlog.engine.kb import PLANNED
from bindlog.engine.labelsets import members as bit_members
from bindlog.engine.planner import Compiler, order_body
from bindlog.engine.program import Var
from bindlog.model import Snapshot


def _plan_count() -> int:
    compiler = Compiler(checked_program(), dict(PLANNED))
    compiler.compile("policy_object", "ffff")
    return max(len(p.orders) for rules in compiler.plans.values() for p in rules)


def test_class_admitted_is_compiled_as_several_plans_from_one_rule() -> None:
    program = checked_program()
    assert len(program.rules_for("class_admitted")) == 1
    compiler = Compiler(program, dict(PLANNED))
    compiler.compile("class_admitted", "bf")
    (planned,) = compiler.plans[("class_admitted", "bf")]
    drivers = {order[1].predicate for order in planned.orders}
    # Enumerate through the labels, the resources or the namespaces a clause admits (or scan).
    assert {"labels_pass", "resource_test_admits", "namespace_test_admits"} <= drivers
    for order in planned.orders:
        assert sorted(map(str, order)) == sorted(map(str, planned.rule.body))


def test_orders_bind_before_negation_and_follow_bound_arguments() -> None:
    program = checked_program()
    (rule,) = program.rules_for("selects_wec_via")
    order = order_body(rule.body, {"C"}, program.derived)
    assert [a.predicate for a in order] == ["wec", "wec_selector_matches", "policy_wec_selector"]
    for rule in program.rules:
        order = order_body(rule.body, set(), program.derived)
        bound: set[str] = set()
        for atom in order:
            names = {a.name for a in atom.args if isinstance(a, Var)}
            if atom.negated:
                assert names <= bound, rule.rule_id
            bound |= names


@settings(BASE_SETTINGS, max_examples=25)
@given(snapshots(valid_cluster_selectors=False))
def test_every_plan_gives_the_same_relations(snapshot: Snapshot) -> None:
    # pyDatalog derives everything through the planned access paths (not set-at-a-time).
    chosen = observable(Model(snapshot, engine="pydatalog").result)
    for plan in range(_plan_count()):
        forced = Model(snapshot, forced_plan=plan, engine="pydatalog")
        assert observable(forced.result) == chosen, plan


def test_selects_wec_is_derived_per_selector_and_expanded_through_both_memberships() -> None:
    compiler = Compiler(checked_program(), dict(PLANNED), membership=dict(MEMBERSHIP))
    chain = compiler.class_chain("selects_wec", 1)
    # Per WEC class, then per selector: the builtin's classes stand in for the WECs.
    assert [membership for _, membership in chain] == ["wec", "wec_selector_matches"]


@settings(BASE_SETTINGS, max_examples=25)
@given(snapshots(valid_cluster_selectors=False))
def test_class_expansion_gives_the_relation_the_rules_derive(snapshot: Snapshot) -> None:
    # The expanded per-selector rows (what a full evaluation reads) equal selects_wec asked
    # whole through its plain access path.
    model = Model(snapshot)
    kb, enc = model._kb, model._enc
    members: dict[str, dict[Any, list[Any]]] = {"wec": {}, "wec_selector_matches": {}}
    for c, wc in enc.wec_classes.items():
        members["wec"].setdefault(wc, []).append(c)
    for s, mask in enc.wec_space.emitted.items():
        members["wec_selector_matches"][s] = bit_members(mask)
        for wc in bit_members(mask):
            assert s in enc.wec_space.selectors_of(wc)  # the walk up, from the same masks
    with kb.session():
        expanded = kb.query_expanded("selects_wec", 1, members)
        plain = kb.query("selects_wec", (None, None))
        found = kb.class_rows("selects_wec", 1)
    assert expanded is not None
    assert found is not None
    assert sorted(expanded) == sorted(plain)
    # Expanded through the selectors' bitsets (what a full evaluation does): the same rows.
    masks = {"wec_selector_matches": enc.wec_space.emitted}
    by_masks = kb.expand(found[0], found[1], 1, {"wec": members["wec"]}, masks)
    assert sorted(by_masks) == sorted(plain)
