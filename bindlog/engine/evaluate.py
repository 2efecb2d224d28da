"""evaluate(snapshot) -> Result: load facts, run the rules, read the derived relations back."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from bindlog.engine.facts import Encoding, encode
from bindlog.engine.pydatalog_backend import Backend, no_gc
from bindlog.model import BindingPolicy, Modulation, ObjectRef, Snapshot, WorkloadObject

RULES_FILE = "binding.dl"

_FLAG_FIELDS = {
    "createOnly": "create_only",
    "wantSingletonReportedState": "want_singleton_reported_state",
    "wantMultiWECReportedState": "want_multi_wec_reported_state",
}


@cache
def rules_text() -> str:
    """The rule program, read from package data."""
    return resources.files("bindlog.rules").joinpath(RULES_FILE).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class PolicyResolution:
    """What one BindingPolicy selects: the factorised form of its part of `binds`."""

    policy: BindingPolicy
    destinations: frozenset[str]
    objects: dict[WorkloadObject, Modulation]
    invalid: bool = False  # a clusterSelectors entry is invalid, so no destinations


@dataclass(frozen=True, slots=True)
class SingletonProblem:
    """An object whose singleton reported-state request has ≠ 1 qualified WEC (spec §2.8-2.9)."""

    obj: WorkloadObject
    num_wecs: int


@dataclass(slots=True)
class Result:
    """The derived relations of one snapshot, per policy, plus the live engine for queries."""

    snapshot: Snapshot
    resolutions: tuple[PolicyResolution, ...]
    encoding: Encoding = field(repr=False)
    backend: Backend = field(repr=False)

    def matching_clauses(self) -> dict[tuple[int, WorkloadObject], tuple[int, ...]]:
        """(policy index, object) -> indices of that policy's clauses matching the object.

        Read from the rules' clause_matches relation (one query over the whole relation).
        """
        with self.backend.session():
            rows = self.backend.query("clause_matches", (None, None))
        out: dict[tuple[int, WorkloadObject], list[int]] = defaultdict(list)
        for j, o in rows:
            p, c = self.encoding.clause_ids[int(j)]
            out[(p, self.snapshot.objects[int(o)])].append(c)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def matching_cluster_selectors(self, p: int) -> dict[str, tuple[int, ...]]:
        """WEC name -> indices of policy p's clusterSelectors that select it.

        selects_wec(P, C) <= policy_wec_selector(P, S) & wec_selector_matches(S, C): the counted
        selectors come from the rules, their matches from the selector builtin.
        """
        enc = self.encoding
        with self.backend.session():
            counted = {int(row[1]) for row in self.backend.query("policy_wec_selector", (p, None))}
        out: dict[str, list[int]] = defaultdict(list)
        for index, sel in enumerate(self.snapshot.policies[p].cluster_selectors):
            sid = enc.wec_selectors.index(sel)
            if sid in counted:
                for c in enc.wec_matches[sid]:
                    out[self.snapshot.clusters[c].name].append(index)
        return {k: tuple(v) for k, v in out.items()}

    def singleton_problems(self) -> dict[str, list[SingletonProblem]]:
        """Per policy name, the objects in its resolution whose singleton request is unmet.

        For each object, singleton return is requested when some policy selects it with the
        merged wantSingletonReportedState; the qualified WECs are the union of the destinations
        of exactly those policies. A count other than 1 is reported in the status of every policy
        whose resolution includes the object (bindingpolicy-resolver.go 357-404).
        """
        qualified: dict[WorkloadObject, set[str]] = {}
        for res in self.resolutions:
            for obj, mod in res.objects.items():
                if mod.want_singleton_reported_state:
                    qualified.setdefault(obj, set()).update(res.destinations)
        bad = {obj: len(wecs) for obj, wecs in qualified.items() if len(wecs) != 1}
        out: dict[str, list[SingletonProblem]] = {}
        for res in self.resolutions:
            hits = [SingletonProblem(o, bad[o]) for o in res.objects if o in bad]
            if hits:
                out[res.policy.name] = hits
        return out

    def status_errors(self) -> dict[str, list[str]]:
        """What KubeStellar writes into each BindingPolicy's status.errors."""
        out: dict[str, list[str]] = {}
        for name, hits in self.singleton_problems().items():
            examples = [
                {"ObjectID": _object_id_json(p.obj), "NumWECs": p.num_wecs}
                for p in sorted(hits, key=lambda h: h.obj.ref)[:4]
            ]
            out[name] = [
                "Singleton reported status return is requested but some objects have the wrong "
                "number of associated WECs, for example: "
                + json.dumps(examples, separators=(",", ":"))
            ]
        return out


def _object_id_json(obj: WorkloadObject) -> dict[str, object]:
    r = obj.ref
    return {
        "GVK": {"Group": r.group, "Version": r.version, "Kind": obj.kind},
        "Resource": r.resource,
        "ObjectName": {"Namespace": r.namespace, "Name": r.name},
    }


def evaluate(snapshot: Snapshot) -> Result:
    """Derive every policy's destinations and selected objects with their merged modulation."""
    with no_gc():
        return _evaluate(snapshot)


def _evaluate(snapshot: Snapshot) -> Result:
    enc = encode(snapshot)
    backend = Backend(rules_text())
    with backend.session():
        for pred, rows in enc.facts.items():
            backend.assert_facts(pred, rows)
        wec_selectors = backend.query("policy_wec_selector", (None, None))
        invalid = {row[0] for row in backend.query("policy_invalid", (None,))}
        policy_objects = backend.query("policy_object", (None, None, None, None))

    policies = snapshot.policies
    wecs: dict[int, set[str]] = defaultdict(set)
    clusters = snapshot.clusters
    for p, s in wec_selectors:
        wecs[p].update(clusters[c].name for c in enc.wec_matches[s])

    flags: dict[tuple[int, int], dict[str, object]] = defaultdict(dict)
    collectors: dict[tuple[int, int], set[str]] = defaultdict(set)
    for p, o, kind, value in policy_objects:
        key = (p, o)
        if kind == "statusCollector":
            collectors[key].add(value)
        elif kind != "selected":
            flags[key][_FLAG_FIELDS[kind]] = True
        else:
            flags.setdefault(key, {})
    per_policy: dict[int, dict[WorkloadObject, Modulation]] = defaultdict(dict)
    objects = snapshot.objects
    for (p, o), kw in flags.items():
        mod = Modulation(status_collectors=frozenset(collectors.get((p, o), ())), **kw)  # type: ignore[arg-type]
        per_policy[p][objects[o]] = mod

    resolutions = tuple(
        PolicyResolution(
            policy=policy,
            destinations=frozenset(wecs.get(p, ())),
            objects=per_policy.get(p, {}),
            invalid=p in invalid,
        )
        for p, policy in enumerate(policies)
    )
    return Result(snapshot, resolutions, enc, backend)


__all__ = ["ObjectRef", "PolicyResolution", "Result", "SingletonProblem", "evaluate"]
