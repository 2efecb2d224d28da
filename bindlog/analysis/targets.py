"""Targets and label edits as users write them (`deploy/web`, `env=prod`, `env-`) -> changes.

TYPE is taken as `bindlog why` takes it: wec (or managedcluster), namespace/ns,
bindingpolicy/bp, or any workload type kubectl would accept (plural, singular, Kind or short
name, optionally `.group`). A target is resolved against the model's snapshot, so a name that
is not there is an error before anything is evaluated.
"""

from __future__ import annotations

from bindlog.adapters.k8s_names import label_key_problem, label_value_problem
from bindlog.analysis import why
from bindlog.changes import ChangeError, Delete, Key, SetLabels, key_of
from bindlog.model import Snapshot

NAMESPACE_TYPES = frozenset({"namespace", "namespaces", "ns"})


def resolve_target(snapshot: Snapshot, target: str, namespace: str | None = None) -> Key:
    """The identity TYPE/NAME [-n NAMESPACE] names in `snapshot`; ChangeError when none (or
    several) match."""
    kind, slash, name = target.partition("/")
    if not slash or not kind or not name or "/" in name:
        raise ChangeError(f"target must be TYPE/NAME, not {target!r}")
    lowered = kind.lower()
    if lowered in why.WEC_TYPES:
        key = Key("wec", name)
        if not any(c.name == name for c in snapshot.clusters):
            raise ChangeError(f"{target}: no WEC (ManagedCluster) named {name!r} in the input")
        return key
    if lowered in why.POLICY_TYPES:
        if not any(p.name == name for p in snapshot.policies):
            raise ChangeError(f"{target}: no BindingPolicy named {name!r} in the input")
        return Key("bindingpolicy", name)
    if lowered in NAMESPACE_TYPES:
        if not any(n.name == name for n in snapshot.namespaces):
            raise ChangeError(f"{target}: no Namespace named {name!r} in the input")
        return Key("namespace", name)
    candidates = [
        o
        for o in snapshot.objects
        if o.ref.name == name
        and why.type_matches(kind, o)
        and (namespace is None or o.ref.namespace in (namespace, ""))
    ]
    if not candidates:
        where = f" in namespace {namespace!r}" if namespace else ""
        raise ChangeError(f"{target}: no object {kind}/{name}{where} in the input")
    if len(candidates) > 1:
        listed = ", ".join(str(o.ref) for o in candidates)
        raise ChangeError(
            f"{target} names several objects ({listed}): add -n NAMESPACE "
            "or qualify TYPE with its group (e.g. deployments.apps)"
        )
    return key_of(candidates[0])


def parse_label_edits(
    target: str, edits: list[str] | tuple[str, ...]
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """kubectl label syntax: `KEY=VALUE` sets, `KEY-` removes; keys and values validated as the
    API server validates them."""
    if not edits:
        raise ChangeError(f"{target}: no label given (KEY=VALUE to set, KEY- to remove)")
    sets: dict[str, str] = {}
    unsets: list[str] = []
    for edit in edits:
        if "=" in edit:
            key, _, value = edit.partition("=")
            _check_key(target, edit, key)
            if (why_not := label_value_problem(value)) is not None:
                raise ChangeError(f"{target}: label {edit!r}: invalid value {value!r}: {why_not}")
            sets[key] = value
        elif edit.endswith("-"):
            key = edit[:-1]
            _check_key(target, edit, key)
            unsets.append(key)
        else:
            raise ChangeError(
                f"{target}: label {edit!r}: expected KEY=VALUE to set or KEY- to remove"
            )
    both = sorted(set(sets) & set(unsets))
    if both:
        raise ChangeError(f"{target}: label {both[0]!r} both set and removed")
    return tuple(sorted(sets.items())), tuple(unsets)


def _check_key(target: str, edit: str, key: str) -> None:
    if (why_not := label_key_problem(key)) is not None:
        raise ChangeError(f"{target}: label {edit!r}: invalid key {key!r}: {why_not}")


def label_change(
    snapshot: Snapshot, target: str, edits: list[str] | tuple[str, ...], namespace: str | None
) -> SetLabels:
    key = resolve_target(snapshot, target, namespace)
    if key.kind == "bindingpolicy":
        raise ChangeError(f"{target}: labels of a BindingPolicy do not take part in resolution")
    sets, unsets = parse_label_edits(target, edits)
    return SetLabels(key, sets, unsets)


def delete_change(snapshot: Snapshot, target: str, namespace: str | None) -> Delete:
    return Delete(resolve_target(snapshot, target, namespace))
