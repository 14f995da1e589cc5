"""The walkthrough of a dense network as a document tree, in Mazur's order:
the conventions, then per recorded step the starting values, each sample's
forward pass, error and backward pass, the update, and a closing summary."""
from __future__ import annotations

import weakref

from ..engine.facts import NetworkFacts
from ..spec.model import MAX_DETAIL_WEIGHTS, Layer, NetworkSpec
from ..engine.trace import Section as TraceSection
from ..engine.trace import Step, Trace
from .blocks import Bullets, Figure, Item, Note, Runs, Table
from .conventions import conventions
from .figures import NetworkDrawing, network_drawings
from .formatter import Formatter
from .optimizer_prose import OPTIMIZER_KINDS, explanation, plain
from .outline import Outline, number_runs, paragraph, prose, user_text
from .prose import before_step, section_intro
from .recurrent import RecurrentWriter
from .recurrent import handles as recurrent_handles
from .spatial import SpatialWriter
from .spatial import handles as spatial_handles
from .summary import loss_curve, summary, warning_list

FINAL_PASS_SAMPLES = 10   # the final pass after training in full for this many samples at most


def final_pass_shown(spec: NetworkSpec) -> int:
    """Samples whose forward pass after training is written out: a few (a reader
    follows one or two; the rest is the same arithmetic), and never more than
    the full-detail limit allows for the net's size."""
    return max(1, min(FINAL_PASS_SAMPLES, MAX_DETAIL_WEIGHTS // max(1, spec.weight_count)))


INTRODUCTION = (
    "This is a step-by-step worked example of backpropagation in the manner of Matt Mazur's\n"
    '"A Step by Step Backpropagation Example": every number is shown as a formula, then with the\n'
    "numbers put in, then as its value. Values are printed to {precision} decimals; every\n"
    "computation uses the full value.")


def network_blocks(outline: Outline, trace: Trace, formatter: Formatter) -> None:
    """Everything after the title: the conventions, the steps, the summary."""
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    outline.add(paragraph(INTRODUCTION.format(precision=formatter.precision)))
    convention_list(outline, facts)
    warnings = warning_list(trace, formatter)
    if warnings is not None:
        outline.section("Warnings", 2)
        outline.add(warnings)
    drawings = network_drawings(trace, formatter.precision)
    rows = parameter_rows(trace, formatter)
    paths = {row[0]: row[2] for row in rows}
    writer = _StepWriter(outline, trace, facts, formatter, paths)
    shown_after = final_pass_shown(facts.spec)
    skipped = 0
    for section in trace.sections:
        sample = section.context.get("sample")
        if section.context.get("after") and sample is not None and sample > shown_after:
            skipped = max(skipped, sample - shown_after)
            continue
        if skipped and section.kind == "after_total":
            tabled = ", and the outputs after training are tabled in the summary below" if facts.steps > 1 else ""
            outline.add(paragraph(f"The other {skipped:,} samples are computed the same way (the final pass is written\n"
                                  f"out for the first {shown_after:,}); every value is in the answer key{tabled}."))
            skipped = 0
        writer.section(section, drawings[0] if drawings and not writer.drawn else None)
    summary(outline, trace, formatter)
    outline.section("The parameters before and after", 2)
    outline.add(parameter_table(rows))
    if drawings:
        outline.add(Figure("network-after", drawings[1].title, drawings[1]))
    curve = loss_curve(trace)
    if curve is not None:
        outline.add(Figure("loss-curve", curve.title, curve))


def convention_list(outline: Outline, facts: NetworkFacts) -> None:
    outline.section("Conventions", 2)
    outline.add(Bullets(tuple(Item(prose(line)) for line in conventions(facts))))


class _StepWriter:
    """The trace's sections, one after the other, as headings and blocks."""

    def __init__(self, outline: Outline, trace: Trace, facts: NetworkFacts, formatter: Formatter,
                 paths: dict[str, str]) -> None:
        self.outline = outline
        self.trace = trace
        self.facts = facts
        self.formatter = formatter
        self.paths = paths
        self.drawn = False
        self.spatial = SpatialWriter(outline, trace, facts, formatter)
        self.recurrent = RecurrentWriter(outline, trace, facts, formatter)
        self.explained = plain(facts.spec.training.optimizer)   # the optimizer is explained once, at its first update

    def section(self, section: TraceSection, drawing: NetworkDrawing | None) -> None:
        outline, kind = self.outline, section.kind
        if kind == "after" and section.steps and section.steps[0].context.get("summary"):
            self._after_summary(section)
            return
        outline.section(section.title, section.level)
        if spatial_handles(section, self.facts):
            self.spatial.section(section)
        elif recurrent_handles(section):
            self.recurrent.section(section)
        elif kind == "network":
            self._network(section, drawing)
        elif kind == "sample":
            outline.add(Table(tuple(prose(cell) for cell in ("", "value", "role")),
                              tuple((self._symbol_cell(step), number_runs(self.formatter.text(step.value)),
                                     prose(ROLES.get(str(step.context.get("role")), "target")))
                                    for step in section.steps if step.kind in ("given", "initial_state"))))
        elif kind == "losses":
            several = section.context["last"] > section.context["first"]
            every = all(f"after{step}.E_total" in self.trace.graph.values
                        for step in range(section.context["first"], min(section.context["last"], self.facts.steps - 1) + 1))
            which = "each update" if every else "the last update of each epoch (and of a few steps between, for the curve)"
            outline.add(paragraph(
                f"{'These steps are' if several else 'This step is'} computed exactly like the steps shown in full, "
                f"but not written out;\nthe loss after {which} is in the answer key (`after{{N}}.E_total`) and in "
                "the summary below."))
        else:
            self._steps(section)

    def _network(self, section: TraceSection, drawing: NetworkDrawing | None) -> None:
        facts = self.facts
        if facts.bare and any(layer.kind != "dense" for layer in facts.spec.layers):
            text = layers_described(facts.spec)
        elif facts.bare:
            layers = facts.spec.layers
            described = ""
            for index, layer in enumerate(layers):
                separator = "" if index == 0 else " and " if index == len(layers) - 1 else ", "
                neurons = f"{layer.size} neuron{'s' if layer.size > 1 else ''}"
                activation = f", {layer.activation}" if layer.activation else ""
                described += f"{separator}{layer.name} ({neurons}{activation})"
            text = (f"The network has {len(layers)} layers:\n{described}.\nThe weight $w$ on a connection multiplies "
                    "the output of the neuron it comes from. These are the starting values:")
        else:
            batch = section.context["batch"]
            text = (f"The values this step starts from (sample{'s' if len(batch) > 1 else ''} "
                    f"{', '.join(str(number) for number in batch)}):")
        self.outline.add(paragraph(text))
        if drawing is not None:
            self.drawn = True
            self.outline.add(Figure("network", drawing.title, drawing))
        givens = [step for step in section.steps if step.kind == "given"]
        self.outline.add(Table(tuple(prose(cell) for cell in ("parameter", "value", "connects")),
                               tuple((self._symbol_cell(step), number_runs(self.formatter.text(self.formatter.shown(step.name))),
                                      prose(self._describe(step))) for step in givens)
                               + carried_rows(self.trace, section, self.formatter)))
        for step in section.steps:
            if step.kind != "given":
                self.outline.add(*self.formatter.blocks(step))

    def _describe(self, step: Step) -> str:
        bare = step.name.rpartition(".")[2]
        if step.context.get("carried"):   # an optimizer's buffer from the step before (the fast path's)
            before = step.name.partition(".")[0].removeprefix("step")
            return f"{step.context['buffer']} of {step.context['parameter']} after step {before}, carried over"
        return self.paths.get(bare) or str(step.context.get("role") or "")

    def _symbol_cell(self, step: Step) -> Runs:
        return prose(f"${self.formatter.symbol(step.name)}$")

    def _after_summary(self, section: TraceSection) -> None:
        items = []
        for step in section.steps:
            number = section.context["step"]
            runs = prose(f"After {number} update{'s' if number > 1 else ''}: "
                         f"${self.formatter.symbol(step.name)} = {self.formatter.number(step.value)}$")
            items.append(Item(runs, (Note((user_text(step.note),)),) if step.note else ()))
        self.outline.add(Bullets(tuple(items)))

    def _steps(self, section: TraceSection) -> None:
        formatter, outline = self.formatter, self.outline
        computed = [step for step in section.steps if step.kind != "given"]
        equations = [formatter.equation(step) for step in computed]
        example = next((equation for step, equation in zip(computed, equations) if step.kind == "grad_w"), None)
        outline.add(*section_intro(section, self.facts, example, formatter.symbol))
        givens = [step for step in section.steps if step.kind == "given"]
        if givens:
            values = ", ".join(f"${formatter.symbol(step.name)} = {formatter.value(step.name)}$" for step in givens)
            outline.add(paragraph(f"The values used here: {values}."))
        seen = {step.kind for step in givens}
        for step, equation in zip(computed, equations):
            if not self.explained and (step.kind in OPTIMIZER_KINDS or step.kind == "update"):
                self.explained = True
                outline.add(*explanation(self.facts.spec.training.optimizer))
            if step.kind not in seen:
                seen.add(step.kind)
                sentence = before_step(step, section, self.facts, formatter.symbol, formatter.number)
                if sentence:
                    outline.add(paragraph(sentence))
            outline.add(equation)
            if formatter.noise and step.name in formatter.noise:
                outline.add(*formatter.blocks(step)[1:])
        if section.kind == "error" and section.context.get("after") and self.facts.bare:
            outline.add(paragraph(
                f"Before the update the total error was ${formatter.value('E_total')}$; after one update it is\n"
                f"${formatter.value('after1.E_total')}$."))


def carried_rows(trace: Trace, section: TraceSection, formatter: Formatter) -> tuple[tuple[Runs, ...], ...]:
    """The optimizer's buffers a step takes from the shown step before (`step1.m_w5`), as table rows."""
    rows = []
    for name in section.context.get("carried", ()):
        step, _, bare = name.partition(".")
        buffer, _, parameter = bare.partition("_")   # m_w5: m of w5 (SPEC.md §6)
        rows.append((prose(f"${formatter.symbol(name)}$"), number_runs(formatter.text(trace.graph.values[name])),
                     prose(f"{buffer} of {parameter} after step {step.removeprefix('step')}, carried over")))
    return tuple(rows)


def parameter_table(rows: list[tuple[str, str, str, str, str]]) -> Table:
    """Each parameter before and after the run."""
    return Table(tuple(prose(cell) for cell in ("parameter", "connects", "before", "after")),
                 tuple((prose(f"${symbol}$"), prose(path), number_runs(before), number_runs(after))
                       for _, symbol, path, before, after in rows))


def parameter_rows(trace: Trace, formatter: Formatter) -> list[tuple[str, str, str, str, str]]:
    """(name, symbol, what it connects, before, after) of every parameter, for
    the closing table and the problem sheets. A variant's problem and its
    worked solution ask for the same trace's rows one after the other: the
    last trace's are kept (its numbers at one precision; the trace's noise)."""
    kept = _LAST_ROWS.get("rows")
    if kept is not None and kept[0]() is trace and kept[1] == formatter.precision:
        return list(kept[2])
    rows = _parameter_rows(trace, formatter)
    _LAST_ROWS["rows"] = (weakref.ref(trace), formatter.precision, tuple(rows))   # not keeping the trace alive
    return rows


_LAST_ROWS: dict[str, tuple["weakref.ref[Trace]", int, tuple[tuple[str, str, str, str, str], ...]]] = {}


def _parameter_rows(trace: Trace, formatter: Formatter) -> list[tuple[str, str, str, str, str]]:
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    spec, names = facts.spec, facts.parameters
    rows = []

    def row(name: str, path: str) -> tuple[str, str, str, str, str]:
        return (name, formatter.symbol(name), path, formatter.text(facts.initial[name]),
                formatter.text(formatter.shown(f"after{facts.steps}.{name}")))

    for l, layer in enumerate(spec.layers[1:], start=1):
        below = spec.layers[l - 1]
        for j, weights in enumerate(names.weights[l]):
            rows.extend(row(weight, connection(layer, below, j, i)) for i, weight in enumerate(weights))
        for j, weights in enumerate(names.recurrent_of(l)):
            rows.extend(row(weight, f"{layer.neuron(i)} (t − 1) → {layer.neuron(j)} (t)") for i, weight in enumerate(weights))
        bias = names.biases[l]
        if isinstance(bias, str):
            rows.append(row(bias, f"bias of {layer.name}"))
        elif bias:
            unit = layer.channel if layer.kind == "conv2d" else layer.neuron
            rows.extend(row(name, f"bias of {'channel ' if layer.kind == 'conv2d' else ''}{unit(j)}")
                        for j, name in enumerate(bias))
    return rows


ROLES = {"input": "input", "target": "target", "None": "initial state (t = 0)"}


def layers_described(spec: NetworkSpec) -> str:
    """The network section's first sentence for images and sequences."""
    parts = []
    for layer in spec.layers:
        if layer.shape is not None and layer.kind == "dense":
            parts.append(f"{layer.name} (an image of {' × '.join(str(n) for n in layer.shape)})")
        elif layer.kind == "conv2d":
            parts.append(f"{layer.name} (a convolution, {layer.activation})")
        elif layer.kind in ("maxpool2d", "avgpool2d"):
            parts.append(f"{layer.name} ({'max' if layer.kind == 'maxpool2d' else 'average'} pooling)")
        elif layer.kind == "rnn":
            parts.append(f"{layer.name} (recurrent, {layer.size} unit{'s' if layer.size > 1 else ''}, {layer.activation})")
        elif layer.activation is None:
            parts.append(f"{layer.name} ({layer.size} input{'s' if layer.size > 1 else ''}"
                         + (" per time step)" if spec.sequence else ")"))
        else:
            parts.append(f"{layer.name} ({layer.size} neuron{'s' if layer.size > 1 else ''}, {layer.activation})")
    listed = ", ".join(parts[:-1]) + " and " + parts[-1]
    weights = ("A kernel weight multiplies the input under it at every position of the kernel."
               if any(layer.kind == "conv2d" for layer in spec.layers)
               else "The same weights act at every time step.")
    return f"The network has {len(spec.layers)} layers:\n{listed}.\n{weights} These are the starting values:"


def connection(layer: Layer, below: Layer, j: int, i: int) -> str:
    """What weight i of row j joins: two neurons, or a kernel entry (output channel,
    input channel, row, column) of a convolution."""
    if layer.kind != "conv2d":
        return f"{below.neuron(i)} → {layer.neuron(j)}"
    rows, columns = layer.window
    channel, rest = divmod(i, rows * columns)
    row, column = divmod(rest, columns)
    return f"kernel {layer.channel(j)}, from channel {channel + 1}, row {row + 1}, column {column + 1}"

