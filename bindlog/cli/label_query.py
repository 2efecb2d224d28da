"""`-l/--selector`: kubectl's label selector syntax, parsed into the model's LabelSelector.

`key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key`, `!key`,
joined by commas. The result matches with the same requirement semantics as the rules use.
"""

from __future__ import annotations

import re

from bindlog.adapters.k8s_names import label_key_problem, label_value_problem
from bindlog.engine.labelsets import requirement_matches
from bindlog.model import LabelSelector, Operator, Requirement

_SET = re.compile(
    r"^\s*(!?)\s*([^\s=!,()]+)\s*(?:(in|notin)\s*\(([^)]*)\)|(==|=|!=)\s*([^\s,]*))?\s*"
)


def parse_label_query(text: str) -> LabelSelector:
    """Raises ValueError naming the part that does not parse."""
    reqs: list[Requirement] = []
    rest = text.strip()
    if not rest:
        raise ValueError("empty selector")
    while rest:
        match = _SET.match(rest)
        if match is None or not match.group(2):
            raise ValueError(f"cannot parse selector at {rest!r}")
        negated, key, set_op, values, eq_op, value = match.groups()
        if (why := label_key_problem(key)) is not None:
            raise ValueError(f"label key {key!r}: {why}")
        if negated and (set_op or eq_op):
            raise ValueError(f"{rest!r}: '!' only goes before a bare key (!key)")
        if set_op:
            vals = tuple(sorted({v.strip() for v in values.split(",") if v.strip()}))
            if not vals:
                raise ValueError(f"{key} {set_op} (): needs at least one value")
            op = Operator.IN if set_op == "in" else Operator.NOT_IN
        elif eq_op:
            vals = (value,)
            op = Operator.NOT_IN if eq_op == "!=" else Operator.IN
        else:
            vals = ()
            op = Operator.DOES_NOT_EXIST if negated else Operator.EXISTS
        for v in vals:
            if (why := label_value_problem(v)) is not None:
                raise ValueError(f"label value {v!r}: {why}")
        reqs.append(Requirement(key, op, vals))
        rest = rest[match.end() :]
        if rest.startswith(","):
            rest = rest[1:]
            if not rest.strip():
                raise ValueError("selector ends with a comma")
        elif rest:
            raise ValueError(f"cannot parse selector at {rest!r}")
    return LabelSelector(tuple(reqs), text=text)


def matches(selector: LabelSelector, labels: tuple[tuple[str, str], ...]) -> bool:
    as_dict = dict(labels)
    return all(requirement_matches(r, as_dict) for r in selector.requirements)
