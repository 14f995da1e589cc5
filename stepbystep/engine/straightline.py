"""Expressions compiled to straight-line Python over plain floats.

The fast path (fastpath.py, descent.py, fastpath_update.py) runs the steps
that are not shown in full through these functions: each node becomes one
line doing the same float operations in the same order as Expr.evaluate
(`math.fsum` for sums of three or more, the same rounding after every node in
hand-calculation mode), so the numbers are bit for bit the traced graph's.
The generated source is ours alone: only names, numbers and the registry's
functions reach it, never user text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Collection, Mapping, Sequence

from .expressions import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Ref, Sub
from .fastpath_update import HandDivision
from .graph import Graph, hand_divide
from .ops import FUNCTIONS


@dataclass(frozen=True)
class SampleTemplate:
    """The graph of one sample's forward and backward pass (built by nn.py)."""

    graph: Graph
    parameters: tuple[str, ...]   # given nodes: the parameters, in order
    inputs: tuple[str, ...]       # given nodes: the inputs
    targets: tuple[str, ...]      # given nodes: the targets
    loss: str                     # the sample's E_total
    gradients: tuple[str, ...]    # dE_total/d<parameter>, in parameter order


def compile_sample(template: SampleTemplate, round_to: int | None, loss_only: bool = False) -> Callable[..., Any]:
    """Straight-line Python for the template's nodes that the loss (and the
    gradients) need: `f(params, inputs, targets) -> (loss, gradients)`."""
    graph = template.graph
    wanted = [template.loss] + ([] if loss_only else list(template.gradients))
    needed = _needed(graph, wanted)
    variables: dict[str, str] = {}
    hand = None if round_to is None else HandDivision(round_to, lambda name: graph.nodes[name].expr is not None)
    lines = ["def sample(P, X, T):"]
    sources = [(template.parameters, "P"), (template.inputs, "X"), (template.targets, "T")]
    for names, holder in sources:
        for name in names:
            variables[name] = f"v{len(variables)}"
        if names:   # unpacking a whole tuple is faster than indexing
            lines.append(f"    {', '.join(variables[name] for name in names)}, = {holder}")
    lines += _node_lines(graph, variables, needed, round_to, hand)
    if loss_only:
        lines.append(f"    return {variables[template.loss]}")
    else:
        gradients = ", ".join(variables[name] for name in template.gradients)
        lines.append(f"    return {variables[template.loss]}, ({gradients},)")
    return _defined(lines, "sample")


def compile_graph(graph: Graph, sources: Mapping[str, int]) -> Callable[[Sequence[float]], tuple[float, ...]]:
    """A whole graph without rounding as one function: `f(numbers)` -> the value
    of every node in the graph's order, a given node taking `numbers[sources[name]]`
    (engine/replay.py: one shape's nodes for each spec of that shape). A value
    that fails or is not finite is for the caller to find node by node in a
    Graph, which names it."""
    assert graph.round_to is None
    variables: dict[str, str] = {}
    lines = ["def graph(N):"]
    for name, node in graph.nodes.items():
        if node.expr is None:
            variables[name] = f"v{len(variables)}"
            lines.append(f"    {variables[name]} = N[{sources[name]}]")
    lines += _node_lines(graph, variables, graph.nodes, None, None)
    lines.append("    return (" + ", ".join(variables[name] for name in graph.nodes) + ",)")
    return _defined(lines, "graph")


def compile_expression(expr: Expr, names: Sequence[str]) -> Callable[..., float]:
    """One expression compiled as the fast path compiles a node: `f(*values)`
    with the values of `names` in order (for tests: compiled == evaluated)."""
    variables = {name: f"v{index}" for index, name in enumerate(names)}
    return _defined([f"def f({', '.join(variables.values())}):", f"    return {python_source(expr, variables)}"], "f")


def _node_lines(graph: Graph, variables: dict[str, str], wanted: Collection[str], round_to: int | None,
                hand: HandDivision | None) -> list[str]:
    """One line per defined node in `wanted`, in the graph's order, each given
    its variable in `variables` (the given nodes have theirs already); a plain
    copy of another node is no line at all, unless every value is rounded."""
    lines = []
    for name, node in graph.nodes.items():
        if name not in wanted or node.expr is None:
            continue
        if isinstance(node.expr, Ref) and round_to is None:
            variables[name] = variables[node.expr.name]   # a copy: no code
            continue
        variables[name] = f"v{len(variables)}"
        source = python_source(node.expr, variables, hand)
        if round_to is not None:
            source = f"round({source}, {round_to}) + 0.0"
        lines.append(f"    {variables[name]} = {source}")
    return lines


def _defined(lines: list[str], name: str) -> Any:
    """The function `name` the lines define, with what compiled code may call."""
    namespace = namespace_for_compiled()
    exec(compile("\n".join(lines), "<stepbystep.straightline>", "exec"), namespace)  # our own generated code
    return namespace[name]


def _needed(graph: Graph, wanted: list[str]) -> set[str]:
    needed: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(graph.nodes[name].inputs)
    return needed


def python_source(expr: Expr, variables: dict[str, str], hand: HandDivision | None = None) -> str:
    """The expression as Python source doing the same float operations in the
    same order as Expr.evaluate (expressions.py); in hand-calculation mode (`hand`)
    a divisor that reads computed values is checked as Graph checks it."""
    if isinstance(expr, Ref):
        return variables[expr.name]
    if isinstance(expr, Num):
        return f"({float(expr.value)!r})"
    if isinstance(expr, Add):
        terms = [python_source(term, variables, hand) for term in expr.terms]
        if len(terms) == 1:
            return f"fsum(({terms[0]},))"
        if len(terms) == 2:   # one IEEE addition is already the correctly rounded sum fsum gives
            return f"({terms[0]} + {terms[1]})"
        return "fsum((" + ", ".join(terms) + "))"
    if isinstance(expr, Sub):
        return f"({python_source(expr.left, variables, hand)} - {python_source(expr.right, variables, hand)})"
    if isinstance(expr, Mul):
        # x * 1.0 is x exactly (also -0.0 and inf): the bias's "b * 1" costs nothing
        factors = [factor for factor in expr.factors if not (isinstance(factor, Num) and factor.value == 1.0)]
        factors = factors or [Num(1.0)]
        return "(" + " * ".join(python_source(factor, variables, hand) for factor in factors) + ")"
    if isinstance(expr, Div):
        numerator, denominator = python_source(expr.numerator, variables, hand), python_source(expr.denominator, variables, hand)
        if hand is not None and any(hand.computed(name) for name in expr.denominator.names):
            return f"_hand_divide({numerator}, {denominator}, {hand.decimals})"
        return f"({numerator} / {denominator})"
    if isinstance(expr, Neg):
        return f"(-{python_source(expr.arg, variables, hand)})"
    if isinstance(expr, Pow):
        return f"({python_source(expr.base, variables, hand)} ** {python_source(expr.exponent, variables, hand)})"
    if isinstance(expr, Call):
        return _call(expr, variables, hand)
    raise TypeError(f"no fast path for {type(expr).__name__}")


def _call(expr: Call, variables: dict[str, str], hand: HandDivision | None) -> str:
    """The function record's own Python form where it has one (inlined, the same
    float operations as its `evaluate`), else a call of `evaluate` itself."""
    args = [python_source(arg, variables, hand) for arg in expr.args]
    record = expr.record
    simple = isinstance(expr.args[0], Ref)  # inlined forms read their argument more than once
    if record.python is not None:
        inlined = record.python(args, simple, expr.param)
        if inlined is not None:
            return inlined
    if record.takes_param:
        args = [repr(float(expr.param))] + args
    return f"_{record.name}(" + ", ".join(args) + ")"


def namespace_for_compiled() -> dict[str, Any]:
    """What compiled code may call: math's exp and tanh, fsum, and every
    function's `evaluate` as `_<name>`."""
    namespace: dict[str, Any] = {"fsum": math.fsum, "exp": math.exp, "tanh": math.tanh, "_hand_divide": hand_divide}
    namespace.update({f"_{record.name}": record.evaluate for record in FUNCTIONS})
    return namespace
