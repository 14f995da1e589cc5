"""What every kind of layer with an activation shares: output, slope and delta nodes.

A dense neuron, a convolution's output position and a recurrent unit at
time t all squash a net input by the layer's activation, and all find their
delta as dE/dout times dout/dnet (softmax: summed over the layer's outputs).
Written once here, read by each layer kind; the maths of each activation is
its registry record (engine/ops/activations.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...spec import names
from ...spec.model import Layer
from ..expressions import Add, Expr, Mul, Num, Ref
from ..ops.registry import ACTIVATIONS

if TYPE_CHECKING:
    from ..parameters import Mistakes
    from .record import SamplePass


def activation(layer: Layer, nets: list[Ref], j: int) -> Expr:
    return ACTIVATIONS.get(str(layer.activation)).output(nets, j, dict(layer.options))


def is_elementwise(layer: Layer) -> bool:
    return bool(ACTIVATIONS.get(str(layer.activation)).elementwise)


def activation_derivative(layer: Layer, k: int, j: int, outs: list[Ref], mistakes: "Mistakes") -> Expr:
    """d out_k / d net_j, written in terms of the outputs as the post does."""
    if mistakes.no_activation_derivative:
        return Num(1.0 if k == j else 0.0)
    record = ACTIVATIONS.get(str(layer.activation))
    nets = [Ref(names.net_beside(ref.name)) for ref in outs]
    if mistakes.derivative_from_net and record.slope_from_out:
        outs = nets
    return record.slope(k, j, outs, nets, dict(layer.options))


def activation_gradients(run: "SamplePass", layer: Layer, group: list[int], outs: list[Ref],
                         unit: "UnitNames") -> dict[tuple[int, int], Ref]:
    """dout_k/dnet_j for the units of `group` (softmax: every pair of the group)."""
    found = {}
    columns = None if is_elementwise(layer) else group
    for k in group:
        for j in (columns if columns is not None else [k]):
            expr = activation_derivative(layer, k, j, outs, run.mistakes)
            found[(k, j)] = run.define(names.gradient(names.out(unit(k)), names.net(unit(j))), expr, "dout_dnet",
                                       activation=layer.activation, diagonal=k == j)
    return found


def delta(run: "SamplePass", layer: Layer, j: int, group: list[int], dE_dout: dict[int, Ref],
          dout_dnet: dict[tuple[int, int], Ref], is_output: bool, unit: "UnitNames", **context: object) -> Ref:
    """dE_total/dnet_j, with its aliases delta_j (and Mazur's dE_o1/dnet_o1 at the output)."""
    neuron = unit(j)
    if is_elementwise(layer):
        expr: Expr = Mul((dE_dout[j], dout_dnet[(j, j)]))
    else:  # every output of the layer moves with this net input
        expr = Add(tuple(Mul((dE_dout[k], dout_dnet[(k, j)])) for k in group))
    aliases = [names.delta(neuron)] + ([names.gradient(names.error(neuron), names.net(neuron))] if is_output else [])
    return run.define(names.total_gradient(names.net(neuron)), expr, "delta", aliases=tuple(aliases),
                      activation=layer.activation, **context)


class UnitNames:
    """A unit's name in value names: `h1`, `c1_2_3`, or `h1@2` at time step 2."""

    def __init__(self, layer: Layer, time: int | None = None) -> None:
        self.layer = layer
        self.time = time

    def __call__(self, j: int) -> str:
        return self.layer.neuron(j) if self.time is None else names.at_time(self.layer.neuron(j), self.time)
