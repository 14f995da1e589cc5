"""The parameters of a network by name, and the known student mistakes.

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
    no_weight_decay: bool = False           # weight decay left out (lambda taken as 0)
    kernel_flipped: bool = False            # convolution with the kernel turned 180 degrees (true convolution)
    no_sum_over_positions: bool = False     # a kernel weight's gradient from one output position only
    pool_gradient_spread: bool = False      # max pooling's gradient shared evenly by its window
    pool_gradient_copied: bool = False      # max pooling's whole gradient to every value of its window
    no_sum_over_time: bool = False          # a weight's gradient from the last time step only
    no_recurrent_path: bool = False         # dE/dout_h(t) without the path through h(t+1)


NO_MISTAKES = Mistakes()


@dataclass(frozen=True)
class Parameters:
    """Names of the parameters: weights[l][j][i] feeds neuron j of layer l
    from neuron i of layer l-1 (conv2d: row j is output channel j's kernel,
    flattened as the spec's Layer.weights); recurrent[l][j][k] feeds unit j
    of an rnn layer from its unit k one time step before (empty elsewhere);
    biases[l] is a shared name, a list (conv2d: one per output channel), or None."""

    weights: tuple[tuple[tuple[str, ...], ...], ...]
    biases: tuple[str | tuple[str, ...] | None, ...]
    recurrent: tuple[tuple[tuple[str, ...], ...], ...] = ()

    def recurrent_of(self, l: int) -> tuple[tuple[str, ...], ...]:
        return self.recurrent[l] if self.recurrent else ()

    def weight_names(self) -> list[str]:
        """Every weight (input, then recurrent, layer by layer): what weight decay reaches."""
        return [name for l, layer in enumerate(self.weights)
                for rows in (layer, self.recurrent_of(l)) for row in rows for name in row]

    def all_names(self) -> list[str]:
        names = self.weight_names()
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
    recurrent: list[tuple[tuple[str, ...], ...]] = [()]
    biases: list[str | tuple[str, ...] | None] = [None]

    def numbered(matrix: tuple[tuple[float, ...], ...]) -> tuple[tuple[str, ...], ...]:
        nonlocal counter
        rows = []
        for row in matrix:
            rows.append(tuple(value_names.weight(counter + 1 + i) for i in range(len(row))))
            counter += len(row)
        return tuple(rows)

    for index, layer in enumerate(spec.layers[1:], start=1):
        weights.append(numbered(layer.weights))
        recurrent.append(numbered(layer.recurrent))
        if layer.bias is None:
            biases.append(None)
        elif isinstance(layer.bias, tuple) and layer.kind == "conv2d":
            biases.append(tuple(value_names.channel_bias(layer.channel(k)) for k in range(len(layer.bias))))
        elif isinstance(layer.bias, tuple):
            biases.append(tuple(value_names.neuron_bias(layer.neuron(j)) for j in range(layer.size)))
        else:
            biases.append(value_names.shared_bias(index))
    return Parameters(tuple(weights), tuple(biases), tuple(recurrent) if any(recurrent) else ())


def initial_values(spec: NetworkSpec, names: Parameters) -> dict[str, float]:
    """The spec's weights and biases by parameter name: the state before step 1."""
    values: dict[str, float] = {}
    for index, layer in enumerate(spec.layers[1:], start=1):
        for row_names, row in zip(names.weights[index] + names.recurrent_of(index), layer.weights + layer.recurrent):
            values.update(zip(row_names, row))
        bias = names.biases[index]
        if isinstance(bias, str):
            values[bias] = float(layer.bias)  # type: ignore[arg-type]
        elif bias:
            values.update(zip(bias, layer.bias))  # type: ignore[arg-type]
    return values
