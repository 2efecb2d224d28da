"""Property: every bound tuple has a proof resting on true input facts, and every unbound one a
refutation whose failing premises are really false — checked against the input and an
independent selector matcher, not against the prover itself."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import given, settings
from reference import selector_matches
from test_properties import BASE_SETTINGS, snapshots

from bindlog.engine.evaluate import Result, evaluate
from bindlog.engine.interface import BUILTINS, INPUTS
from bindlog.engine.program import bundled_program
from bindlog.engine.provenance import Fact, Proof, ProofKind, Prover, Refutation
from bindlog.model import Snapshot

Value = str | int | None


def _edb_rows(result: Result, predicate: str) -> set[tuple[Value, ...]]:
    arity = _ARITY.get(predicate)
    if arity is None:
        return set()
    return {tuple(r) for r in result.kb.query(predicate, (None,) * arity)}


_ARITY = {p.name: p.arity for p in (*INPUTS, *BUILTINS)} | {
    a.predicate: len(a.args) for a in bundled_program().facts
}


def _matches(pattern: tuple[Value, ...], row: tuple[Value, ...]) -> bool:
    return all(p is None or p == v for p, v in zip(pattern, row, strict=True))


def _builtin_true(result: Result, fact: Fact) -> bool:
    """Independent check of a selector-builtin fact, with the reference matcher."""
    enc, snap = result.encoding, result.snapshot
    s, subject = fact.args[0], fact.args[1]
    assert s is not None
    assert subject is not None
    if fact.predicate == "wec_selector_matches":
        wecs = [c for c, wc in enc.wec_classes.items() if wc == subject]
        assert wecs
        return all(
            selector_matches(enc.wec_selectors[int(s)], dict(enc.wecs[c].labels)) for c in wecs
        )
    if fact.predicate == "object_selector_matches":
        members = [int(str(o)) for o, _, oc in _edb_rows(result, "workload") if oc == subject]
        assert members
        return all(
            selector_matches(enc.object_selectors[int(s)], dict(enc.objects[o].labels))
            for o in members
        )
    members_ns = [n for n in snap.namespaces if enc.namespace_classes[n.name] == subject]
    assert members_ns
    return all(
        selector_matches(enc.namespace_selectors[int(s)], dict(n.labels)) for n in members_ns
    )


def _check_proof(result: Result, proof: Proof) -> None:
    fact = proof.fact
    assert all(a is not None for a in fact.args)
    if proof.kind is ProofKind.INPUT:
        assert fact.args in _edb_rows(result, fact.predicate), fact
    elif proof.kind is ProofKind.BUILTIN:
        assert _builtin_true(result, fact), fact
    elif proof.kind is ProofKind.ABSENT:
        assert not result.kb.query(fact.predicate, list(fact.args)), fact
    else:
        assert proof.rule is not None
        assert not proof.partial
        # Every derived fact of a proof is one pyDatalog derives too (no exemption).
        assert result.kb.query(fact.predicate, list(fact.args)), fact
        assert len(proof.premises) == len(proof.rule.body)
        for premise in proof.premises:
            _check_proof(result, premise)


def _really_false(result: Result, fact: Fact, derived: frozenset[str]) -> bool:
    if fact.predicate in {"wec_selector_matches", "object_selector_matches"} | {
        "namespace_selector_matches"
    }:
        return all(a is not None for a in fact.args[:2]) and not _builtin_true(result, fact)
    if fact.predicate not in derived:
        return not any(_matches(fact.args, r) for r in _edb_rows(result, fact.predicate))
    return not result.kb.query(fact.predicate, list(fact.args))


def _check_refutation(result: Result, ref: Refutation, derived: frozenset[str]) -> None:
    assert _really_false(result, ref.fact, derived), ref.fact
    for attempt in ref.attempts:
        for failure in attempt.failures:
            if failure.failed.negated:
                # A negated premise fails because its fact holds.
                assert any(
                    _matches(failure.failed_fact.args, r)
                    for r in _edb_rows(result, failure.failed_fact.predicate)
                ) or result.kb.query(failure.failed_fact.predicate, list(failure.failed_fact.args))
            else:
                assert _really_false(result, failure.failed_fact, derived), failure.failed_fact
            for held in failure.held:
                if held.kind is ProofKind.INPUT:
                    assert held.fact.args in _edb_rows(result, held.fact.predicate)
            if failure.reason is not None:
                _check_refutation(result, failure.reason, derived)


@settings(BASE_SETTINGS, max_examples=40)
@given(snapshots(valid_cluster_selectors=True))
def test_proofs_and_refutations_rest_on_true_facts(snapshot: Snapshot) -> None:
    result = evaluate(snapshot)
    prover = Prover(bundled_program(), result.backend, result.encoding)
    derived = bundled_program().derived
    enc = result.encoding
    for p, res in result.items():
        for o, obj in enc.objects.items():
            for c, cluster in enc.wecs.items():
                goal = Fact("binds", (c, o, p))
                bound = obj in res.objects and cluster.name in res.destinations
                if bound:
                    proof = prover.prove(goal)
                    assert proof is not None, goal
                    assert proof.fact == goal
                    _check_proof(result, proof)
                    assert prover.refute(goal) is None
                else:
                    assert prover.prove(goal) is None, goal
                    ref = prover.refute(goal)
                    assert ref is not None, goal
                    assert ref.attempts, goal
                    _check_refutation(result, ref, derived)
