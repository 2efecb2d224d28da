"""Names the user typed, checked against the loaded snapshot before any evaluation, so that a
typo is answered in load time with the nearest names ("did you mean ...")."""

from __future__ import annotations

from bindlog.analysis import why
from bindlog.analysis.did_you_mean import suggest
from bindlog.analysis.why import LookupError_
from bindlog.model import Snapshot, WorkloadObject


def parse_target(text: str) -> tuple[str, str | None, str]:
    """TYPE/NAME or TYPE/NAMESPACE/NAME (the form bindlog prints, e.g.
    deployments.apps/nginx/nginx); raises ValueError for anything else."""
    parts = text.split("/")
    if len(parts) == 2 and all(parts):
        return parts[0], None, parts[1]
    if len(parts) == 3 and parts[0] and parts[2]:
        return parts[0], parts[1], parts[2]
    raise ValueError(f"expected TYPE/NAME or TYPE/NAMESPACE/NAME, not {text!r}")


def object_types(snapshot: Snapshot) -> set[str]:
    out: set[str] = set()
    for o in snapshot.objects:
        out |= {o.ref.resource, o.kind.lower(), *why.SHORT_NAMES.get((o.ref.group, o.kind), ())}
        if o.ref.group:
            out.add(f"{o.ref.resource}.{o.ref.group}")
    return out


def find_object(
    snapshot: Snapshot, type_text: str, name: str, namespace: str | None
) -> WorkloadObject:
    """The one object TYPE/NAME [-n NAMESPACE] names; without a namespace, any namespace."""
    typed = [o for o in snapshot.objects if why.type_matches(type_text, o)]
    if not typed:
        kinds = object_types(snapshot) | why.WEC_TYPES | why.POLICY_TYPES
        raise LookupError_(
            f"no object of type {type_text!r} in the input{suggest(type_text.lower(), kinds)}"
        )
    in_ns = [
        o for o in typed if namespace is None or o.ref.namespace == namespace or not o.ref.namespace
    ]
    candidates = [o for o in in_ns if o.ref.name == name]
    if not candidates:
        where = f" in namespace {namespace!r}" if namespace else ""
        hint = suggest(name, {o.ref.name for o in in_ns})
        if not hint and namespace is not None:
            elsewhere = sorted({o.ref.namespace for o in typed if o.ref.name == name})
            if elsewhere:
                hint = f" (it is in namespace {', '.join(elsewhere)}: use -n or -A)"
        raise LookupError_(f"no object {type_text}/{name}{where} in the input{hint}")
    if len(candidates) > 1:
        listed = ", ".join(str(o.ref) for o in candidates)
        raise LookupError_(
            f"{type_text}/{name} names several objects ({listed}): add -n NAMESPACE "
            "or qualify TYPE with its group (e.g. deployments.apps)"
        )
    return candidates[0]


def check_wec(snapshot: Snapshot, name: str) -> None:
    names = {c.name for c in snapshot.clusters}
    if name not in names:
        raise LookupError_(
            f"WEC {name!r} is not in the inventory (no ManagedCluster named so)"
            + suggest(name, names)
        )


def check_policy(snapshot: Snapshot, name: str) -> None:
    names = {p.name for p in snapshot.policies}
    if name not in names:
        raise LookupError_(f"BindingPolicy {name!r} is not in the input" + suggest(name, names))
