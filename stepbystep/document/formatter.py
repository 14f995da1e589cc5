"""Symbols and numbers of one document, at one precision, and a trace's
step as an equation block.

The engine prints an expression (Expr.latex) through a Printer that asks
here how a name and a number look; the same expression printed twice gives
the formula and the numbers put in.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

from ..engine.autodiff import TANGENT_PREFIX
from ..engine.facts import NetworkFacts
from ..engine.expressions import Expr, Printer
from ..engine.ops import ACTIVATIONS
from ..engine.substituted import UNSEEN, substituted_with_length
from ..engine.trace import Step, Trace
from ..numbers import DEFAULT_PRECISION, format_number, number_latex, text_as_latex
from ..spec.names import split_prefix
from .blocks import Block, Equation, Note
from .noise import float_noise
from .outline import one_line, prose
from .symbols import buffer_symbol, path_symbol, symbol

# One equation per line up to this many visible LaTeX characters; longer ones
# are an aligned block (formula / numbers / value) so they fit a page.
ONE_LINE_LIMIT = 75
_COMMAND = UNSEEN   # commands and braces: what a reader does not see


class Formatter:
    """Symbols and numbers for one document, at one precision.

    symbol, number, text and shown are the methods of small objects that
    hold what they read (the printers keep them): a printer holding the
    formatter's own methods made formatter, printers and trace a cycle, which
    only the cyclic collector frees (a bank of variants walked every finished
    trace again)."""

    symbol: Callable[[str], str]        # a name's symbol (LaTeX)
    number: Callable[[float], str]      # a number as LaTeX (a value is printed again and again: kept)
    text: Callable[[float], str]        # a number as format_number prints it at this precision (kept)
    shown: Callable[[str], float]       # a named value as the document prints it: float noise around 0 as 0

    def __init__(self, trace: Trace, precision: int = DEFAULT_PRECISION) -> None:
        self.trace = trace
        self.precision = precision
        values = trace.graph.values
        self.overrides = _path_symbols(trace)
        self.noise = float_noise(trace)  # name -> the rounding error its value is below: printed as 0
        numbers = _Numbers(precision)
        self.number, self.text = numbers.number, numbers.text
        self.symbol = _Symbols(self.overrides).symbol if self.overrides else full_symbol
        self.shown = _Shown(self.noise, values).shown
        self.symbolic = Printer(self.symbol, self.number)
        self.substituting = Printer(self.symbol, self.number, self.shown if self.noise else values.__getitem__)

    def value(self, name: str) -> str:
        """A named value's number as LaTeX."""
        return self.number(self.shown(name))

    def blocks(self, step: Step) -> tuple[Block, ...]:
        """A computed step's equation, then the note on a value printed as 0."""
        bound = self.noise.get(step.name) if self.noise else None
        if bound is None:
            return (self.equation(step),)
        return (self.equation(step), Note(prose(
            f"Computed as {format_number(step.value)}, below the rounding error of the numbers it is made of "
            f"(about {bound:.0e}): it is 0 up to float rounding, and this document prints it as 0. The answer "
            "key keeps the computed value.")))

    def equation(self, step: Step) -> Equation:
        """A computed step: symbol = formula = numbers = value, aligned when long."""
        left = self.symbol(step.name)
        shown = 0.0 if self.noise and step.name in self.noise else step.value
        value = self.number(shown)
        formula = substituted = ""
        substituted_length = None
        if step.expr is not None:
            formula = (step.expr.latex(self.symbolic) if self.overrides
                       else symbolic_latex(step.expr, self.precision))
            substituted, substituted_length = substituted_with_length(step.expr, self.substituting)
            if substituted == value or substituted == formula:
                substituted = ""
        aligned = _too_long(left, formula, substituted, value, substituted_length)
        note = one_line(step.note) if step.note else None
        return Equation(left, formula, substituted, value, self.text(shown), step.name, step.kind, note, aligned)


class _Numbers:
    """The numbers of one document at one precision, each formatted once."""

    def __init__(self, precision: int) -> None:
        self.precision = precision
        self._latex: dict[float, str] = {}
        self._texts: dict[float, str] = {}

    def number(self, value: float) -> str:
        text = self._latex.get(value)
        if text is None:
            text = self._latex[value] = text_as_latex(self.text(value))
        return text

    def text(self, value: float) -> str:
        text = self._texts.get(value)
        if text is None:
            text = self._texts[value] = format_number(value, self.precision)
        return text


class _Symbols:
    """Symbols where some differ from the name's own (path_symbols)."""

    def __init__(self, overrides: dict[str, str]) -> None:
        self.overrides = overrides

    def symbol(self, name: str) -> str:
        override = self.overrides.get(name)
        return override if override is not None else full_symbol(name)


class _Shown:
    def __init__(self, noise: dict[str, float], values: dict[str, float]) -> None:
        self.noise = noise
        self.values = values

    def shown(self, name: str) -> float:
        return 0.0 if name in self.noise else self.values[name]


def _path_symbols(trace: Trace) -> dict[str, str]:
    """The symbols that differ from the name's own: the part of a hidden
    output's gradient that flows back through a softmax output (its path
    goes through that output's net input, not its loss term)."""
    facts = trace.facts
    if not isinstance(facts, NetworkFacts):
        return {}
    through_net = {layer.neuron(j) for layer in facts.spec.layers[1:]
                   if layer.activation is not None and not ACTIVATIONS.get(layer.activation).elementwise
                   for j in range(layer.size)}
    if not through_net:
        return {}
    found = {}
    for step in trace.steps():
        if step.kind == "dE_part" and step.context["above"] in through_net:
            found[step.name] = path_symbol(step.context["neuron"], step.context["above"], step.context.get("sample"))
    return found


def symbolic_latex(expr: Expr, precision: int) -> str:
    """An expression with symbols (its constants at `precision`). The same
    expressions recur in every variant of a spec and in every step: kept,
    first by the expression object itself (replayed variants share theirs,
    engine/replay.py), then by its value."""
    kept = _BY_OBJECT.get(id(expr))
    if kept is not None and kept[0] is expr and kept[1] == precision:
        return kept[2]
    text = _symbolic_latex(expr, precision)
    if len(_BY_OBJECT) >= 16384:
        _BY_OBJECT.clear()
    _BY_OBJECT[id(expr)] = (expr, precision, text)   # the entry holds the expression: its id stays its own
    return text


_BY_OBJECT: dict[int, tuple[Expr, int, str]] = {}


@lru_cache(maxsize=16384)
def _symbolic_latex(expr: Expr, precision: int) -> str:
    return expr.latex(_symbolic_printer(precision))


@lru_cache(maxsize=None)
def _symbolic_printer(precision: int) -> Printer:
    return Printer(full_symbol, lambda value: number_latex(value, precision))


@lru_cache(maxsize=65536)
def full_symbol(name: str) -> str:
    """The symbol of a name with its prefix: a sample's values carry (n), a
    forward-mode tangent is dotted; names repeat across documents: kept."""
    prefix, bare = split_prefix(name)
    if not prefix:
        return symbol(bare)
    if prefix == TANGENT_PREFIX:  # forward mode: the tangent of q is \dot{q}, of x_1 \dot{x}_1
        head, underscore, tail = symbol(bare[1:].partition("/d")[0]).partition("_")
        return f"\\dot{{{head}}}{underscore}{tail}"
    sample = step = None
    for part in prefix.split("."):
        if part.startswith("sample") and part[6:].isdigit():
            sample = int(part[6:])
        elif part.startswith("step") and part[4:].isdigit():
            step = int(part[4:])
    if step is not None and sample is None:   # an optimizer's buffer carries its step: m_{w_5,2}
        found = buffer_symbol(bare, step)
        if found is not None:
            return found
    return symbol(bare, sample)


def _too_long(left: str, formula: str, substituted: str, value: str, substituted_length: int | None = None) -> bool:
    """Whether `left = formula = substituted = value` is too long for one line
    (by what a reader sees; the parts left out of the display not counted).
    `substituted_length`: the visible length of `substituted` where the
    compiled printer counted it (engine/substituted.py)."""
    if len(left) + len(formula) + len(substituted) + len(value) <= ONE_LINE_LIMIT:
        return False  # what a reader sees is never longer than the LaTeX
    length = _visible_length(left) + _numbers_visible_length(value)
    if formula and formula != value:   # the formula first: it repeats (kept), and often decides
        length += _visible_length(formula)
        if length > ONE_LINE_LIMIT:
            return True
    if substituted and substituted != value:
        length += _numbers_visible_length(substituted) if substituted_length is None else substituted_length
    return length > ONE_LINE_LIMIT


@lru_cache(maxsize=65536)
def _visible_length(latex: str) -> int:
    """Roughly how many characters a reader sees: commands and braces removed."""
    return len(_COMMAND.sub("", latex))


def _numbers_visible_length(latex: str) -> int:
    """The same for LaTeX with numbers in it, new in every document (not kept);
    a plain number has no command or brace to remove."""
    if "\\" not in latex and "{" not in latex and "}" not in latex:
        return len(latex)
    return len(_COMMAND.sub("", latex))
