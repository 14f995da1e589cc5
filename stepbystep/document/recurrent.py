"""The walkthrough of a recurrent network (SPEC §8): unrolled, forward step by
step, then backpropagation through time from the last step.

The network is drawn unrolled, one column per time step. The forward pass
has one section per step; the backward pass starts at the last step and, at
each step, shows the two paths into dE_total/dout_h(t) — through the output
at the same step and through the hidden layer at the next — then the delta
and each weight's contribution at that step; the last section sums each
weight's contributions over time and updates it.
"""
from __future__ import annotations

from ..engine.facts import NetworkFacts
from ..engine.trace import Section as TraceSection
from ..engine.trace import Step, Trace
from ..spec import names
from .blocks import Figure, Table
from .figures import UnrolledDrawing, UnrolledLayer
from .formatter import Formatter
from .outline import Outline, paragraph, prose
from .prose import before_step

TIME_SECTIONS = ("time_forward", "time_backward", "time_sum")


def _at(unit: str) -> str:
    """`o1@3` -> `o1 at step 3`."""
    base, time = names.split_time(unit)
    return base if time is None else f"{base} at step {time}"


def handles(section: TraceSection) -> bool:
    return section.kind in TIME_SECTIONS


class RecurrentWriter:
    def __init__(self, outline: Outline, trace: Trace, facts: NetworkFacts, formatter: Formatter) -> None:
        self.outline = outline
        self.trace = trace
        self.facts = facts
        self.formatter = formatter
        self.drawn = False

    def section(self, section: TraceSection) -> None:
        c = section.context
        if section.kind == "time_forward":
            if c.get("first"):
                self.outline.add(paragraph(self.forward_intro(bool(c.get("after")))))
                if not self.drawn and not c.get("after"):
                    self.drawn = True
                    self.outline.add(self.unrolled(names.split_prefix(section.steps[0].name)[0]))
            elif not c.get("after"):
                self.outline.add(paragraph(f"Step {c['time']}: the same weights again, with the recurrent layer's "
                                           f"outputs of step {c['time'] - 1}."))
        elif section.kind == "time_backward":
            self.outline.add(paragraph(self.backward_intro(c["time"], c["steps"], c.get("last", False))))
        else:
            self.outline.add(paragraph(
                "Every weight was used at every time step, so its gradient is the sum of its contributions over the "
                "steps" + ("; then the update." if self.facts.bare else " (the step combines the samples' gradients "
                                                                         "and updates after the last sample).")))
        self.equations(section)

    def equations(self, section: TraceSection) -> None:
        seen: set[tuple[str, object]] = set()
        for step in section.steps:
            if step.kind == "given":
                continue
            key = (step.kind, step.context.get("activation"))   # each activation's slope explained once
            if key not in seen:
                seen.add(key)
                said = self.sentence(step, section)
                if said:
                    self.outline.add(paragraph(said))
            self.outline.add(*self.formatter.blocks(step))

    # -- the sentences -----------------------------------------------------------------
    def forward_intro(self, after: bool) -> str:
        if after:
            return "With the updated weights we run the sequence through once more and see whether the error went down."
        biased = any(layer.bias is not None for layer in self.facts.spec.layers if layer.kind == "rnn")
        return ("We feed the sequence in one time step at a time. At every step a recurrent unit's net input is the "
                "weighted sum of this step's inputs, plus the weighted outputs of its own layer at the step before "
                f"(at the first step: the initial state){', plus its bias' if biased else ''}; the layers after it "
                "act at every step with the same weights.")

    def backward_intro(self, time: int, steps: int, last: bool) -> str:
        if last:
            return (f"Backpropagation through time starts at the last step, {steps}. Nothing comes after it, so the "
                    "recurrent outputs at this step change the error only through the output layer at the same step.")
        return (f"Step {time}. A recurrent output at this step changes the error along two paths: through the "
                f"layer above at step {time}, and through the recurrent layer's own net inputs at step {time + 1}, "
                f"whose deltas we already have. Adding both gives its gradient; then, as before, the delta and each "
                f"weight's contribution at step {time}.")

    def sentence(self, step: Step, section: TraceSection) -> str:
        kind = step.kind
        c = step.context
        if kind == "dE_part":
            return (f"The path through {_at(c['above'])}: its delta times the weight from this unit "
                    f"(${self.formatter.symbol(c['weight'])}$):")
        if kind == "dE_part_time":
            return (f"The path through the next step, {_at(c['above'])}: its delta times the recurrent weight "
                    f"(${self.formatter.symbol(c['weight'])}$):")
        if kind == "dE_dout_hidden":
            return "Adding up the paths:" if c.get("paths", 1) > 1 else "With one path, that part is the whole change:"
        if kind == "dnet_dw":
            return ("How much does the net input at this step change with a weight? By the value the weight "
                    "multiplies at this step — for a recurrent weight, an output of the step before:")
        if kind == "grad_w_time":
            return "The weight's contribution at this step, delta times that value:"
        if kind == "grad_input":
            return "The gradient of this step's inputs (never updated; through the original weights):"
        if kind == "grad_w" and c.get("summed"):
            return "Summing each weight's contributions over the time steps:"
        if kind == "grad_b" and c.get("summed"):
            return ("A bias adds $b \\cdot 1$ at every step, so its gradient is the sum of its unit's deltas over the "
                    "steps" + (" (and over the layer's units, for a shared bias):" if c.get("shared") else ":"))
        if kind == "initial_state":
            return ""
        return before_step(step, section, self.facts, self.formatter.symbol, self.formatter.number)

    # -- the figure --------------------------------------------------------------------
    def unrolled(self, prefix: str) -> Figure:
        spec = self.facts.spec
        steps = spec.samples[0].steps
        values = self.trace.graph.values
        layers = []
        for l, layer in enumerate(spec.layers):
            units = tuple(layer.neuron(j) for j in range(layer.size))
            value = (lambda unit, t: prefix + names.at_time(unit, t)) if l == 0 \
                else (lambda unit, t: prefix + names.at_time(names.out(unit), t))
            rows = tuple(tuple(values.get(value(unit, t)) for unit in units) for t in range(steps + 1))
            layers.append(UnrolledLayer(layer.name, units, rows, layer.kind == "rnn"))
        output = spec.layers[-1]
        targets = tuple(tuple(values.get(prefix + names.at_time(names.target(output.neuron(k)), t))
                              for k in range(output.size)) for t in range(steps + 1))
        drawing = UnrolledDrawing(steps, tuple(layers), targets, self.formatter.precision,
                                  f"The network unrolled in time: {steps} steps")
        header = ("value",) + tuple(f"t = {t}" for t in range(steps + 1))
        rows = []
        for layer in layers:
            for j, unit in enumerate(layer.units):
                label = unit if layer is layers[0] else f"out {unit}"
                rows.append((label,) + tuple("" if row[j] is None else self.formatter.text(row[j])
                                             for row in layer.values))
        for k in range(output.size):
            rows.append((f"target {output.neuron(k)}",) + tuple("" if row[k] is None else self.formatter.text(row[k])
                                                              for row in targets))
        table = Table(tuple(prose(cell) for cell in header), tuple(tuple(prose(cell) for cell in row) for row in rows))
        return Figure("unrolled", drawing.title, drawing, (table,))
