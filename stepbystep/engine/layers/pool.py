"""maxpool2d and avgpool2d: PyTorch's max_pool2d and avg_pool2d (no padding).

Forward: out_p1_1_1 = max (or the mean) of its window of the channel below.
Nothing to learn, so the backward pass only routes: a pooling unit's
dE/dout goes back to each unit of its window times dout_p/dout_c, which for
max pooling is 1 for the unit that was the maximum (the first one on a tie,
in row-major order) and 0 for the others, and for average pooling 1/n.
Where windows overlap, a unit below collects the parts of every window.
"""
from __future__ import annotations

from ...spec import names
from ...spec.choices import LAYER_KINDS
from ...spec.model import Layer
from ..expressions import Add, Call, Div, Expr, Mul, Num, Ref, sum_of
from ..ops.registry import LAYERS
from .record import GradientSource, LayerRecord, SamplePass
from .windows import windows

ONE = Num(1.0)


def _is_max(layer: Layer) -> bool:
    return layer.kind == "maxpool2d"


def _pooled(layer: Layer, window: list[Ref]) -> Expr:
    if len(window) == 1:
        return window[0]
    if _is_max(layer):
        return Call("max", tuple(window))
    return Div(Add(tuple(window)), Num(float(len(window))))


def forward(run: SamplePass, l: int, below: list[Ref], heading: str) -> list[Ref]:
    layer = run.layer(l)
    run.trace.section("pool_forward", f"{heading}: {'max' if _is_max(layer) else 'average'} pooling {layer.name}",
                      run.depth(), layer=layer.name, pool=layer.kind, first=l == 1, **run.context)
    reads = windows(layer, run.layer(l - 1)).reads
    return [run.define(names.out(layer.neuron(unit)), _pooled(layer, [below[index] for index, _ in reads[unit]]),
                       "pool_out", layer=layer.name, pool=layer.kind)
            for unit in range(layer.size)]


def backward(run: SamplePass, l: int, outs: list[list[Ref]], source: GradientSource, is_output: bool) -> list[Ref]:
    """Only the gradient at each pooled output: pooling has no weights and no activation."""
    layer = run.layer(l)
    run.trace.section("pool_layer", f"The backward pass: {'max' if _is_max(layer) else 'average'} pooling "
                      f"{layer.name}", run.depth(), layer=layer.name, pool=layer.kind, **run.context)
    return [source(unit) for unit in range(layer.size)]


def _local(run: SamplePass, layer: Layer, window: list[Ref], position: int) -> Expr:
    """dout_p/dout_c for the unit at `position` of the window."""
    if len(window) == 1:
        return ONE
    if _is_max(layer) and run.mistakes.pool_gradient_copied:
        return ONE
    if _is_max(layer) and not run.mistakes.pool_gradient_spread:
        return Call("picks_max", (Num(float(position)), *window))
    return Div(ONE, Num(float(len(window))))


def _parts(run: SamplePass, l: int, j: int, upstream: list[Ref], named: bool) -> list[Expr]:
    """upstream · dout_p/dout_c over the windows of layer l that hold unit j below;
    `named`: each local derivative a node of its own (not for the input gradient)."""
    layer, below = run.layer(l), run.layer(l - 1)
    found = windows(layer, below)
    below_outs = run.outs[l - 1]
    parts: list[Expr] = []
    for unit, position in found.readers[j]:
        window = [below_outs[index] for index, _ in found.reads[unit]]
        local = _local(run, layer, window, position)
        if named:
            local = run.define(names.gradient(names.out(layer.neuron(unit)), names.out(below.neuron(j))), local, "dpool_dout",
                               pool=layer.kind, neuron=below.neuron(j), above=layer.neuron(unit))
        parts.append(Mul((upstream[unit], local)))
    return parts


def send_back(run: SamplePass, l: int, j: int, upstream: list[Ref]) -> Ref:
    below = run.layer(l - 1)
    parts = _parts(run, l, j, upstream, named=True)
    return run.define(names.total_gradient(names.out(below.neuron(j))), sum_of(parts) if parts else Num(0.0), "dE_dout_pool",
                      neuron=below.neuron(j), pool=run.layer(l).kind)


def input_terms(run: SamplePass, i: int, upstream: list[Ref]) -> list[Expr]:
    return _parts(run, 1, i, upstream, named=False) or [Num(0.0)]


for _kind in ("maxpool2d", "avgpool2d"):
    LAYERS.add(LayerRecord(LAYER_KINDS[_kind], forward=forward, backward=backward, send_back=send_back,
                           input_terms=input_terms))
