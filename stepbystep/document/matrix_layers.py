"""The matrix notation for convolution, pooling and recurrent networks.

A sample's image does not fit a column, so each sample of a step is its own
block: a convolution as grids, Z_k = Σ_c A_c ⋆ K_{k,c} + b_k; pooling as
maxpool(A_k); the kernel's gradient dK_{k,c} = A_c ⋆ dZ_k; the input's
gradient as the full convolution of dZ with the turned kernel. A sequence
has one column per time step: the recurrence is written step by step, the
weights' gradients as one product over time, dW = Δ Xᵀ, dU = Δ H₋ᵀ. Every
entry is a node of the scalar trace, picked by name (matrix.Matrix): nothing
is computed here.
"""
from __future__ import annotations

from typing import Callable

from ..engine.facts import NetworkFacts
from ..engine.ops import ACTIVATIONS
from ..engine.trace import Trace
from ..spec import names
from ..spec.model import Layer
from .blocks import Equation
from .formatter import Formatter
from .matrix import Matrix
from .mathwords import words_set_apart
from .outline import Outline, paragraph

POOLING = ("maxpool2d", "avgpool2d")


def display(latex: str) -> Equation:
    left, _, right = words_set_apart(latex).partition(" = ")
    return Equation(left, right)


class LayerMatrices:
    """The matrix form of one recorded step of a network with spatial or recurrent layers."""

    def __init__(self, outline: Outline, trace: Trace, formatter: Formatter, number: int,
                 batch: tuple[int, ...]) -> None:
        facts = trace.facts
        assert isinstance(facts, NetworkFacts)
        self.outline = outline
        self.trace = trace
        self.facts = facts
        self.spec = facts.spec
        self.formatter = formatter
        self.values = trace.graph.values
        self.number = number
        self.batch = batch
        self.step = "" if facts.bare else names.step_prefix(number)

    # -- matrices of trace values ----------------------------------------------------------
    def matrix(self, grid: list[list[str]]) -> Matrix:
        return Matrix(tuple(tuple(row) for row in grid), tuple(tuple(self.values[name] for name in row) for row in grid))

    def tex(self, grid: list[list[str]]) -> str:
        shown = self.formatter.shown if self.formatter.noise else None
        return self.matrix(grid).latex(self.formatter.number, shown)

    def column(self, found: list[str]) -> str:
        return self.tex([[name] for name in found])

    def spatial(self, layer: Layer, channel: int, name: Callable[[str], str]) -> list[list[str]]:
        assert layer.shape is not None
        _, rows, columns = layer.shape
        first = channel * rows * columns
        return [[name(layer.neuron(first + r * columns + c)) for c in range(columns)] for r in range(rows)]

    def kernel(self, l: int, out: int, channel: int, name: Callable[[str], str]) -> list[list[str]]:
        layer = self.spec.layers[l]
        rows, columns = layer.window
        row = self.facts.parameters.weights[l][out]
        first = channel * rows * columns
        return [[name(row[first + r * columns + c]) for c in range(columns)] for r in range(rows)]

    def outs(self, l: int, p: str) -> Callable[[str], str]:
        """Names of layer l's outputs in a sample (the input layer's are the inputs)."""
        return (lambda unit: p + unit) if l == 0 else (lambda unit: p + names.out(unit))

    def grads(self, l: int, p: str) -> Callable[[str], str]:
        return (lambda unit: p + names.total_gradient(unit)) if l == 0 \
            else (lambda unit: p + names.total_gradient(names.out(unit)))

    # -- a static network, one sample -------------------------------------------------------------
    def static_sample(self, p: str) -> None:
        outline = self.outline
        outline.section("The forward pass", 4 if len(self.batch) > 1 else 3)
        for l, layer in enumerate(self.spec.layers[1:], start=1):
            outline.add(paragraph(f"Layer {layer.name} ({_kind(layer)}):"), *map(display, self.forward(l, p)))
        outline.add(display(f"E_{{total}} = {self.formatter.value(p + names.E_TOTAL)}"))
        outline.section("The backward pass", 4 if len(self.batch) > 1 else 3)
        for l in range(len(self.spec.layers) - 1, 0, -1):
            layer = self.spec.layers[l]
            outline.add(paragraph(f"Layer {layer.name}:"), *map(display, self.backward(l, p)))

    def forward(self, l: int, p: str) -> list[str]:
        layer, below = self.spec.layers[l], self.spec.layers[l - 1]
        act = ACTIVATIONS.get(str(layer.activation)).symbol if layer.activation else ""
        found = []
        if layer.kind == "conv2d":
            assert layer.shape is not None
            for k in range(layer.shape[0]):
                terms = [(rf"A^{{[{l - 1}]}}_{{{c + 1}}} \star K^{{[{l}]}}_{{{k + 1},{c + 1}}}",
                          f"{self.tex(self.spatial(below, c, self.outs(l - 1, p)))} \\star "
                          f"{self.tex(self.kernel(l, k, c, lambda w: self.step + w))}") for c in range(below.channels)]
                bias = self.bias_symbol(l, k)
                symbolic = " + ".join(term for term, _ in terms) + (f" + {bias[0]}" if bias else "")
                numeric = " + ".join(term for _, term in terms) + (f" + {bias[1]}" if bias else "")
                found.append(rf"Z^{{[{l}]}}_{{{k + 1}}} = {symbolic} = {numeric} = "
                             + self.tex(self.spatial(layer, k, lambda u: p + names.net(u))))
                found.append(rf"A^{{[{l}]}}_{{{k + 1}}} = {act}\left(Z^{{[{l}]}}_{{{k + 1}}}\right) = "
                             + self.tex(self.spatial(layer, k, lambda u: p + names.out(u))))
        elif layer.kind in POOLING:
            assert layer.shape is not None
            operator = "maxpool" if layer.kind == "maxpool2d" else "avgpool"
            for k in range(layer.shape[0]):
                found.append(rf"A^{{[{l}]}}_{{{k + 1}}} = \operatorname{{{operator}}}_{{{layer.window[0]} \times "
                             rf"{layer.window[1]}}}\left(A^{{[{l - 1}]}}_{{{k + 1}}}\right) = "
                             + self.tex(self.spatial(below, k, self.outs(l - 1, p))) + " \\to "
                             + self.tex(self.spatial(layer, k, lambda u: p + names.out(u))))
        else:
            found.extend(self.dense_forward(l, p, below))
        return found

    def dense_forward(self, l: int, p: str, below: Layer) -> list[str]:
        layer = self.spec.layers[l]
        act = ACTIVATIONS.get(str(layer.activation)).symbol
        flat = [self.outs(l - 1, p)(below.neuron(i)) for i in range(below.size)]
        reads = rf"\operatorname{{flatten}}\left(A^{{[{l - 1}]}}\right)" if below.shape is not None else rf"A^{{[{l - 1}]}}"
        weights = [[self.step + w for w in row] for row in self.facts.parameters.weights[l]]
        bias = self.bias_column(l)
        units = [layer.neuron(j) for j in range(layer.size)]
        return [rf"Z^{{[{l}]}} = W^{{[{l}]}} {reads}" + (f" + b^{{[{l}]}}" if bias else "") + " = "
                + f"{self.tex(weights)} {self.column(flat)}" + (f" + {self.column(bias)}" if bias else "") + " = "
                + self.column([p + names.net(u) for u in units]),
                rf"A^{{[{l}]}} = {act}\left(Z^{{[{l}]}}\right) = " + self.column([p + names.out(u) for u in units])]

    def bias_symbol(self, l: int, k: int) -> tuple[str, str] | None:
        bias = self.facts.parameters.biases[l]
        if bias is None:
            return None
        name = bias if isinstance(bias, str) else bias[k]
        return self.formatter.symbol(name), self.formatter.value(self.step + name)

    def bias_column(self, l: int) -> list[str] | None:
        bias = self.facts.parameters.biases[l]
        if bias is None:
            return None
        size = self.spec.layers[l].size
        return [self.step + (bias if isinstance(bias, str) else bias[j]) for j in range(size)]

    def backward(self, l: int, p: str) -> list[str]:
        layer, below = self.spec.layers[l], self.spec.layers[l - 1]
        found = []
        into = r"\mathrm{d}X" if l == 1 else rf"\mathrm{{d}}A^{{[{l - 1}]}}"
        if layer.kind == "conv2d":
            assert layer.shape is not None
            act = ACTIVATIONS.get(str(layer.activation)).symbol
            for k in range(layer.shape[0]):
                d_out = self.tex(self.spatial(layer, k, lambda u: p + names.total_gradient(names.out(u))))
                slope = self.tex(self.spatial(layer, k, lambda u: p + names.gradient(names.out(u), names.net(u))))
                found.append(rf"\mathrm{{d}}Z^{{[{l}]}}_{{{k + 1}}} = \mathrm{{d}}A^{{[{l}]}}_{{{k + 1}}} \odot {act}'"
                             rf"\left(Z^{{[{l}]}}_{{{k + 1}}}\right) = {d_out} \odot {slope} = "
                             + self.tex(self.spatial(layer, k, lambda u: p + names.total_gradient(names.net(u)))))
                for c in range(below.channels):
                    found.append(rf"\mathrm{{d}}K^{{[{l}]}}_{{{k + 1},{c + 1}}} = A^{{[{l - 1}]}}_{{{c + 1}}} \star "
                                 rf"\mathrm{{d}}Z^{{[{l}]}}_{{{k + 1}}} = "
                                 + self.tex(self.kernel(l, k, c, lambda w: p + names.total_gradient(w))))
            for c in range(below.channels):
                found.append(rf"{into}_{{{c + 1}}} = \textstyle\sum_k \mathrm{{d}}Z^{{[{l}]}}_k \star_{{\text{{full}}}} "
                             rf"\operatorname{{rot}}_{{180}} K^{{[{l}]}}_{{k,{c + 1}}} = "
                             + self.tex(self.spatial(below, c, self.grads(l - 1, p))))
        elif layer.kind in POOLING:
            assert layer.shape is not None
            how = "to each window's largest value" if layer.kind == "maxpool2d" else "1/n to each value of a window"
            for k in range(layer.shape[0]):
                found.append(rf"{into}_{{{k + 1}}} = \operatorname{{route}}\left(\mathrm{{d}}A^{{[{l}]}}_{{{k + 1}}}\right)"
                             rf"\text{{ ({how})}} = "
                             + self.tex(self.spatial(layer, k, lambda u: p + names.total_gradient(names.out(u))))
                             + " \\to " + self.tex(self.spatial(below, k, self.grads(l - 1, p))))
        else:
            found.extend(self.dense_backward(l, p, below))
        return found

    def dense_backward(self, l: int, p: str, below: Layer) -> list[str]:
        layer = self.spec.layers[l]
        units = [layer.neuron(j) for j in range(layer.size)]
        found = [rf"\mathrm{{d}}A^{{[{l}]}} = " + self.column([p + names.total_gradient(names.out(u)) for u in units]),
                 rf"\mathrm{{d}}Z^{{[{l}]}} = " + self.column([p + names.total_gradient(names.net(u)) for u in units])]
        flat = [self.outs(l - 1, p)(below.neuron(i)) for i in range(below.size)]
        gradients = [[p + names.total_gradient(w) for w in row] for row in self.facts.parameters.weights[l]]
        found.append(rf"\mathrm{{d}}W^{{[{l}]}} = \mathrm{{d}}Z^{{[{l}]}} A^{{[{l - 1}]\top}} = "
                     + self.column([p + names.total_gradient(names.net(u)) for u in units])
                     + " " + self.tex([flat]) + " = " + self.tex(gradients))
        into = r"\mathrm{d}X" if l == 1 else rf"\mathrm{{d}}A^{{[{l - 1}]}}"
        found.append(rf"{into} = W^{{[{l}]\top}} \mathrm{{d}}Z^{{[{l}]}} = "
                     + self.column([self.grads(l - 1, p)(below.neuron(i)) for i in range(below.size)]))
        return found

    # -- a sequence, one sample: columns over time ------------------------------------------------
    def sequence_sample(self, p: str, steps: int) -> None:
        outline = self.outline
        level = 4 if len(self.batch) > 1 else 3
        outline.section("The forward pass, step by step", level)
        for l, layer in enumerate(self.spec.layers[1:], start=1):
            outline.add(paragraph(f"Layer {layer.name} ({_kind(layer)}), one column per time step:"),
                        *map(display, self.time_forward(l, p, steps)))
        outline.add(display(f"E_{{total}} = {self.formatter.value(p + names.E_TOTAL)}"))
        outline.section("Backpropagation through time", level)
        for l in range(len(self.spec.layers) - 1, 0, -1):
            outline.add(paragraph(f"Layer {self.spec.layers[l].name}:"), *map(display, self.time_backward(l, p, steps)))

    def at(self, p: str, name: str, t: int) -> str:
        return p + names.at_time(name, t)

    def time_forward(self, l: int, p: str, steps: int) -> list[str]:
        layer, below = self.spec.layers[l], self.spec.layers[l - 1]
        act = ACTIVATIONS.get(str(layer.activation)).symbol
        units = [layer.neuron(j) for j in range(layer.size)]
        weights = self.tex([[self.step + w for w in row] for row in self.facts.parameters.weights[l]])
        bias = self.bias_column(l)
        below_name = (lambda u, t: self.at(p, u, t)) if l == 1 else (lambda u, t: self.at(p, names.out(u), t))
        found = []
        for t in range(1, steps + 1):
            x = self.column([below_name(below.neuron(i), t) for i in range(below.size)])
            symbolic = rf"W^{{[{l}]}} A^{{[{l - 1}]\langle {t} \rangle}}"
            numeric = f"{weights} {x}"
            if layer.kind == "rnn":
                recurrent = self.tex([[self.step + u for u in row] for row in self.facts.parameters.recurrent_of(l)])
                symbolic += rf" + U^{{[{l}]}} A^{{[{l}]\langle {t - 1} \rangle}}"
                numeric += f" + {recurrent} {self.column([self.at(p, names.out(u), t - 1) for u in units])}"
            if bias:
                symbolic += f" + b^{{[{l}]}}"
                numeric += f" + {self.column(bias)}"
            found.append(rf"Z^{{[{l}]\langle {t} \rangle}} = {symbolic} = {numeric} = "
                         + self.column([self.at(p, names.net(u), t) for u in units]))
        found.append(rf"A^{{[{l}]}} = {act}\left(Z^{{[{l}]}}\right) = "
                     + self.tex([[self.at(p, names.out(u), t) for t in range(1, steps + 1)] for u in units]))
        return found

    def time_backward(self, l: int, p: str, steps: int) -> list[str]:
        layer, below = self.spec.layers[l], self.spec.layers[l - 1]
        units = [layer.neuron(j) for j in range(layer.size)]
        reached = [t for t in range(1, steps + 1) if self.at(p, names.total_gradient(names.net(units[0])), t) in self.values]
        if not reached:
            return []
        delta = [[self.at(p, names.total_gradient(names.net(u)), t) for t in reached] for u in units]
        found = [rf"\Delta^{{[{l}]}} = \mathrm{{d}}Z^{{[{l}]}} \text{{ at steps }} {', '.join(map(str, reached))} = "
                 + self.tex(delta)]
        if layer.kind == "rnn" or l < len(self.spec.layers) - 1:
            found.insert(0, rf"\mathrm{{d}}A^{{[{l}]\langle t \rangle}} = W^{{[{l + 1}]\top}} \mathrm{{d}}Z^{{[{l + 1}]\langle t \rangle}}"
                         + (rf" + U^{{[{l}]\top}} \mathrm{{d}}Z^{{[{l}]\langle t + 1 \rangle}}" if layer.kind == "rnn" else "")
                         + " = " + self.tex([[self.at(p, names.total_gradient(names.out(u)), t) for t in reached]
                                            for u in units]))
        below_name = (lambda u, t: self.at(p, u, t)) if l == 1 else (lambda u, t: self.at(p, names.out(u), t))
        inputs = [[below_name(below.neuron(i), t) for i in range(below.size)] for t in reached]
        gradients = [[p + names.total_gradient(w) for w in row] for row in self.facts.parameters.weights[l]]
        found.append(rf"\mathrm{{d}}W^{{[{l}]}} = \textstyle\sum_t \mathrm{{d}}Z^{{[{l}]\langle t \rangle}} "
                     rf"A^{{[{l - 1}]\langle t \rangle\top}} = \Delta^{{[{l}]}} A^{{[{l - 1}]\top}} = {self.tex(delta)} "
                     f"{self.tex(inputs)} = {self.tex(gradients)}")
        if layer.kind == "rnn":
            previous = [[self.at(p, names.out(u), t - 1) for u in units] for t in reached]
            recurrent = [[p + names.total_gradient(w) for w in row] for row in self.facts.parameters.recurrent_of(l)]
            found.append(rf"\mathrm{{d}}U^{{[{l}]}} = \textstyle\sum_t \mathrm{{d}}Z^{{[{l}]\langle t \rangle}} "
                         rf"A^{{[{l}]\langle t - 1 \rangle\top}} = {self.tex(delta)} {self.tex(previous)} = "
                         + self.tex(recurrent))
        return found

    # -- the step's gradients and updates ------------------------------------------------------------
    def updates(self) -> None:
        params = self.facts.parameters
        outline = self.outline
        outline.section("The updates", 3)
        several = len(self.batch) > 1
        if several:
            outline.add(paragraph(f"The step's gradients combine the samples' ({self.spec.reduction}); each "
                                  r"parameter moves by $-\eta$ times its gradient:"))
        for l, layer in enumerate(self.spec.layers[1:], start=1):
            for label, matrix in (("W", params.weights[l]), ("U", params.recurrent_of(l))):
                if not matrix:
                    continue
                if layer.kind == "conv2d":
                    rows = [list(row) for row in matrix]   # one row per output channel: the kernel flattened
                    label = "K"
                else:
                    rows = [list(row) for row in matrix]
                before = self.tex([[self.step + w for w in row] for row in rows])
                gradient = self.tex([[self.step + names.total_gradient(w) for w in row] for row in rows])
                after = self.tex([[self.step + names.updated(w) for w in row] for row in rows])
                outline.add(display(rf"{label}^{{[{l}]+}} = {label}^{{[{l}]}} - \eta\, \mathrm{{d}}{label}^{{[{l}]}} = "
                                    f"{before} - {self.formatter.number(self.spec.learning_rate)} {gradient} = {after}"))
            bias = params.biases[l]
            if bias is not None and self.spec.update_biases:
                listed = [bias] if isinstance(bias, str) else list(bias)
                if all(self.step + names.updated(name) in self.values for name in listed):
                    outline.add(display(rf"b^{{[{l}]+}} = " + self.column([self.step + names.updated(n) for n in listed])))


def _kind(layer: Layer) -> str:
    if layer.kind == "conv2d":
        return f"convolution, {layer.activation}"
    if layer.kind in POOLING:
        return "max pooling" if layer.kind == "maxpool2d" else "average pooling"
    if layer.kind == "rnn":
        return f"recurrent, {layer.activation}"
    return str(layer.activation)


def layer_matrix_steps(outline: Outline, trace: Trace, formatter: Formatter) -> None:
    """Every recorded step: each sample's forward and backward pass, then the updates."""
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    for section in trace.sections:
        if section.kind != "network":
            continue
        number, batch = section.context["step"], tuple(section.context["batch"])
        writer = LayerMatrices(outline, trace, formatter, number, batch)
        samples = ", ".join(str(sample) for sample in batch)
        outline.section(f"{'The step' if facts.bare else 'Step ' + str(number)}: "
                        f"sample{'s' if len(batch) > 1 else ''} {samples}", 2)
        for sample in batch:
            p = "" if facts.bare else names.sample_prefix(number, sample)
            if len(batch) > 1:
                outline.section(f"Sample {sample}", 3)
            if facts.spec.sequence:
                writer.sequence_sample(p, facts.spec.samples[sample - 1].steps)
            else:
                writer.static_sample(p)
        writer.updates()
