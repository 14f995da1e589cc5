"""The numpy engine of the fast path, for nets too large for compiled scalars.

The conventions of nn.py written as matrices, one column per sample of the
step: Z = W·A + b, A = act(Z), the loss derivative, the deltas (softmax
through its full Jacobian), dW = Δ·Aᵀ (÷ m for mean), and the hidden-delta
convention — with `updated_weights` each sample's delta goes back through
W − η·δ·aᵀ of its own gradient, i.e. Wᵀδ − η·a·(δ·δ). Only used without
rounding and without mistakes (fastpath.make_trainer decides).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .fastpath import Conventions, FastPathFailure, Trainer


class NumpyTrainer(Trainer):
    def __init__(self, spec: Any, names: tuple[str, ...], conventions: Conventions) -> None:
        self.spec = spec
        self.names = names          # nn.parameter_names order: weights row by row, then biases
        self.conventions = conventions
        self.layers = spec.layers[1:]
        self.inputs = np.array([s.inputs for s in spec.samples], dtype=np.float64).T
        self.targets = np.array([s.targets for s in spec.samples], dtype=np.float64).T

    # -- parameters as arrays and back ---------------------------------------------
    def _unpack(self, values: dict[str, float]) -> tuple[list[Any], list[Any]]:
        flat = [values[name] for name in self.names]
        weights, biases, position = [], [], 0
        for layer in self.layers:
            rows, columns = layer.size, len(layer.weights[0])
            weights.append(np.array(flat[position:position + rows * columns], dtype=np.float64).reshape(rows, columns))
            position += rows * columns
        for layer in self.layers:
            if isinstance(layer.bias, tuple):
                biases.append(np.array(flat[position:position + layer.size], dtype=np.float64).reshape(-1, 1))
                position += layer.size
            elif layer.bias is not None:
                biases.append(float(flat[position]))
                position += 1
            else:
                biases.append(None)
        return weights, biases

    def _pack(self, weights: list[Any], biases: list[Any]) -> dict[str, float]:
        flat: list[float] = []
        for matrix in weights:
            flat.extend(matrix.ravel().tolist())
        for bias in biases:
            if isinstance(bias, np.ndarray):
                flat.extend(bias.ravel().tolist())
            elif bias is not None:
                flat.append(float(bias))
        return dict(zip(self.names, flat))

    # -- the passes ----------------------------------------------------------------
    def _forward(self, weights: list[Any], biases: list[Any], inputs: Any) -> tuple[list[Any], list[Any]]:
        outs, nets = [inputs], []
        for layer, matrix, bias in zip(self.layers, weights, biases):
            net = matrix @ outs[-1]
            if bias is not None:
                net = net + bias
            nets.append(net)
            outs.append(_activation(layer, net))
        return nets, outs

    def _sample_losses(self, out: Any, target: Any) -> Any:
        loss = self.spec.loss
        if loss == "half_sse":
            terms = 0.5 * (target - out) ** 2
        elif loss == "sse":
            terms = (target - out) ** 2
        elif loss == "mse":
            terms = (target - out) ** 2 / float(out.shape[0])
        elif loss == "bce":
            terms = -(target * np.log(out) + (1.0 - target) * np.log(1.0 - out))
        else:
            terms = -(target * np.log(out))
        return terms.sum(axis=0)

    def _reduce(self, per_sample_sum: Any, count: int) -> Any:
        return per_sample_sum / float(count) if self.conventions.reduction == "mean" else per_sample_sum

    def loss(self, values: dict[str, float]) -> float:
        weights, biases = self._unpack(values)
        with np.errstate(all="ignore"):
            _, outs = self._forward(weights, biases, self.inputs)
            total = float(self._reduce(self._sample_losses(outs[-1], self.targets).sum(), self.inputs.shape[1]))
        if not np.isfinite(total):
            raise FastPathFailure(0, values)
        return total

    def run(self, values: dict[str, float], batches: Sequence[tuple[int, ...]]) -> tuple[dict[str, float], list[float]]:
        weights, biases = self._unpack(values)
        count = self.inputs.shape[1]
        everything = list(range(count))
        losses: list[float] = []
        pending = False
        with np.errstate(all="ignore"):
            for offset, batch in enumerate(batches):
                whole = len(batch) == count
                inputs = self.inputs if whole and list(batch) == everything else self.inputs[:, batch]
                targets = self.targets if inputs is self.inputs else self.targets[:, batch]
                step_loss, gradients = self._step(weights, biases, inputs, targets)
                if pending:
                    losses.append(step_loss if whole else self.loss(self._pack(weights, biases)))
                if not np.isfinite(step_loss):
                    raise FastPathFailure(offset, self._pack(weights, biases))
                weights, biases = self._update(weights, biases, gradients)
                pending = True
        result = self._pack(weights, biases)
        if not all(np.isfinite(value) for value in result.values()):
            raise FastPathFailure(len(batches) - 1, result)
        if pending:
            losses.append(self.loss(result))
        return result, losses

    def _step(self, weights: list[Any], biases: list[Any], inputs: Any, targets: Any) -> tuple[float, list[tuple[Any, Any]]]:
        conventions = self.conventions
        count = inputs.shape[1]
        nets, outs = self._forward(weights, biases, inputs)
        step_loss = float(self._reduce(self._sample_losses(outs[-1], targets).sum(), count))
        upstream = _loss_derivative(self.spec.loss, targets, outs[-1])
        gradients: list[tuple[Any, Any]] = [(None, None)] * len(self.layers)
        for index in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[index]
            delta = _delta(layer, upstream, nets[index], outs[index + 1])
            below = outs[index]
            weight_gradient = self._reduce(delta @ below.T, count)
            bias = biases[index]
            if bias is None:
                bias_gradient = None
            elif isinstance(bias, np.ndarray):
                bias_gradient = self._reduce(delta.sum(axis=1, keepdims=True), count)
            else:
                bias_gradient = float(self._reduce(delta.sum(), count))
            gradients[index] = (weight_gradient, bias_gradient)
            if index:
                upstream = weights[index].T @ delta
                if self.spec.hidden_deltas_use == "updated_weights":
                    upstream = upstream - conventions.learning_rate * below * (delta * delta).sum(axis=0)
        return step_loss, gradients

    def _update(self, weights: list[Any], biases: list[Any], gradients: list[tuple[Any, Any]]) -> tuple[list[Any], list[Any]]:
        eta = self.conventions.learning_rate
        new_weights = [matrix - eta * gradient for matrix, (gradient, _) in zip(weights, gradients)]
        if not self.spec.update_biases:
            return new_weights, biases
        new_biases = [bias if bias is None else bias - eta * gradient for bias, (_, gradient) in zip(biases, gradients)]
        return new_weights, new_biases


def _activation(layer: Any, net: Any) -> Any:
    kind = layer.activation
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-net))
    if kind == "tanh":
        return np.tanh(net)
    if kind == "relu":
        return np.where(net > 0, net, 0.0)
    if kind == "leaky_relu":
        return np.where(net > 0, net, layer.negative_slope * net)
    if kind == "linear":
        return net
    exps = np.exp(net)
    return exps / exps.sum(axis=0, keepdims=True)


def _loss_derivative(loss: str, target: Any, out: Any) -> Any:
    if loss == "half_sse":
        return -(target - out)
    if loss == "sse":
        return -(2.0 * (target - out))
    if loss == "mse":
        return -(2.0 * (target - out) / float(out.shape[0]))
    if loss == "bce":
        return -(target / out - (1.0 - target) / (1.0 - out))
    return -(target / out)


def _delta(layer: Any, upstream: Any, net: Any, out: Any) -> Any:
    """dE/dnet from dE/dout, with dout/dnet written from the outputs as nn.py does."""
    kind = layer.activation
    if kind == "sigmoid":
        return upstream * (out * (1.0 - out))
    if kind == "tanh":
        return upstream * (1.0 - out ** 2)
    if kind == "relu":
        return upstream * (net > 0)
    if kind == "leaky_relu":
        return upstream * np.where(net > 0, 1.0, layer.negative_slope)
    if kind == "linear":
        return upstream
    # softmax: delta_j = sum_k g_k o_k ([k = j] - o_j) = o_j (g_j - sum_k g_k o_k)
    return out * (upstream - (upstream * out).sum(axis=0, keepdims=True))
