"""The dense layer, Mazur's: every neuron reads every output of the layer below.

Forward: net_j = sum_i w_ji out_i + b * 1, out_j = f(net_j). Backward, per
neuron in Mazur's order: dE/dout (from the loss, or summed over the paths
through the layer above), dout/dnet, the delta, then for each weight dnet/dw
and dE/dw = dE/dout * dout/dnet * dnet/dw (Mazur's three factors), each
update right after its gradient in the bare one-sample step; the bias last.
Moved here unchanged from backprop.py when layer kinds became records.
"""
from __future__ import annotations

from ..expressions import Add, Expr, Mul, Num, Ref, sum_of
from ..ops.registry import LAYERS
from ...spec import names
from ...spec.choices import LAYER_KINDS
from .neurons import UnitNames, activation, activation_gradients, delta, is_elementwise
from .record import GradientSource, LayerRecord, SamplePass


def forward(run: SamplePass, l: int, below: list[Ref], heading: str) -> list[Ref]:
    layer = run.layer(l)
    run.trace.section("forward", f"{heading}: layer {layer.name}", run.depth(), layer=layer.name,
                      activation=layer.activation, first=l == 1, **run.context)
    nets = []
    for j in range(layer.size):
        terms: list[Expr] = [Mul((run.params[w], out)) for w, out in zip(run.names.weights[l][j], below)]
        bias = bias_name(run, l, j)
        if bias is not None:
            terms.append(Mul((run.params[bias], Num(1.0))))
        nets.append(run.define(names.net(layer.neuron(j)), Add(tuple(terms)), "net", layer=layer.name))
    return [run.define(names.out(layer.neuron(j)), activation(layer, nets, j), "out",
                       layer=layer.name, activation=layer.activation)
            for j in range(layer.size)]


def bias_name(run: SamplePass, l: int, j: int) -> str | None:
    bias = run.names.biases[l]
    return bias if isinstance(bias, str) or bias is None else bias[j]


def backward(run: SamplePass, l: int, outs: list[list[Ref]], source: GradientSource, is_output: bool) -> list[Ref]:
    layers = run.spec.layers
    layer = layers[l]
    run.trace.section("output_layer" if is_output else "hidden_layer",
                      f"The backward pass: {'output' if is_output else 'hidden'} layer {layer.name}", run.depth(),
                      layer=layer.name, activation=layer.activation, loss=run.spec.loss,
                      hidden_deltas_use=run.spec.hidden_deltas_use,
                      above_size=None if is_output else layers[l + 1].size, **run.context)
    elementwise = is_elementwise(layer)
    unit = UnitNames(layer)
    groups = [[j] for j in range(layer.size)] if elementwise else [list(range(layer.size))]
    deltas: list[Ref] = [Ref("")] * layer.size
    for group in groups:
        dE_dout = {j: source(j) for j in group}
        dout_dnet = activation_gradients(run, layer, group, outs[l], unit)
        for j in group:
            deltas[j] = delta(run, layer, j, group, dE_dout, dout_dnet, is_output, unit)
            chain = (dE_dout[j], dout_dnet[(j, j)]) if elementwise else (deltas[j],)
            weight_gradients(run, l, j, chain, outs[l - 1])
    bias_gradients(run, l, deltas)
    return deltas


def weight_gradients(run: SamplePass, l: int, j: int, chain: tuple[Ref, ...], below: list[Ref]) -> None:
    layer = run.layer(l)
    for i, weight in enumerate(run.names.weights[l][j]):
        source = below[(i + 1) % len(below)] if run.mistakes.wrong_input_neuron and len(below) > 1 else below[i]
        local = run.define(names.gradient(names.net(layer.neuron(j)), weight), source, "dnet_dw", weight=weight,
                           neuron=layer.neuron(j), source=source.name)
        gradient = run.gradient(weight, Mul((*chain, local)), "grad_w", weight=weight, neuron=layer.neuron(j))
        run.builder.write_bare_update(run.trace, weight, run.params, gradient)


def bias_gradients(run: SamplePass, l: int, deltas: list[Ref]) -> None:
    bias = run.names.biases[l]
    if bias is None:
        return
    pairs = [(bias, sum_of(deltas))] if isinstance(bias, str) \
        else [(name, Mul((delta, Num(1.0)))) for name, delta in zip(bias, deltas)]
    for name, expr in pairs:
        gradient = run.gradient(name, expr, "grad_b", shared=isinstance(bias, str), parameter=name)
        if run.spec.update_biases:
            run.builder.write_bare_update(run.trace, name, run.params, gradient)


def send_back(run: SamplePass, l: int, j: int, upstream: list[Ref]) -> Ref:
    """dE_total/dout of unit j below: one part per neuron of this layer, each
    that neuron's delta times the weight joining them (Mazur's dE_o1/dout_h1)."""
    layer, below = run.layer(l), run.layer(l - 1)
    parts = []
    for k in range(layer.size):
        weight = run.names.weights[l][k][j]
        path = run.define(names.gradient(names.net(layer.neuron(k)), names.out(below.neuron(j))),
                          run.builder.path_weight(weight, run),
                          "dnet_dout", weight=weight, convention=run.spec.hidden_deltas_use,
                          neuron=below.neuron(j), above=layer.neuron(k))
        parts.append(run.define(names.gradient(names.error(layer.neuron(k)), names.out(below.neuron(j))),
                                Mul((upstream[k], path)), "dE_part",
                                neuron=below.neuron(j), above=layer.neuron(k)))
    return run.define(names.total_gradient(names.out(below.neuron(j))), sum_of(parts), "dE_dout_hidden",
                      neuron=below.neuron(j))


def input_terms(run: SamplePass, i: int, upstream: list[Ref]) -> list[Expr]:
    """Delta times weight over this layer's neurons, through the original weights."""
    return [Mul((upstream[j], run.params[run.names.weights[1][j][i]])) for j in range(run.layer(1).size)]


LAYERS.add(LayerRecord(LAYER_KINDS["dense"], forward=forward, backward=backward, send_back=send_back,
                       input_terms=input_terms, in_sequences=True))
