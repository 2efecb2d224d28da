"""metav1.LabelSelector parsing with apimachinery's validation.

Two kinds of fault are told apart. A document that the CRD's OpenAPI schema would reject (wrong
types, unknown fields) is an input problem. A selector that passes the schema but that
`LabelSelectorAsSelector` rejects (unknown operator, wrong number of values, bad key or value) is
kept with `error` set: KubeStellar skips such a selector on the object side and fails the policy on
the cluster side, and the caller decides which applies.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bindlog.adapters.k8s_names import label_key_problem, label_value_problem
from bindlog.model import LabelSelector, Operator, Requirement

_OPERATORS = {op.value: op for op in Operator}
_SUPPORTED = ", ".join(f'"{op.value}"' for op in Operator)


def parse_selector(raw: Any, path: str, problems: list[tuple[str, str]]) -> LabelSelector:
    """Parse one selector; schema faults are appended to `problems` as (field path, detail)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.append((path, f"Invalid value: must be a mapping, not {type(raw).__name__}"))
        return LabelSelector(error="not a mapping", text=_text(raw))
    for key in raw:
        if key not in ("matchLabels", "matchExpressions"):
            problems.append((f"{path}.{key}", "Unknown field"))
    reqs: list[Requirement] = []
    errors: list[str] = []
    match_labels = raw.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        problems.append((f"{path}.matchLabels", "Invalid value: must be a mapping"))
        match_labels = {}
    for key, value in match_labels.items():
        if not isinstance(value, str):
            problems.append(
                (
                    f"{path}.matchLabels[{key}]",
                    f"Invalid value: {json.dumps(value, default=str)}: must be a string",
                )
            )
            continue
        if (why := label_key_problem(key)) is not None:
            errors.append(f"matchLabels key {key!r}: {why}")
        if (why := label_value_problem(value)) is not None:
            errors.append(f"matchLabels[{key}] value {value!r}: {why}")
        reqs.append(Requirement(str(key), Operator.IN, (value,)))
    exprs = raw.get("matchExpressions") or []
    if not isinstance(exprs, list):
        problems.append((f"{path}.matchExpressions", "Invalid value: must be a list"))
        exprs = []
    for i, expr in enumerate(exprs):
        req = _parse_expression(expr, f"{path}.matchExpressions[{i}]", problems, errors)
        if req is not None:
            reqs.append(req)
    # apimachinery sorts requirements by key; order does not change the meaning.
    reqs.sort(key=lambda r: (r.key, r.operator.value, r.values))
    return LabelSelector(requirements=tuple(reqs), error="; ".join(errors) or None, text=_text(raw))


def _parse_expression(
    expr: Any, path: str, problems: list[tuple[str, str]], errors: list[str]
) -> Requirement | None:
    if not isinstance(expr, dict):
        problems.append((path, "Invalid value: must be a mapping"))
        return None
    for key in expr:
        if key not in ("key", "operator", "values"):
            problems.append((f"{path}.{key}", "Unknown field"))
    key, op_text, values = expr.get("key"), expr.get("operator"), expr.get("values")
    if not isinstance(key, str):
        problems.append((f"{path}.key", "Required value: must be a string"))
        return None
    if not isinstance(op_text, str):
        problems.append((f"{path}.operator", "Required value: must be a string"))
        return None
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        problems.append((f"{path}.values", "Invalid value: must be a list of strings"))
        return None
    where = path.rsplit(".", 1)[-1]
    if (why := label_key_problem(key)) is not None:
        errors.append(f"{where}.key {key!r}: {why}")
    op = _OPERATORS.get(op_text)
    if op is None:
        errors.append(
            f'{where}.operator: Unsupported value: "{op_text}": supported values: {_SUPPORTED}'
        )
        return None
    if op in (Operator.IN, Operator.NOT_IN):
        if not values:
            errors.append(f"{where}.values: for 'In', 'NotIn' operators, values set can't be empty")
        for v in values:
            if (why := label_value_problem(v)) is not None:
                errors.append(f"{where}.values {v!r}: {why}")
    elif values:
        errors.append(f"{where}.values: values set must be empty for exists and does not exist")
    return Requirement(key, op, tuple(sorted(set(values))))


def _text(raw: Any) -> str:
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)


# KubeStellar's CRD patch (config/crd/patches/more_validations_in_bindingpolicies.yaml) puts
# these patterns on clusterSelectors only. Everything else LabelSelectorAsSelector rejects (In
# with no values, Exists with values, matchLabels keys, lengths) passes the CRD.
_CRD_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_CRD_KEY = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
)
_CRD_OPERATOR = re.compile(r"In|NotIn|Exists|DoesNotExist")


def crd_accepts_cluster_selector(raw: Any) -> bool:
    """Does the BindingPolicy CRD's schema accept `raw` as a clusterSelectors entry?

    Only called on schema-valid selectors (mappings of the right shapes)."""
    if not isinstance(raw, dict):
        return False
    labels = raw.get("matchLabels") or {}
    if any(isinstance(v, str) and not _CRD_VALUE.fullmatch(v) for v in labels.values()):
        return False
    for expr in raw.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            return False
        key, op = expr.get("key"), expr.get("operator")
        if isinstance(key, str) and not _CRD_KEY.fullmatch(key):
            return False
        if isinstance(op, str) and not _CRD_OPERATOR.fullmatch(op):
            return False
        values = expr.get("values") or []
        if any(isinstance(v, str) and not _CRD_VALUE.fullmatch(v) for v in values):
            return False
    return True
