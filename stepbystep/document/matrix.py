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
from typing import TYPE_CHECKING, Any, Callable

from ..engine.facts import NetworkFacts
from ..engine.ops import ACTIVATIONS
from ..spec import names
from ..spec.model import NetworkSpec

if TYPE_CHECKING:
    from ..engine.trace import Trace
    from .formatter import Formatter



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
    updated_weights: Matrix | None
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


def matrix_context(trace: "Trace", formatter: "Formatter") -> list[dict[str, Any]]:
    """The steps as display equations (LaTeX), for document/matrixdoc.py."""
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    spec = facts.spec
    number = formatter.number
    shown = formatter.shown if formatter.noise else None
    mean = spec.reduction == "mean"
    eta = number(spec.learning_rate)
    settings = spec.training.optimizer
    optimized = settings.name != "sgd" or bool(settings.weight_decay)
    out = []
    for view in matrix_steps(trace):
        m = len(view.samples)
        scale = rf"\frac{{1}}{{{m}}}" if mean and m > 1 else ""
        count = len(view.layers)
        layers = []
        for layer in view.layers:
            l = layer.index
            act = ACTIVATIONS.get(layer.activation).symbol
            b_symbol = formatter.symbol(str(facts.parameters.biases[l])) if layer.bias_shared else f"b^{{[{l}]}}"
            forward = [rf"Z^{{[{l}]}} = W^{{[{l}]}} A^{{[{l - 1}]}}" + (f" + {b_symbol}" if layer.bias else "")
                       + f" = {layer.weights.latex(number, shown)} {layer.below.latex(number, shown)}"
                       + (f" + {_bias_latex(layer, number, shown)}" if layer.bias else "")
                       + f" = {layer.net.latex(number, shown)}",
                       rf"A^{{[{l}]}} = {act}\left(Z^{{[{l}]}}\right) = {layer.out.latex(number, shown)}"]
            backward = []
            if l == count:
                backward.append(rf"\mathrm{{d}}A^{{[{l}]}} = \frac{{\partial E_{{total}}}}{{\partial A^{{[{l}]}}}} = "
                                + layer.d_out.latex(number, shown))
            if layer.slope is not None:
                backward.append(rf"\mathrm{{d}}Z^{{[{l}]}} = \mathrm{{d}}A^{{[{l}]}} \odot {act}'\left(Z^{{[{l}]}}\right) = "
                                + f"{layer.d_out.latex(number, shown)} \\odot {layer.slope.latex(number, shown)} = {layer.d_net.latex(number, shown)}")
            else:
                backward.append(rf"\mathrm{{d}}Z^{{[{l}]}} = J_{{{layer.activation}}}^{{\top}} \mathrm{{d}}A^{{[{l}]}} "
                                r"\text{ (column by column)} = " + layer.d_net.latex(number, shown))
            backward.append(rf"\mathrm{{d}}W^{{[{l}]}} = {scale} \mathrm{{d}}Z^{{[{l}]}} A^{{[{l - 1}]\top}} = {scale} "
                            + f"{layer.d_net.latex(number, shown)} {layer.below.transposed().latex(number, shown)} = {layer.d_weights.latex(number, shown)}")
            if layer.d_bias is not None:
                if layer.bias_shared:
                    backward.append(rf"\frac{{\partial E_{{total}}}}{{\partial {b_symbol}}} = {scale} \textstyle\sum "
                                    + rf"\mathrm{{d}}Z^{{[{l}]}} = {layer.d_bias.latex(number, shown)}")
                else:
                    backward.append(rf"\mathrm{{d}}b^{{[{l}]}} = {scale} \mathrm{{d}}Z^{{[{l}]}} \mathbf{{1}} = "
                                    + layer.d_bias.latex(number, shown))
            through = "original" if l == 1 or spec.hidden_deltas_use == "original_weights" else "updated"
            lhs = r"\frac{\partial E_{total}}{\partial X}" if l == 1 else rf"\mathrm{{d}}A^{{[{l - 1}]}}"
            if through == "original":
                backward.append(rf"{lhs} = W^{{[{l}]\top}} \mathrm{{d}}Z^{{[{l}]}} = "
                                + f"{layer.weights.transposed().latex(number, shown)} {layer.d_net.latex(number, shown)} = {layer.d_below.latex(number, shown)}")
            else:
                backward.append(rf"{lhs} = \left(W^{{[{l}]}} - \eta\, \mathrm{{d}}W^{{[{l}]}}_{{(n)}}\right)^{{\top}} "
                                + rf"\mathrm{{d}}Z^{{[{l}]}}_{{(n)}} \text{{ per sample }} n = {layer.d_below.latex(number, shown)}")
            if optimized:   # an optimizer's buffers, one matrix each (matrix_optimizer.py)
                from .matrix_optimizer import optimizer_updates

                prefix = "" if facts.bare else names.step_prefix(view.number)
                values = trace.graph.values
                update = optimizer_updates(layer, prefix, values, spec.training.optimizer, number, shown,
                                           lambda grid: Matrix(grid, tuple(tuple(values[n] for n in row) for row in grid)))
            else:
                update = [rf"W^{{[{l}]+}} = W^{{[{l}]}} - \eta\, \mathrm{{d}}W^{{[{l}]}} = {layer.weights.latex(number, shown)} - {eta} "
                          + f"{layer.d_weights.latex(number, shown)} = {layer.updated_weights.latex(number, shown)}"]
                if layer.updated_bias is not None and layer.d_bias is not None:
                    update.append(rf"b^{{[{l}]+}} = b^{{[{l}]}} - \eta\, \mathrm{{d}}b^{{[{l}]}} = {layer.updated_bias.latex(number, shown)}")
            layers.append({"index": l, "name": layer.name, "activation": layer.activation, "forward": forward,
                           "backward": backward, "updates": update, "through": through})
        out.append({"number": view.number, "samples": list(view.samples), "m": m, "layers": layers,
                    "losses": view.losses.latex(number, shown), "loss": formatter.value(view.loss_name), "mean": mean,
                    "count": count})
    return out


def _bias_latex(layer: LayerView, number: Callable[[float], str], shown: Callable[[str], float] | None) -> str:
    assert layer.bias is not None
    if layer.bias_shared:
        return number(layer.bias.values[0][0] if shown is None else shown(layer.bias.names[0][0])) + r" \cdot \mathbf{1}"
    return layer.bias.latex(number, shown)
