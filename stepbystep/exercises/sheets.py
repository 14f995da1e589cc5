"""What a student is given and asked, per variant, and the printable sheets.

`problem()` turns a variant into plain records (the given numbers, the
conventions, the questions) that the Markdown sheets here and the Moodle
question text (moodle.py) both lay out; the templates only format them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..document.build import build_document
from ..document.conventions import conventions
from ..document.descent import descent_conventions
from ..document.formatter import Formatter
from ..document.network import parameter_rows
from ..engine.facts import DescentFacts, NetworkFacts
from ..formats.markdown import render_markdown
from ..formats.templates import template_environment
from ..grading.policy import policy_for
from ..numbers import DEFAULT_PRECISION, format_number
from ..spec.model import GraphSpec
from .variants import Variant

# A forced page break in the usual Markdown-to-HTML/PDF routes (pandoc, browsers' print).
PAGE_BREAK = '<div style="page-break-after: always;"></div>'
WIDE_SAMPLE = 8   # values of one sample that still fit across a printed page
_PREFIX = re.compile(r"(step|sample|after)(\d+)\.")


@dataclass(frozen=True)
class Given:
    name: str          # as in an answer file: w5, i1, target_o1
    symbol: str        # LaTeX
    value: str         # as printed
    description: str   # i1 → h1, input, target…


@dataclass(frozen=True)
class Question:
    number: int
    name: str          # canonical name, what the answer file must use
    symbol: str        # LaTeX
    description: str   # "after 1 update", "step 2, sample 1", or ""
    value: float       # the key, full precision
    text: str          # the key as printed (9 decimals)


@dataclass(frozen=True)
class Problem:
    id: str
    title: str
    graph: bool
    conventions: list[str]           # sentences with $…$ math
    parameters: list[Given]          # weights and biases (a graph: its inputs)
    samples: list[list[Given]]       # per sample: inputs and targets
    nodes: list[tuple[str, str]]     # a graph's nodes: (name, expression)
    questions: list[Question]
    policy: str = ""                 # the grading policy in words (the spec's [check] table)
    variant_line: str = ""           # the line a hand-in starts with: `Variant: 2024-7`
    hand_in: str = ""                # the start of a hand-in: the variant line, then answer lines

    @property
    def samples_across(self) -> bool:
        """One row per sample (the usual table), unless a sample has more values
        than fit across a page (an image, a sequence) and there are fewer samples
        than values: then one row per value, a column per sample."""
        width = len(self.samples[0]) if self.samples else 0
        return width <= WIDE_SAMPLE or len(self.samples) >= width


def problem(variant: Variant) -> Problem:
    trace, spec = variant.trace, variant.spec
    formatter = Formatter(trace, DEFAULT_PRECISION)
    unit = "step" if isinstance(spec, GraphSpec) else "update"   # a descent takes steps, a network updates
    questions = [Question(number, name, formatter.symbol(name), describe(name, unit), trace.value(name),
                          format_number(trace.value(name), DEFAULT_PRECISION))
                 for number, name in enumerate(variant.asked, start=1)]
    title = str(variant.data.get("title", ""))
    policy, line = policy_for(spec).describe(), variant_line(variant.id)
    hand_in = "\n".join([line] + [f"{question.name} = …" for question in questions[:2]])
    if isinstance(spec, GraphSpec):
        inputs = [Given(name, formatter.symbol(name), format_number(value), "input") for name, value in spec.inputs]
        lines = descent_conventions(trace.facts, formatter) if isinstance(trace.facts, DescentFacts) else []
        return Problem(variant.id, title, True, lines, inputs, [], list(spec.nodes), questions, policy, line, hand_in)
    parameters = [Given(name, symbol, before, path) for name, symbol, path, before, _ in parameter_rows(trace, formatter)]
    samples = []
    for sample in spec.samples:
        entries = spec.sample_values(sample)
        samples.append([Given(name, formatter.symbol(name), format_number(value), role)
                        for name, value, role in entries])
    assert isinstance(trace.facts, NetworkFacts)
    lines = conventions(trace.facts, worked=False)  # with its training line (conventions.training_convention)
    return Problem(variant.id, title, False, lines, parameters, samples, [], questions, policy, line, hand_in)


def variant_line(ident: str) -> str:
    """The first line of a hand-in, exactly as `check` reads it best."""
    return f"Variant: {ident}"


def describe(name: str, unit: str = "update") -> str:
    """Where a prefixed value belongs, in words: `after1.E_total` -> after 1 update
    (a graph's descent: `after2.f` -> after 2 steps)."""
    words = []
    for kind, number in _PREFIX.findall(name):
        if kind == "after":
            words.append(f"after {number} {unit}{'s' if number != '1' else ''}")
        else:
            words.append(f"{kind} {number}")
    return ", ".join(words)


def sheets(variants: Iterable[Variant], walkthrough: bool = True) -> tuple[str, str]:
    """The problem sheet (one page per variant: the numbers, the conventions,
    what to compute) and the solution sheet (per variant: the key, then by
    default the whole worked solution, its headings moved two levels down).
    One pass, so the variants may come from a generator."""
    problems, solutions = [], []
    for variant in variants:
        view = problem(variant)
        problems.append(_render("problem.md.j2", problem=view))
        worked = render_markdown(build_document(variant.trace), heading_offset=2) if walkthrough else ""
        solutions.append(_render("solution.md.j2", problem=view, walkthrough=worked))
    return _join(problems), _join(solutions)


def _render(name: str, **context: Any) -> str:
    environment = template_environment()
    return environment.get_template(f"variants/{name}").render(**context).strip() + "\n"


def _join(pages: list[str]) -> str:
    return ("\n" + PAGE_BREAK + "\n\n").join(pages)
