"""Derivatives on the named graph: symbolic rules, reverse and forward mode.

graph.py holds the values (nodes of expressions.py's expressions); this module turns a graph
into the plan of its derivative pass. Kept apart because only computation-
graph walkthroughs (expr.py) and their renderers need it: the dense
networks (nn.py) write their chain-rule factors out by hand, as Mazur does.

The derivative of an expression is itself an expression over the same named
values, so a local gradient is a node like any other: printed as a formula,
rounded in hand mode and recomputed by the grader from a student's numbers.
max and min send the whole gradient to the argument they selected; on a tie
it goes to the first of the tied arguments (Call "picks_max" / "picks_min").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..spec import names
from .expressions import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Ref, Sub, sum_of
from .graph import Graph

ZERO, ONE = Num(0.0), Num(1.0)


def _is_number(expr: Expr, value: float) -> bool:
    return isinstance(expr, Num) and expr.symbol is None and expr.value == value


def make_sum(*terms: Expr) -> Expr:
    """A sum with zero terms dropped and nested sums flattened."""
    flat: list[Expr] = []
    for term in terms:
        if isinstance(term, Add):
            flat.extend(term.terms)
        elif not _is_number(term, 0.0):
            flat.append(term)
    if not flat:
        return ZERO
    return flat[0] if len(flat) == 1 else Add(tuple(flat))


def make_product(*factors: Expr) -> Expr:
    """A product with the plain numbers multiplied into one leading factor;
    0 swallows everything, 1 disappears, -1 becomes a minus sign."""
    constant, rest = 1.0, []
    for factor in factors:
        parts = factor.factors if isinstance(factor, Mul) else (factor,)
        for part in parts:
            if isinstance(part, Num) and part.symbol is None:
                constant *= part.value
            elif isinstance(part, Neg):
                constant, rest = -constant, rest + [part.arg]
            else:
                rest.append(part)
    if constant == 0.0:
        return ZERO
    if not rest:
        return Num(constant)
    body = rest[0] if len(rest) == 1 else Mul(tuple(rest))
    if constant == 1.0:
        return body
    if constant == -1.0:
        return Neg(body)
    return Mul((Num(constant), *rest))


def make_negative(expr: Expr) -> Expr:
    if isinstance(expr, Num) and expr.symbol is None:
        return Num(-expr.value + 0.0)
    if isinstance(expr, Neg):
        return expr.arg
    return make_product(Num(-1.0), expr)


def derivative(expr: Expr, wrt: str, known: Mapping[Expr, Expr] | None = None) -> Expr:
    """The partial derivative of `expr` with respect to the value `wrt`.

    `known` maps sub-expressions to refs already holding their value (a
    node's own `tanh(n)` is its name `o`), so that d tanh(n)/dn reads
    1 - o^2, as a person writes it, instead of repeating the call.
    """
    known = known or {}
    if wrt not in expr.names:
        return ZERO
    if isinstance(expr, Ref):
        return ONE
    if isinstance(expr, Add):
        return make_sum(*(derivative(term, wrt, known) for term in expr.terms))
    if isinstance(expr, Sub):
        return make_sum(derivative(expr.left, wrt, known), make_negative(derivative(expr.right, wrt, known)))
    if isinstance(expr, Neg):
        return make_negative(derivative(expr.arg, wrt, known))
    if isinstance(expr, Mul):
        terms = []
        for index, factor in enumerate(expr.factors):
            inner = derivative(factor, wrt, known)
            others = expr.factors[:index] + expr.factors[index + 1:]
            terms.append(make_product(inner, *others))
        return make_sum(*terms)
    if isinstance(expr, Div):
        top, bottom = expr.numerator, expr.denominator
        d_top, d_bottom = derivative(top, wrt, known), derivative(bottom, wrt, known)
        quotient = ZERO if _is_number(d_top, 0.0) else Div(d_top, bottom)
        if _is_number(d_bottom, 0.0):
            return quotient
        rest = Div(make_negative(make_product(top, d_bottom)), Pow(bottom, Num(2.0)))
        return make_sum(quotient, rest)
    if isinstance(expr, Pow):
        return _power_derivative(expr, wrt, known)
    if isinstance(expr, Call):
        return _call_derivative(expr, wrt, known)
    raise TypeError(f"no derivative rule for {type(expr).__name__}")


def _power_derivative(expr: Pow, wrt: str, known: Mapping[Expr, Expr]) -> Expr:
    base, exponent = expr.base, expr.exponent
    d_base, d_exponent = derivative(base, wrt, known), derivative(exponent, wrt, known)
    itself = known.get(expr, expr)
    if _is_number(d_exponent, 0.0):  # the power rule: e * b^(e-1) * b'
        if isinstance(exponent, Num) and exponent.symbol is None:
            lower = exponent.value - 1.0
            power = base if lower == 1.0 else ONE if lower == 0.0 else Pow(base, Num(lower))
            return make_product(Num(exponent.value), power, d_base)
        return make_product(exponent, Pow(base, Sub(exponent, ONE)), d_base)
    log_base = Call("log", (base,))
    if _is_number(d_base, 0.0):  # b^e * ln(b) * e'
        return make_product(itself, log_base, d_exponent)
    return make_product(itself, make_sum(make_product(d_exponent, log_base), Div(make_product(exponent, d_base), base)))


def _call_derivative(expr: Call, wrt: str, known: Mapping[Expr, Expr]) -> Expr:
    """The chain rule through a function: the sum over its arguments of
    d f / d argument (from the function's record) times d argument / d wrt."""
    outer = expr.record.derivative(expr, known.get(expr, expr))
    return make_sum(*(make_product(slope, derivative(arg, wrt, known)) for slope, arg in zip(outer, expr.args)))


@dataclass(frozen=True)
class Planned:
    """One value of a derivative pass, in the order a person computes it.

    role: seed (the output's gradient, 1), local (dq/dx), gradient (df/dx),
    tangent (forward mode); `node` is the node being worked on, `argument`
    the value the derivative is taken with respect to.
    """

    name: str
    expr: Expr
    role: str
    node: str
    argument: str | None = None
    terms: int = 1  # how many paths a gradient adds up


def local_name(node: str, argument: str) -> str:
    return names.gradient(node, argument)


def local_gradient(graph: Graph, node: str, argument: str) -> Expr:
    """d node / d argument, with the node's own expression written as its name."""
    expr = graph.nodes[node].expr
    assert expr is not None
    return derivative(expr, argument, {expr: Ref(node)})


def ancestors(graph: Graph, output: str) -> set[str]:
    """The output and every value it is computed from."""
    found, todo = {output}, [output]
    while todo:
        for name in graph.nodes[todo.pop()].inputs:
            if name not in found:
                found.add(name)
                todo.append(name)
    return found


def reverse_mode(graph: Graph, output: str) -> list[Planned]:
    """The backward pass from `output`: node by node, latest first.

    At each node come its local gradients, then the gradient of every
    argument whose last consumer (in backward order) this node is: the sum,
    over the nodes that use it, of local gradient times upstream gradient.
    The output's local gradient of an argument used nowhere else is already
    that argument's gradient (times d output/d output = 1), so it is one
    value, named by the gradient; used elsewhere too, it is written inside
    the sum. Inputs the output does not depend on get gradient 0.
    """
    used = ancestors(graph, output)
    order = [name for name in reversed(list(graph.nodes)) if name in used and graph.nodes[name].expr is not None]
    consumers: dict[str, list[str]] = {}
    for name in order:  # backward order
        for argument in graph.nodes[name].inputs:
            consumers.setdefault(argument, []).append(name)
    def grad(name: str) -> str:
        return names.gradient(output, name)

    plan = [Planned(grad(output), ONE, "seed", output)]
    for node in order:
        inputs = graph.nodes[node].inputs
        for argument in inputs:
            if node == output and len(consumers[argument]) > 1:
                continue  # its local gradient goes inside the sum below
            role = "gradient" if node == output else "local"
            plan.append(Planned(local_name(node, argument), local_gradient(graph, node, argument), role, node, argument))
        for argument in inputs:
            users = consumers[argument]
            if users[-1] != node or (node == output and len(users) == 1):
                continue
            terms = [local_gradient(graph, user, argument) if user == output
                     else make_product(Ref(local_name(user, argument)), Ref(grad(user))) for user in users]
            plan.append(Planned(grad(argument), sum_of(terms), "gradient",
                                node, argument, len(terms)))
    for name, item in graph.nodes.items():
        if item.expr is None and name not in used:
            plan.append(Planned(grad(name), ZERO, "gradient", output, name, 0))
    return plan


TANGENT_PREFIX = "forward."


def tangent_name(name: str, wrt: str) -> str:
    return TANGENT_PREFIX + names.gradient(name, wrt)


def forward_mode(graph: Graph, wrt: str, upto: str | None = None) -> list[Planned]:
    """Dual numbers: beside each value its tangent d value / d wrt, in the
    forward order; a node's tangent is the sum over its arguments of local
    gradient times the argument's tangent (arguments with tangent 0 drop out)."""
    plan: list[Planned] = []
    depends: set[str] = {wrt}
    for name, node in graph.nodes.items():
        if node.expr is None:
            plan.append(Planned(tangent_name(name, wrt), ONE if name == wrt else ZERO, "seed", name, wrt))
        else:
            moving = [argument for argument in node.inputs if argument in depends]
            terms = []
            for argument in moving:
                plan.append(Planned(local_name(name, argument), local_gradient(graph, name, argument), "local", name, argument))
                terms.append(make_product(Ref(local_name(name, argument)), Ref(tangent_name(argument, wrt))))
            if moving:
                depends.add(name)
            expr = sum_of(terms) if terms else ZERO
            plan.append(Planned(tangent_name(name, wrt), expr, "tangent", name, wrt, len(terms)))
        if name == upto:
            break
    return plan
