"""Computation-graph specs: safe expressions in, the same named graph out.

A node's text is parsed with Python's `ast` and only a whitelist of node
types becomes an expression (numbers, earlier names, + - * / **, unary
minus and a few functions); nothing is ever evaluated by Python itself. The
result runs on the very engine the dense networks use (graph.py): the
forward pass, then the backward pass (or forward-mode tangents, both
planned by autodiff.py) as named nodes whose expressions refer to earlier
names, which is what lets the grader recompute any answer from a student's
own numbers.
"""
from __future__ import annotations

import ast
import math
from dataclasses import fields
from typing import Any, Iterator

from ..spec.model import GraphSpec, SpecError
from ..spec import names
from .autodiff import Planned, forward_mode, reverse_mode, tangent_name
from .expressions import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Ref, Sub
from .graph import Graph, GraphError, evaluate
from .facts import GradientCheck, GraphFacts
from .ops import FUNCTIONS as GRAPH_FUNCTIONS
from .trace import Trace, TraceBuilder

# the functions a spec's expressions may call: name -> (fewest, most) arguments; None: no upper limit
FUNCTIONS: dict[str, tuple[int, int | None]] = {record.name: record.arity for record in GRAPH_FUNCTIONS
                                                if record.in_expressions}
MAX_TEXT = 1000      # characters in one node's expression
MAX_DEPTH = 64       # nesting of operators and calls (a long sum counts one level a term)
MAX_NODES = 300      # inputs plus nodes: beyond this no walkthrough is readable
MAX_OPERANDS = 64    # names and numbers in one node's expression (its fan-in)
MAX_GRAPH_OPERANDS = 2_000  # names and numbers in all the expressions of one graph
TIE_RULE = "first"   # max/min on a tie: the whole gradient goes to the first tied argument

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED = {
    ast.Attribute: "attribute access (a.b)", ast.Lambda: "lambda", ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension", ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression", ast.Subscript: "indexing (a[i])", ast.Compare: "a comparison",
    ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
    ast.Set: "a set", ast.Starred: "*unpacking", ast.JoinedStr: "an f-string", ast.NamedExpr: "an assignment (:=)",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice",
}
_ALLOWED = "use numbers, names, + - * / **, unary -, and " + ", ".join(FUNCTIONS)


def parse_expression(text: str, known: list[str], later: set[str], source: str, path: str,
                     itself: str | None = None) -> Expr:
    """One node's text as an Expr over `known` names; every refusal is a
    SpecError naming the field, e.g. `f.toml: nodes.f: unknown name 'k'`."""
    def fail(message: str) -> SpecError:
        return SpecError(source, path, message)

    if len(text) > MAX_TEXT:
        raise fail(f"the expression is {len(text)} characters long; at most {MAX_TEXT} are allowed")
    if not text.strip():
        raise fail("the expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise fail(f"not a valid expression{where}: {error.msg}") from None
    except (ValueError, MemoryError, RecursionError) as error:
        raise fail(f"not a valid expression: {error}") from None
    return _Converter(set(known), later, itself, fail).convert(tree.body, 0)


def operand_count(expr: Expr) -> int:
    """Names and numbers in an expression: its fan-in, for the graph's limits."""
    stack, count = [expr], 0
    while stack:
        item = stack.pop()
        if isinstance(item, (Ref, Num)):
            count += 1
            continue
        for part in fields(item):  # type: ignore[arg-type]
            value = getattr(item, part.name)
            stack.extend(entry for entry in (value if isinstance(value, tuple) else (value,)) if isinstance(entry, Expr))
    return count


class _Converter:
    def __init__(self, known: set[str], later: set[str], itself: str | None, fail: Any) -> None:
        self.known = known
        self.itself = itself
        self.later = later
        self.fail = fail
        self.operands = 0

    def convert(self, node: ast.AST, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise self.fail(f"the expression is nested more than {MAX_DEPTH} levels deep (the nesting limit)")
        if isinstance(node, (ast.Constant, ast.Name)):
            self.operands += 1
            if self.operands > MAX_OPERANDS:
                raise self.fail(f"the expression has more than {MAX_OPERANDS} names and numbers (the fan-in limit)")
        if isinstance(node, ast.Constant):
            return self.constant(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, depth + 1)
            if not isinstance(node.op, ast.USub):
                raise self.fail(f"the operator {_unary_text(node.op)} is not allowed ({_ALLOWED})")
            inner = self.convert(node.operand, depth + 1)
            return Num(-inner.value + 0.0) if isinstance(inner, Num) else Neg(inner)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        label = _REFUSED.get(type(node), type(node).__name__)
        raise self.fail(f"{label} is not allowed in an expression ({_ALLOWED})")

    def constant(self, value: Any) -> Num:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{value!r} is not a number ({_ALLOWED})")
        try:
            number = float(value)
        except OverflowError:
            raise self.fail("a number is too large for a float") from None
        if not math.isfinite(number):
            raise self.fail(f"{value!r} is not a finite number")
        return Num(number)

    def name(self, name: str) -> Ref:
        if name in self.known:
            return Ref(name)
        if name in FUNCTIONS:
            raise self.fail(f"{name} is a function: write {name}(...)")
        if name == self.itself:
            raise self.fail(f"uses itself ({name}); a node may use only inputs and earlier nodes")
        if name in self.later:
            raise self.fail(f"uses {name} before it is defined (a node may use only inputs and earlier nodes)")
        known = ", ".join(sorted(self.known)) or "none"
        raise self.fail(f"unknown name {name!r} (known here: {known})")

    def binary(self, node: ast.BinOp, depth: int) -> Expr:
        operator = _OPERATORS.get(type(node.op))
        if operator is None:
            if isinstance(node.op, ast.BitXor):
                raise self.fail("^ is not a power here: write x**2 for x squared")
            raise self.fail(f"the operator {_binary_text(node.op)} is not allowed ({_ALLOWED})")
        left, right = self.convert(node.left, depth + 1), self.convert(node.right, depth + 1)
        if operator == "+":
            return Add((left, right))
        if operator == "-":
            return Sub(left, right)
        if operator == "*":
            return Mul((left, right))
        if operator == "/":
            return Div(left, right)
        return Pow(left, right)

    def call(self, node: ast.Call, depth: int) -> Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(f"only the functions {', '.join(FUNCTIONS)} can be called")
        function = node.func.id
        if function not in FUNCTIONS:
            raise self.fail(f"unknown function {function!r} (allowed: {', '.join(FUNCTIONS)})")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(f"{function} takes plain arguments, not keywords or *unpacking")
        fewest, most = FUNCTIONS[function]
        count = len(node.args)
        if count < fewest or (most is not None and count > most):
            wanted = f"{fewest} argument" + ("s" if fewest > 1 else "") if most == fewest else f"{fewest} or more arguments"
            raise self.fail(f"{function} takes {wanted}, got {count}")
        return Call(function, tuple(self.convert(arg, depth + 1) for arg in node.args))


def _binary_text(op: ast.operator) -> str:
    return {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
            ast.BitOr: "|", ast.BitAnd: "&"}.get(type(op), type(op).__name__)


def _unary_text(op: ast.unaryop) -> str:
    return {ast.Not: "not", ast.Invert: "~"}.get(type(op), type(op).__name__)


def parse_graph(spec: GraphSpec) -> list[tuple[str, Expr]]:
    """Every node's expression, checked before anything is computed."""
    if len(spec.inputs) + len(spec.nodes) > MAX_NODES:
        raise SpecError(spec.source, "nodes", f"{len(spec.inputs) + len(spec.nodes)} inputs and nodes; at most {MAX_NODES}")
    for table, entries in (("inputs", spec.inputs), ("nodes", spec.nodes)):
        for name, _ in entries:
            if name in FUNCTIONS:
                raise SpecError(spec.source, f"{table}.{name}", f"{name} is a function name; choose another name")
    known = [name for name, _ in spec.inputs]
    later = {name for name, _ in spec.nodes}
    parsed = []
    operands = 0
    for name, text in spec.nodes:
        later.discard(name)
        expr = parse_expression(text, known, later, spec.source, f"nodes.{name}", name)
        operands += operand_count(expr)
        if operands > MAX_GRAPH_OPERANDS:
            raise SpecError(spec.source, f"nodes.{name}", f"the expressions up to here have {operands:,} names and "
                                                         f"numbers; at most {MAX_GRAPH_OPERANDS:,} in one graph "
                                                         "(the graph size limit)")
        parsed.append((name, expr))
        known.append(name)
    return parsed


def build_graph_trace(spec: GraphSpec, round_to: int | None = None, mode: str = "reverse",
                      wrt: str | None = None, gradient_check: bool = False) -> Trace:
    """The walkthrough of a graph spec: forward pass, then the backward pass
    (mode "reverse") or the tangents of one input (mode "forward", `wrt`)."""
    if spec.training is not None:   # gradient descent on some inputs: engine/descent.py (via engine/build.py)
        raise SpecError(spec.source, "training", "a spec that descends (a [training] table) is shown with the "
                                                 "backward pass of each step: no --mode forward, --wrt or "
                                                 "--gradient-check")
    parsed = parse_graph(spec)
    input_names = [name for name, _ in spec.inputs]
    if mode == "forward":
        if wrt is None:
            raise SpecError(spec.source, "--wrt", "forward mode needs the input to differentiate by (--wrt NAME)")
        if wrt not in input_names:
            raise SpecError(spec.source, "--wrt", f"{wrt!r} is not an input (inputs: {', '.join(input_names)})")
    elif mode != "reverse":
        raise SpecError(spec.source, "--mode", f"unknown mode {mode!r} (reverse or forward)")
    graph = Graph(round_to)
    trace = TraceBuilder(graph, spec.notes)
    trace.section("graph_inputs", "The inputs", 2)
    for name, value in spec.inputs:
        trace.given(name, value, role="input")
    trace.section("graph_forward", "The forward pass", 2)
    sources = dict(spec.nodes)
    for name, expr in parsed:
        trace.define(name, expr, "node", source=sources[name], output=name == spec.output)
    if mode == "reverse":
        plan = reverse_mode(graph, spec.output)
        _record(trace, plan, "graph_backward", "The backward pass", spec.output)
        check_of = {name: names.gradient(spec.output, name) for name in input_names}
    else:
        assert wrt is not None
        plan = forward_mode(graph, wrt, spec.output)
        _record(trace, plan, "graph_tangents", f"Forward mode: the derivatives with respect to {wrt}", spec.output)
        check_of = {wrt: tangent_name(spec.output, wrt)}
    facts = GraphFacts(
        spec, spec.output, tuple(input_names), tuple(name for name, _ in parsed), mode, wrt, round_to, TIE_RULE,
        tuple(check_of.values()),
        tuple(sorted({function for _, expr in parsed for function in functions_used(expr)})),
        _gradient_check(graph, spec.output, check_of) if gradient_check else None)
    return trace.finish(spec.title or "A computation graph, step by step", facts)


def functions_used(expr: Expr) -> Iterator[str]:
    """The functions an expression calls (max, relu, …), so the document states
    only the conventions (kinks, ties) that apply to this graph."""
    if isinstance(expr, Call):
        yield expr.function
    for item in fields(expr):
        value = getattr(expr, item.name)
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, Expr):
                yield from functions_used(part)


def _record(trace: TraceBuilder, plan: list[Planned], kind: str, title: str, output: str) -> None:
    """The plan's values into sections: an opening one (the seeds), then one per node worked on."""
    trace.section(kind, title, 2, output=output)
    current = None
    for item in plan:
        if item.role == "gradient" and item.terms == 0:  # inputs the output does not use, together at the end
            if current != "":
                current = ""
                trace.section(kind + "_unused", "Inputs the output does not use", 3, output=output)
        elif item.role != "seed" and item.node != current:
            current = item.node
            node = trace.graph.nodes[item.node]
            trace.section(kind + "_node", f"At {item.node}", 3, node=item.node, inputs=node.inputs,
                          output=item.node == output)
        direct = item.role == "gradient" and item.node == output and item.terms == 1
        # a sum whose first term is the output's own local gradient, written out (it has no name of its own)
        via_output = item.role == "gradient" and item.terms > 1 and item.argument in trace.graph.nodes[output].inputs
        trace.define(item.name, item.expr, item.role, node=item.node, argument=item.argument, terms=item.terms,
                     direct=direct, via_output=via_output)


STEP_SCALE = 1e-6  # central difference step: h = 1e-6 * max(1, |x|)


def _gradient_check(graph: Graph, output: str, check_of: dict[str, str]) -> tuple[GradientCheck, ...]:
    """Each input gradient against (f(x + h) - f(x - h)) / 2h at full precision."""
    tolerance = 1e-6 if graph.round_to is None else 10.0 ** (1 - graph.round_to)
    rows = []
    for name, gradient in check_of.items():
        x = graph.values[name]
        h = STEP_SCALE * max(1.0, abs(x))
        try:
            numeric = (_output_at(graph, output, {name: x + h}) - _output_at(graph, output, {name: x - h})) / (2 * h)
        except GraphError as error:
            rows.append(GradientCheck(name, gradient, graph.values[gradient], None, h, None, None, str(error)))
            continue
        analytic = graph.values[gradient]
        difference = abs(analytic - numeric)
        rows.append(GradientCheck(name, gradient, analytic, numeric, h, difference,
                                  difference <= tolerance * max(1.0, abs(numeric)), None))
    return tuple(rows)


def _output_at(graph: Graph, output: str, overrides: dict[str, float]) -> float:
    """The output recomputed, unrounded, with some inputs moved: the same
    node expressions evaluated again, in definition order."""
    env: dict[str, float] = {}
    for name, node in graph.nodes.items():
        if node.expr is None:
            env[name] = overrides.get(name, node.value)
        else:
            env[name] = evaluate(name, node.expr, env)
        if name == output:
            return env[name]
    raise KeyError(output)
