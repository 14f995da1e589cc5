"""The conventions of a walkthrough as sentences, Mazur's post noted.

Each sentence says what this document assumes (the loss, the training
regime, the biases, the hidden-delta path, the learning rate, rounding) and
where that differs from the post a reader may be comparing with. Plain
sentences with $…$ math, because the problem sheets and the Moodle questions
state the same conventions (exercises/sheets.py).
"""
from __future__ import annotations

from typing import Any

from ..engine.facts import NetworkFacts
from ..engine.ops import LOSSES
from ..numbers import format_number
from .mathwords import words_set_apart_in_text
from .optimizer_prose import optimizer_convention
from .symbols import reads_as_constant


def conventions(facts: NetworkFacts, worked: bool = True) -> list[str]:
    """The conventions of this walkthrough, each a sentence ($…$ math), Mazur's noted.
    `worked=False`: for a problem sheet, which shows no gradients."""
    spec = facts.spec
    lines = []
    loss_text = LOSSES.get(spec.loss).prose.convention
    lines.append(words_set_apart_in_text(f"Loss: {loss_text}."))
    training = spec.training
    if training.given or training.epochs > 1:
        lines.append(training_convention(training, len(spec.samples), facts.steps))
    if spec.samples_per_step > 1:
        lines.append(f"Several samples in one step: their losses and gradients are combined by their {spec.reduction}"
                     + (" (the gradient is divided by the number of samples)." if spec.reduction == "mean" else "."))
    activations = ", ".join(f"{layer.name}: {layer.activation}" for layer in spec.layers[1:])
    lines.append(f"Activations: {activations}" + ("" if all(layer.activation == "sigmoid" for layer in spec.layers[1:])
                                                   else " (Mazur's post uses sigmoid everywhere)") + ".")
    layer_kinds = {layer.name: "none" if layer.bias is None else "per-neuron" if isinstance(layer.bias, tuple)
                   else "shared" for layer in spec.layers[1:]}
    kinds = set(layer_kinds.values())
    names = [name for bias in facts.parameters.biases if bias for name in ([bias] if isinstance(bias, str) else bias)]
    examples = ", ".join(names[:2]) + (", …" if len(names) > 2 else "")  # this network's own bias names
    if len(kinds) == 1:
        bias_text = {"shared": f"one bias shared by all neurons of a layer ({examples}), as in Mazur's post",
                     "per-neuron": f"one bias per neuron ({examples}); Mazur's post shares one bias per layer",
                     "none": "no bias"}
        lines.append("Biases: " + bias_text[next(iter(kinds))] + ".")
    else:  # the layers differ: say which has which
        short = {"shared": "one bias shared by the layer", "per-neuron": "one bias per neuron", "none": "no bias"}
        lines.append("Biases: " + "; ".join(f"{name}: {short[kind]}" for name, kind in layer_kinds.items())
                     + f" ({examples}); Mazur's post shares one bias per layer.")
    if any(kind != "none" for kind in kinds):
        lines.append("Biases are updated like the weights (Mazur's post keeps them fixed)." if spec.update_biases
                     else "Biases are not updated, as in Mazur's post"
                     + ("; their gradients are shown for completeness." if worked else "."))
    if len(spec.layers) < 3:
        pass  # no hidden layer: no hidden deltas to send back
    elif spec.hidden_deltas_use == "original_weights":
        lines.append("Hidden-layer deltas are sent back through the original weights, before this step's update "
                     "(Mazur's post, and true gradient descent).")
    else:
        moved = ("each sample's own gradient, "  # a step of several samples has no per-sample update
                 r"$w - \eta \cdot \frac{\partial E^{(n)}}{\partial w}$, before the samples are combined"
                 if spec.samples_per_step > 1 else "this sample's update")
        lines.append(f"Hidden-layer deltas are sent back through weights already moved by {moved} "
                     "(the older code of Mazur's post; not the true gradient).")
    apart = [layer.name for layer in spec.layers if reads_as_constant(layer.neuron(0))]
    if apart:
        lines.append(f"The neurons of layer {', '.join(apart)} are set upright, $\\mathrm{{e}}_{{1}}$, so as not to be read "
                     "as Euler's number (which appears as $e^{x}$ in the activation functions).")
    lines.append(optimizer_convention(spec.training.optimizer, spec.learning_rate))
    if facts.round_to is not None:
        lines.append(f"Hand-calculation mode: every value is rounded to {facts.round_to} decimals as soon as it is "
                     "computed, and the rounded value is used from then on, as with a calculator.")
    return lines


def training_convention(training: Any, samples: int, steps: int) -> str:
    """How the run goes through the samples, in one sentence (Mazur: one update on one sample)."""
    epochs = f"{training.epochs:,} epoch" + ("s" if training.epochs != 1 else "")
    updates = f"{steps:,} update" + ("s" if steps != 1 else "")
    if training.mode == "online":
        how = "online, one update per sample, in the order of the spec"
    elif training.mode == "batch":
        how = f"full batch, one update per epoch on all {samples} samples" if samples > 1 else "one update per epoch"
    else:
        order = (f"shuffled once per epoch (Python's random.Random({training.shuffle_seed}))"
                 if training.shuffle_seed is not None else "in the order of the spec")
        how = f"mini-batches of {training.batch_size} samples, {order}"
    shown = ", ".join(str(step) for step in training.record)
    return (f"Training: {how}; {epochs}, {updates} in all; shown in full: step{'s' if len(training.record) > 1 else ''} "
            f"{shown} (Mazur's post makes one update).")
