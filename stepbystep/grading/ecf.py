"""Error carried forward: the values a student's own numbers imply.

Given some of a student's numbers, every other value of the trace is
recomputed from them in graph order, lazily and only upstream of what is
asked for. A grader asks this once per wrong answer, for a class of a
thousand sheets, so each node's expression is compiled once into a closure
over one dictionary of values (the same arithmetic as `Expr.evaluate`).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping

from ..engine.expressions import Add, Div, Expr, Mul, Neg, Num, Pow, Ref, Sub
from ..engine.graph import Graph

MASK_LIMIT = 5000  # above this many nodes, ancestor bitsets would cost too much memory
Evaluator = Callable[[Mapping[str, float]], float]
_EMPTY: frozenset[str] = frozenset()


def compile_expr(expr: Expr) -> Evaluator:
    """A closure computing `expr.evaluate(env)`, bit for bit."""
    kind = type(expr)
    if kind is Ref:
        name = expr.name  # type: ignore[attr-defined]
        return lambda env: env[name]
    if kind is Num:
        constant = expr.value  # type: ignore[attr-defined]
        return lambda env: constant
    if kind is Add:
        terms = [compile_expr(term) for term in expr.terms]  # type: ignore[attr-defined]
        return lambda env: math.fsum([term(env) for term in terms])
    if kind is Mul:
        factors = [compile_expr(factor) for factor in expr.factors]  # type: ignore[attr-defined]
        if len(factors) == 2:
            first, second = factors
            return lambda env: first(env) * second(env)
        return lambda env: _product(factors, env)
    if kind is Sub:
        left, right = compile_expr(expr.left), compile_expr(expr.right)  # type: ignore[attr-defined]
        return lambda env: left(env) - right(env)
    if kind is Div:
        top, bottom = compile_expr(expr.numerator), compile_expr(expr.denominator)  # type: ignore[attr-defined]
        return lambda env: top(env) / bottom(env)
    if kind is Neg:
        inner = compile_expr(expr.arg)  # type: ignore[attr-defined]
        return lambda env: -inner(env)
    if kind is Pow:
        base, exponent = compile_expr(expr.base), compile_expr(expr.exponent)  # type: ignore[attr-defined]
        return lambda env: _power(base(env), exponent(env))
    return expr.evaluate  # Call and anything newer: the expression's own evaluation


def _product(factors: list[Evaluator], env: Mapping[str, float]) -> float:
    product = 1.0
    for factor in factors:
        product *= factor(env)
    return product


def _power(base: float, exponent: float) -> float:
    result = base ** exponent
    if isinstance(result, complex):
        raise ValueError("a negative number to a fractional power")
    return result


class _Compiled(dict):  # type: ignore[type-arg]
    """name -> compiled expression, compiled on first use: a sheet recomputes
    a few nodes, and a variant's mistaken re-runs need not compile them all."""

    def __init__(self, nodes: Mapping[str, Any]) -> None:
        super().__init__()
        self.nodes = nodes

    def __missing__(self, name: str) -> Evaluator:
        compiled = self[name] = compile_expr(self.nodes[name].expr)
        return compiled


class PreparedGraph:
    """A trace's graph prepared for many sheets: compiled expressions,
    node order, ancestor bitsets, and (for a mistaken re-run) which nodes
    the mistake reaches."""

    def __init__(self, graph: Graph, reference: "PreparedGraph | None" = None) -> None:
        self.nodes = graph.nodes
        self.values = graph.values
        self.round_to = graph.round_to
        self.names = list(graph.nodes)
        if reference is not None and reference.names == self.names:
            self.index = reference.index  # the same layout: one given-mask serves both
        else:
            self.index = {name: position for position, name in enumerate(self.names)}
        self.compiled = _Compiled(self.nodes)  # each node compiled when first recomputed
        self._ancestors: list[int] | None = None
        self.affected = self._affected(reference) if reference is not None else set(self.names)

    def _affected(self, reference: "PreparedGraph") -> set[str]:
        """Nodes whose value, from the same given numbers, can differ from the
        reference graph's: another formula, other rounding, or such an input."""
        found: set[str] = set()
        same_rounding = self.round_to == reference.round_to
        for name, node in self.nodes.items():
            other = reference.nodes.get(name)
            if (other is None or not same_rounding or node.expr != other.expr
                    or (node.expr is None and node.value != other.value)
                    or any(source in found for source in node.inputs)):
                found.add(name)
        return found

    def ancestors(self) -> list[int] | None:
        """Per node, a bitset of every node its value depends on (None: too many nodes)."""
        if self._ancestors is None and len(self.names) <= MASK_LIMIT:
            masks: list[int] = []
            index = self.index
            for name in self.names:
                mask = 0
                for source in self.nodes[name].inputs:
                    position = index[source]
                    mask |= masks[position] | (1 << position)
                masks.append(mask)
            self._ancestors = masks
        return self._ancestors

    def mask(self, names: Iterable[str]) -> int:
        index = self.index
        return sum(1 << index[name] for name in names if name in index)


class StudentWorld:
    """A student's given numbers where given; elsewhere each node recomputed
    from its inputs in this world. Optionally tracks, per value, which wrong
    given answers it follows from (`blame`: given name -> wrong answers)."""

    def __init__(self, graph: PreparedGraph, given: Mapping[str, float], mask: int,
                 blame: dict[str, frozenset[str]] | None = None) -> None:
        self.graph = graph
        self.given = given
        self.mask = mask
        self.masks = graph.ancestors()
        self.env: dict[str, float] = {**graph.values, **given}
        self.computed: set[str] = set()
        self.blame = blame
        self.memo_blame: dict[str, frozenset[str]] = {}

    def _stale(self, name: str) -> bool:
        """True when env holds the true value but this world's differs."""
        if name in self.given or name in self.computed:
            return False
        return self.masks is None or bool(self.masks[self.graph.index[name]] & self.mask)

    def _ensure(self, inputs: Iterable[str]) -> None:
        stack = [name for name in inputs if self._stale(name)]
        nodes = self.graph.nodes
        while stack:
            top = stack[-1]
            pending = [source for source in nodes[top].inputs if self._stale(source)]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if top not in self.computed:
                self.env[top] = self._evaluate(top)
                self.computed.add(top)

    def _evaluate(self, name: str) -> float:
        node = self.graph.nodes[name]
        if node.expr is None:
            return node.value
        if self.blame is not None:
            self.memo_blame[name] = self._blame_of(node.inputs)
        try:
            value = self.graph.compiled[name](self.env)
        except (ArithmeticError, ValueError):
            return math.nan
        if math.isnan(value) or math.isinf(value):
            return math.nan
        return value if self.graph.round_to is None else round(value, self.graph.round_to) + 0.0

    def recompute(self, name: str) -> float | None:
        """The node from its inputs' values in this world; None for a given
        value (nothing to recompute) or a value that cannot be computed."""
        node = self.graph.nodes[name]
        if node.expr is None:
            return None
        self._ensure(node.inputs)
        value = self._evaluate(name)
        return None if math.isnan(value) else value

    def _blame_of(self, inputs: Iterable[str]) -> frozenset[str]:
        found: frozenset[str] = _EMPTY
        blame = self.blame or {}
        for source in inputs:
            if source in self.given:
                found |= blame.get(source, _EMPTY)
            elif source in self.memo_blame:
                found |= self.memo_blame[source]
        return found

    def blame_of(self, name: str) -> frozenset[str]:
        """The wrong given answers the node's recomputed value follows from."""
        return self._blame_of(self.graph.nodes[name].inputs)
