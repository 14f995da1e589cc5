"""The closing summary of a training run, read off the trace.

The loss after every epoch (thinned for long runs), the final outputs against
the targets, in hand-calculation mode how far the rounded weights drift from
the exact run, the loss curve as a figure, and the warnings a reader must not
miss: saturated neurons (vanishing gradients), a loss that keeps rising (the
learning rate is too high), weights that grow towards overflow. Nothing here
computes a new number for the walkthrough; it selects and compares.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..engine.facts import NetworkFacts
from ..engine.expressions import Ref
from ..engine.ops import ACTIVATIONS
from ..numbers import format_number
from ..spec import names
from ..spec.model import steps_per_epoch
from .blocks import Bullets, Item, Note, Strong, Table
from .figures import LossCurve
from .outline import paragraph, prose, user_text

if TYPE_CHECKING:
    from ..engine.trace import Trace
    from .formatter import Formatter
    from .outline import Outline

SATURATED = 1e-4          # dout/dnet below this: the gradient through the neuron vanishes
RISING_EPOCHS = 3         # this many rises in a row: the learning rate is probably too high
HUGE_WEIGHT = 1e6         # beyond this the weights are on their way to overflow
ALL_ROWS_UP_TO = 25       # loss table: every epoch up to this many, else a thinned selection
OUTPUT_SAMPLES_SHOWN = 50  # outputs-after-training table: this many samples' rows, the rest in the answer key


def epoch_losses(trace: "Trace") -> list[tuple[int, int, float]]:
    """(epoch, step, after{step}.E_total) at the end of every epoch."""
    spec = _facts(trace).spec
    per_epoch = steps_per_epoch(spec.training.mode, spec.training.batch_size, len(spec.samples))
    values = trace.graph.values
    return [(epoch, epoch * per_epoch, values[names.after_total(epoch * per_epoch)])
            for epoch in range(1, spec.training.epochs + 1)]


def curve_points(trace: "Trace") -> list[tuple[int, float]]:
    """Per epoch when there are several epochs, else per step."""
    facts = _facts(trace)
    if facts.spec.training.epochs > 1:
        return [(epoch, loss) for epoch, _, loss in epoch_losses(trace)]
    values = trace.graph.values  # a long online run keeps only some steps' losses (engine/nn.py loss_steps)
    return [(step, values[names.after_total(step)]) for step in range(1, facts.steps + 1)
            if names.after_total(step) in values]


def picked_rows(count: int, notes: set[int]) -> list[int]:
    """Row numbers 1..count to show: all for short runs; else the first five,
    about fifteen spread evenly on a log scale, the last, and any with a note."""
    if count <= ALL_ROWS_UP_TO:
        return list(range(1, count + 1))
    picked = set(range(1, 6)) | {count} | notes
    for index in range(16):
        picked.add(max(1, min(count, round(10 ** (math.log10(count) * index / 15)))))
    return sorted(picked)


def summary(outline: "Outline", trace: "Trace", formatter: "Formatter") -> None:
    """The training summary (runs of several steps) and, in hand-calculation
    mode, the rounded parameters against the exact run."""
    facts = _facts(trace)
    if facts.steps > 1:
        _loss_summary(outline, trace, formatter)
    drift = _drift_rows(trace, formatter)
    if drift:
        final_loss = formatter.text(trace.graph.values[names.after_total(facts.steps)])
        assert facts.exact is not None
        outline.section("Hand calculation against the exact run", 2)
        # the exact run at the walkthrough's default 9 decimals: at K decimals it would read like the rounded one
        outline.add(paragraph(
            f"Every value above was rounded to {facts.round_to} decimals as soon as it was computed, as with a\n"
            f"calculator. The same run at full precision ends with these parameters (total error "
            f"{format_number(facts.exact.loss)};\nrounded: {final_loss}):"),
            table(("parameter", "hand-rounded", "exact", "difference"), drift))


def _loss_summary(outline: "Outline", trace: "Trace", formatter: "Formatter") -> None:
    facts = _facts(trace)
    training = facts.spec.training
    steps, epochs = facts.steps, training.epochs
    losses = epoch_losses(trace)
    by_epoch = {epoch: (step, loss) for epoch, step, loss in losses}
    noted = {epoch for epoch, step, _ in losses if _note(trace, names.after_total(step))}
    picked = picked_rows(len(losses), noted)
    outline.section("Training summary", 2)
    outline.add(paragraph(
        f"{steps:,} update{'s' if steps > 1 else ''} in {epochs:,} epoch{'s' if epochs > 1 else ''}\n"
        f"({training.mode} training); the steps not shown in full are computed exactly the same way. The total error\n"
        f"over all samples after the last update is {formatter.text(trace.graph.values[names.after_total(steps)])}."))
    outline.section("The loss after each epoch", 3)
    if len(picked) < len(losses):
        outline.add(paragraph(
            f"A selection of the {epochs:,} epochs: the first ones, then spread out on a logarithmic scale, and the last\n"
            "(every value is in the answer key as `after{N}.E_total`)."))
    compared = facts.comparison
    rows = [(str(epoch), str(by_epoch[epoch][0]), formatter.text(by_epoch[epoch][1]))
            + tuple(_compared_cell(run.losses, by_epoch[epoch][0], formatter) for run in compared) for epoch in picked]
    own = f" ({training.optimizer.name})" if compared else ""
    outline.add(table(("epoch", "after update", f"$E_{{total}}${own}") + tuple(run.optimizer for run in compared), rows))
    for run in compared:
        if run.failed:
            outline.add(Note(prose(f"With {run.optimizer} the run stopped: {run.failed}")))
    if compared:
        outline.add(paragraph("The other columns train the same network from the same start with another optimizer "
                              "(the same learning rate\nand hyperparameters where they apply), on the fast path; only "
                              "this run's values are in the answer key."))
    for epoch in picked:
        step = by_epoch[epoch][0]
        note = _note(trace, names.after_total(step))
        if note:
            outline.add(Note((user_text(note),), f"Note (after update {step})"))
    outline.section("The outputs after training", 3)
    outline.add(table(("sample", "output", "value", "target", "output − target"), _output_rows(trace, formatter)))
    others = len(facts.spec.samples) - OUTPUT_SAMPLES_SHOWN
    if others > 0:
        outline.add(paragraph(f"The first {OUTPUT_SAMPLES_SHOWN} of {len(facts.spec.samples):,} samples; the others' "
                              f"outputs are in the answer key\n(`{names.after_prefix(steps)}sample{{n}}.out_…`)."))


def _compared_cell(losses: tuple[float, ...], step: int, formatter: "Formatter") -> str:
    return formatter.text(losses[step - 1]) if step <= len(losses) else "—"


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    """A table of our own cells (numbers, $symbols$, words)."""
    return Table(tuple(prose(cell) for cell in header), tuple(tuple(prose(cell) for cell in row) for row in rows))


def _facts(trace: "Trace") -> NetworkFacts:
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    return facts


def _note(trace: "Trace", name: str) -> str | None:
    notes = _facts(trace).spec.notes or {}
    note = notes.get(name)
    return str(note) if note is not None else None


def _output_rows(trace: "Trace", formatter: "Formatter") -> list[tuple[str, ...]]:
    facts = _facts(trace)
    spec, steps = facts.spec, facts.steps
    values = trace.graph.values
    several = len(spec.samples) > 1
    rows = []
    for index, sample in enumerate(spec.samples[:OUTPUT_SAMPLES_SHOWN]):
        prefix = names.after_prefix(steps, index + 1 if several else None)
        for name, target, role in spec.sample_values(sample):   # a sequence's targets carry their step: target_o1@3
            if role != "target":
                continue
            output_name = names.out(name[len(names.target("")):])
            out = values[prefix + output_name]
            rows.append((str(index + 1), f"${formatter.symbol(output_name)}$", formatter.text(out),
                         formatter.text(target), formatter.text(out - target)))
    return rows


def _drift_rows(trace: "Trace", formatter: "Formatter") -> list[tuple[str, ...]]:
    facts = _facts(trace)
    exact = facts.exact
    if exact is None:
        return []
    values = trace.graph.values
    rows = []
    for name in facts.parameters.all_names():
        if not (name.startswith("w") or facts.spec.update_biases):
            continue   # a bias that is never updated cannot drift
        rounded = values[names.after_prefix(facts.steps) + name]
        rows.append((f"${formatter.symbol(name)}$", formatter.text(rounded), repr(exact.parameters[name]),
                     f"{rounded - exact.parameters[name]:.3e}"))
    return rows


def warning_list(trace: "Trace", formatter: "Formatter") -> Bullets | None:
    """The warnings as a list (None when all is well)."""
    found = warnings(trace, formatter)
    if not found:
        return None
    return Bullets(tuple(Item((Strong("Warning."),) + prose(" " + warning)) for warning in found))


def warnings(trace: "Trace", formatter: "Formatter") -> list[str]:
    """Plain sentences (Markdown math allowed) for the reader; never silent."""
    found: list[str] = []
    for step in trace.steps():
        if step.kind == "dout_dnet" and step.context.get("diagonal", True) and \
                ACTIVATIONS.get(str(step.context.get("activation"))).saturates and abs(step.value) < SATURATED:
            found.append(f"Saturation: ${formatter.symbol(step.name)} = {formatter.number(step.value)}$ "
                         f"(`{step.name}`) is below {SATURATED:g}, so almost no gradient flows through this neuron "
                         "(a vanishing gradient); its weights barely move.")
            if len(found) >= 5:
                found.append("Further saturated neurons are not listed.")
                break
    found.extend(_final_saturation(trace))
    found.extend(_rising(trace))
    facts = _facts(trace)
    largest = max(abs(trace.graph.values[names.after_prefix(facts.steps) + name]) for name in facts.parameters.all_names())
    if largest > HUGE_WEIGHT:
        found.append(f"Overflow ahead: a parameter has grown to {largest:.3g}. The updates are diverging; "
                     "a longer run will overflow. Lower the learning rate.")
    return found


def _final_saturation(trace: "Trace") -> list[str]:
    """Neurons saturated on every sample after the last update."""
    facts = _facts(trace)
    spec, steps = facts.spec, facts.steps
    values = trace.graph.values
    several = len(spec.samples) > 1
    saturated = []
    for layer in spec.layers[1:]:
        if layer.activation is None or spec.sequence:   # pooling; a sequence's outputs carry @t
            continue
        record = ACTIVATIONS.get(layer.activation)
        if not (record.saturates and record.elementwise):
            continue
        slope = record.slope(0, 0, [Ref("out")], [Ref("net")], dict(layer.options))
        for j in range(layer.size):
            slopes = []
            for index in range(len(spec.samples)):
                prefix = names.after_prefix(steps, index + 1 if several else None)
                slopes.append(slope.evaluate({"out": values[prefix + names.out(layer.neuron(j))],
                                              "net": values[prefix + names.net(layer.neuron(j))]}))
            if max(abs(slope) for slope in slopes) < SATURATED:
                saturated.append(layer.neuron(j))
    if not saturated:
        return []
    return [f"Saturation after training: {', '.join(saturated)} "
            f"{'is' if len(saturated) == 1 else 'are'} saturated on every sample (the derivative of the activation is "
            f"below {SATURATED:g}), so the gradient through {'it' if len(saturated) == 1 else 'them'} has vanished."]


def _rising(trace: "Trace") -> list[str]:
    facts = _facts(trace)
    points = curve_points(trace) if facts.steps > 1 else []
    unit = "epochs" if facts.spec.training.epochs > 1 else "steps"
    run, longest, end = 0, 0, 0
    for (_, before), (x, after) in zip(points, points[1:]):
        run = run + 1 if after > before else 0
        if run > longest:
            longest, end = run, x
    if longest < RISING_EPOCHS:
        return []
    return [f"Rising loss: the loss went up {longest} {unit} in a row (up to {unit[:-1]} {end}). "
            "The learning rate is probably too high: the updates overshoot the minimum."]


def loss_curve(trace: "Trace") -> LossCurve | None:
    """The loss curve, for runs of more than one step."""
    facts = _facts(trace)
    if facts.steps < 2:
        return None
    unit = "epoch" if facts.spec.training.epochs > 1 else "step"
    points = tuple(curve_points(trace))
    others = tuple((run.optimizer, tuple((x, run.losses[step - 1]) for x, step in _steps_of(trace, points)
                                         if step <= len(run.losses)))
                   for run in facts.comparison)
    title = f"The loss after each {unit}" + (", optimizers compared" if others else "")
    return LossCurve(points, title, unit, label=facts.spec.training.optimizer.name if others else "", others=others)


def _steps_of(trace: "Trace", points: tuple[tuple[int, float], ...]) -> list[tuple[int, int]]:
    """(x of the curve, the step it is after): epochs end at multiples of the steps per epoch."""
    facts = _facts(trace)
    if facts.spec.training.epochs > 1:
        spec = facts.spec
        per_epoch = steps_per_epoch(spec.training.mode, spec.training.batch_size, len(spec.samples))
        return [(x, x * per_epoch) for x, _ in points]
    return [(x, x) for x, _ in points]
