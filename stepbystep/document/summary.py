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
from typing import TYPE_CHECKING, Any

from ..numbers import format_number
from ..spec.model import NetworkSpec, steps_per_epoch

if TYPE_CHECKING:
    from ..engine.trace import Trace
    from .context import Figure, Formatter

SATURATED = 1e-4          # dout/dnet below this: the gradient through the neuron vanishes
RISING_EPOCHS = 3         # this many rises in a row: the learning rate is probably too high
HUGE_WEIGHT = 1e6         # beyond this the weights are on their way to overflow
ALL_ROWS_UP_TO = 25       # loss table: every epoch up to this many, else a thinned selection


def _is_network(trace: "Trace") -> bool:
    return isinstance(trace.facts.get("spec"), NetworkSpec) and "parameters" in trace.facts


def epoch_losses(trace: "Trace") -> list[tuple[int, int, float]]:
    """(epoch, step, after{step}.E_total) at the end of every epoch."""
    spec: NetworkSpec = trace.facts["spec"]
    per_epoch = steps_per_epoch(spec.training.mode, spec.training.batch_size, len(spec.samples))
    values = trace.graph.values
    return [(epoch, epoch * per_epoch, values[f"after{epoch * per_epoch}.E_total"])
            for epoch in range(1, spec.training.epochs + 1)]


def curve_points(trace: "Trace") -> list[tuple[int, float]]:
    """Per epoch when there are several epochs, else per step."""
    spec: NetworkSpec = trace.facts["spec"]
    if spec.training.epochs > 1:
        return [(epoch, loss) for epoch, _, loss in epoch_losses(trace)]
    values = trace.graph.values
    return [(step, values[f"after{step}.E_total"]) for step in range(1, trace.facts["steps"] + 1)]


def _pick(count: int, notes: set[int]) -> list[int]:
    """Row numbers 1..count to show: all for short runs; else the first five,
    about fifteen spread evenly on a log scale, the last, and any with a note."""
    if count <= ALL_ROWS_UP_TO:
        return list(range(1, count + 1))
    picked = set(range(1, 6)) | {count} | notes
    for index in range(16):
        picked.add(max(1, min(count, round(10 ** (math.log10(count) * index / 15)))))
    return sorted(picked)


def training_context(trace: "Trace", formatter: "Formatter") -> dict[str, Any] | None:
    """What the summary partial shows; None for a computation graph."""
    if not _is_network(trace):
        return None
    facts = trace.facts
    spec: NetworkSpec = facts["spec"]
    steps = facts["steps"]
    losses = epoch_losses(trace)
    by_epoch = {epoch: (step, loss) for epoch, step, loss in losses}
    noted = {epoch for epoch, step, _ in losses if _note(trace, f"after{step}.E_total")}
    rows = [{"epoch": epoch, "step": by_epoch[epoch][0], "loss": formatter.text(by_epoch[epoch][1]),
             "note": _note(trace, f"after{by_epoch[epoch][0]}.E_total")}
            for epoch in _pick(len(losses), noted)]
    return {
        "steps": steps,
        "steps_text": f"{steps:,}",
        "epochs": spec.training.epochs,
        "epochs_text": f"{spec.training.epochs:,}",
        "mode": spec.training.mode,
        "several_steps": steps > 1,
        "loss_rows": rows,
        "thinned": len(rows) < len(losses),
        "output_rows": _output_rows(trace, formatter),
        "drift_rows": _drift_rows(trace, formatter),
        "round_to": facts.get("round_to"),
        # the exact run at the walkthrough's default 9 decimals: at K decimals it would read like the rounded one
        "exact_loss": format_number(facts["exact"]["E_total"]) if facts.get("exact") else None,
        "final_loss": formatter.text(trace.graph.values[f"after{steps}.E_total"]),
        "warnings": warnings(trace, formatter),
    }


def _note(trace: "Trace", name: str) -> str | None:
    notes = trace.facts["spec"].notes or {}
    note = notes.get(name)
    return str(note) if note is not None else None


def _output_rows(trace: "Trace", formatter: "Formatter") -> list[dict[str, Any]]:
    spec: NetworkSpec = trace.facts["spec"]
    steps = trace.facts["steps"]
    values = trace.graph.values
    several = len(spec.samples) > 1
    output = spec.layers[-1]
    rows = []
    for index, sample in enumerate(spec.samples):
        prefix = f"after{steps}.sample{index + 1}." if several else f"after{steps}."
        for k, target in enumerate(sample.targets):
            out = values[f"{prefix}out_{output.neuron(k)}"]
            rows.append({"sample": index + 1, "neuron": output.neuron(k), "symbol": formatter.symbol(f"out_{output.neuron(k)}"),
                         "output": formatter.text(out), "target": formatter.text(target),
                         "difference": formatter.text(out - target)})
    return rows


def _drift_rows(trace: "Trace", formatter: "Formatter") -> list[dict[str, Any]]:
    exact = trace.facts.get("exact")
    if not exact:
        return []
    steps = trace.facts["steps"]
    values = trace.graph.values
    rows = []
    moves = trace.facts["spec"].update_biases
    for name in trace.facts["parameters"].all_names():
        if not (name.startswith("w") or moves):
            continue   # a bias that is never updated cannot drift
        rounded = values[f"after{steps}.{name}"]
        rows.append({"symbol": formatter.symbol(name), "rounded": formatter.text(rounded),
                     "exact": repr(exact[name]), "difference": f"{rounded - exact[name]:.3e}"})
    return rows


def warnings(trace: "Trace", formatter: "Formatter") -> list[str]:
    """Plain sentences (Markdown math allowed) for the reader; never silent."""
    found: list[str] = []
    for step in trace.steps():
        if step.kind == "dout_dnet" and step.context.get("diagonal", True) and \
                step.context.get("activation") in ("sigmoid", "tanh", "softmax") and abs(step.value) < SATURATED:
            found.append(f"Saturation: ${formatter.symbol(step.name)} = {formatter.number(step.value)}$ "
                         f"(`{step.name}`) is below {SATURATED:g}, so almost no gradient flows through this neuron "
                         "(a vanishing gradient); its weights barely move.")
            if len(found) >= 5:
                found.append("Further saturated neurons are not listed.")
                break
    found.extend(_final_saturation(trace))
    found.extend(_rising(trace))
    steps = trace.facts["steps"]
    largest = max(abs(trace.graph.values[f"after{steps}.{name}"]) for name in trace.facts["parameters"].all_names())
    if largest > HUGE_WEIGHT:
        found.append(f"Overflow ahead: a parameter has grown to {largest:.3g}. The updates are diverging; "
                     "a longer run will overflow. Lower the learning rate.")
    return found


def _final_saturation(trace: "Trace") -> list[str]:
    """Neurons saturated on every sample after the last update."""
    spec: NetworkSpec = trace.facts["spec"]
    steps = trace.facts["steps"]
    values = trace.graph.values
    several = len(spec.samples) > 1
    names = []
    for layer in spec.layers[1:]:
        if layer.activation not in ("sigmoid", "tanh"):
            continue
        for j in range(layer.size):
            slopes = []
            for index in range(len(spec.samples)):
                prefix = f"after{steps}.sample{index + 1}." if several else f"after{steps}."
                out = values[f"{prefix}out_{layer.neuron(j)}"]
                slopes.append(out * (1.0 - out) if layer.activation == "sigmoid" else 1.0 - out * out)
            if max(abs(slope) for slope in slopes) < SATURATED:
                names.append(layer.neuron(j))
    if not names:
        return []
    return [f"Saturation after training: {', '.join(names)} "
            f"{'is' if len(names) == 1 else 'are'} saturated on every sample (the derivative of the activation is "
            f"below {SATURATED:g}), so the gradient through {'it' if len(names) == 1 else 'them'} has vanished."]


def _rising(trace: "Trace") -> list[str]:
    points = curve_points(trace) if trace.facts["steps"] > 1 else []
    unit = "epochs" if trace.facts["spec"].training.epochs > 1 else "steps"
    run, longest, end = 0, 0, 0
    for (_, before), (x, after) in zip(points, points[1:]):
        run = run + 1 if after > before else 0
        if run > longest:
            longest, end = run, x
    if longest < RISING_EPOCHS:
        return []
    return [f"Rising loss: the loss went up {longest} {unit} in a row (up to {unit[:-1]} {end}). "
            "The learning rate is probably too high: the updates overshoot the minimum."]


def training_figures(trace: "Trace", formatter: "Formatter") -> list["Figure"]:
    """The loss curve, for runs of more than one step."""
    if not _is_network(trace) or trace.facts["steps"] < 2:
        return []
    from ..formats.plot import loss_curve_svg
    from .context import Figure

    spec: NetworkSpec = trace.facts["spec"]
    unit = "epoch" if spec.training.epochs > 1 else "step"
    title = f"The loss after each {unit}"
    return [Figure("loss-curve", title, loss_curve_svg(curve_points(trace), title, unit), place="end")]
