"""Facts of the rule program in words, with the input each one rests on.

Only words live here: which facts exist and why they hold comes from the rules (provenance.py).
Ids are turned back into names through the encoding's tables; shared test ids (TR, TN, TL) are
named after the clause in whose context they appear.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bindlog.engine.facts import Encoding
from bindlog.engine.interface import BUILTINS, INPUTS, OUTPUTS
from bindlog.engine.provenance import Fact
from bindlog.model import Source

Value = str | int | None
CATALOGUE = {p.name: p for p in (*INPUTS, *BUILTINS, *OUTPUTS)}
RELATIVE = "_relative"  # context flag: the clause is named by the enclosing heading


@dataclass(frozen=True, slots=True)
class Described:
    text: str
    source: Source | None = None


def _equal_clauses(indexes: tuple[int, ...]) -> str:
    """Other indexes of clauses equal to the first, which one clause id stands for."""
    if len(indexes) < 2:
        return ""
    shown = ", ".join(f"[{i}]" for i in indexes[1:4])
    more = f" and {len(indexes) - 4} more" if len(indexes) > 4 else ""
    return f" (equal: {shown}{more})"


class Describer:
    def __init__(self, encoding: Encoding) -> None:
        self.enc = encoding

    # --- names ------------------------------------------------------------------------------

    def policy(self, p: Value) -> str:
        return f"BindingPolicy/{self.enc.policies[int(p)].name}" if p is not None else "?"

    def clause(self, j: Value) -> str:
        if j is None:
            return "a clause"
        p, c = self.enc.clause_ids[int(j)]
        return (
            f"{self.policy(p)} spec.downsync[{c}]{_equal_clauses(self.enc.clause_indexes[int(j)])}"
        )

    def obj(self, o: Value) -> str:
        return str(self.enc.objects[int(o)].ref) if o is not None else "the object"

    def wec(self, c: Value) -> str:
        return f"WEC {self.enc.wecs[int(c)].name}" if c is not None else "a WEC"

    def wec_selector(self, s: Value) -> str:
        return self.enc.wec_selectors[int(s or 0)].text if s is not None else "a selector"

    def object_selector(self, s: Value) -> str:
        return self.enc.object_selectors[int(s or 0)].text if s is not None else "a selector"

    def namespace_selector(self, s: Value) -> str:
        return self.enc.namespace_selectors[int(s or 0)].text if s is not None else "a selector"

    def klass(self, oc: Value, ctx: dict[str, Value]) -> str:
        if ctx.get("O") is not None:
            return self.obj(ctx["O"])
        return f"object class {oc}"

    def test(self, ctx: dict[str, Value]) -> str:
        return self.clause(ctx.get("J"))

    def field(self, ctx: dict[str, Value], name: str) -> str:
        """A clause field; bare (`resources`) when the reader already knows the clause."""
        return name if ctx.get(RELATIVE) else f"{self.test(ctx)}.{name}"

    # --- facts ------------------------------------------------------------------------------

    def describe(self, fact: Fact, ctx: dict[str, Value] | None = None) -> Described:
        ctx = ctx or {}
        handler = _HANDLERS.get(fact.predicate)
        if handler is None:
            return Described(self._from_catalogue(fact))
        return handler(self, fact.args, ctx)

    def _from_catalogue(self, fact: Fact) -> str:
        """A predicate without its own wording (e.g. one a rule edit introduced) is described by
        its meaning in the interface catalogue, its arguments named; else shown as a fact."""
        declared = CATALOGUE.get(fact.predicate)
        if declared is None or len(declared.args) != len(fact.args):
            return str(fact)
        names = {
            "P": self.policy,
            "C": self.wec,
            "O": self.obj,
            "J": self.clause,
        }
        text = declared.meaning
        for var, value in zip(declared.args, fact.args, strict=True):
            shown = names[var](value) if var in names else ("_" if value is None else repr(value))
            # The names carry their kind ("WEC w1", "BindingPolicy/p"): drop the meaning's own.
            pattern = rf"\b(?:WEC |policy |object |clause )?{re.escape(var)}\b"
            text = re.sub(pattern, shown.replace("\\", "\\\\"), text, count=1)
        return text

    def source_of_policy(self, p: Value) -> Source | None:
        return self.enc.policies[int(p)].source if p is not None else None


def _q(value: Value) -> str:
    return '""' if value == "" else f'"{value}"' if value is not None else "any"


def _gr(g: Value, r: Value) -> str:
    return f"{r}.{g}" if g else f"{r} (core group)"


Handler = Callable[[Describer, tuple[Value, ...], dict[str, Value]], Described]
_HANDLERS: dict[str, Handler] = {}


def _on(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return register


@_on("binds")
def _binds(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.wec(a[0])} receives {d.obj(a[1])} through {d.policy(a[2])}")


@_on("policy_object")
def _policy_object(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    p, o, kind, value = a
    if kind == "selected":
        return Described(f"{d.policy(p)} selects {d.obj(o)}")
    what = f"statusCollector {_q(value)}" if kind == "statusCollectors" else str(kind)
    return Described(f"{d.policy(p)} sets {what} for {d.obj(o)}")


@_on("policy")
def _policy(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.policy(a[0])} exists", d.source_of_policy(a[0]))


@_on("clause")
def _clause(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    if a[1] is None:
        return Described(f"{d.policy(a[0])} has a spec.downsync clause", d.source_of_policy(a[0]))
    return Described(f"{d.clause(a[1])} is a downsync clause", d.source_of_policy(a[0]))


@_on("clause_modulation")
def _clause_mod(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    j, kind, value = a
    if kind == "selected":
        return Described(f"{d.clause(j)} selects what it matches")
    what = f"statusCollector {_q(value)}" if kind == "statusCollectors" else str(kind)
    return Described(f"{d.clause(j)} sets {what}")


def _clause_flag(field: str, text: str) -> Handler:
    def handler(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
        j = a[0]
        p = d.enc.clause_ids[int(j)][0] if j is not None else None
        return Described(f"{d.field({**ctx, 'J': j}, field)} {text}", d.source_of_policy(p))

    return handler


for _name, (_field, _text) in {
    "clause_create_only": ("createOnly", "is true"),
    "clause_want_singleton": ("wantSingletonReportedState", "is true"),
    "clause_want_multi_wec": ("wantMultiWECReportedState", "is true"),
    "clause_object_names_unset": ("objectNames", "is absent or empty"),
    "object_names_wild": ("objectNames", 'is absent, empty or contains "*"'),
}.items():
    _on(_name)(_clause_flag(_field, _text))


@_on("clause_status_collector")
def _clause_sc(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field({**ctx, 'J': a[0]}, 'statusCollectors')} lists {_q(a[1])}")


@_on("clause_object_name")
def _clause_name(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field({**ctx, 'J': a[0]}, 'objectNames')} lists {_q(a[1])}")


@_on("clause_matches")
def _clause_matches(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.clause(a[0])} matches {d.obj(a[1])}")


@_on("class_admitted")
def _class_admitted(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(
        f"{d.clause(a[0])} admits {d.klass(a[1], ctx)} on apiGroup, resources, namespaces, "
        "namespaceSelectors and objectSelectors"
    )


@_on("clause_tests")
def _tests(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.clause(a[0])} has its object tests")


@_on("workload")
def _workload(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    obj = d.enc.objects.get(int(a[0])) if a[0] is not None else None
    who = "the object" if ctx.get(RELATIVE) else d.obj(a[0])
    return Described(f"{who} is named {_q(a[1])}", obj.source if obj else None)


@_on("object_class")
def _object_class(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    _, g, r, ns = a
    where = f"namespace {_q(ns)}" if ns else "no namespace (cluster-scoped)"
    return Described(f"{d.klass(a[0], ctx)} is a {_gr(g, r)} object in {where}")


@_on("known_api_group")
def _known_group(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"group {_q(a[0])} occurs in the workload")


@_on("known_resource")
def _known_resource(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"resource {_q(a[0])} occurs in the workload")


@_on("known_resource_of_group")
def _known_gr(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"resource {_gr(a[0], a[1])} occurs in the workload")


@_on("known_namespace")
def _known_ns(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"namespace {_q(a[0])} occurs in the workload")


@_on("group_passes")
def _group_passes(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'apiGroup')} admits group {_q(a[1])}")


@_on("rtest_any_api_group")
def _any_group(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'apiGroup')} is absent (any group)")


@_on("rtest_api_group")
def _api_group(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'apiGroup')} is {_q(a[1])}")


@_on("resources_wild")
def _res_wild(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f'{d.field(ctx, "resources")} is absent, empty or contains "*"')


@_on("rtest_resources_unset")
def _res_unset(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'resources')} is absent or empty")


@_on("rtest_resource")
def _res(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'resources')} lists {_q(a[1])}")


@_on("resource_passes")
def _res_passes(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'resources')} admits {_q(a[1])}")


@_on("watched")
def _watched(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"KubeStellar watches {_gr(a[0], a[1])}")


@_on("never_downsync_group")
def _never_group(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"group {_q(a[0])} is on KubeStellar's never-downsync list")


@_on("never_downsync_resource")
def _never_res(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{_gr(a[0], a[1])} is on KubeStellar's never-downsync list")


@_on("resource_test_admits")
def _rta(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.test(ctx)} admits {_gr(a[1], a[2])} on apiGroup and resources")


@_on("namespaces_wild")
def _ns_wild(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f'{d.field(ctx, "namespaces")} is absent, empty or contains "*"')


@_on("ntest_namespaces_unset")
def _ns_unset(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'namespaces')} is absent or empty")


@_on("ntest_namespace")
def _ns(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'namespaces')} lists {_q(a[1])}")


@_on("namespace_selectors_wild")
def _nss_wild(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'namespaceSelectors')} is absent, empty or contains {{}}")


@_on("ntest_selectors_unset")
def _nss_unset(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'namespaceSelectors')} is absent or empty")


@_on("ntest_selector")
def _nss(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'namespaceSelectors')} includes {d.namespace_selector(a[1])}")


@_on("selector_is_empty")
def _sel_empty(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"selector {d.namespace_selector(a[0])} is empty ({{}})")


@_on("namespace_labels_pass")
def _ns_labels(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'namespaceSelectors')} admits namespace {_q(a[1])}")


@_on("namespace")
def _namespace(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    ns = d.enc.namespaces.get(str(a[0])) if a[0] is not None else None
    if ns is None:
        return Described(f"a Namespace object named {_q(a[0])} exists")
    labels = ", ".join(f"{k}={v}" for k, v in ns.labels)
    return Described(f"Namespace {ns.name} exists with labels {{{labels}}}", ns.source)


@_on("namespace_selector_matches")
def _nsm(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    ns = ctx.get("NS")
    target = f"Namespace {ns}" if ns else "the Namespace"
    return Described(f"selector {d.namespace_selector(a[0])} matches the labels of {target}")


@_on("namespace_test_admits")
def _nta(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(
        f"{d.test(ctx)} admits namespace {_q(a[1])} on namespaces and namespaceSelectors"
    )


@_on("labels_given")
def _labels_given(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'objectSelectors')} is given")


@_on("ltest_unset")
def _labels_unset(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'objectSelectors')} is absent or empty")


@_on("ltest_selector")
def _ltest(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.field(ctx, 'objectSelectors')} includes {d.object_selector(a[1])}")


@_on("labels_pass")
def _labels_pass(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(
        f"an objectSelectors entry of {d.test(ctx)} matches the labels of {d.klass(a[1], ctx)}"
    )


@_on("object_selector_matches")
def _osm(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(
        f"selector {d.object_selector(a[0])} matches the labels of {d.klass(a[1], ctx)}"
    )


@_on("selects_wec")
def _selects_wec(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.policy(a[0])} selects {d.wec(a[1])}")


@_on("policy_wec_selector")
def _pws(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.policy(a[0])} has clusterSelectors entry {d.wec_selector(a[1])}")


@_on("policy_cluster_selector")
def _pcs(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    p, i, s = a
    if i is None and s is None:
        return Described(f"{d.policy(p)} has a spec.clusterSelectors entry", d.source_of_policy(p))
    index = "[?]" if i is None else f"[{i}]"
    return Described(
        f"{d.policy(p)} spec.clusterSelectors{index} is {d.wec_selector(s)}",
        d.source_of_policy(p),
    )


@_on("policy_invalid")
def _pinv(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"{d.policy(a[0])} has an invalid clusterSelectors entry")


@_on("selector_invalid")
def _sinv(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(f"selector {d.wec_selector(a[0])} is invalid")


@_on("wec_selector_matches")
def _wsm(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    c = ctx.get("C")
    cluster = d.enc.wecs.get(int(c)) if c is not None else None
    return Described(
        f"selector {d.wec_selector(a[0])} matches the labels of {d.wec(c)}",
        cluster.source if cluster else None,
    )


@_on("wec")
def _wec(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    cluster = d.enc.wecs.get(int(a[0])) if a[0] is not None else None
    return Described(f"{d.wec(a[0])} is in the inventory", cluster.source if cluster else None)


@_on("selects_wec_via")
def _selects_wec_via(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(
        f"{d.policy(a[0])} selects {d.wec(a[2])} through clusterSelectors entry "
        f"{d.wec_selector(a[1])}"
    )


@_on("singleton_problem")
def _singleton_problem(d: Describer, a: tuple[Value, ...], ctx: dict[str, Value]) -> Described:
    return Described(
        f"{d.policy(a[0])} reports that {d.obj(a[1])} does not have exactly one WEC for its "
        "singleton status"
    )
