"""The matrix form is the scalar trace, arranged: every entry is a trace value,
and the matrix identities (Z = W·A + b, dW = dZ·Aᵀ / m, …) hold — checked
here with numpy, independently of how the walkthrough computed them."""
from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stepbystep
from stepbystep.document.matrix import Matrix, matrix_steps

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def mazur_dict() -> dict[str, Any]:
    """examples/mazur.toml as a fresh dict."""
    with (EXAMPLES / "mazur.toml").open("rb") as stream:
        return tomllib.load(stream)


def _spec(kind: str) -> dict[str, Any]:
    data = mazur_dict()
    data.pop("notes")
    if kind == "mazur":
        return data
    if kind == "batch-mean":
        data["reduction"] = "mean"
        data["samples"].append({"inputs": [0.9, 0.2], "targets": [0.8, 0.1]})
        data["samples"].append({"inputs": [-0.3, 0.6], "targets": [0.4, 0.7]})
        return data
    if kind == "minibatch-per-neuron":
        data["layers"][1]["bias"] = [0.35, -0.2]
        data["layers"][2]["bias"] = [0.6, 0.1]
        data["layers"][1]["activation"] = "tanh"
        data["update_biases"] = True
        data["samples"] += [{"inputs": [0.9, 0.2], "targets": [0.8, 0.1]}, {"inputs": [0.4, -0.5], "targets": [0.3, 0.6]}]
        data["training"] = {"mode": "minibatch", "batch_size": 2, "epochs": 2, "record": [1, 3], "shuffle_seed": 4}
        return data
    if kind == "softmax":
        data["loss"] = "cross_entropy"
        data["layers"][2]["activation"] = "softmax"
        data["layers"][1]["activation"] = "relu"
        data["samples"] = [{"inputs": [0.05, 0.10], "targets": [0.0, 1.0]}, {"inputs": [0.7, 0.3], "targets": [1.0, 0.0]}]
        return data
    raise KeyError(kind)


def _array(matrix: Matrix) -> Any:
    return np.array(matrix.values, dtype=np.float64)


def _activation(kind: str, z: Any) -> Any:
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if kind == "tanh":
        return np.tanh(z)
    if kind == "relu":
        return np.maximum(z, 0.0)
    exps = np.exp(z)
    return exps / exps.sum(axis=0)


@pytest.mark.parametrize("kind", ["mazur", "batch-mean", "minibatch-per-neuron", "softmax"])
def test_matrix_identities_hold_on_the_trace_values(kind: str) -> None:
    data = _spec(kind)
    walk = stepbystep.from_dict(copy.deepcopy(data))
    views = matrix_steps(walk.trace)
    assert [view.number for view in views] == list(walk.trace.facts.spec.training.record)
    eta = data["learning_rate"]
    close = dict(rtol=1e-12, atol=1e-15)
    for view in views:
        m = len(view.samples)
        divide = m if data.get("reduction") == "mean" else 1
        for layer in view.layers:
            for matrix in (layer.weights, layer.net, layer.out, layer.d_net, layer.d_weights, layer.d_below):
                for names, values in zip(matrix.names, matrix.values):
                    assert [walk.value(name) for name in names] == list(values)   # entries are trace values
            w, a_prev = _array(layer.weights), _array(layer.below)
            b = 0.0 if layer.bias is None else _array(layer.bias)
            np.testing.assert_allclose(_array(layer.net), w @ a_prev + b, **close)
            np.testing.assert_allclose(_array(layer.out), _activation(layer.activation, _array(layer.net)), **close)
            d_net = _array(layer.d_net)
            if layer.slope is not None:
                np.testing.assert_allclose(d_net, _array(layer.d_out) * _array(layer.slope), **close)
            np.testing.assert_allclose(_array(layer.d_weights), d_net @ a_prev.T / divide, **close)
            if layer.d_bias is not None:
                expected = d_net.sum() / divide if layer.bias_shared else d_net.sum(axis=1, keepdims=True) / divide
                np.testing.assert_allclose(_array(layer.d_bias), np.broadcast_to(expected, layer.d_bias.shape), **close)
            np.testing.assert_allclose(_array(layer.d_below), w.T @ d_net, **close)
            np.testing.assert_allclose(_array(layer.updated_weights), w - eta * _array(layer.d_weights), **close)
            if layer.updated_bias is not None:
                assert layer.bias is not None and layer.d_bias is not None
                np.testing.assert_allclose(_array(layer.updated_bias).ravel(),
                                           (_array(layer.bias) - eta * _array(layer.d_bias)).ravel()[:layer.updated_bias.shape[0]],
                                           **close)
        if kind == "softmax":   # the output layer's dZ of softmax + cross-entropy is A - T
            output = view.layers[-1]
            targets = np.array([data["samples"][n - 1]["targets"] for n in view.samples]).T
            np.testing.assert_allclose(_array(output.d_net), _array(output.out) - targets, rtol=1e-12, atol=1e-15)


def test_mazur_matrix_form_prints_the_posts_numbers() -> None:
    text = stepbystep.load(EXAMPLES / "mazur.toml").markdown(notation="matrix")
    # published: w5+ .. w8+ and w1+ (mazur-2015.md)
    for number in ("0.35891648", "0.408666186", "0.51130127", "0.561370121", "0.149780716", "0.75136507"):
        assert number in text
    assert r"W^{[2]+}" in text and r"\mathrm{d}W^{[1]}" in text and "A^{[1]\\top}" in text


def test_updated_weights_are_explained_not_written_as_plain_transpose() -> None:
    data = _spec("mazur")
    data["hidden_deltas_use"] = "updated_weights"
    text = stepbystep.from_dict(data).markdown(notation="matrix")
    assert "updated-weights convention" in text
