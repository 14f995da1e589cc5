"""Named scalar nodes: the one graph every number in a document comes from.

A node is a name, an expression over earlier names and a value. Keeping the
expression (not just the value) is what lets one graph serve every reader:
the renderer prints it as a formula and with numbers substituted, the grader
re-evaluates it on a student's own numbers (error carried forward), and
hand-calculation mode rounds each value as it is computed.

The expressions themselves are expressions.py; their derivatives (symbolic
rules, reverse and forward mode as plans of named nodes) autodiff.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

from .expressions import Expr, Ref


class GraphError(ValueError):
    """A value that cannot be computed (overflow, log of 0, NaN), by name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Node:
    name: str
    expr: Expr | None  # None: a given value
    value: float
    inputs: tuple[str, ...]

    def revalued(self, value: float) -> "Node":
        """The same node with another value (engine/replay.py; made field by
        field, as trace.Step.revalued, for speed)."""
        copy = object.__new__(Node)
        copy.__dict__.update(self.__dict__)
        copy.__dict__["value"] = value
        return copy


class Graph:
    """Nodes in the order they were defined, which is always a valid
    topological order: a node may only refer to names defined before it."""

    def __init__(self, round_to: int | None = None) -> None:
        self.round_to = round_to
        self.nodes: dict[str, Node] = {}
        self.values: dict[str, float] = {}

    def given(self, name: str, value: float) -> Ref:
        self._add(Node(name, None, float(value), ()))
        return Ref(name)

    def define(self, name: str, expr: Expr) -> Ref:
        found: dict[str, None] = {}
        expr.gather_refs(found)
        inputs = tuple(found)
        values = self.values
        for input_name in inputs:
            if input_name not in values:
                raise GraphError(name, f"uses {input_name} before it is defined")
        self._add(Node(name, expr, self._value(name, expr), inputs))
        return Ref(name)

    def define_again(self, node: Node) -> None:
        """A defined node of a graph of the same shape, evaluated here with this
        graph's values (engine/replay.py, which goes in that graph's order, so
        the node's inputs are defined here before it as they were there)."""
        assert node.expr is not None
        self._add(Node(node.name, node.expr, self._value(node.name, node.expr), node.inputs))

    def adopt(self, shape: "Graph", values: Sequence[float]) -> None:
        """Every node of a graph of the same shape, with the values the compiled
        form of that graph computed for this graph's numbers, one per node in
        its order (engine/replay.py; the compiled arithmetic is
        Expr.evaluate's, bit for bit)."""
        assert not self.nodes and len(values) == len(shape.nodes)
        self.nodes = {name: node.revalued(value) for (name, node), value in zip(shape.nodes.items(), values)}
        self.values = dict(zip(shape.nodes, values))

    def _value(self, name: str, expr: Expr) -> float:
        try:
            value = evaluate(name, expr, self.values)
        except GraphError as error:
            if self.round_to is None:
                raise
            raise GraphError(name, f"{error.message} (every value was rounded to {self.round_to} decimals as it "
                                   "was computed; more decimals may avoid this)") from None
        if self.round_to is not None:
            if expr.divisions:
                self._check_hand_divisions(name, expr)
            value = round(value, self.round_to) + 0.0
        return value

    def _check_hand_divisions(self, name: str, expr: Expr) -> None:
        """Hand-calculation mode: a divisor made of computed values that is 0
        at the rounding's decimals (Adam's sqrt(vhat) + eps with vhat rounded
        to 0) cannot be divided by a person; the run says so instead of
        dividing by eps alone. A given value (a graph's input) is divided by as written."""
        assert self.round_to is not None
        for division in expr.divisions:
            divisor = division.denominator
            if not any(self.nodes[ref].expr is not None for ref in divisor.names):
                continue
            try:
                hand_divide(division.numerator.evaluate(self.values), divisor.evaluate(self.values), self.round_to)
            except ZeroDivisionError:
                zeros = [ref for ref in sorted(divisor.names) if self.values[ref] == 0]
                rounded = f" ({', '.join(zeros)} rounded to 0)" if zeros else ""
                raise GraphError(name, f"divides by {divisor.evaluate(self.values):.3g}, which is 0 at "
                                       f"{self.round_to} decimals{rounded}: rounding every value to {self.round_to} "
                                       "decimals cannot take this step; round to more decimals") from None

    def _add(self, node: Node) -> None:
        if node.name in self.nodes:
            raise GraphError(node.name, "defined twice")
        self.nodes[node.name] = node
        self.values[node.name] = node.value

    def recompute(self, name: str, overrides: Mapping[str, float]) -> float:
        """The node's value from its inputs, where `overrides` replace some."""
        node = self.nodes[name]
        if node.expr is None:
            return node.value
        env = {key: overrides.get(key, self.values[key]) for key in node.inputs}
        return evaluate(name, node.expr, env)


def hand_divide(numerator: float, denominator: float, decimals: int) -> float:
    """numerator / denominator, refused (ZeroDivisionError) where the divisor is
    0 at `decimals` but the division is not 0 / 0: the compiled fast path's
    form of Graph's check in hand-calculation mode."""
    if numerator != 0 and denominator != 0 and round(denominator, decimals) == 0:
        raise ZeroDivisionError("a divisor that is 0 at the rounding's decimals")
    return numerator / denominator


def evaluate(name: str, expr: Expr, env: Mapping[str, float]) -> float:
    """Evaluate with every numeric failure turned into a GraphError."""
    try:
        value = expr.evaluate(env)
    except OverflowError:
        raise GraphError(name, "overflow: the value is too large for a float") from None
    except ZeroDivisionError:
        raise GraphError(name, "division by zero") from None
    except ValueError as error:
        raise GraphError(name, f"math domain error ({error})") from None
    if not math.isfinite(value):
        if math.isnan(value):
            raise GraphError(name, "the value is not a number (NaN)")
        raise GraphError(name, "overflow: the value is infinite")
    return value
