"""The rule program's interface, declared once and checked when the rules are loaded.

binding.dl may be edited freely inside this contract: the facts it reads (inputs, produced by
engine/facts.py), the builtins Python computes for it (label-selector matches, one aggregate), and
the derived predicates the rest of bindlog reads (outputs). `check_interface` rejects a program
that reads an undeclared predicate, derives an output with another arity, or names a modulation
the exporter cannot write, so a rule edit fails at load time with a message, not deep inside a
query.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bindlog.engine.program import Program
from bindlog.errors import RuleError


class ModulationKind(Enum):
    FLAG = "flag"  # `field: true` in the Binding entry when any matching clause sets it
    LIST = "list"  # `field: [values...]`, sorted, the union of the matching clauses' values


@dataclass(frozen=True, slots=True)
class Predicate:
    name: str
    args: tuple[str, ...]  # argument names, for messages
    meaning: str

    @property
    def arity(self) -> int:
        return len(self.args)


def _p(name: str, args: str, meaning: str) -> Predicate:
    return Predicate(name, tuple(args.split()), meaning)


# Facts engine/facts.py produces from the snapshot (one encoder per entity kind).
INPUTS: tuple[Predicate, ...] = (
    _p("policy_cluster_selector", "P I S", "policy P's clusterSelectors[I] is selector S"),
    _p("selector_invalid", "S", "selector S is rejected by LabelSelectorAsSelector"),
    _p("wec", "C WC", "WEC C has label class WC"),
    _p("clause", "P J", "J is a downsync clause of policy P"),
    _p(
        "clause_tests",
        "J TR TN TL",
        "clause J makes resource test TR, namespace test TN, labels test TL",
    ),
    _p("clause_object_name", "J N", "clause J lists object name N"),
    _p("clause_object_names_unset", "J", "clause J lists no objectNames"),
    _p("clause_create_only", "J", "clause J sets createOnly"),
    _p("clause_want_singleton", "J", "clause J sets wantSingletonReportedState"),
    _p("clause_want_multi_wec", "J", "clause J sets wantMultiWECReportedState"),
    _p("clause_status_collector", "J SC", "clause J names status collector SC"),
    _p("rtest_any_api_group", "TR", "resource test TR has no apiGroup"),
    _p("rtest_api_group", "TR G", "resource test TR requires apiGroup G"),
    _p("rtest_resources_unset", "TR", "resource test TR lists no resources"),
    _p("rtest_resource", "TR R", "resource test TR lists resource R"),
    _p("ntest_namespaces_unset", "TN", "namespace test TN lists no namespaces"),
    _p("ntest_namespace", "TN NS", "namespace test TN lists namespace NS"),
    _p("ntest_selectors_unset", "TN", "namespace test TN has no namespaceSelectors"),
    _p("ntest_selector", "TN S", "namespace test TN has namespaceSelector S"),
    _p("ltest_unset", "TL", "labels test TL has no objectSelectors"),
    _p("ltest_selector", "TL S", "labels test TL has objectSelector S"),
    _p("selector_is_empty", "S", "selector S is {}"),
    _p("object_class", "OC G R NS", "object class OC is group G, resource R, namespace NS"),
    _p("workload", "O N OC", "workload object O is named N and belongs to class OC"),
    _p("namespace", "NS NC", "Namespace object NS exists with label class NC"),
    _p("known_api_group", "G", "some object has group G"),
    _p("known_resource", "R", "some object has resource R"),
    _p("known_resource_of_group", "G R", "some object has group G and resource R"),
    _p("known_namespace", "NS", "some object is in, or a Namespace object is named, NS"),
    _p("binding_exists", "P", "the input holds a Binding named after policy P"),
)

# Computed in Python and asserted as facts before the rules that read them are asked.
BUILTINS: tuple[Predicate, ...] = (
    _p("wec_selector_matches", "S WC", "selector S matches the labels of WEC class WC"),
    _p("object_selector_matches", "S OC", "selector S matches the labels of object class OC"),
    _p("namespace_selector_matches", "S NC", "selector S matches Namespace label class NC"),
)


# Inputs that say which class a subject belongs to: name -> (member position, class position).
# A relation that reaches its subjects only through one of these can be derived per class and
# expanded into members in Python (the engine checks the rule text for that shape). A selector
# stands for the WEC classes its builtin matches: a relation that reaches WEC classes only
# through the builtin is derived per selector and expanded through both memberships.
MEMBERSHIP: dict[str, tuple[int, int]] = {"wec": (0, 1), "wec_selector_matches": (1, 0)}


@dataclass(frozen=True, slots=True)
class Aggregate:
    """`name(K, N)`: N is the number of distinct V with `source(K, V)` (rows only for N > 0)."""

    name: str
    source: str
    meaning: str


AGGREGATES: tuple[Aggregate, ...] = (
    Aggregate(
        "singleton_wec_count",
        "singleton_qualified",
        "the number of WECs that qualify for object O's singleton status return",
    ),
)

# Derived predicates the exporter, the explainer, status and the graph read.
OUTPUTS: tuple[Predicate, ...] = (
    _p("selects_wec", "P C", "policy P selects WEC C"),
    _p("selects_wec_via", "P S C", "policy P selects WEC C through its selector S"),
    _p("policy_object", "P O K V", "policy P selects object O with modulation K (value V)"),
    _p("policy_invalid", "P", "policy P has an invalid clusterSelectors entry"),
    _p("policy_wec_selector", "P S", "selector S of policy P counts for WEC selection"),
    _p("clause_matches", "J O", "clause J matches object O"),
    _p("binds", "C O P", "WEC C receives object O because of policy P"),
    _p("has_binding", "P", "KubeStellar writes a Binding for policy P"),
    _p("singleton_problem", "P O", "policy P reports O's unmet singleton status request"),
)

# policy_object's K: 'selected' marks selection; the others are Binding entry fields.
SELECTED = "selected"
MODULATIONS: dict[str, ModulationKind] = {
    "createOnly": ModulationKind.FLAG,
    "statusCollectors": ModulationKind.LIST,
    "wantSingletonReportedState": ModulationKind.FLAG,
    "wantMultiWECReportedState": ModulationKind.FLAG,
}

INPUT_NAMES = frozenset(p.name for p in INPUTS)
BUILTIN_NAMES = frozenset(p.name for p in BUILTINS)
AGGREGATE_NAMES = frozenset(a.name for a in AGGREGATES)


def check_interface(program: Program) -> None:
    """Raise RuleError unless `program` reads only declared predicates and derives the outputs."""
    problems: list[str] = []
    arity = {p.name: p.arity for p in (*INPUTS, *BUILTINS, *OUTPUTS)}
    arity.update({a.name: 2 for a in AGGREGATES})
    constant = {f.predicate for f in program.facts}
    for fact in program.facts:
        if fact.predicate in INPUT_NAMES | BUILTIN_NAMES | AGGREGATE_NAMES:
            problems.append(f"{fact}: input predicate {fact.predicate} written as a program fact")
    for rule in program.rules:
        where = rule.rule_id
        head = rule.head.predicate
        if head in INPUT_NAMES | BUILTIN_NAMES | AGGREGATE_NAMES:
            problems.append(f"{where}: {head} is an input or builtin, not derived by rules")
        for atom in (rule.head, *rule.body):
            name = atom.predicate
            if name in arity and len(atom.args) != arity[name]:
                problems.append(
                    f"{where}: {name} takes {arity[name]} arguments, not {len(atom.args)}"
                )
            elif name not in arity and name not in program.derived and name not in constant:
                problems.append(f"{where}: {name} is neither derived, nor an input, nor a builtin")
        if head == "clause_modulation" and rule.head.args:
            kind = rule.head.args[1] if len(rule.head.args) > 1 else None
            if isinstance(kind, str) and kind != SELECTED and kind not in MODULATIONS:
                known = ", ".join(sorted(MODULATIONS))
                problems.append(
                    f"{where}: modulation {kind!r} is not one the Binding has ({known})"
                )
    for out in OUTPUTS:
        if out.name not in program.derived:
            problems.append(f"binding.dl: output {out.name}/{out.arity} is not derived by any rule")
    for agg in AGGREGATES:
        if agg.source not in program.derived:
            problems.append(
                f"binding.dl: aggregate {agg.name} counts {agg.source}, which no rule derives"
            )
    if problems:
        raise RuleError("the rules do not fit bindlog's interface:\n  " + "\n  ".join(problems))
