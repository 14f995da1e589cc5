"""Named scalar nodes: the one graph every number in a document comes from.

A node is a name, an expression over earlier names and a value. Keeping the
expression (not just the value) is what lets one graph serve every reader:
the renderer prints it as a formula and with numbers substituted, the grader
re-evaluates it on a student's own numbers (error carried forward), and
hand-calculation mode rounds each value as it is computed.

Derivatives of these expressions (symbolic rules, reverse and forward
mode as plans of named nodes) live next door in autodiff.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping, Sequence

from .ops.registry import FUNCTIONS

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

    def gather_refs(self, found: dict[str, None]) -> None:
        """Add the names this expression reads to `found`, in the order of
        refs() (a node's inputs, collected without generators: every node of
        every trace asks)."""
        for name in self.refs():
            found[name] = None

    @cached_property
    def names(self) -> frozenset[str]:
        """The names this expression reads, built once from its parts' own
        (walking `refs()` at every level of a long sum made derivatives quadratic)."""
        found: set[str] = set()
        for part in fields(self):  # type: ignore[arg-type]
            value = getattr(self, part.name)
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, Expr):
                    found |= item.names
        return frozenset(found)

    @cached_property
    def divisions(self) -> tuple["Div", ...]:
        """Every division inside this expression (hand-calculation mode checks
        their divisors), built once from its parts' own, as `names`."""
        found: list[Div] = []
        for part in fields(self):  # type: ignore[arg-type]
            value = getattr(self, part.name)
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, Expr):
                    found.extend(item.divisions)
        return tuple(found)

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

    def gather_refs(self, found: dict[str, None]) -> None:
        found[self.name] = None

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset((self.name,))

    def latex(self, printer: Printer) -> str:
        if printer.value_of is not None:
            return printer.number_text(printer.value_of(self.name))
        return printer.ref_text(self.name)

    def is_negative_number(self, printer: Printer) -> bool:
        return printer.value_of is not None and printer.value_of(self.name) < 0

    def wrapped(self, printer: Printer, minimum: int) -> str:
        """Expr.wrapped in one step (an atom is never below `minimum`): the
        most frequent call of every printed formula."""
        value_of = printer.value_of
        if value_of is None:
            return printer.ref_text(self.name)
        value = value_of(self.name)
        text = printer.number_text(value)
        return f"\\left({text}\\right)" if value < 0 else text


@dataclass(frozen=True)
class Num(Expr):
    """A constant; `symbol` (e.g. \\eta) is shown in the symbolic formula."""

    value: float
    symbol: str | None = None

    def evaluate(self, env: Mapping[str, float]) -> float:
        return self.value

    def gather_refs(self, found: dict[str, None]) -> None:
        pass

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

    def gather_refs(self, found: dict[str, None]) -> None:
        for term in self.terms:
            term.gather_refs(found)

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

    def gather_refs(self, found: dict[str, None]) -> None:
        self.left.gather_refs(found)
        self.right.gather_refs(found)

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

    def gather_refs(self, found: dict[str, None]) -> None:
        for factor in self.factors:
            factor.gather_refs(found)

    def latex(self, printer: Printer) -> str:
        return " \\cdot ".join([factor.wrapped(printer, _PRODUCT) for factor in self.factors])


@dataclass(frozen=True)
class Div(Expr):
    numerator: Expr
    denominator: Expr

    def evaluate(self, env: Mapping[str, float]) -> float:
        return self.numerator.evaluate(env) / self.denominator.evaluate(env)

    @cached_property
    def divisions(self) -> tuple["Div", ...]:
        return (self, *self.numerator.divisions, *self.denominator.divisions)

    def refs(self) -> Iterable[str]:
        yield from self.numerator.refs()
        yield from self.denominator.refs()

    def gather_refs(self, found: dict[str, None]) -> None:
        self.numerator.gather_refs(found)
        self.denominator.gather_refs(found)

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

    def gather_refs(self, found: dict[str, None]) -> None:
        self.arg.gather_refs(found)

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

    def gather_refs(self, found: dict[str, None]) -> None:
        self.base.gather_refs(found)
        self.exponent.gather_refs(found)

    def latex(self, printer: Printer) -> str:
        base = self.base.wrapped(printer, _ATOM)
        if base.startswith("\\frac"):   # a gradient's symbol squared: (df/dx)^2, not a power of the denominator
            return f"\\left({base}\\right)^{{{self.exponent.latex(printer)}}}"
        if "^" in base and not base.startswith("\\left("):  # out_{h1}^{(2)} squared: a group, or TeX stops
            base = "{" + base + "}"                          # at "Double superscript"
        return f"{base}^{{{self.exponent.latex(printer)}}}"


@dataclass(frozen=True)
class Call(Expr):
    """A named function (engine/ops/functions.py holds what each one means);
    `param` is a parameter of the function (leaky_relu's slope)."""

    function: str
    args: tuple[Expr, ...]
    param: float | None = None

    def __post_init__(self) -> None:
        # found once, here: an unknown name raises now, not in the middle of a pass
        object.__setattr__(self, "_record", FUNCTIONS.get(self.function))

    @property
    def record(self) -> Any:
        """The function's ops.functions.FunctionRecord (not imported here: it imports this module)."""
        return self._record  # type: ignore[attr-defined]

    def evaluate(self, env: Mapping[str, float]) -> float:
        record = self._record  # type: ignore[attr-defined]
        values = [arg.evaluate(env) for arg in self.args]
        if record.takes_param:
            return record.evaluate(self.param, *values)  # type: ignore[no-any-return]
        return record.evaluate(*values)  # type: ignore[no-any-return]

    def refs(self) -> Iterable[str]:
        for arg in self.args:
            yield from arg.refs()

    def gather_refs(self, found: dict[str, None]) -> None:
        for arg in self.args:
            arg.gather_refs(found)

    def latex(self, printer: Printer) -> str:
        return self._record.latex(self, printer)  # type: ignore[attr-defined, no-any-return]


def unique(names: Iterable[str]) -> tuple[str, ...]:
    """Names in first-seen order, each once."""
    return tuple(dict.fromkeys(names))


def sum_of(terms: Sequence[Expr]) -> Expr:
    """The sum of the terms, a single term as itself: a person writes
    delta_o1, not a sum of one. Unlike autodiff.make_sum, nothing is dropped
    or flattened: the terms are the ones a person adds up."""
    return terms[0] if len(terms) == 1 else Add(tuple(terms))


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
