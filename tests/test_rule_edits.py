"""The rules are the single source of truth: edit binding.dl and both the Bindings and the
explanations follow, with no Python change."""

from __future__ import annotations

import pytest

from bindlog.analysis.why import Explainer
from bindlog.engine.evaluate import rules_text
from bindlog.engine.incremental import Model
from bindlog.engine.interface import check_interface
from bindlog.engine.program import parse_program
from bindlog.errors import RuleError
from bindlog.export.bindings import bindings
from bindlog.model import (
    BindingPolicy,
    Cluster,
    DownsyncClause,
    LabelSelector,
    Modulation,
    ObjectRef,
    Operator,
    Requirement,
    Snapshot,
    WorkloadObject,
)


def _program(text: str) -> object:
    program = parse_program(text)
    check_interface(program)
    return program


def _edit(old: str, new: str) -> str:
    text = rules_text()
    assert old in text, old
    return text.replace(old, new)


EVERY = LabelSelector()
EDGE = LabelSelector((Requirement("loc", Operator.IN, ("edge",)),), text="loc=edge")
DEPLOY = WorkloadObject(ObjectRef("apps", "v1", "deployments", "ns", "web"), "Deployment", ())
LEASE = WorkloadObject(ObjectRef("coordination.k8s.io", "v1", "leases", "ns", "lock"), "Lease", ())
SNAPSHOT = Snapshot(
    clusters=(Cluster("edge1", (("loc", "edge"),)), Cluster("cloud1", (("loc", "cloud"),))),
    objects=(DEPLOY, LEASE),
    policies=(
        BindingPolicy(
            "p",
            "uid-p",
            (EDGE,),
            (
                DownsyncClause(modulation=Modulation(create_only=True)),
                DownsyncClause(resources=("deployments",)),
            ),
        ),
    ),
)


def _entries(model: Model) -> dict[str, dict[str, object]]:
    (binding,) = bindings(model.result)
    return {e["name"]: e for e in binding["spec"]["workload"]["namespaceScope"]}


def _why_text(model: Model, obj: WorkloadObject, wec: str) -> list[str]:
    report = Explainer(model.result).explain_object(obj, wec)
    return [str(p.fact) for p in report.proofs] + [v.policy for v in report.verdicts]


def test_create_only_merged_by_and_instead_of_or() -> None:
    assert _entries(Model(SNAPSHOT))["web"].get("createOnly") is True
    text = _edit(
        "clause_modulation(J, 'createOnly', '') <= clause_create_only(J)\n",
        "policy_object(P, O, 'createOnly', '') <= clause(P, J) & clause_create_only(J)"
        " & clause_matches(J, O) & ~matched_without_create_only(P, O)\n"
        "matched_without_create_only(P, O) <= clause(P, J) & clause_matches(J, O)"
        " & ~clause_create_only(J)\n",
    )
    model = Model(SNAPSHOT, program=_program(text))  # type: ignore[arg-type]
    # web is matched by a clause without createOnly too: AND gives false.
    assert "createOnly" not in _entries(model)["web"]


def test_dropping_the_never_downsync_check_binds_leases_and_why_says_so() -> None:
    assert "lock" not in _entries(Model(SNAPSHOT))
    base = Explainer(Model(SNAPSHOT).result).explain_object(LEASE, "edge1")
    assert not base.proofs
    text = _edit(
        "resource_test_admits(TR, G, R) <= known_resource_of_group(G, R) & group_passes(TR, G)"
        " & resource_passes(TR, R) & watched(G, R)",
        "resource_test_admits(TR, G, R) <= known_resource_of_group(G, R) & group_passes(TR, G)"
        " & resource_passes(TR, R)",
    )
    model = Model(SNAPSHOT, program=_program(text))  # type: ignore[arg-type]
    assert "lock" in _entries(model)
    report = Explainer(model.result).explain_object(LEASE, "edge1")
    assert report.proofs
    assert "watched" not in repr(report.proofs[0])


def test_an_extra_condition_on_wec_selection_is_followed_by_resolve_and_why() -> None:
    base = Model(SNAPSHOT)
    (binding,) = bindings(base.result)
    assert binding["spec"]["destinations"] == [{"clusterId": "edge1"}]
    assert Explainer(base.result).explain_object(DEPLOY, "edge1").proofs
    # Extra condition: the WEC must not be in label class 0 (edge1's class: it is loaded first).
    text = _edit(
        "selects_wec(P, C) <= selects_wec_via(P, S, C)",
        "selects_wec(P, C) <= selects_wec_via(P, S, C) & ~wec(C, 0)",
    )
    model = Model(SNAPSHOT, program=_program(text))  # type: ignore[arg-type]
    (binding,) = bindings(model.result)
    assert "destinations" not in binding["spec"]
    report = Explainer(model.result).explain_object(DEPLOY, "edge1")
    assert not report.proofs
    (verdict,) = report.verdicts
    assert verdict.selects_object
    assert not verdict.selects_wec


def test_an_undeclared_modulation_is_refused_when_the_rules_load() -> None:
    text = _edit(
        "clause_modulation(J, 'createOnly', '') <= clause_create_only(J)",
        "clause_modulation(J, 'createOnce', '') <= clause_create_only(J)",
    )
    with pytest.raises(RuleError, match="createOnce"):
        _program(text)


def test_reading_an_unknown_predicate_is_refused_when_the_rules_load() -> None:
    text = _edit("watched(G, R) <= known_resource_of_group(G, R)", "watched(G, R) <= kown(G, R)")
    with pytest.raises(RuleError, match="kown"):
        _program(text)


def test_a_predicate_a_rule_edit_adds_is_worded_from_the_catalogue() -> None:
    """An output the explainer has no wording of its own for reads as its catalogue meaning."""
    from bindlog.analysis.describe import Describer
    from bindlog.engine.provenance import Fact

    model = Model(SNAPSHOT)
    describer = Describer(model.result.encoding)
    p = model.result.ids[0]
    assert describer.describe(Fact("has_binding", (p,))).text == (
        "KubeStellar writes a Binding for BindingPolicy/p"
    )
