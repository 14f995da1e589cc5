"""The conv2d layer: PyTorch's conv2d (cross-correlation, no kernel flip).

Forward, output position by position: net_c1_1_1 = sum over input channels
and kernel entries of w · x (inside the image; the zero padding adds
nothing) + the channel's bias · 1, out = f(net). Backward, position by
position: dE/dout (from the layer above), dout/dnet, the delta; then each
kernel weight's gradient, the sum over every output position it touched of
delta · the input it multiplied (a correlation of the input with the deltas);
the channel's bias, the sum of its deltas. The gradient sent back to an input
is the sum of delta · weight over the positions that read it (a "full"
convolution with the flipped kernel).
"""
from __future__ import annotations

from ...spec import names
from ...spec.choices import LAYER_KINDS
from ..expressions import Add, Expr, Mul, Num, Ref, sum_of
from ..ops.registry import LAYERS
from .neurons import UnitNames, activation, activation_gradients, delta
from .record import GradientSource, LayerRecord, SamplePass
from .windows import Windows, channel_of, channel_size, windows


def _windows(run: SamplePass, l: int) -> Windows:
    return windows(run.layer(l), run.layer(l - 1), run.mistakes.kernel_flipped)


def _bias(run: SamplePass, l: int, unit: int) -> str | None:
    bias = run.names.biases[l]
    return bias if isinstance(bias, str) or bias is None else bias[channel_of(run.layer(l), unit)]


def _weight(run: SamplePass, l: int, unit: int, entry: int) -> str:
    return run.names.weights[l][channel_of(run.layer(l), unit)][entry]


def forward(run: SamplePass, l: int, below: list[Ref], heading: str) -> list[Ref]:
    layer = run.layer(l)
    run.trace.section("conv_forward", f"{heading}: convolution {layer.name}", run.depth(), layer=layer.name,
                      activation=layer.activation, first=l == 1, **run.context)
    reads = _windows(run, l).reads
    outs = []
    for unit in range(layer.size):
        terms: list[Expr] = [Mul((run.params[_weight(run, l, unit, entry)], below[index])) for index, entry in reads[unit]]
        bias = _bias(run, l, unit)
        if bias is not None:
            terms.append(Mul((run.params[bias], Num(1.0))))
        net = run.define(names.net(layer.neuron(unit)), Add(tuple(terms)) if terms else Num(0.0), "net",
                         layer=layer.name, spatial=True)
        outs.append(run.define(names.out(layer.neuron(unit)), activation(layer, [net], 0), "out",
                               layer=layer.name, activation=layer.activation, spatial=True))
    return outs


def backward(run: SamplePass, l: int, outs: list[list[Ref]], source: GradientSource, is_output: bool) -> list[Ref]:
    layer = run.layer(l)
    run.trace.section("conv_layer", f"The backward pass: convolution {layer.name}", run.depth(), layer=layer.name,
                      activation=layer.activation, loss=run.spec.loss, output=is_output, **run.context)
    unit = UnitNames(layer)
    deltas = []
    for j in range(layer.size):
        dE_dout = {j: source(j)}
        dout_dnet = activation_gradients(run, layer, [j], outs[l], unit)
        deltas.append(delta(run, layer, j, [j], dE_dout, dout_dnet, is_output, unit, spatial=True))
    kernel_gradients(run, l, deltas, outs[l - 1])
    bias_gradients(run, l, deltas)
    return deltas


def kernel_gradients(run: SamplePass, l: int, deltas: list[Ref], below: list[Ref]) -> None:
    """dE_total/dw for every kernel entry: the sum over the output positions it touched."""
    layer = run.layer(l)
    found = _windows(run, l)
    size = channel_size(layer)
    for k, row in enumerate(run.names.weights[l]):
        for entry, weight in enumerate(row):
            terms: list[Expr] = [Mul((deltas[unit], below[index])) for unit, index in found.touches(k, size, entry)]
            if run.mistakes.no_sum_over_positions:
                terms = terms[:1]
            gradient = run.gradient(weight, sum_of(terms) if terms else Num(0.0), "grad_kernel", weight=weight,
                                    channel=k, entry=entry, positions=len(terms))
            run.builder.write_bare_update(run.trace, weight, run.params, gradient)


def bias_gradients(run: SamplePass, l: int, deltas: list[Ref]) -> None:
    bias = run.names.biases[l]
    if bias is None:
        return
    layer = run.layer(l)
    size = channel_size(layer)
    pairs = [(bias, deltas)] if isinstance(bias, str) else \
        [(name, deltas[k * size:(k + 1) * size]) for k, name in enumerate(bias)]
    for name, summed in pairs:
        gradient = run.gradient(name, sum_of(summed), "grad_b", shared=isinstance(bias, str), parameter=name,
                                spatial=True)
        if run.spec.update_biases:
            run.builder.write_bare_update(run.trace, name, run.params, gradient)


def _terms(run: SamplePass, l: int, j: int, upstream: list[Ref]) -> list[Expr]:
    """delta · weight over the output positions of layer l that read unit j below."""
    return [Mul((upstream[unit], run.params[_weight(run, l, unit, entry)])) for unit, entry in _windows(run, l).readers[j]]


def send_back(run: SamplePass, l: int, j: int, upstream: list[Ref]) -> Ref:
    below = run.layer(l - 1)
    terms = _terms(run, l, j, upstream)
    return run.define(names.total_gradient(names.out(below.neuron(j))), sum_of(terms) if terms else Num(0.0), "dE_dout_conv",
                      neuron=below.neuron(j), above=run.layer(l).name)


def input_terms(run: SamplePass, i: int, upstream: list[Ref]) -> list[Expr]:
    return _terms(run, 1, i, upstream) or [Num(0.0)]


LAYERS.add(LayerRecord(LAYER_KINDS["conv2d"], forward=forward, backward=backward, send_back=send_back,
                       input_terms=input_terms))
