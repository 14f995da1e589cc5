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
    lines.append(words_set_apart_in_text(f"Loss: {loss_text}{_parameters(spec.loss_options, ', with ')}."))
    training = spec.training
    if training.given or training.epochs > 1:
        lines.append(training_convention(training, len(spec.samples), facts.steps))
    if spec.samples_per_step > 1:
        lines.append(f"Several samples in one step: their losses and gradients are combined by their {spec.reduction}"
                     + (" (the gradient is divided by the number of samples)." if spec.reduction == "mean" else "."))
    if any(layer.kind != "dense" for layer in spec.layers[1:]):
        lines.extend(layer_conventions(facts))
    else:
        activations = ", ".join(f"{layer.name}: {_activation(layer)}" for layer in spec.layers[1:])
        lines.append(f"Activations: {activations}" + ("" if all(layer.activation == "sigmoid" for layer in spec.layers[1:])
                                                       else " (Mazur's post uses sigmoid everywhere)") + ".")
    layer_kinds = {layer.name: "none" if layer.bias is None else "per-channel" if isinstance(layer.bias, tuple)
                   and layer.kind == "conv2d" else "per-neuron" if isinstance(layer.bias, tuple)
                   else "shared" for layer in spec.layers[1:] if layer.kind not in POOLING}
    kinds = set(layer_kinds.values())
    names = [name for bias in facts.parameters.biases if bias for name in ([bias] if isinstance(bias, str) else bias)]
    examples = ", ".join(names[:2]) + (", …" if len(names) > 2 else "")  # this network's own bias names
    if len(kinds) == 1:
        bias_text = {"shared": f"one bias shared by all neurons of a layer ({examples}), as in Mazur's post",
                     "per-neuron": f"one bias per neuron ({examples}); Mazur's post shares one bias per layer",
                     "per-channel": f"one bias per output channel ({examples}), shared by its positions",
                     "none": "no bias"}
        lines.append("Biases: " + bias_text[next(iter(kinds))] + ".")
    else:  # the layers differ: say which has which
        short = {"shared": "one bias shared by the layer", "per-neuron": "one bias per neuron", "none": "no bias",
                 "per-channel": "one bias per output channel"}
        lines.append("Biases: " + "; ".join(f"{name}: {short[kind]}{_bias_names(facts, name)}"
                                            for name, kind in layer_kinds.items())
                     + "; Mazur's post shares one bias per layer.")
    if any(kind != "none" for kind in kinds):
        lines.append("Biases are updated like the weights (Mazur's post keeps them fixed)." if spec.update_biases
                     else "Biases are not updated, as in Mazur's post"
                     + ("; their gradients are shown for completeness." if worked else "."))
    if len(spec.layers) < 3 or any(layer.kind != "dense" for layer in spec.layers[1:]):
        pass  # no hidden layer: no hidden deltas to send back (or a network beyond Mazur's: no older code)
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


POOLING = ("maxpool2d", "avgpool2d")


def _bias_names(facts: NetworkFacts, layer_name: str) -> str:
    """' (b_h1, b_h2)': the bias names of one layer (up to two, then …), '' for none."""
    index = next(l for l, layer in enumerate(facts.spec.layers) if layer.name == layer_name)
    bias = facts.parameters.biases[index]
    found = [] if bias is None else [bias] if isinstance(bias, str) else list(bias)
    if not found:
        return ""
    return " (" + ", ".join(found[:2]) + (", …" if len(found) > 2 else "") + ")"


def layer_conventions(facts: NetworkFacts) -> list[str]:
    """What a network of images or sequences assumes (SPEC §8), one sentence a layer and a rule."""
    spec = facts.spec
    first = spec.layers[0]
    described = []
    if first.shape is not None:
        described.append(f"{first.name}: an image of {_shape(first.shape)} (channels × rows × columns)")
    else:
        described.append(f"{first.name}: {first.size} input{'s' if first.size > 1 else ''} per time step")
    for below, layer in zip(spec.layers, spec.layers[1:]):
        if layer.kind == "conv2d":
            assert layer.shape is not None
            padding = f"padding {layer.padding}" if layer.padding else "no padding"
            described.append(f"{layer.name}: convolution, {layer.shape[0]} kernel{'s' if layer.shape[0] > 1 else ''} of "
                             f"{layer.window[0]} × {layer.window[1]} over {below.channels} channel"
                             f"{'s' if below.channels > 1 else ''}, stride {layer.stride}, {padding}, {_activation(layer)}"
                             f" → {_shape(layer.shape)}")
        elif layer.kind in POOLING:
            assert layer.shape is not None
            described.append(f"{layer.name}: {'max' if layer.kind == 'maxpool2d' else 'average'} pooling "
                             f"{layer.window[0]} × {layer.window[1]}, stride {layer.stride} → {_shape(layer.shape)}")
        elif layer.kind == "rnn":
            described.append(f"{layer.name}: recurrent (Elman), {layer.size} unit{'s' if layer.size > 1 else ''}, "
                             f"{_activation(layer)}, reading its own outputs of the step before")
        else:
            reads = " flattened in (channel, row, column) order, as PyTorch's flatten" if below.shape is not None \
                else " at every time step, with the same weights" if spec.sequence else ""
            described.append(f"{layer.name}: dense, {_activation(layer)}, reading {below.name}{reads}")
    lines = ["Layers: " + "; ".join(described) + "."]
    if any(layer.kind == "conv2d" for layer in spec.layers):
        lines.append("Convolution is cross-correlation, as in PyTorch's conv2d: the kernel slides over the image "
                     "unflipped; a weight's gradient is the sum over every position it was used at.")
    if any(layer.kind == "maxpool2d" for layer in spec.layers):
        lines.append("Max pooling passes its gradient to the largest value of each window only (the first in "
                     "row-major order on a tie).")
    if spec.sequence:
        sample = spec.samples[0]
        scored = "only the last step's output is scored" if sample.targets_last else \
            "every step's output is scored and $E_{\\mathrm{total}}$ sums them"
        initial = ", ".join(f"{layer.name}: " + ", ".join(format_number(value) for value in layer.initial)
                            for layer in spec.layers if layer.kind == "rnn")
        lines.append(f"Sequences of {sample.steps} time steps; {scored}. The state before the first step "
                     f"($\\mathit{{out}}$ at $t = 0$) is {initial}.")
        lines.append("Backpropagation through time: the backward pass starts at the last step, and a weight's gradient "
                     "is the sum of its contributions at every step.")
    return lines


def _activation(layer: Any) -> str:
    """`elu (alpha = 0.5)`: the activation with the values of its parameters."""
    return f"{layer.activation}{_parameters(layer.options, ' (', ')')}"


def _parameters(options: Any, before: str, after: str = "") -> str:
    """The spec's keys and values of an operation's parameters, defaults included ('' for none)."""
    if not options:
        return ""
    return before + ", ".join(f"`{key} = {format_number(value)}`" for key, value in options) + after


def _shape(shape: tuple[int, int, int]) -> str:
    return " × ".join(str(size) for size in shape)


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
