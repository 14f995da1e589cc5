"""Named scalar nodes: the one graph every number in a document comes from.

A node is a name, an expression over earlier names and a value. Keeping the
expression (not just the value) is what lets one graph serve every reader:
the renderer prints it as a formula and with numbers substituted, the grader
re-evaluates it on a student's own numbers (error carried forward), and
hand-calculation mode rounds each value as it is computed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

# Precedence for printing: higher binds tighter.
_SUM, _PRODUCT, _POWER, _ATOM = 1, 2, 3, 4


class GraphError(ValueError):
    """A value that cannot be computed (overflow, log of 0, NaN), by name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class Printer:
    """How refs and constants look: as symbols, or with numbers substituted."""

    def __init__(self, ref: Callable[[str], str], number: Callable[[float], str],
                 value_of: Callable[[str], float] | None = None) -> None:
        self.ref_text = ref
        self.number_text = number
        self.value_of = value_of  # None: symbolic printing

    @property
    def substituting(self) -> bool:
        return self.value_of is not None


class Expr:
    """An expression over named values; immutable."""

    precedence = _ATOM

    def evaluate(self, env: Mapping[str, float]) -> float:
        raise NotImplementedError

    def refs(self) -> Iterable[str]:
        return ()

    def latex(self, printer: Printer) -> str:
        raise NotImplementedError

    def is_negative_number(self, printer: Printer) -> bool:
        return False

    def wrapped(self, printer: Printer, minimum: int) -> str:
        """LaTeX, parenthesised when binding looser than `minimum` or negative."""
        text = self.latex(printer)
        if self.precedence < minimum or self.is_negative_number(printer):
            return f"\\left({text}\\right)"
        return text


@dataclass(frozen=True)
class Ref(Expr):
    name: str

    def evaluate(self, env: Mapping[str, float]) -> float:
        return env[self.name]

    def refs(self) -> Iterable[str]:
        return (self.name,)

    def latex(self, printer: Printer) -> str:
        if printer.value_of is not None:
            return printer.number_text(printer.value_of(self.name))
        return printer.ref_text(self.name)

    def is_negative_number(self, printer: Printer) -> bool:
        return printer.value_of is not None and printer.value_of(self.name) < 0


@dataclass(frozen=True)
class Num(Expr):
    """A constant; `symbol` (e.g. \\eta) is shown in the symbolic formula."""

    value: float
    symbol: str | None = None

    def evaluate(self, env: Mapping[str, float]) -> float:
        return self.value

    def latex(self, printer: Printer) -> str:
        if self.symbol is not None and not printer.substituting:
            return self.symbol
        return printer.number_text(self.value)

    def is_negative_number(self, printer: Printer) -> bool:
        return self.value < 0 and (printer.substituting or self.symbol is None)


@dataclass(frozen=True)
class Add(Expr):
    terms: tuple[Expr, ...]
    precedence = _SUM

    def evaluate(self, env: Mapping[str, float]) -> float:
        return math.fsum(term.evaluate(env) for term in self.terms)

    def refs(self) -> Iterable[str]:
        for term in self.terms:
            yield from term.refs()

    def latex(self, printer: Printer) -> str:
        parts = []
        for index, term in enumerate(self.terms):
            if index and isinstance(term, Neg):
                parts.append(" - " + term.arg.wrapped(printer, _PRODUCT))
            elif index:
                parts.append(" + " + term.wrapped(printer, _SUM + 1 if isinstance(term, (Add, Sub)) else _SUM))
            else:
                parts.append(term.latex(printer))
        return "".join(parts)


@dataclass(frozen=True)
class Sub(Expr):
    left: Expr
    right: Expr
    precedence = _SUM

    def evaluate(self, env: Mapping[str, float]) -> float:
        return self.left.evaluate(env) - self.right.evaluate(env)

    def refs(self) -> Iterable[str]:
        yield from self.left.refs()
        yield from self.right.refs()

    def latex(self, printer: Printer) -> str:
        return f"{self.left.latex(printer)} - {self.right.wrapped(printer, _SUM + 1)}"


@dataclass(frozen=True)
class Mul(Expr):
    factors: tuple[Expr, ...]
    precedence = _PRODUCT

    def evaluate(self, env: Mapping[str, float]) -> float:
        product = 1.0
        for factor in self.factors:
            product *= factor.evaluate(env)
        return product

    def refs(self) -> Iterable[str]:
        for factor in self.factors:
            yield from factor.refs()

    def latex(self, printer: Printer) -> str:
        return " \\cdot ".join(factor.wrapped(printer, _PRODUCT) for factor in self.factors)


@dataclass(frozen=True)
class Div(Expr):
    numerator: Expr
    denominator: Expr

    def evaluate(self, env: Mapping[str, float]) -> float:
        return self.numerator.evaluate(env) / self.denominator.evaluate(env)

    def refs(self) -> Iterable[str]:
        yield from self.numerator.refs()
        yield from self.denominator.refs()

    def latex(self, printer: Printer) -> str:
        return f"\\frac{{{self.numerator.latex(printer)}}}{{{self.denominator.latex(printer)}}}"


@dataclass(frozen=True)
class Neg(Expr):
    arg: Expr
    precedence = _SUM

    def evaluate(self, env: Mapping[str, float]) -> float:
        return -self.arg.evaluate(env)

    def refs(self) -> Iterable[str]:
        return self.arg.refs()

    def latex(self, printer: Printer) -> str:
        return "-" + self.arg.wrapped(printer, _PRODUCT)


@dataclass(frozen=True)
class Pow(Expr):
    base: Expr
    exponent: Expr
    precedence = _POWER

    def evaluate(self, env: Mapping[str, float]) -> float:
        result = self.base.evaluate(env) ** self.exponent.evaluate(env)
        if isinstance(result, complex):
            raise ValueError("a negative number to a fractional power")
        return result

    def refs(self) -> Iterable[str]:
        yield from self.base.refs()
        yield from self.exponent.refs()

    def latex(self, printer: Printer) -> str:
        return f"{self.base.wrapped(printer, _ATOM)}^{{{self.exponent.latex(printer)}}}"


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log of {x!r}, which is not positive")
    return math.log(x)


_FUNCTIONS: dict[str, Callable[..., float]] = {
    "exp": math.exp,
    "log": _log,
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "relu": lambda x: x if x > 0 else 0.0,
    "step": lambda x: 1.0 if x > 0 else 0.0,  # relu'(x), with relu'(0) = 0
    "abs": abs,
    "max": max,
    "min": min,
    "sign": lambda x: 1.0 if x > 0 else -1.0 if x < 0 else 0.0,  # |x|'(x), with |x|'(0) = 0
}


def _picks(largest: bool) -> Callable[..., float]:
    """d max(a, b, …)/d arg k: 1 when arg k is the one selected, the first on a tie."""
    def picks(index: float, *values: float) -> float:
        chosen = max(values) if largest else min(values)
        return 1.0 if values.index(chosen) == int(index) else 0.0
    return picks


_FUNCTIONS.update(picks_max=_picks(True), picks_min=_picks(False))


@dataclass(frozen=True)
class Call(Expr):
    """A named function; `param` is the slope of leaky_relu and its derivative."""

    function: str
    args: tuple[Expr, ...]
    param: float | None = None

    def evaluate(self, env: Mapping[str, float]) -> float:
        values = [arg.evaluate(env) for arg in self.args]
        if self.function == "leaky_relu":
            return values[0] if values[0] > 0 else self.param * values[0]
        if self.function == "leaky_step":
            return 1.0 if values[0] > 0 else float(self.param)
        return _FUNCTIONS[self.function](*values)

    def refs(self) -> Iterable[str]:
        for arg in self.args:
            yield from arg.refs()

    def latex(self, printer: Printer) -> str:
        inner = [arg.latex(printer) for arg in self.args]
        name = self.function
        if name == "exp":
            return f"e^{{{inner[0]}}}"
        if name == "sigmoid":
            return f"\\frac{{1}}{{1 + e^{{-{self.args[0].wrapped(printer, _PRODUCT)}}}}}"
        if name == "log":
            return f"\\ln\\left({inner[0]}\\right)"
        if name == "tanh":
            return f"\\tanh\\left({inner[0]}\\right)"
        if name == "relu":
            return f"\\max\\left(0, {inner[0]}\\right)"
        if name == "abs":
            return f"\\left|{inner[0]}\\right|"
        if name in ("max", "min"):
            return f"\\{name}\\left({', '.join(inner)}\\right)"
        if name in ("picks_max", "picks_min"):
            return self._picks_latex(printer)
        if name == "sign":
            return (f"\\left(1 \\text{{ if }} {inner[0]} > 0\\text{{, }} -1 \\text{{ if }} {inner[0]} < 0"
                    f"\\text{{, else }} 0\\right)")
        slope = printer.number_text(float(self.param)) if self.param is not None else ""
        if name == "leaky_relu":
            return (f"\\begin{{cases}} {inner[0]} & \\text{{if }} {inner[0]} > 0 \\\\ "
                    f"{slope} \\cdot {self.args[0].wrapped(printer, _PRODUCT)} & \\text{{otherwise}} \\end{{cases}}")
        low = slope if name == "leaky_step" else "0"
        return f"\\begin{{cases}} 1 & \\text{{if }} {inner[0]} > 0 \\\\ {low} & \\text{{otherwise}} \\end{{cases}}"


    def _picks_latex(self, printer: Printer) -> str:
        """1 if argument k wins (strictly against earlier ones: ties go first)."""
        index = int(self.args[0].evaluate({}))
        values = [arg.latex(printer) for arg in self.args[1:]]
        strict, loose = (">", "\\ge") if self.function == "picks_max" else ("<", "\\le")
        conditions = [f"{values[index]} {strict if j < index else loose} {other}"
                      for j, other in enumerate(values) if j != index]
        return f"\\left(1 \\text{{ if }} {', '.join(conditions)}\\text{{, else }} 0\\right)"


def unique(names: Iterable[str]) -> tuple[str, ...]:
    """Names in first-seen order, each once."""
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Node:
    name: str
    expr: Expr | None  # None: a given value
    value: float
    inputs: tuple[str, ...]


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
        inputs = unique(expr.refs())
        for input_name in inputs:
            if input_name not in self.values:
                raise GraphError(name, f"uses {input_name} before it is defined")
        value = evaluate(name, expr, self.values)
        if self.round_to is not None:
            value = round(value, self.round_to) + 0.0
        self._add(Node(name, expr, value, inputs))
        return Ref(name)

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
    if math.isnan(value):
        raise GraphError(name, "the value is not a number (NaN)")
    if math.isinf(value):
        raise GraphError(name, "overflow: the value is infinite")
    return value


# -- derivatives: reverse and forward mode ------------------------------------
# The derivative of an expression is itself an expression over the same named
# values, so a local gradient is a node like any other: printed as a formula,
# rounded in hand mode and recomputed by the grader from a student's numbers.
# max and min send the whole gradient to the argument they selected; on a tie
# it goes to the first of the tied arguments (Call "picks_max" / "picks_min").

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
    if wrt not in set(expr.refs()):
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
    name, args = expr.function, expr.args
    itself = known.get(expr, expr)
    if name in ("max", "min"):
        picks = "picks_max" if name == "max" else "picks_min"
        return make_sum(*(make_product(Call(picks, (Num(float(index)), *args)), derivative(arg, wrt, known))
                          for index, arg in enumerate(args)))
    (arg,) = args
    inner = derivative(arg, wrt, known)
    outer: Expr
    if name == "exp":
        outer = itself
    elif name == "log":
        outer = Div(ONE, arg)
    elif name == "sigmoid":
        outer = Mul((itself, Sub(ONE, itself)))
    elif name == "tanh":
        outer = Sub(ONE, Pow(itself, Num(2.0)))
    elif name == "relu":
        outer = Call("step", (arg,))
    elif name == "leaky_relu":
        outer = Call("leaky_step", (arg,), expr.param)
    elif name == "abs":
        outer = Call("sign", (arg,))
    else:  # step, leaky_step, sign, picks_*: flat almost everywhere
        return ZERO
    return make_product(outer, inner)


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
    return f"d{node}/d{argument}"


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
        return f"d{output}/d{name}"

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
            plan.append(Planned(grad(argument), terms[0] if len(terms) == 1 else Add(tuple(terms)), "gradient",
                                node, argument, len(terms)))
    for name, item in graph.nodes.items():
        if item.expr is None and name not in used:
            plan.append(Planned(grad(name), ZERO, "gradient", output, name, 0))
    return plan


TANGENT_PREFIX = "forward."


def tangent_name(name: str, wrt: str) -> str:
    return f"{TANGENT_PREFIX}d{name}/d{wrt}"


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
            expr = ZERO if not terms else terms[0] if len(terms) == 1 else Add(tuple(terms))
            plan.append(Planned(tangent_name(name, wrt), expr, "tangent", name, wrt, len(terms)))
        if name == upto:
            break
    return plan
