"""What the pictures of a walkthrough show, as data: formats/ draws them.

A network drawing is the layers with their neurons, weight and bias names
and the numbers to write on them; a circuit is the gates of a computation
graph with each value and gradient; a loss curve is its points. Nothing here
knows SVG or TikZ, so every format draws the same numbers its own way.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Union

from ..engine.autodiff import tangent_name
from ..engine.facts import GraphFacts, NetworkFacts
from ..engine.expressions import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Ref, Sub
from ..engine.trace import Trace
from ..numbers import format_number
from ..spec import names

MAX_DRAWN_LAYER = 10  # wider layers are not drawn: so many labelled lines would be unreadable


@dataclass(frozen=True)
class DrawnLayer:
    name: str
    neurons: tuple[str, ...]                 # i1, i2 …
    activation: str | None                   # None for the input layer
    weights: tuple[tuple[str, ...], ...]     # weights[j][i]: from neuron i below into neuron j
    bias: str | tuple[str, ...] | None       # one shared name, one per neuron, or none


@dataclass(frozen=True)
class NetworkDrawing:
    """The network with a number on every weight and bias."""

    layers: tuple[DrawnLayer, ...]
    values: Mapping[str, float]              # parameter name -> value shown
    precision: int                           # decimals the numbers are written with
    title: str
    inputs: tuple[float, ...] | None = None  # one sample: written beside the layers
    targets: tuple[float, ...] | None = None
    updated: bool = False                    # the values after training (w5⁺)
    biases_updated: bool = False             # the biases moved too (b1⁺)
    kind = "network"


@dataclass(frozen=True)
class Gate:
    name: str
    label: str                  # what the gate does: "+", "×", "max", "1/x", or the expression
    inputs: tuple[str, ...]     # the names wired into it (none for an input)
    value: float
    below: float | None         # the number under its wire: gradient or tangent (None: none)
    is_input: bool


@dataclass(frozen=True)
class CircuitDrawing:
    """A computation graph as gates left to right, values above the wires."""

    gates: tuple[Gate, ...]     # in definition order: every gate after its inputs
    output: str
    below: str                  # "gradient" or "tangent": what the numbers under the wires are
    kind = "circuit"


@dataclass(frozen=True)
class LossCurve:
    points: tuple[tuple[int, float], ...]
    title: str
    x_label: str                # "epoch" or "step"
    y_label: str = "E_total"
    label: str = ""             # the main curve's name in a legend ('' : no legend)
    others: tuple[tuple[str, tuple[tuple[int, float], ...]], ...] = ()   # more curves (compared optimizers)
    kind = "loss_curve"


@dataclass(frozen=True)
class Grid:
    """One grid of numbers (an image channel, a kernel, an output map) with a
    name under it; `marked` are the cells of the worked position, (row, column)."""

    title: str
    values: tuple[tuple[float, ...], ...]
    marked: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class GridsDrawing:
    """Grids side by side with an operator between each pair: image ⋆ kernel = output."""

    grids: tuple[Grid, ...]
    operators: tuple[str, ...]      # len(grids) - 1 of them: "⋆", "=", "→"
    precision: int
    title: str
    kind = "grids"


@dataclass(frozen=True)
class UnrolledLayer:
    name: str
    units: tuple[str, ...]                          # h1, h2 …
    values: tuple[tuple[float | None, ...], ...]    # values[t][j]: unit j's output at step t (t = 0: initial; None: none)
    recurrent: bool                                 # feeds itself from one step to the next


@dataclass(frozen=True)
class UnrolledDrawing:
    """A sequence network unrolled in time: one column per step (column 0: the
    initial state), one row per layer (inputs at the bottom), a box per unit
    with its output; arrows up between layers and right along a recurrent layer."""

    steps: int
    layers: tuple[UnrolledLayer, ...]
    targets: tuple[tuple[float | None, ...], ...]   # targets[t][k] (None: step t is not scored)
    precision: int
    title: str
    kind = "unrolled"


Drawing = Union[NetworkDrawing, CircuitDrawing, LossCurve, GridsDrawing, UnrolledDrawing]


def network_drawings(trace: Trace, precision: int) -> tuple[NetworkDrawing, NetworkDrawing] | None:
    """The network before and after training (None when a layer is too wide to draw)."""
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    spec = facts.spec
    if max(layer.size for layer in spec.layers) > MAX_DRAWN_LAYER or any(layer.kind != "dense" for layer in spec.layers):
        return None   # images and sequences have drawings of their own
    layers = tuple(DrawnLayer(layer.name, tuple(layer.neuron(j) for j in range(layer.size)),
                              layer.activation, facts.parameters.weights[l] if l else (),
                              facts.parameters.biases[l] if l else None)
                   for l, layer in enumerate(spec.layers))
    values = trace.graph.values
    after = MappingProxyType({name: values[names.after_prefix(facts.steps) + name] for name in facts.initial})
    sample = spec.samples[0] if len(spec.samples) == 1 else None
    updates = f"{facts.steps:,} update" + ("s" if facts.steps > 1 else "")
    before = NetworkDrawing(layers, facts.initial, precision, "The network with its starting weights",
                            sample.inputs if sample else None, sample.targets if sample else None,
                            biases_updated=spec.update_biases)
    return before, NetworkDrawing(layers, after, precision, f"The network after {updates}", updated=True,
                                  biases_updated=spec.update_biases)


def circuit_drawing(trace: Trace) -> CircuitDrawing:
    """The forward values of a graph as gates; under each wire its gradient of
    the output (reverse mode) or its tangent (forward mode)."""
    facts = trace.facts
    assert isinstance(facts, GraphFacts)
    graph = trace.graph
    sources = dict(facts.spec.nodes)
    if facts.mode == "forward":
        assert facts.wrt is not None
        wrt = facts.wrt
        below_name = {name: tangent_name(name, wrt) for name in graph.nodes}
    else:
        below_name = {name: names.gradient(facts.output, name) for name in graph.nodes}
    gates = []
    for name, node in graph.nodes.items():
        if name not in facts.inputs and name not in sources:
            continue  # a derivative node, not a gate
        label = name if node.expr is None else gate_label(node.expr, sources[name])
        gates.append(Gate(name, label, node.inputs, node.value, graph.values.get(below_name[name]), node.expr is None))
    return CircuitDrawing(tuple(gates), facts.output, "tangent" if facts.mode == "forward" else "gradient")


_SYMBOLS = {Add: "+", Sub: "−", Mul: "×", Div: "÷", Pow: "^"}


def gate_label(expr: Expr, source: str) -> str:
    """A short gate label: the operation, with a constant argument written
    in (`×2`, `+1`, `1/x`); a compound expression shows its own text."""
    if isinstance(expr, Call) and all(isinstance(arg, (Ref, Num)) for arg in expr.args):
        return expr.function
    if isinstance(expr, Neg) and isinstance(expr.arg, Ref):
        return "×(−1)"
    if isinstance(expr, Div) and isinstance(expr.numerator, Num) and isinstance(expr.denominator, Ref):
        return f"{format_number(expr.numerator.value)}/x"
    parts: tuple[Expr, ...] = ()
    if isinstance(expr, (Add, Mul)):
        parts = expr.terms if isinstance(expr, Add) else expr.factors
    elif isinstance(expr, (Sub, Div, Pow)):
        parts = tuple(vars(expr).values())
    if parts and all(isinstance(part, (Ref, Num)) for part in parts):
        symbol = _SYMBOLS[type(expr)]
        constants = [format_number(part.value) for part in parts if isinstance(part, Num)]
        return symbol + "".join(constants) if len(constants) == 1 else symbol
    return source if len(source) <= 24 else source[:23] + "…"
