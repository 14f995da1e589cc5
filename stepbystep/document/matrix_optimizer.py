"""The optimizer's values of a step in matrix form (`--notation matrix`).

With an optimizer other than plain gradient descent the update of a layer is
not W − η·dW: each buffer (the decayed gradient g, the velocity v, Adam's m,
v, m̂, v̂, …) is a matrix the shape of W (and of b), made of the trace's own
values by name (`step2.m_w5`), and W⁺ follows entry by entry from the rule
the walkthrough states once. Nothing is computed here.
"""
from __future__ import annotations

from typing import Callable, Mapping

from ..engine.ops import OPTIMIZERS
from ..engine.update import node_name
from ..spec.names import split_prefix
from ..spec.optimizers import OptimizerSettings
from .matrix import LayerView, Matrix

Grid = tuple[tuple[str, ...], ...]   # trace names, row by row

HEADS = {"v": "V", "G": "G", "s": "S", "m": "M", "mhat": r"\hat{M}", "vhat": r"\hat{V}"}


def optimizer_updates(layer: LayerView, prefix: str, values: Mapping[str, float], settings: OptimizerSettings,
                      number: Callable[[float], str], shown: Callable[[str], float] | None) -> list[str]:
    """The update equations of one layer: its weights' (and moving bias's)
    optimizer values, then W⁺ and b⁺."""
    record = OPTIMIZERS.get(settings.name)
    l = layer.index
    lines = []
    parts = [(f"W^{{[{l}]}}", layer.weights.names, layer.updated_weights)]
    if layer.bias is not None and layer.updated_bias is not None:
        parts.append((f"b^{{[{l}]}}", layer.bias.names[:1] if layer.bias_shared else layer.bias.names,
                      layer.updated_bias))
    for symbol, template, updated in parts:
        gradient = f"\\mathrm{{d}}{symbol}"
        decayed = _matrix(template, prefix, "g", values)
        if decayed is not None:
            lines.append(f"G_{{{symbol}}} = {gradient} + \\lambda {symbol} = {decayed.latex(number, shown)}")
        shrunk = _matrix(template, prefix, "decayed", values)
        if shrunk is not None:
            lines.append(f"\\tilde{{{symbol}}} = \\left(1 - \\eta\\lambda\\right) {symbol} = {shrunk.latex(number, shown)}")
        for key in record.shown:
            buffer = _matrix(template, prefix, key, values)
            if buffer is not None:
                lines.append(f"{HEADS[key]}_{{{symbol}}} = {buffer.latex(number, shown)}")
        lines.append(f"{symbol[:-len(f'^{{[{l}]}}')]}^{{[{l}]+}} = {updated.latex(number, shown)}")
    return lines


def _matrix(template: Grid, prefix: str, key: str, values: Mapping[str, float]) -> Matrix | None:
    """The optimizer value `key` of every parameter of the template (a shared bias: one entry), or
    None where it has none."""
    names = tuple(tuple(prefix + node_name(key, split_prefix(name)[1]) for name in row) for row in template)
    if not all(name in values for row in names for name in row):
        return None
    return Matrix(names, tuple(tuple(values[name] for name in row) for row in names))
