"""The expressions a graph's nodes are made of: names, numbers, + - * / **,
unary minus and the registry's functions; each evaluates itself and prints
itself as LaTeX, symbolically or with the numbers substituted.

Apart from graph.py, which keeps the named nodes and their values: the
expressions are what the registry's records (engine/ops/) and the layer
kinds write, the graph only evaluates them in order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping, Sequence

from .ops.registry import FUNCTIONS

# Precedence for printing: higher binds tighter.
_SUM, _PRODUCT, _POWER, _ATOM = 1, 2, 3, 4


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
