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

from .fastpath import Conventions, FastPathFailure, LossWanted, Trainer
from .fastpath_update import ArrayOptimizer
from .ops import ACTIVATIONS, LOSSES
from .update import node_name


class NumpyTrainer(Trainer):
    def __init__(self, spec: Any, names: tuple[str, ...], conventions: Conventions) -> None:
        self.spec = spec
        self.names = names          # nn.parameter_names order: weights row by row, then biases
        self.conventions = conventions
        self.layers = spec.layers[1:]
        self.inputs = np.array([s.inputs for s in spec.samples], dtype=np.float64).T
        self.targets = np.array([s.targets for s in spec.samples], dtype=np.float64).T
        self.mean = conventions.reduction == "mean"
        self.activations = [(ACTIVATIONS.get(str(layer.activation)), dict(layer.options)) for layer in self.layers]
        self.loss_record = LOSSES.get(spec.loss)
        self.loss_options = dict(spec.loss_options)
        self.updated_weights = spec.hidden_deltas_use == "updated_weights"
        rule = conventions.rule
        self.optimizer = None if rule is None or rule.plain else ArrayOptimizer(rule, np)
        self.carried = () if self.optimizer is None else self.optimizer.rule.record.carried
        self.step_number = 1

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

    # -- the optimizer's buffers, by their names (m_w5) in and out ------------------
    def _moves(self, name: str) -> bool:
        return name.startswith("w") or self.spec.update_biases

    def _unpack_buffers(self, values: dict[str, float]) -> None:
        """The carried buffers of `values` into the optimizer's states (none: the first step)."""
        if self.optimizer is None:
            return
        self.optimizer.states.clear()
        wanted = [node_name(key, name) for key in self.carried for name in self.names if self._moves(name)]
        if not all(name in values for name in wanted):
            return
        for key in self.carried:
            weights, biases = self._unpack({name: values.get(node_name(key, name), 0.0) for name in self.names})
            for index, matrix in enumerate(weights):
                self.optimizer.states.setdefault(("w", index), {})[key] = matrix
            for index, bias in enumerate(biases):
                if bias is not None and self.spec.update_biases:
                    self.optimizer.states.setdefault(("b", index), {})[key] = bias

    def _pack_buffers(self) -> dict[str, float]:
        if self.optimizer is None or not self.optimizer.states:
            return {}
        found: dict[str, float] = {}
        for key in self.carried:
            weights = [self.optimizer.states[("w", index)][key] for index in range(len(self.layers))]
            biases = [self.optimizer.states[("b", index)][key] if ("b", index) in self.optimizer.states else None
                      for index in range(len(self.layers))]
            flat: list[float] = []
            for matrix in weights:
                flat.extend(np.ravel(matrix).tolist())
            for bias in biases:
                if bias is not None:
                    flat.extend(np.ravel(bias).tolist())
            names = [name for name in self.names if name.startswith("w")] + \
                    [name for name in self.names if not name.startswith("w") and self.spec.update_biases]
            found.update({node_name(key, name): value for name, value in zip(names, flat)})
        return found

    # -- the passes ----------------------------------------------------------------
    def _forward(self, weights: list[Any], biases: list[Any], inputs: Any) -> tuple[list[Any], list[Any]]:
        outs, nets = [inputs], []
        for (activation, options), matrix, bias in zip(self.activations, weights, biases):
            net = matrix @ outs[-1]
            if bias is not None:
                net += bias
            nets.append(net)
            outs.append(activation.numpy_forward(np, net, options))
        return nets, outs

    def _sample_losses(self, out: Any, target: Any) -> Any:
        return self.loss_record.numpy_term(np, target, out, self.loss_options).sum(axis=0)

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

    def run(self, values: dict[str, float], batches: Sequence[tuple[int, ...]],
            first_step: int = 1, keep_loss: LossWanted = None) -> tuple[dict[str, float], list[float | None]]:
        weights, biases = self._unpack(values)
        self._unpack_buffers(values)
        self.step_number = first_step
        count = self.inputs.shape[1]
        everything = tuple(range(count))
        losses: list[float | None] = []
        pending = False
        step = self._train_step
        with np.errstate(all="ignore"):
            for offset, batch in enumerate(batches):
                whole = len(batch) == count
                if whole and tuple(batch) == everything:
                    inputs, targets = self.inputs, self.targets
                else:
                    inputs, targets = self.inputs[:, batch], self.targets[:, batch]
                if pending and not whole and keep_loss is not None and not keep_loss(offset - 1):
                    losses.append(None)
                elif pending and not whole:
                    try:
                        losses.append(self.loss(self._pack(weights, biases)))
                    except FastPathFailure:
                        raise FastPathFailure(offset, {**self._pack(weights, biases), **self._pack_buffers()}) from None
                step_loss = step(weights, biases, inputs, targets)   # updates in place when finite
                if step_loss is None:
                    raise FastPathFailure(offset, {**self._pack(weights, biases), **self._pack_buffers()})
                if pending and whole:
                    losses.append(step_loss)   # every sample, the same parameters: the after-loss
                pending = True
                self.step_number += 1
        result = {**self._pack(weights, biases), **self._pack_buffers()}
        if not all(np.isfinite(value) for value in result.values()):
            raise FastPathFailure(len(batches) - 1, result)
        if pending:
            losses.append(self.loss(result) if keep_loss is None or keep_loss(len(batches) - 1) else None)
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
        squared = self.loss_record.squared_scale
        if squared is not None:  # E = c (t - o)^2: the loss in one dot product, dE/do = 2c (o - t)
            difference = out - targets
            factor = squared(out.shape[0])
            step_loss = float(np.vdot(difference, difference)) * factor
            if 2.0 * factor != 1.0:
                difference *= 2.0 * factor
            upstream = difference
        else:
            step_loss = float(self._sample_losses(out, targets).sum())
            upstream = self.loss_record.numpy_derivative(np, targets, out, self.loss_options)
        if self.mean:
            step_loss /= count
        if not np.isfinite(step_loss):
            return None
        for index in range(len(self.layers) - 1, -1, -1):
            activation, options = self.activations[index]
            delta = activation.numpy_delta(np, upstream, nets[index], outs[index + 1], options)
            below = outs[index]
            if index:
                upstream = weights[index].T @ delta
                if self.updated_weights:
                    upstream -= eta * below * (delta * delta).sum(axis=0)
            weight_gradient = delta @ below.T
            if self.optimizer is not None:
                self._optimizer_step(index, weights, biases, weight_gradient, delta, count)
                continue
            weight_gradient *= scale
            weights[index] -= weight_gradient
            bias = biases[index]
            if bias is not None and spec.update_biases:
                if isinstance(bias, np.ndarray):
                    bias -= scale * delta.sum(axis=1, keepdims=True)
                else:
                    biases[index] = bias - scale * float(delta.sum())
        return step_loss

    def _optimizer_step(self, index: int, weights: list[Any], biases: list[Any], weight_gradient: Any,
                        delta: Any, count: int) -> None:
        """Layer `index`'s weights and bias moved by the optimizer (gradients reduced first)."""
        assert self.optimizer is not None
        if self.mean:
            weight_gradient /= count
        t = self.step_number
        weights[index] = self.optimizer.apply(("w", index), weights[index], weight_gradient, t, True)
        bias = biases[index]
        if bias is not None and self.spec.update_biases:
            gradient = delta.sum(axis=1, keepdims=True) if isinstance(bias, np.ndarray) else float(delta.sum())
            if self.mean:
                gradient = gradient / count
            new = self.optimizer.apply(("b", index), bias, gradient, t, False)
            biases[index] = new if isinstance(bias, np.ndarray) else float(new)
