"""The vectorized (matrix) form of a recorded step, read off the scalar trace.

Courses move from Mazur's one-number-at-a-time walkthrough to
Z = W·A + b, A = σ(Z), dZ, dW = dZ·Aᵀ (÷ m), db, dA_prev = Wᵀ·dZ. Every entry
of every matrix shown here IS a node of the trace, picked by name: nothing is
recomputed, so the matrix form cannot disagree with the scalar walkthrough
(tests/test_matrix.py checks the matrix identities with numpy). Columns are the
samples of the step, in the step's order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..engine.facts import NetworkFacts
from ..engine.ops import ACTIVATIONS
from ..spec import names
from ..spec.model import NetworkSpec

if TYPE_CHECKING:
    from ..engine.trace import Trace


@dataclass(frozen=True)
class Matrix:
    """A matrix of trace values; `names[r][c]` is the trace name of each entry."""

    names: tuple[tuple[str, ...], ...]
    values: tuple[tuple[float, ...], ...]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.values), len(self.values[0]) if self.values else 0

    def transposed(self) -> "Matrix":
        return Matrix(tuple(zip(*self.names)), tuple(zip(*self.values)))

    def latex(self, number: Callable[[float], str], shown: Callable[[str], float] | None = None) -> str:
        """The matrix as LaTeX; `shown`: the value a document prints for a name
        (float noise around 0 as 0), else the values as they are."""
        rows = self.values if shown is None else tuple(tuple(shown(name) for name in row) for row in self.names)
        body = r" \\ ".join(" & ".join(number(value) for value in row) for row in rows)
        return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


@dataclass(frozen=True)
class LayerView:
    """One layer of one step: its forward and backward matrices."""

    index: int                  # l: 1 for the first layer after the inputs
    name: str
    activation: str
    weights: Matrix             # W, n_l x n_(l-1)
    bias: Matrix | None         # n_l x 1 (a shared bias repeats its one value)
    bias_shared: bool
    below: Matrix               # A^[l-1], n_(l-1) x m
    net: Matrix                 # Z
    out: Matrix                 # A
    d_out: Matrix               # dA = dE/dA
    slope: Matrix | None        # sigma'(Z) (None when not element-wise, softmax: a Jacobian per sample)
    d_net: Matrix               # dZ
    d_weights: Matrix           # dW (reduced over the step's samples)
    d_bias: Matrix | None       # db (1 x 1 when shared)
    d_below: Matrix             # dA^[l-1] (for l = 1: dE/dX, the inputs' gradient)
    updated_weights: Matrix
    updated_bias: Matrix | None


@dataclass(frozen=True)
class StepView:
    number: int
    samples: tuple[int, ...]    # 1-based sample numbers, the columns
    layers: tuple[LayerView, ...]
    losses: Matrix              # 1 x m: E_total per sample
    loss: float                 # the step's (reduced) E_total
    loss_name: str


def matrix_steps(trace: "Trace") -> list[StepView]:
    """A view of every recorded step (the bare single step included)."""
    facts = trace.facts
    if not isinstance(facts, NetworkFacts):
        return []
    return [_step_view(trace, facts.spec, section.context["step"], tuple(section.context["batch"]))
            for section in trace.sections if section.kind == "network"]


def _step_view(trace: "Trace", spec: NetworkSpec, number: int, samples: tuple[int, ...]) -> StepView:
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    bare, parameters = facts.bare, facts.parameters
    values = trace.graph.values
    step = "" if bare else names.step_prefix(number)

    def per_sample(n: int) -> str:
        return "" if bare else names.sample_prefix(number, n)

    def grid(rows: int, columns: int, name: Callable[[int, int], str]) -> Matrix:
        table = tuple(tuple(name(r, c) for c in range(columns)) for r in range(rows))
        return Matrix(table, tuple(tuple(values[entry] for entry in row) for row in table))

    def by_sample(rows: int, name: Callable[[int], str]) -> Matrix:
        return grid(rows, len(samples), lambda r, c: per_sample(samples[c]) + name(r))

    layers = []
    for l, layer in enumerate(spec.layers[1:], start=1):
        below = spec.layers[l - 1]
        weight = parameters.weights[l]
        bias = parameters.biases[l]
        bias_names = None if bias is None else [bias] * layer.size if isinstance(bias, str) else list(bias)
        moves = spec.update_biases
        def reduced(p: str) -> str:
            return step + names.total_gradient(p)

        def updated(p: str) -> str:
            return step + names.updated(p)
        d_bias = None
        if isinstance(bias, str):
            d_bias = grid(1, 1, lambda r, c: reduced(bias))
        elif bias is not None:
            d_bias = grid(layer.size, 1, lambda r, c: reduced(bias[r]))
        first = l == 1
        layers.append(LayerView(
            index=l, name=layer.name, activation=str(layer.activation),
            weights=grid(layer.size, below.size, lambda r, c: step + weight[r][c]),
            bias=None if bias_names is None else grid(layer.size, 1, lambda r, c: step + bias_names[r]),
            bias_shared=isinstance(bias, str),
            below=by_sample(below.size, (lambda r: below.neuron(r)) if first else (lambda r: names.out(below.neuron(r)))),
            net=by_sample(layer.size, lambda r: names.net(layer.neuron(r))),
            out=by_sample(layer.size, lambda r: names.out(layer.neuron(r))),
            d_out=by_sample(layer.size, lambda r: names.total_gradient(names.out(layer.neuron(r)))),
            slope=None if not ACTIVATIONS.get(str(layer.activation)).elementwise
            else by_sample(layer.size, lambda r: names.gradient(names.out(layer.neuron(r)), names.net(layer.neuron(r)))),
            d_net=by_sample(layer.size, lambda r: names.total_gradient(names.net(layer.neuron(r)))),
            d_weights=grid(layer.size, below.size, lambda r, c: reduced(weight[r][c])),
            d_bias=d_bias,
            d_below=by_sample(below.size, (lambda r: names.total_gradient(below.neuron(r))) if first
                              else (lambda r: names.total_gradient(names.out(below.neuron(r))))),
            updated_weights=grid(layer.size, below.size, lambda r, c: updated(weight[r][c])),
            updated_bias=None if bias is None or not moves else
            grid(1, 1, lambda r, c: updated(bias)) if isinstance(bias, str)
            else grid(layer.size, 1, lambda r, c: updated(bias[r])),
        ))
    losses = by_sample(1, lambda r: names.E_TOTAL)
    loss_name = step + names.E_TOTAL
    return StepView(number, samples, tuple(layers), losses, values[loss_name], loss_name)
