"""The numpy engine of the fast path, for nets too large for compiled scalars.

The conventions of backprop.py written as matrices, one column per sample of the
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
        self.mean = conventions.reduction == "mean"
        self.updated_weights = spec.hidden_deltas_use == "updated_weights"

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
                net += bias
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
        everything = tuple(range(count))
        losses: list[float] = []
        pending = False
        step = self._train_step
        with np.errstate(all="ignore"):
            for offset, batch in enumerate(batches):
                whole = len(batch) == count
                if whole and tuple(batch) == everything:
                    inputs, targets = self.inputs, self.targets
                else:
                    inputs, targets = self.inputs[:, batch], self.targets[:, batch]
                if pending and not whole:
                    try:
                        losses.append(self.loss(self._pack(weights, biases)))
                    except FastPathFailure:
                        raise FastPathFailure(offset, self._pack(weights, biases)) from None
                step_loss = step(weights, biases, inputs, targets)   # updates in place when finite
                if step_loss is None:
                    raise FastPathFailure(offset, self._pack(weights, biases))
                if pending and whole:
                    losses.append(step_loss)   # every sample, the same parameters: the after-loss
                pending = True
        result = self._pack(weights, biases)
        if not all(np.isfinite(value) for value in result.values()):
            raise FastPathFailure(len(batches) - 1, result)
        if pending:
            losses.append(self.loss(result))
        return result, losses

    def _train_step(self, weights: list[Any], biases: list[Any], inputs: Any, targets: Any) -> float | None:
        """One step: forward, loss, backward and the update, layer by layer
        from the top (each layer's Wᵀ·dZ is taken before its W moves).
        None, with nothing moved, when the loss is not finite."""
        spec = self.spec
        count = inputs.shape[1]
        eta = self.conventions.learning_rate
        scale = eta / count if self.mean else eta
        nets, outs = self._forward(weights, biases, inputs)
        out = outs[-1]
        if spec.loss in ("half_sse", "sse", "mse"):
            difference = out - targets
            squares = float(np.vdot(difference, difference))
            factor = {"half_sse": 0.5, "sse": 1.0, "mse": 1.0 / out.shape[0]}[spec.loss]
            step_loss = squares * factor
            if spec.loss != "half_sse":
                difference *= 2.0 * factor
            upstream = difference
        else:
            step_loss = float(self._sample_losses(out, targets).sum())
            upstream = _loss_derivative(spec.loss, targets, out)
        if self.mean:
            step_loss /= count
        if not np.isfinite(step_loss):
            return None
        for index in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[index]
            delta = _delta(layer, upstream, nets[index], outs[index + 1])
            below = outs[index]
            if index:
                upstream = weights[index].T @ delta
                if self.updated_weights:
                    upstream -= eta * below * (delta * delta).sum(axis=0)
            weight_gradient = delta @ below.T
            weight_gradient *= scale
            weights[index] -= weight_gradient
            bias = biases[index]
            if bias is not None and spec.update_biases:
                if isinstance(bias, np.ndarray):
                    bias -= scale * delta.sum(axis=1, keepdims=True)
                else:
                    biases[index] = bias - scale * float(delta.sum())
        return step_loss


def _activation(layer: Any, net: Any) -> Any:
    kind = layer.activation
    if kind == "sigmoid":
        out = np.negative(net)
        np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)
    if kind == "tanh":
        # tanh(x) = sign(x) (1 - e^(-2|x|)) / (1 + e^(-2|x|)): one exp, about 2x faster than np.tanh
        # here; a few ulps from math.tanh (relative ~1e-16 / |x| for tiny x, absolute < 2e-16)
        t = np.abs(net)
        t *= -2.0
        np.exp(t, out=t)
        out = 1.0 - t
        t += 1.0
        out /= t
        return np.copysign(out, net, out=out)
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
    """dE/dnet from dE/dout, with dout/dnet written from the outputs as backprop.py does."""
    kind = layer.activation
    if kind == "sigmoid":
        slope = np.subtract(1.0, out)
        slope *= out
        slope *= upstream
        return slope
    if kind == "tanh":
        slope = np.square(out)
        np.subtract(1.0, slope, out=slope)
        slope *= upstream
        return slope
    if kind == "relu":
        return upstream * (net > 0)
    if kind == "leaky_relu":
        return upstream * np.where(net > 0, 1.0, layer.negative_slope)
    if kind == "linear":
        return upstream
    # softmax: delta_j = sum_k g_k o_k ([k = j] - o_j) = o_j (g_j - sum_k g_k o_k)
    return out * (upstream - (upstream * out).sum(axis=0, keepdims=True))
