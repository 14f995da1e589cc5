"""Symbols and numbers of one document, at one precision, and a trace's
step as an equation block.

The engine prints an expression (Expr.latex) through a Printer that asks
here how a name and a number look; the same expression printed twice gives
the formula and the numbers put in.
"""
from __future__ import annotations

import re

from ..engine.autodiff import TANGENT_PREFIX
from ..engine.graph import Printer
from ..engine.trace import Step, Trace
from ..numbers import DEFAULT_PRECISION, format_number, number_latex
from ..spec.names import split_prefix
from .blocks import Equation
from .outline import one_line
from .symbols import symbol

# One equation per line up to this many visible LaTeX characters; longer ones
# are an aligned block (formula / numbers / value) so they fit a page.
ONE_LINE_LIMIT = 75
_COMMAND = re.compile(r"\\[a-zA-Z]+|[{}]")


class Formatter:
    """Symbols and numbers for one document, at one precision."""

    def __init__(self, trace: Trace, precision: int = DEFAULT_PRECISION) -> None:
        self.trace = trace
        self.precision = precision
        values = trace.graph.values
        self.symbolic = Printer(self.symbol, self.number)
        self.substituting = Printer(self.symbol, self.number, values.__getitem__)

    def symbol(self, name: str) -> str:
        prefix, bare = split_prefix(name)
        if not prefix:
            return symbol(bare)
        if prefix == TANGENT_PREFIX:  # forward mode: the tangent of q is \dot{q}, of x_1 \dot{x}_1
            head, underscore, tail = symbol(bare[1:].partition("/d")[0]).partition("_")
            return f"\\dot{{{head}}}{underscore}{tail}"
        sample = None
        for part in prefix.split("."):
            if part.startswith("sample") and part[6:].isdigit():
                sample = int(part[6:])
        return symbol(bare, sample)

    def number(self, value: float) -> str:
        return number_latex(value, self.precision)

    def text(self, value: float) -> str:
        return format_number(value, self.precision)

    def value(self, name: str) -> str:
        """A named value's number as LaTeX."""
        return self.number(self.trace.graph.values[name])

    def equation(self, step: Step) -> Equation:
        """A computed step: symbol = formula = numbers = value, aligned when long."""
        left = self.symbol(step.name)
        value = self.number(step.value)
        formula = substituted = ""
        if step.expr is not None:
            formula = step.expr.latex(self.symbolic)
            substituted = step.expr.latex(self.substituting)
            if substituted == value or substituted == formula:
                substituted = ""
        parts = [left] + [part for part in (formula, substituted) if part and part != value] + [value]
        aligned = sum(_visible_length(part) for part in parts) > ONE_LINE_LIMIT
        note = one_line(step.note) if step.note else None
        return Equation(left, formula, substituted, value, self.text(step.value), step.name, step.kind, note, aligned)


def _visible_length(latex: str) -> int:
    """Roughly how many characters a reader sees: commands and braces removed."""
    return len(_COMMAND.sub("", latex))
