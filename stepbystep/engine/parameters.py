"""The parameters of a dense network by name, and the known student mistakes.

Apart from nn.py (which runs the training) because everything that writes or
reads a step needs them: the step builder, the fast path, the diagrams and
the diagnoses.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..spec import names as value_names
from ..spec.model import NetworkSpec


@dataclass(frozen=True)
class Mistakes:
    """Known student mistakes, switched on to re-run a walkthrough wrongly."""

    wrong_sign: bool = False                # w+ = w + eta * grad
    no_activation_derivative: bool = False  # dout/dnet taken as 1
    derivative_from_net: bool = False       # sigma'(net) = net (1 - net)
    wrong_input_neuron: bool = False        # dnet/dw uses another neuron's output
    half_twice: bool = False                # the loss and its derivative taken times 1/2 once more
    no_bias_correction: bool = False        # Adam's mhat = m, vhat = v (no division by 1 - beta^t)
    buffers_reset: bool = False             # the optimizer's buffers not carried over: every step starts from 0
    decay_biases: bool = False              # weight decay applied to the biases too


NO_MISTAKES = Mistakes()


@dataclass(frozen=True)
class Parameters:
    """Names of the parameters: weights[l][j][i] feeds neuron j of layer l
    from neuron i of layer l-1; biases[l] is a shared name, a list, or None."""

    weights: tuple[tuple[tuple[str, ...], ...], ...]
    biases: tuple[str | tuple[str, ...] | None, ...]

    def all_names(self) -> list[str]:
        names = [name for layer in self.weights for row in layer for name in row]
        for bias in self.biases:
            if isinstance(bias, str):
                names.append(bias)
            elif bias:
                names.extend(bias)
        return names


def parameter_names(spec: NetworkSpec) -> Parameters:
    """w1, w2, … across the layers row by row; b1, b2 … or b_h1 (SPEC §2)."""
    counter = 0
    weights: list[tuple[tuple[str, ...], ...]] = [()]
    biases: list[str | tuple[str, ...] | None] = [None]
    for index, layer in enumerate(spec.layers[1:], start=1):
        rows = []
        for row in layer.weights:
            names = []
            for _ in row:
                counter += 1
                names.append(value_names.weight(counter))
            rows.append(tuple(names))
        weights.append(tuple(rows))
        if layer.bias is None:
            biases.append(None)
        elif isinstance(layer.bias, tuple):
            biases.append(tuple(value_names.neuron_bias(layer.neuron(j)) for j in range(layer.size)))
        else:
            biases.append(value_names.shared_bias(index))
    return Parameters(tuple(weights), tuple(biases))


def initial_values(spec: NetworkSpec, names: Parameters) -> dict[str, float]:
    """The spec's weights and biases by parameter name: the state before step 1."""
    values: dict[str, float] = {}
    for index, layer in enumerate(spec.layers[1:], start=1):
        for row_names, row in zip(names.weights[index], layer.weights):
            values.update(zip(row_names, row))
        bias = names.biases[index]
        if isinstance(bias, str):
            values[bias] = float(layer.bias)  # type: ignore[arg-type]
        elif bias:
            values.update(zip(bias, layer.bias))  # type: ignore[arg-type]
    return values
