"""The matrix form of each recorded step as display equations (LaTeX): the
forward pass, the backward pass and the updates of every dense layer.

Apart from matrix.py, which reads the matrices off the trace, because this
is how they are written: Z = W·A + b, dZ = dA ⊙ σ′(Z), dW = dZ·Aᵀ (÷ m), …
Every number in them is an entry of one of those matrices.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..engine.facts import NetworkFacts
from ..engine.ops import ACTIVATIONS
from ..spec import names
from .matrix import LayerView, StepView, matrix_steps
from .matrix_optimizer import optimizer_updates

if TYPE_CHECKING:
    from ..engine.trace import Trace
    from .formatter import Formatter

Number = Callable[[float], str]
Shown = Callable[[str], float] | None


@dataclass(frozen=True)
class LayerEquations:
    """One layer of one step, written out."""

    name: str
    activation: str
    forward: tuple[str, ...]
    backward: tuple[str, ...]
    updates: tuple[str, ...]
    through_updated: bool    # the hidden deltas go back through the updated weights (Mazur's older code)


@dataclass(frozen=True)
class StepEquations:
    number: int
    samples: tuple[int, ...]    # 1-based sample numbers, the columns
    mean: bool                  # reduction = "mean": the gradients are divided by m
    losses: str                 # E_total per sample, a 1 x m matrix
    loss: str                   # the step's E_total, printed
    layers: tuple[LayerEquations, ...]


@dataclass(frozen=True)
class _Writer:
    """What every equation of one walkthrough shares: how numbers print, and the spec's conventions."""

    trace: "Trace"
    facts: NetworkFacts
    number: Number
    shown: Shown
    formatter: "Formatter"

    def layer(self, view: StepView, layer: LayerView, scale: str) -> LayerEquations:
        through_updated = layer.index > 1 and self.facts.spec.hidden_deltas_use != "original_weights"
        return LayerEquations(layer.name, layer.activation, tuple(self.forward(layer)),
                              tuple(self.backward(layer, scale, len(view.layers), through_updated)),
                              tuple(self.updates(view, layer)), through_updated)

    def forward(self, layer: LayerView) -> list[str]:
        number, shown, l = self.number, self.shown, layer.index
        act = ACTIVATIONS.get(layer.activation).symbol
        return [rf"Z^{{[{l}]}} = W^{{[{l}]}} A^{{[{l - 1}]}}" + (f" + {self.bias_symbol(layer)}" if layer.bias else "")
                + f" = {layer.weights.latex(number, shown)} {layer.below.latex(number, shown)}"
                + (f" + {_bias_latex(layer, number, shown)}" if layer.bias else "")
                + f" = {layer.net.latex(number, shown)}",
                rf"A^{{[{l}]}} = {act}\left(Z^{{[{l}]}}\right) = {layer.out.latex(number, shown)}"]

    def bias_symbol(self, layer: LayerView) -> str:
        l = layer.index
        return self.formatter.symbol(str(self.facts.parameters.biases[l])) if layer.bias_shared else f"b^{{[{l}]}}"

    def backward(self, layer: LayerView, scale: str, count: int, through_updated: bool) -> list[str]:
        number, shown, l = self.number, self.shown, layer.index
        act = ACTIVATIONS.get(layer.activation).symbol
        lines = []
        if l == count:
            lines.append(rf"\mathrm{{d}}A^{{[{l}]}} = \frac{{\partial E_{{total}}}}{{\partial A^{{[{l}]}}}} = "
                         + layer.d_out.latex(number, shown))
        if layer.slope is not None:
            lines.append(rf"\mathrm{{d}}Z^{{[{l}]}} = \mathrm{{d}}A^{{[{l}]}} \odot {act}'\left(Z^{{[{l}]}}\right) = "
                         + f"{layer.d_out.latex(number, shown)} \\odot {layer.slope.latex(number, shown)} = "
                         + layer.d_net.latex(number, shown))
        else:
            lines.append(rf"\mathrm{{d}}Z^{{[{l}]}} = J_{{{layer.activation}}}^{{\top}} \mathrm{{d}}A^{{[{l}]}} "
                         r"\text{ (column by column)} = " + layer.d_net.latex(number, shown))
        lines.append(rf"\mathrm{{d}}W^{{[{l}]}} = {scale} \mathrm{{d}}Z^{{[{l}]}} A^{{[{l - 1}]\top}} = {scale} "
                     + f"{layer.d_net.latex(number, shown)} {layer.below.transposed().latex(number, shown)} = "
                     + layer.d_weights.latex(number, shown))
        if layer.d_bias is not None:
            if layer.bias_shared:
                lines.append(rf"\frac{{\partial E_{{total}}}}{{\partial {self.bias_symbol(layer)}}} = {scale} "
                             + rf"\textstyle\sum \mathrm{{d}}Z^{{[{l}]}} = {layer.d_bias.latex(number, shown)}")
            else:
                lines.append(rf"\mathrm{{d}}b^{{[{l}]}} = {scale} \mathrm{{d}}Z^{{[{l}]}} \mathbf{{1}} = "
                             + layer.d_bias.latex(number, shown))
        lhs = r"\frac{\partial E_{total}}{\partial X}" if l == 1 else rf"\mathrm{{d}}A^{{[{l - 1}]}}"
        if through_updated:
            lines.append(rf"{lhs} = \left(W^{{[{l}]}} - \eta\, \mathrm{{d}}W^{{[{l}]}}_{{(n)}}\right)^{{\top}} "
                         + rf"\mathrm{{d}}Z^{{[{l}]}}_{{(n)}} \text{{ per sample }} n = {layer.d_below.latex(number, shown)}")
        else:
            lines.append(rf"{lhs} = W^{{[{l}]\top}} \mathrm{{d}}Z^{{[{l}]}} = "
                         + f"{layer.weights.transposed().latex(number, shown)} {layer.d_net.latex(number, shown)} = "
                         + layer.d_below.latex(number, shown))
        return lines

    def updates(self, view: StepView, layer: LayerView) -> list[str]:
        number, shown, l = self.number, self.shown, layer.index
        spec = self.facts.spec
        settings = spec.training.optimizer
        if settings.name != "sgd" or settings.weight_decay:   # an optimizer's buffers, one matrix each
            prefix = "" if self.facts.bare else names.step_prefix(view.number)
            return optimizer_updates(layer, prefix, self.trace.graph.values, settings, number, shown)
        lines = [rf"W^{{[{l}]+}} = W^{{[{l}]}} - \eta\, \mathrm{{d}}W^{{[{l}]}} = {layer.weights.latex(number, shown)} - "
                 + f"{number(spec.learning_rate)} {layer.d_weights.latex(number, shown)} = "
                 + layer.updated_weights.latex(number, shown)]
        if layer.updated_bias is not None and layer.d_bias is not None:
            lines.append(rf"b^{{[{l}]+}} = b^{{[{l}]}} - \eta\, \mathrm{{d}}b^{{[{l}]}} = "
                         + layer.updated_bias.latex(number, shown))
        return lines


def matrix_equations(trace: "Trace", formatter: "Formatter") -> list[StepEquations]:
    """Every recorded step as display equations (LaTeX), for matrix_walkthrough.py."""
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    writer = _Writer(trace, facts, formatter.number, formatter.shown if formatter.noise else None, formatter)
    mean = facts.spec.reduction == "mean"
    steps = []
    for view in matrix_steps(trace):
        m = len(view.samples)
        scale = rf"\frac{{1}}{{{m}}}" if mean and m > 1 else ""
        steps.append(StepEquations(view.number, view.samples, mean, view.losses.latex(formatter.number, writer.shown),
                                   formatter.value(view.loss_name),
                                   tuple(writer.layer(view, layer, scale) for layer in view.layers)))
    return steps


def _bias_latex(layer: LayerView, number: Number, shown: Shown) -> str:
    assert layer.bias is not None
    if layer.bias_shared:
        return number(layer.bias.values[0][0] if shown is None else shown(layer.bias.names[0][0])) + r" \cdot \mathbf{1}"
    return layer.bias.latex(number, shown)
