"""softplus, elu, silu, mae and huber (SPEC.md §6), added as registry records.

Oracles: values worked out by hand here, central finite differences of an
independent forward pass (tests/test_gradients.py's), PyTorch's own
functional forms where torch is installed. Their random-network coverage is
in test_gradients.py (every registry operation is drawn there).
"""
from __future__ import annotations

import math
from typing import Any

import pytest
from test_gradients import close, fd_input_gradients, fd_parameter_gradients, read_net, torch_gradients

import stepbystep
from stepbystep.spec import SpecError


def network(hidden: dict[str, Any], output: dict[str, Any], loss: str, **extra: Any) -> dict[str, Any]:
    return {"learning_rate": 0.5, "loss": loss, **extra,
            "layers": [{"size": 2},
                       {"weights": [[0.15, -0.2], [0.25, 0.3], [-0.4, 0.1]], "bias": [0.1, -0.35, 0.05], **hidden},
                       {"weights": [[0.4, -0.45, 0.5], [0.5, 0.55, -0.6]], "bias": 0.6, **output}],
            "samples": [{"inputs": [0.05, 0.1], "targets": [0.01, 0.99]},
                        {"inputs": [-0.7, 0.4], "targets": [0.6, -0.2]}]}


NETWORKS = {
    "softplus-silu/huber": network({"activation": "softplus"}, {"activation": "silu"}, "huber", loss_delta=0.3),
    "elu-linear/mae": network({"activation": "elu", "alpha": 0.5}, {"activation": "linear"}, "mae"),
    "silu-elu/huber": network({"activation": "silu"}, {"activation": "elu"}, "huber"),
    "elu-softplus/mae": network({"activation": "elu"}, {"activation": "softplus"}, "mae"),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_whole_network_gradients_match_finite_differences(name: str) -> None:
    spec = NETWORKS[name]
    net = read_net(spec)
    answers = stepbystep.from_dict(spec).answers()
    for parameter, expected in fd_parameter_gradients(net).items():
        assert close(answers[f"step1.dE_total/d{parameter}"], expected, 1e-6, 1e-9), parameter
    for n in range(2):
        for neuron, expected in zip(net.inputs, fd_input_gradients(net, n)):
            assert close(answers[f"step1.sample{n + 1}.dE_total/d{neuron}"], expected, 1e-6, 1e-9), neuron


@pytest.mark.parametrize("name", NETWORKS)
def test_whole_network_gradients_match_pytorch(name: str) -> None:
    pytest.importorskip("torch")
    spec = NETWORKS[name]
    by_name, per_sample = torch_gradients(read_net(spec))
    answers = stepbystep.from_dict(spec).answers()
    for parameter, expected in by_name.items():
        assert close(answers[f"step1.dE_total/d{parameter}"], expected, 1e-10, 1e-15), parameter
    for n, gradients in enumerate(per_sample):
        for neuron, expected in zip(("i1", "i2"), gradients):
            assert close(answers[f"step1.sample{n + 1}.dE_total/d{neuron}"], expected, 1e-10, 1e-15), neuron


def one_neuron(activation: dict[str, Any], loss: str, inputs: float, weight: float, target: float,
               **extra: Any) -> dict[str, float]:
    spec = {"learning_rate": 0.1, "loss": loss, **extra,
            "layers": [{"size": 1}, {"weights": [[weight]], **activation}],
            "samples": [{"inputs": [inputs], "targets": [target]}]}
    return stepbystep.from_dict(spec).answers()


def test_elu_slope_at_exactly_zero_is_alpha() -> None:
    """SPEC §6: elu's derivative at 0 is taken from the left, alpha."""
    answers = one_neuron({"activation": "elu", "alpha": 0.7}, "half_sse", 0.0, 0.5, 1.0)
    assert answers["net_o1"] == 0.0 and answers["out_o1"] == 0.0
    assert answers["dout_o1/dnet_o1"] == 0.7
    assert answers["dE_total/dnet_o1"] == pytest.approx(-(1.0 - 0.0) * 0.7)


def test_elu_by_hand() -> None:
    """net = 2 * (-0.5) = -1: out = alpha (e^-1 - 1), slope alpha e^-1; alpha defaults to 1."""
    answers = one_neuron({"activation": "elu"}, "half_sse", 2.0, -0.5, 0.25)
    assert answers["out_o1"] == pytest.approx(math.exp(-1) - 1, rel=1e-15)
    assert answers["dout_o1/dnet_o1"] == pytest.approx(math.exp(-1), rel=1e-15)


def test_softplus_and_silu_by_hand() -> None:
    net = 0.8 * 1.5
    soft = one_neuron({"activation": "softplus"}, "sse", 0.8, 1.5, 0.0)
    assert soft["out_o1"] == pytest.approx(math.log(1 + math.exp(net)), rel=1e-15)
    assert soft["dout_o1/dnet_o1"] == pytest.approx(1 / (1 + math.exp(-net)), rel=1e-15)
    silu = one_neuron({"activation": "silu"}, "sse", 0.8, 1.5, 0.0)
    sigma = 1 / (1 + math.exp(-net))
    assert silu["out_o1"] == pytest.approx(net * sigma, rel=1e-15)
    assert silu["dout_o1/dnet_o1"] == pytest.approx(sigma * (1 + net * (1 - sigma)), rel=1e-15)


def test_mae_slope_where_target_equals_output_is_zero() -> None:
    """SPEC §6: every kink of a loss has derivative 0 (as relu'(0))."""
    answers = one_neuron({"activation": "linear"}, "mae", 0.5, 0.5, 0.25)
    assert answers["out_o1"] == 0.25 and answers["E_total"] == 0.0
    assert answers["dE_total/dout_o1"] == 0.0
    below = one_neuron({"activation": "linear"}, "mae", 0.5, 0.5, 0.75)
    assert below["E_total"] == 0.5 and below["dE_total/dout_o1"] == -1.0


def test_huber_on_both_sides_of_delta() -> None:
    """delta 0.5: a distance of 0.3 is squared (0.045, slope -0.3), one of 2 is linear
    (0.5 (2 - 0.25) = 0.875, slope -0.5)."""
    near = one_neuron({"activation": "linear"}, "huber", 1.0, 0.2, 0.5, loss_delta=0.5)
    assert near["E_total"] == pytest.approx(0.045, rel=1e-14)
    assert near["dE_total/dout_o1"] == pytest.approx(-0.3, rel=1e-14)
    far = one_neuron({"activation": "linear"}, "huber", 1.0, 0.2, 2.2, loss_delta=0.5)
    assert far["E_total"] == pytest.approx(0.875, rel=1e-14)
    assert far["dE_total/dout_o1"] == -0.5


@pytest.mark.parametrize("change,path,message", [
    ({"layers.1.alpha": 0.5}, "layers[1].alpha", "only elu takes alpha (the activation is softplus)"),
    ({"loss_delta": 0.5}, "loss_delta", "only huber and multiclass_hinge take loss_delta (the loss is mae)"),
    ({"layers.1.activation": "elu", "layers.1.alpha": -0.5}, "layers[1].alpha", "expected a number of at least 0, got -0.5"),
    ({"loss": "huber", "loss_delta": 0}, "loss_delta", "expected a number greater than 0, got 0"),
    ({"loss": "huber", "loss_delta": "big"}, "loss_delta", "expected a number, got text 'big'"),
])
def test_parameters_are_checked_beside_their_operation(change: dict[str, Any], path: str, message: str) -> None:
    spec = network({"activation": "softplus"}, {"activation": "linear"}, "mae")
    for key, value in change.items():
        if key.startswith("layers."):
            _, index, field = key.split(".")
            spec["layers"][int(index)][field] = value
        else:
            spec[key] = value
    with pytest.raises(SpecError) as caught:
        stepbystep.from_dict(spec, source="n.toml")
    assert str(caught.value) == f"n.toml: {path}: {message}"


def test_the_walkthrough_says_what_each_new_operation_does() -> None:
    markdown = stepbystep.from_dict(NETWORKS["softplus-silu/huber"]).markdown()
    assert "Softplus is a smooth ReLU" in markdown and "SiLU (swish)" in markdown
    assert "which for softplus is the logistic function" in markdown
    assert "the Huber loss over the K outputs" in markdown and "clipped to $[-\\delta, \\delta]$" in markdown
    matrix = stepbystep.from_dict(NETWORKS["elu-linear/mae"]).markdown(notation="matrix")
    assert r"\operatorname{elu}" in matrix
