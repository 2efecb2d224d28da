"""The rule program as data: binding.dl parsed with `ast` into Rule objects.

The engine compiles its access paths from these objects; the explainer reasons over them. Both come
from the same file, so explanations follow the rules that decided.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache

from bindlog.errors import RuleError

Term = str | int  # a variable name (capitalised identifier) or a constant


@dataclass(frozen=True, slots=True)
class Var:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Atom:
    predicate: str
    args: tuple[Var | str | int, ...]
    negated: bool = False

    def __str__(self) -> str:
        inner = ", ".join(a.name if isinstance(a, Var) else repr(a) for a in self.args)
        return f"{'~' if self.negated else ''}{self.predicate}({inner})"


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str  # "binding.dl:37 selects_wec/2"
    head: Atom
    body: tuple[Atom, ...]
    comment: str  # the comment block above the rule: the KubeStellar behaviour it encodes

    @property
    def line(self) -> int:
        return int(self.rule_id.split(":")[1].split()[0])


@dataclass(frozen=True, slots=True)
class Program:
    rules: tuple[Rule, ...]
    facts: tuple[Atom, ...]  # ground facts written in the program (the never-downsync list)
    by_head: dict[str, tuple[Rule, ...]] = field(init=False, compare=False, repr=False)
    derived: frozenset[str] = field(init=False, compare=False, repr=False)  # IDB predicates

    def __post_init__(self) -> None:
        by_head: dict[str, list[Rule]] = {}
        for rule in self.rules:
            by_head.setdefault(rule.head.predicate, []).append(rule)
        object.__setattr__(self, "by_head", {k: tuple(v) for k, v in by_head.items()})
        object.__setattr__(self, "derived", frozenset(by_head))

    def rules_for(self, predicate: str) -> tuple[Rule, ...]:
        return self.by_head.get(predicate, ())


def parse_program(text: str, filename: str = "binding.dl") -> Program:
    """Parse pyDatalog rule text (`head <= a & b & ~c`, `+ fact(...)`) into a Program."""
    try:
        module = ast.parse(text, filename=filename)
    except SyntaxError as e:
        raise RuleError(f"{filename}:{e.lineno}: {e.msg}") from e
    lines = text.splitlines()
    rules: list[Rule] = []
    facts: list[Atom] = []
    for stmt in module.body:
        if not isinstance(stmt, ast.Expr):
            raise RuleError(f"{filename}:{stmt.lineno}: not a rule or fact")
        node = stmt.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            facts.append(_atom(node.operand, filename))
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.LtE)
        ):
            head = _atom(node.left, filename)
            body = tuple(_conjuncts(node.comparators[0], filename))
            rule_id = f"{filename}:{stmt.lineno} {head.predicate}/{len(head.args)}"
            rules.append(Rule(rule_id, head, body, _comment_above(lines, stmt.lineno)))
        else:
            raise RuleError(f"{filename}:{stmt.lineno}: not a rule or fact")
    program = Program(tuple(rules), tuple(facts))
    check_stratified(program)
    return program


def _conjuncts(node: ast.expr, filename: str) -> list[Atom]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd):
        return [*_conjuncts(node.left, filename), *_conjuncts(node.right, filename)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        atom = _atom(node.operand, filename)
        return [Atom(atom.predicate, atom.args, negated=True)]
    return [_atom(node, filename)]


def _atom(node: ast.expr, filename: str) -> Atom:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise RuleError(f"{filename}:{getattr(node, 'lineno', '?')}: expected a literal")
    args: list[Var | str | int] = []
    for arg in node.args:
        if isinstance(arg, ast.Name) and arg.id[:1].isupper():
            args.append(Var(arg.id))
        elif isinstance(arg, ast.Constant) and isinstance(arg.value, str | int):
            args.append(arg.value)
        else:
            raise RuleError(f"{filename}:{node.lineno}: unsupported argument in {node.func.id}")
    return Atom(node.func.id, tuple(args))


def _comment_above(lines: list[str], lineno: int) -> str:
    """The nearest comment block above a rule, looking past the rules of the same group."""
    i = lineno - 2
    while i >= 0 and lines[i].strip() and not lines[i].lstrip().startswith("#"):
        i -= 1  # another rule of the same group
    block: list[str] = []
    while i >= 0 and lines[i].lstrip().startswith("#"):
        text = lines[i].lstrip()[1:].strip()
        if text.startswith("---"):
            break
        block.append(text)
        i -= 1
    return " ".join(reversed(block)).strip()


def check_stratified(program: Program) -> None:
    """Reject a program with recursion through negation (pyDatalog would answer wrongly): a
    negated premise p of a rule for q is fine unless q (through rules using it) reaches p."""
    users: dict[str, set[str]] = {}
    for rule in program.rules:
        for atom in rule.body:
            users.setdefault(atom.predicate, set()).add(rule.head.predicate)
    for rule in program.rules:
        for atom in rule.body:
            if atom.negated and _reaches(users, rule.head.predicate, atom.predicate):
                raise RuleError(
                    f"{atom.predicate} -> {rule.head.predicate}: negation inside a recursive cycle"
                )


def _reaches(users: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        pred = todo.pop()
        if pred == goal:
            return True
        for nxt in users.get(pred, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


@cache
def bundled_program() -> Program:
    from bindlog.engine.evaluate import rules_text

    return parse_program(rules_text())
