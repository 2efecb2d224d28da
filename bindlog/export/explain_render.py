"""Explanations as text (an indented tree, colour on a terminal only) and as JSON.

The JSON schema is documented in docs/explain.md and versioned by `schemaVersion`.
"""

from __future__ import annotations

import json
from typing import Any

from bindlog.adapters.namespaces import missing_namespace_note
from bindlog.analysis.describe import Describer
from bindlog.analysis.why import Leaf, ObjectReport, PolicyReport, Verdict, Via, WecReport
from bindlog.engine.provenance import Proof
from bindlog.export.columns import natural_sorted
from bindlog.model import Modulation, WorkloadObject

SCHEMA_VERSION = 1


class Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def ok(self, text: str) -> str:
        return self._wrap("32", text)

    def bad(self, text: str) -> str:
        return self._wrap("31", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)


def modulation_json(mod: Modulation) -> dict[str, Any]:
    return {
        "createOnly": mod.create_only,
        "statusCollectors": sorted(mod.status_collectors),
        "wantSingletonReportedState": mod.want_singleton_reported_state,
        "wantMultiWECReportedState": mod.want_multi_wec_reported_state,
    }


def object_json(obj: WorkloadObject) -> dict[str, Any]:
    r = obj.ref
    return {
        "group": r.group,
        "version": r.version,
        "resource": r.resource,
        "namespace": r.namespace,
        "name": r.name,
        "kind": obj.kind,
        "source": str(obj.source),
    }


def _via_json(via: Via) -> dict[str, Any]:
    return {
        "policy": via.policy,
        "clauses": list(via.clauses),
        "clusterSelectors": list(via.cluster_selectors),
        "modulation": modulation_json(via.modulation),
    }


def _leaf_json(leaf: Leaf) -> dict[str, Any]:
    return {"text": leaf.text, "source": leaf.source, "holds": leaf.holds}


def proof_json(proof: Proof, describer: Describer, ctx: dict[str, Any] | None = None) -> Any:
    env = {**(ctx or {}), **dict(proof.bindings)}
    described = describer.describe(proof.fact, env)
    out: dict[str, Any] = {
        "fact": str(proof.fact),
        "text": described.text,
        "kind": proof.kind.value,
    }
    if proof.rule is not None:
        out["rule"] = proof.rule.rule_id
        out["because"] = proof.rule.comment
        out["bindings"] = dict(proof.bindings)
    if described.source is not None:
        out["source"] = str(described.source)
    if proof.partial:
        out["partial"] = True
    if proof.premises:
        out["premises"] = [proof_json(p, describer, env) for p in proof.premises]
    return out


def _verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "policy": v.policy,
        "selectsObject": v.selects_object,
        "selectsWec": v.selects_wec,
        "objectReasons": [
            {"clause": clause, "facts": [_leaf_json(leaf) for leaf in leaves]}
            for clause, leaves in v.object_reasons
        ],
        "wecReasons": [_leaf_json(leaf) for leaf in v.wec_reasons],
    }


def object_report_json(report: ObjectReport, describer: Describer) -> dict[str, Any]:
    return {
        "kind": "ObjectExplanation",
        "schemaVersion": SCHEMA_VERSION,
        "object": object_json(report.obj),
        "neverDownsynced": report.never_downsynced,
        "namespaceSelectorsInvolved": report.namespace_selectors_involved,
        "namespaceMissing": report.missing_namespace,
        "boundTo": [
            {"wec": wec, "via": [_via_json(v) for v in vias]}
            for wec, vias in sorted(report.bound.items())
        ],
        "throughPolicies": _through_policies_json(report),
        "selectedWithoutDestinations": sorted(report.selected_without_wecs),
        "wec": report.wec,
        "bound": None if report.wec is None else report.wec in report.bound,
        "proofs": [proof_json(p, describer) for p in report.proofs],
        "notBound": [_verdict_json(v) for v in report.verdicts],
    }


def _through_policies_json(report: ObjectReport) -> list[dict[str, Any]]:
    """boundTo regrouped per policy: its WEC count and WECs (natural order)."""
    wecs: dict[str, list[str]] = {}
    for wec, vias in report.bound.items():
        for via in vias:
            wecs.setdefault(via.policy, []).append(wec)
    return [
        {"policy": p, "wecCount": len(wecs[p]), "wecs": natural_sorted(wecs[p])}
        for p in natural_sorted(wecs)
    ]


def wec_report_json(report: WecReport) -> dict[str, Any]:
    return {
        "kind": "WecExplanation",
        "schemaVersion": SCHEMA_VERSION,
        "wec": report.wec,
        "labels": report.labels,
        "policies": [
            {"policy": p, "clusterSelectors": list(sels), "objects": report.objects[p]}
            for p, sels in sorted(report.policies.items())
        ],
    }


def policy_report_json(report: PolicyReport) -> dict[str, Any]:
    return {
        "kind": "BindingPolicyExplanation",
        "schemaVersion": SCHEMA_VERSION,
        "policy": report.policy,
        "invalid": report.invalid,
        "wecs": report.wecs,
        "objects": [{"object": o, "clauses": list(c)} for o, c in report.objects],
        "counts": {"wecs": len(report.wecs), "objects": len(report.objects)},
        "binding": report.binding,
        "noBindingReason": _no_binding_reason(report),
        "missingNamespaces": list(report.missing_namespaces),
    }


def _no_binding_reason(report: PolicyReport) -> str | None:
    """Why KubeStellar keeps no Binding for the policy, or how it keeps an emptied one."""
    if report.binding:
        return None
    if report.invalid:
        return (
            "an invalid clusterSelectors entry fails the policy's sync: KubeStellar writes no "
            "Binding for it"
        )
    return (
        "it selects no WEC and no object: KubeStellar creates no Binding for an empty "
        "resolution (an existing one would be emptied to spec: {workload: {}})"
    )


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


# --- text -------------------------------------------------------------------------------------


def _mod_text(mod: Modulation) -> str:
    parts = mod.words()
    return f" [{'; '.join(parts)}]" if parts else ""


def _leaf_text(leaf: Leaf, s: Style) -> str:
    where = s.dim(f"  ({leaf.source})") if leaf.source else ""
    return f"{s.bad('✗')} {leaf.text}{where}"


def object_report_text(report: ObjectReport, describer: Describer, s: Style) -> str:
    obj = report.obj
    r = obj.ref
    lines = [
        s.bold(str(r))
        + s.dim(f"  ({obj.kind} {r.group + '/' if r.group else ''}{r.version}, {obj.source})")
    ]
    if report.namespace_selectors_involved:
        lines.append(s.dim(STALE_NOTE))
    if report.missing_namespace:
        lines.append(s.bad(f"  note: {missing_namespace_note(r.namespace)}"))
    if report.never_downsynced:
        lines.append(
            s.bad(
                f"  never bound: KubeStellar never downsyncs {r.resource}"
                f"{'.' + r.group if r.group else ''}"
            )
        )
    if report.wec is None:
        if report.bound:
            lines.extend(_grouped_bound_lines(report, s))
        else:
            lines.append(s.bad("  bound to no WEC"))
        if report.selected_without_wecs:
            names = ", ".join(
                f"BindingPolicy/{n}" for n in natural_sorted(report.selected_without_wecs)
            )
            lines.append(f"  selected by {names}, which select(s) no WEC")
        return "\n".join(lines) + "\n"
    if report.wec in report.bound:
        lines.append(f"  {s.ok('bound')} to WEC {report.wec}:")
        for via in report.bound[report.wec]:
            lines.append(f"    {_via_text(via)}")
        for proof in report.proofs:
            lines.append("    proof:")
            lines.extend(_proof_lines(proof, describer, s, "      ", {}))
        if not report.proofs:
            lines.append(s.dim("    (--proofs prints the derivation from the rules)"))
        return "\n".join(lines) + "\n"
    lines.append(f"  {s.bad('not bound')} to WEC {report.wec}:")
    if not report.verdicts:
        lines.append("    there is no BindingPolicy")
    verdicts = natural_sorted(report.verdicts, key=lambda v: v.policy)
    shown = [v for v in verdicts if v.selects_object or v.selects_wec]
    neither = [v for v in verdicts if not (v.selects_object or v.selects_wec)]
    if len(verdicts) <= MAX_VERDICTS:
        shown, neither = verdicts, []
    for v in shown:
        lines.append(f"    BindingPolicy/{v.policy}:")
        if v.selects_object:
            lines.append(f"      {s.ok('✓')} selects the object")
        else:
            lines.append(f"      {s.bad('✗')} does not select the object")
            for clause, leaves in v.object_reasons:
                lines.append(f"        {clause}:")
                lines.extend(f"          {_leaf_text(leaf, s)}" for leaf in leaves)
        if v.selects_wec:
            lines.append(f"      {s.ok('✓')} selects WEC {report.wec}")
        else:
            lines.append(f"      {s.bad('✗')} does not select WEC {report.wec}")
            lines.extend(f"        {_leaf_text(leaf, s)}" for leaf in v.wec_reasons)
    if neither:
        neither_names = [f"BindingPolicy/{v.policy}" for v in neither]
        lines.append(
            f"    {len(neither)} other BindingPolicy(ies) select neither the object nor "
            f"WEC {report.wec} (-o json gives their reasons):"
        )
        lines.extend(_name_lines(neither_names, "      "))
    return "\n".join(lines) + "\n"


MAX_VERDICTS = 12  # past this many policies, those selecting neither side are only named
MAX_NAMES = 20  # names listed in one group of text output before "+N more"


def _name_lines(names: list[str], indent: str, limit: int = MAX_NAMES) -> list[str]:
    """Names in natural order, a few a line, capped at `limit` with a count of the rest."""
    ordered = natural_sorted(names)
    shown, rest = ordered[:limit], len(ordered) - limit
    lines = [indent + ", ".join(shown[i : i + 5]) for i in range(0, len(shown), 5)]
    if rest > 0:
        lines.append(f"{indent}… and {rest} more (-o json lists them all)")
    return lines


def _grouped_bound_lines(report: ObjectReport, s: Style) -> list[str]:
    """Bound WECs grouped by policy, then by the clusterSelectors that select them, counted."""
    by_policy: dict[str, dict[tuple[int, ...], list[str]]] = {}
    vias: dict[str, Via] = {}
    for wec, wec_vias in report.bound.items():
        for via in wec_vias:
            vias.setdefault(via.policy, via)
            by_policy.setdefault(via.policy, {}).setdefault(via.cluster_selectors, []).append(wec)
    lines = [
        f"  bound to {_count(len(report.bound), 'WEC')} through "
        f"{_count(len(by_policy), 'BindingPolicy', 'BindingPolicies')}:"
    ]
    for policy in natural_sorted(by_policy):
        groups = by_policy[policy]
        total = sum(len(w) for w in groups.values())
        via = vias[policy]
        clauses = ", ".join(f"downsync[{c}]" for c in via.clauses)
        lines.append(
            f"    through BindingPolicy/{s.ok(policy)}: {_count(total, 'WEC')} "
            f"({clauses}){_mod_text(via.modulation)}"
        )
        for sels, wecs in sorted(groups.items()):
            sel_text = ", ".join(f"clusterSelectors[{i}]" for i in sels)
            lines.append(f"      {sel_text}: {_count(len(wecs), 'WEC')}")
            lines.extend(_name_lines(wecs, "        "))
    return lines


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


STALE_NOTE = (
    "  note: some clause tests Namespace labels; KubeStellar does not re-test objects when "
    "their Namespace's labels change, so a live Binding can lag behind this settled result"
)


def _via_text(via: Via) -> str:
    clauses = ", ".join(f"downsync[{c}]" for c in via.clauses)
    sels = ", ".join(f"clusterSelectors[{i}]" for i in via.cluster_selectors)
    return f"via BindingPolicy/{via.policy}: {clauses}; {sels}{_mod_text(via.modulation)}"


def _proof_lines(
    proof: Proof, describer: Describer, s: Style, indent: str, ctx: dict[str, Any]
) -> list[str]:
    env = {**ctx, **dict(proof.bindings)}
    described = describer.describe(proof.fact, env)
    mark = {"absent": "∅ no: ", "builtin": "≈ ", "input": "• ", "derived": "✓ "}[proof.kind.value]
    where = s.dim(f"  ({described.source})") if described.source else ""
    rule = s.dim(f"  [{proof.rule.rule_id}]") if proof.rule else ""
    partial = s.dim("  … (partial: cap reached)") if proof.partial and not proof.premises else ""
    lines = [f"{indent}{mark}{described.text}{rule}{where}{partial}"]
    for premise in proof.premises:
        lines.extend(_proof_lines(premise, describer, s, indent + "  ", env))
    return lines


def wec_report_text(report: WecReport, s: Style) -> str:
    labels = ", ".join(f"{k}={v}" for k, v in sorted(report.labels.items()))
    lines = [s.bold(f"WEC {report.wec}") + s.dim(f"  {{{labels}}}")]
    if not report.policies:
        lines.append("  selected by no BindingPolicy")
    for policy in natural_sorted(report.policies):
        objs = report.objects[policy]
        sel_text = ", ".join(f"clusterSelectors[{i}]" for i in report.policies[policy])
        lines.append(f"  BindingPolicy/{policy} ({sel_text}): {_count(len(objs), 'object')}")
        lines.extend(_listed(objs, "    "))
    return "\n".join(lines) + "\n"


def _listed(names: list[str], indent: str, limit: int = MAX_NAMES) -> list[str]:
    """One name a line, natural order, capped at `limit` with a count of the rest."""
    ordered = natural_sorted(names)
    lines = [f"{indent}{n}" for n in ordered[:limit]]
    if len(ordered) > limit:
        lines.append(f"{indent}… and {len(ordered) - limit} more (-o json lists them all)")
    return lines


def policy_report_text(report: PolicyReport, s: Style) -> str:
    lines = [s.bold(f"BindingPolicy/{report.policy}")]
    if report.invalid:
        lines.append(s.bad("  has an invalid clusterSelectors entry: selects no WEC"))
    lines.append(f"  selects {_count(len(report.wecs), 'WEC')}:")
    lines.extend(_name_lines(report.wecs, "    "))
    lines.append(f"  selects {_count(len(report.objects), 'object')}:")
    objects = natural_sorted(report.objects, key=lambda item: item[0])
    for obj, clauses in objects[:MAX_NAMES]:
        lines.append(f"    {obj}  " + s.dim(", ".join(f"downsync[{c}]" for c in clauses)))
    if len(objects) > MAX_NAMES:
        lines.append(f"    … and {len(objects) - MAX_NAMES} more (-o json lists them all)")
    for namespace in report.missing_namespaces:
        lines.append(s.bad(f"  note: {missing_namespace_note(namespace)}"))
    reason = _no_binding_reason(report)
    if reason is not None:
        lines.append(s.bad(f"  no Binding: {reason}"))
    elif report.existing_binding and not report.wecs and not report.objects:
        lines.append("  Binding: the one in the input, emptied to spec: {workload: {}}")
    return "\n".join(lines) + "\n"
