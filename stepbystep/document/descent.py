"""The walkthrough of gradient descent on a computation graph (SPEC.md §6).

Per recorded step: the inputs it starts from (the optimizer's buffers
carried in), the forward pass, the backward pass and each parameter's
update; the steps between run unwritten; then the inputs after the last
step, the output after every step (thinned for long runs) and its curve.
"""
from __future__ import annotations

from ..engine.facts import DescentFacts
from ..engine.trace import Section as TraceSection
from ..engine.trace import Trace
from .blocks import Bullets, Figure, Item, Note, Table
from .figures import LossCurve
from .formatter import Formatter
from .network import carried_rows
from .optimizer_prose import OPTIMIZER_KINDS, before_optimizer_step, explanation, optimizer_convention, plain
from .outline import Outline, paragraph, prose, rounding_clause, user_text
from .summary import picked_rows

KINDS = ("descent_start", "descent_forward", "descent_backward", "descent_update", "after", "losses", "descent_after")


def descent_blocks(outline: Outline, trace: Trace, formatter: Formatter) -> None:
    facts = trace.facts
    assert isinstance(facts, DescentFacts)
    rounding = rounding_clause(facts.round_to)
    outline.add(paragraph(
        "This is gradient descent on a computation graph, step by step: each step computes the output, its gradient "
        "with\nrespect to every input by the backward pass, and moves the parameters against their gradients. Every "
        f"number is\nshown as a formula, then with the numbers put in, then as its value. Values are printed to "
        f"{formatter.precision}\ndecimals; {rounding}."))
    outline.section("Conventions", 2)
    outline.add(Bullets(tuple(Item(prose(line)) for line in descent_conventions(facts, formatter))))
    writer = _DescentWriter(outline, trace, facts, formatter)
    for section in trace.sections:
        writer.section(section)
    _summary(outline, trace, facts, formatter)


def descent_conventions(facts: DescentFacts, formatter: Formatter) -> list[str]:
    """The conventions of a descent, each a sentence ($…$ math); also on its problem sheets."""
    training = facts.spec.training
    assert training is not None
    symbol, out = formatter.symbol, facts.output
    moving = ", ".join(f"${symbol(name)}$" for name in facts.parameters)
    fixed = [name for name in facts.inputs if name not in facts.parameters]
    lines = [f"The graph computes ${symbol(out)}$ from its inputs; the parameters {moving} move to make it smaller"
             + (f", the other inputs ({', '.join(f'${symbol(name)}$' for name in fixed)}) stay fixed." if fixed else "."),
             f"${symbol(f'd{out}/dx')}$ is the gradient of the output with respect to a value $x$, found by the "
             "backward pass; a\nlocal gradient $\\frac{\\partial q}{\\partial x}$ is how much one node changes with one "
             "of its arguments.",
             optimizer_convention(training.optimizer, training.learning_rate, parameter=r"\theta",
                                  gradient=f"\\frac{{\\partial {symbol(out)}}}{{\\partial \\theta}}", objective=symbol(out)),
             f"{training.epochs:,} step{'s' if training.epochs != 1 else ''} in all; shown in full: "
             f"step{'s' if len(training.record) != 1 else ''} {', '.join(map(str, training.record)) or 'none'}. "
             f"Values of step $t$ are named `step{{t}}.`, the output after $N$ steps `after{{N}}.{out}`."]
    if facts.round_to is not None:
        lines.append(f"Hand-calculation mode: every value is rounded to {facts.round_to} decimals as soon as it is "
                     "computed, and the\nrounded value is used from then on, as with a calculator.")
    return lines


class _DescentWriter:
    def __init__(self, outline: Outline, trace: Trace, facts: DescentFacts, formatter: Formatter) -> None:
        self.outline = outline
        self.trace = trace
        self.facts = facts
        self.formatter = formatter
        training = facts.spec.training
        assert training is not None
        self.settings = training.optimizer
        self.explained = plain(self.settings)

    def section(self, section: TraceSection) -> None:
        if section.kind == "after":
            self._after_value(section)
            return
        self.outline.section(section.title, section.level)
        getattr(self, section.kind)(section)

    def _equations(self, section: TraceSection) -> None:
        for step in section.steps:
            if step.kind != "given":
                self.outline.add(*self.formatter.blocks(step))

    def descent_start(self, section: TraceSection) -> None:
        formatter = self.formatter
        rows = []
        for step in section.steps:
            c = step.context
            if c.get("carried"):
                role = f"{c['buffer']} of {c['parameter']} after step {section.context['step'] - 1}, carried over"
            else:
                role = "moves" if c.get("parameter") else "fixed"
            rows.append((prose(f"${formatter.symbol(step.name)}$"), prose(formatter.text(step.value)), prose(role)))
        self.outline.add(paragraph("The values this step starts from:"),
                         Table((prose("value"), prose("number"), prose("role")),
                               tuple(rows) + carried_rows(self.trace, section, formatter)))

    def descent_forward(self, section: TraceSection) -> None:
        self.outline.add(paragraph("We compute each node from the values it uses, in order:"))
        self._equations(section)

    def descent_backward(self, section: TraceSection) -> None:
        self.outline.add(paragraph(
            "Backwards from the output: each node's local gradients, and each value's gradient as the sum over the "
            "nodes\nthat use it of local gradient times upstream gradient."))
        self._equations(section)

    def descent_update(self, section: TraceSection) -> None:
        seen: set[str] = set()
        options = dict(self.settings.options)
        for step in section.steps:
            if step.kind == "given":
                continue
            if not self.explained and (step.kind in OPTIMIZER_KINDS or step.kind == "update"):
                self.explained = True
                self.outline.add(*explanation(self.settings))
            if step.kind not in seen:
                seen.add(step.kind)
                sentence = (before_optimizer_step(step, options, "parameter") if step.kind != "update"
                            else "The parameter moves against its gradient:" if plain(self.settings)
                            else "Then the parameter takes the step:")
                if sentence:
                    self.outline.add(paragraph(sentence))
            self.outline.add(*self.formatter.blocks(step))

    def _after_value(self, section: TraceSection) -> None:
        step = section.steps[0]
        number = section.context["step"]
        self.outline.add(Bullets((Item(prose(
            f"After {number} step{'s' if number > 1 else ''}: "
            f"${self.formatter.symbol(step.name)} = {self.formatter.number(step.value)}$"),
            (Note((user_text(step.note),)),) if step.note else ()),)))

    def losses(self, section: TraceSection) -> None:
        several = section.context["last"] > section.context["first"]
        self.outline.add(paragraph(
            f"{'These steps are' if several else 'This step is'} computed exactly like the steps shown in full, "
            f"but not written out;\nthe output after each is in the answer key (`after{{N}}.{self.facts.output}`) "
            "and in the summary below."))

    def descent_after(self, section: TraceSection) -> None:
        formatter = self.formatter
        givens = [step for step in section.steps if step.kind == "given"]
        self.outline.add(Table((prose("input"), prose("value")),
                               tuple((prose(f"${formatter.symbol(step.name)}$"), prose(formatter.text(step.value)))
                                     for step in givens)))
        self.outline.add(paragraph("The forward pass with these inputs:"))
        self._equations(section)


def output_points(trace: Trace, facts: DescentFacts) -> list[tuple[int, float]]:
    values = trace.graph.values
    return [(step, values[f"after{step}.{facts.output}"]) for step in range(1, facts.steps + 1)]


def _summary(outline: Outline, trace: Trace, facts: DescentFacts, formatter: Formatter) -> None:
    points = output_points(trace, facts)
    start = trace.graph.values.get(f"step1.{facts.output}")
    outline.section("Summary", 2)
    symbol = formatter.symbol(facts.output)
    first = "" if start is None else f" from ${symbol} = {formatter.number(start)}$ at the start"
    outline.add(paragraph(f"After {facts.steps:,} step{'s' if facts.steps != 1 else ''} the output is "
                          f"${symbol} = {formatter.number(points[-1][1])}${first}."))
    notes = facts.spec.notes or {}
    shown = set(facts.spec.training.record) | {facts.steps} if facts.spec.training else {facts.steps}
    noted = {step for step, _ in points if step not in shown and f"after{step}.{facts.output}" in notes}
    picked = picked_rows(len(points), noted)
    runs = facts.comparison
    own = f" ({facts.spec.training.optimizer.name})" if runs and facts.spec.training else ""

    def cell(losses: tuple[float, ...], step: int) -> str:
        return formatter.text(losses[step - 1]) if step <= len(losses) else "—"

    outline.add(Table((prose("after step"), prose(f"${symbol}${own}")) + tuple(prose(run.optimizer) for run in runs),
                      tuple((prose(str(points[index - 1][0])), prose(formatter.text(points[index - 1][1])))
                            + tuple(prose(cell(run.losses, index)) for run in runs) for index in picked)))
    for step in sorted(noted):   # a note on a step not shown in full, under the table (its row is picked)
        outline.add(Note((user_text(notes[f"after{step}.{facts.output}"]),), f"Note (after step {step})"))
    for run in runs:
        if run.failed:
            outline.add(paragraph(f"With {run.optimizer} the descent stopped: {run.failed}"))
    if len(points) > 1:
        others = tuple((run.optimizer, tuple((step, value) for step, value in enumerate(run.losses, start=1)))
                       for run in runs)
        title = f"The output {facts.output} after each step" + (", optimizers compared" if others else "")
        curve = LossCurve(tuple(points), title, "step", facts.output,
                          label=facts.spec.training.optimizer.name if others and facts.spec.training else "",
                          others=others)
        outline.add(Figure("loss-curve", curve.title, curve))
