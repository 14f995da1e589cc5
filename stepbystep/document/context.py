"""From a trace to a document: Jinja templates fed with formatted steps.

The templates never compute; this module formats what the trace holds
(symbols, formulas, numbers at the chosen precision) into plain records and
lets one walkthrough template hold the prose for every output format.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..engine.autodiff import TANGENT_PREFIX
from ..engine.graph import Printer
from ..engine.ops import ACTIVATIONS, LOSSES
from ..engine.trace import Section, Step, Trace
from ..numbers import DEFAULT_PRECISION, format_number, number_latex
from ..spec.names import split_prefix
from .conventions import conventions
from .symbols import symbol

# One equation per line up to this many LaTeX characters; longer ones are
# broken into an aligned block (formula / numbers / value) so they fit a page.
ONE_LINE_LIMIT = 75
_COMMAND = re.compile(r"\\[a-zA-Z]+|[{}]")


@dataclass(frozen=True)
class StepView:
    name: str
    bare: str           # the name without its step/sample prefix
    kind: str
    symbol: str
    formula: str        # the right-hand side with symbols ('' for a given value)
    substituted: str    # the right-hand side with numbers ('' when it adds nothing)
    value: str          # the value as LaTeX
    text: str           # the value as plain text
    equation: str       # the whole display equation, ready for $$ … $$
    note: str | None
    first: bool         # first step of its kind in its section: the prose goes here
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SectionView:
    kind: str
    title: str
    level: int
    steps: list[StepView]
    context: dict[str, Any]

    @property
    def computed(self) -> list[StepView]:
        return [step for step in self.steps if step.kind != "given"]

    @property
    def givens(self) -> list[StepView]:
        return [step for step in self.steps if step.kind == "given"]


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

    def step(self, step: Step, first: bool) -> StepView:
        left = self.symbol(step.name)
        value = self.number(step.value)
        formula = substituted = ""
        if step.expr is not None:
            formula = step.expr.latex(self.symbolic)
            substituted = step.expr.latex(self.substituting)
            if substituted == value or substituted == formula:
                substituted = ""
        parts = [left] + [part for part in (formula, substituted) if part and part != value] + [value]
        if sum(_visible_length(part) for part in parts) <= ONE_LINE_LIMIT:
            equation = " = ".join(parts)
        else:
            equation = "\\begin{aligned}\n" + f"{left} &= " + " \\\\\n&= ".join(parts[1:]) + "\n\\end{aligned}"
        return StepView(step.name, split_prefix(step.name)[1], step.kind, left, formula, substituted, value, self.text(step.value),
                        equation, step.note, first, step.context)

    def section(self, section: Section) -> SectionView:
        if section.kind == "losses":  # thousands of after{N}.E_total: the summary shows a selection
            return SectionView(section.kind, section.title, section.level, [], section.context)
        seen: set[str] = set()
        views = []
        for step in section.steps:
            views.append(self.step(step, step.kind not in seen))
            seen.add(step.kind)
        return SectionView(section.kind, section.title, section.level, views, section.context)


def _visible_length(latex: str) -> int:
    """Roughly how many characters a reader sees: commands and braces removed."""
    return len(_COMMAND.sub("", latex))


def document_context(trace: Trace, precision: int = DEFAULT_PRECISION, notation: str = "scalar") -> dict[str, Any]:
    """Everything a walkthrough template may use, already formatted.
    notation="matrix": the vectorized form (matrix.py, templates/matrix.md.j2)."""
    formatter = Formatter(trace, precision)
    sections = [formatter.section(section) for section in trace.sections]
    facts = trace.facts
    if facts.get("kind") == "graph":  # a computation graph: its own template, no network tables
        return {"template": "graph.md.j2", "title": trace.title, "sections": sections, "facts": facts,
                "precision": precision, "symbol": formatter.symbol, "number": formatter.number,
                "text": formatter.text, "value": trace.value, "figures": figures(trace, formatter)}
    from .summary import training_context

    rows = parameter_rows(trace, formatter)
    context = {
        "title": trace.title,
        "sections": sections,
        "facts": facts,
        "conventions": conventions(facts),
        "parameter_rows": rows,
        "paths": {row["name"]: row["path"] for row in rows},
        "precision": precision,
        "symbol": formatter.symbol,
        "number": formatter.number,
        "text": formatter.text,
        "value": trace.value,
        "figures": figures(trace, formatter),
        "training": training_context(trace, formatter),
        "activation_prose": {record.name: record.prose for record in ACTIVATIONS},
        "loss_prose": {record.name: record.prose for record in LOSSES},
    }
    if notation == "matrix":
        from .matrix import matrix_context

        context.update(template="matrix.md.j2", matrix_steps=matrix_context(trace, formatter))
    return context


@dataclass(frozen=True)
class Figure:
    """A picture in the walkthrough, the hook for diagrams and plots.

    `svg` is inline SVG text made by our own code (trusted; the HTML page shows
    it as is); `markdown` is what the Markdown shows instead ('' for nothing,
    e.g. when a table already holds the same numbers). `place` says where it
    goes: "start" (after the conventions), "network" (in the network section)
    or "end" (after the closing table).
    """

    id: str
    title: str
    svg: str
    markdown: str = ""
    place: str = "end"


def figures(trace: Trace, formatter: Formatter) -> list[Figure]:
    """Every figure of this walkthrough; add new kinds of figure here. Only the
    drawing modules of this kind of trace are imported (start-up time)."""
    if trace.facts.get("kind") == "graph":
        from ..formats.circuit import circuit_figures

        return circuit_figures(trace, formatter)
    from ..formats.diagram import network_figures
    from .summary import training_figures

    return network_figures(trace, formatter) + training_figures(trace, formatter)


def parameter_rows(trace: Trace, formatter: Formatter) -> list[dict[str, str]]:
    """Each parameter before and after the run, for the closing table."""
    facts = trace.facts
    spec = facts["spec"]
    names = facts["parameters"]
    steps = facts["steps"]
    rows = []
    values = trace.graph.values
    for l, layer in enumerate(spec.layers[1:], start=1):
        below = spec.layers[l - 1]
        for j, row in enumerate(names.weights[l]):
            for i, weight in enumerate(row):
                rows.append({"name": weight, "symbol": formatter.symbol(weight),
                             "path": f"{below.neuron(i)} → {layer.neuron(j)}",
                             "before": formatter.text(facts["initial"][weight]),
                             "after": formatter.text(values[f"after{steps}.{weight}"])})
        bias = names.biases[l]
        for j, name in enumerate([bias] if isinstance(bias, str) else list(bias or [])):
            rows.append({"name": name, "symbol": formatter.symbol(name),
                         "path": f"bias of {layer.name}" if isinstance(bias, str) else f"bias of {layer.neuron(j)}",
                         "before": formatter.text(facts["initial"][name]),
                         "after": formatter.text(values[f"after{steps}.{name}"])})
    return rows


