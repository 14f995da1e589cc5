"""Gradient descent on a computation graph's inputs (SPEC.md §6).

Oracles: the textbook first Adam step (f = theta^2 from 5, alpha 0.1:
theta1 = 4.9, and the same whatever the gradient's size), plain gradient
descent worked out by hand, and PyTorch's torch.optim on a two-variable
quadratic (every optimizer; every recorded value and the buffers carried
across steps run on the fast path).
"""
from __future__ import annotations

import itertools
from typing import Any

import pytest

import stepbystep
from stepbystep.spec.model import SpecError
from stepbystep.spec.optimizers import OPTIMIZERS


def descent(nodes: dict[str, str], inputs: dict[str, float], **training: Any) -> dict[str, Any]:
    return {"inputs": inputs, "nodes": nodes, "training": training}


def answers(data: dict[str, Any], round_to: int | None = None) -> dict[str, float]:
    return stepbystep.build(_parse(data), round_to).answers()


def _parse(data: dict[str, Any]) -> Any:
    from stepbystep.spec.load import parse_spec

    return parse_spec(data, "descent.toml")


@pytest.mark.parametrize("scale", [1.0, 1000.0, 0.001])
def test_the_first_adam_step_is_alpha_whatever_the_gradient(scale: float) -> None:
    """f = theta^2 from theta = 5, Adam with alpha 0.1, betas 0.9/0.999, eps 1e-8: theta1 = 4.9,
    because mhat/sqrt(vhat) = g/|g| on the first step; scaling f does not change that."""
    data = descent({"f": f"{scale} * theta**2"}, {"theta": 5.0}, parameters=["theta"], learning_rate=0.1,
                   optimizer="adam", beta1=0.9, beta2=0.999, eps=1e-8, epochs=2, record=[1, 2])
    found = answers(data)
    gradient = 10.0 * scale
    assert found["step1.theta+"] == pytest.approx(5.0 - 0.1 * gradient / (gradient + 1e-8), rel=1e-15)
    assert found["step1.theta+"] == pytest.approx(4.9, abs=1e-6)   # eps only shows for a tiny gradient
    assert found["step1.mhat_theta"] == pytest.approx(10.0 * scale, rel=1e-12)   # = g
    assert found["step1.vhat_theta"] == pytest.approx((10.0 * scale) ** 2, rel=1e-12)   # = g^2
    assert found["after1.f"] == pytest.approx(scale * found["step1.theta+"] ** 2, rel=1e-14)


def test_plain_gradient_descent_by_hand() -> None:
    """f = theta^2, eta 0.1: theta+ = theta - 0.1 * 2 theta = 0.8 theta, so 5 -> 4 -> 3.2 -> 2.56."""
    data = descent({"f": "theta**2"}, {"theta": 5.0}, parameters=["theta"], learning_rate=0.1, epochs=3, record=[1])
    found = answers(data)
    assert found["step1.df/dtheta"] == 10.0 and found["step1.theta+"] == 4.0
    assert found["after1.f"] == pytest.approx(16.0) and found["after2.f"] == pytest.approx(10.24)
    assert found["after3.theta"] == pytest.approx(2.56) and found["after3.f"] == pytest.approx(2.56 ** 2)


def test_fixed_inputs_stay_and_every_parameter_decays() -> None:
    """f = a * x: a = 2 is fixed; sgd with lambda 0.5: g_x = a + 0.5 x = 2 + 1.5, x+ = 3 - 0.1 * 3.5 = 2.65."""
    data = descent({"f": "a * x"}, {"a": 2.0, "x": 3.0}, parameters=["x"], learning_rate=0.1, weight_decay=0.5,
                   epochs=2, record=[1, 2])
    found = answers(data)
    assert found["step1.g_x"] == 3.5 and found["step1.x+"] == pytest.approx(2.65, rel=1e-15)
    assert found["step2.a"] == 2.0 and "step1.a+" not in found and "step1.g_a" not in found


# -- against PyTorch ---------------------------------------------------------------------
QUADRATIC = {"q": "x**2 + 3 * y**2", "f": "q + x * y - 2 * x + y"}


def torch_run(name: str, options: dict[str, float], lr: float, steps: int) -> list[dict[str, float]]:
    torch = pytest.importorskip("torch")
    from test_optimizers_torch import torch_buffers, torch_optimizer

    point = {"x": torch.tensor(1.5, dtype=torch.float64, requires_grad=True),
             "y": torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)}
    optimizer = torch_optimizer(name, [{"params": list(point.values()), "weight_decay": options.get("weight_decay", 0.0)}],
                                lr, options)
    found = []
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        x, y = point["x"], point["y"]
        (x ** 2 + 3 * y ** 2 + x * y - 2 * x + y).backward()
        optimizer.step()
        values = {}
        for key, tensor in point.items():
            values[f"{key}+"] = tensor.item()
            values.update(torch_buffers(name, optimizer.state[tensor], key, options, step))
        found.append(values)
    return found


@pytest.mark.parametrize("name,decay", list(itertools.product(OPTIMIZERS, (0.0, 0.1))))
def test_a_two_variable_quadratic_against_pytorch(name: str, decay: float) -> None:
    keys = {parameter.key for parameter in OPTIMIZERS[name].parameters}
    options = {key: value for key, value in {"momentum": 0.9, "beta1": 0.8, "beta2": 0.99, "alpha": 0.9,
                                             "eps": 1e-8, "weight_decay": decay}.items() if key in keys}
    expected = torch_run(name, options, 0.05, 12)
    for record in (list(range(1, 13)), [1, 6, 12]):   # every step traced; and fast stretches between
        found = answers(descent(QUADRATIC, {"x": 1.5, "y": -0.5}, parameters=["x", "y"], learning_rate=0.05,
                                optimizer=name, epochs=12, record=record, **options))
        for step in record:
            for key, value in expected[step - 1].items():
                assert found[f"step{step}.{key}"] == pytest.approx(value, rel=1e-10, abs=1e-13), (step, key, record)


def test_the_momentum_textbook_case() -> None:
    """Two steps of momentum by hand on f = x^2 + 3 y^2 + x y - 2 x + y from (1.5, -0.5), eta 0.05, mu 0.9:
    g1 = (2x + y - 2, 6y + x + 1) = (0.5, -0.5); v1 = g1; (x, y) -> (1.475, -0.475);
    g2 = (2.95 - 0.475 - 2, -2.85 + 1.475 + 1) = (0.475, -0.375); v2 = 0.9 v1 + g2 = (0.925, -0.825)."""
    found = answers(descent(QUADRATIC, {"x": 1.5, "y": -0.5}, parameters=["x", "y"], learning_rate=0.05,
                            optimizer="momentum", momentum=0.9, epochs=2, record=[1, 2]))
    assert (found["step1.v_x"], found["step1.v_y"]) == (0.5, -0.5)
    assert found["step2.df/dx"] == pytest.approx(0.475) and found["step2.df/dy"] == pytest.approx(-0.375)
    assert found["step2.v_x"] == pytest.approx(0.925) and found["step2.v_y"] == pytest.approx(-0.825)
    assert found["step2.x+"] == pytest.approx(1.475 - 0.05 * 0.925)


def test_hand_rounding_rounds_every_value_and_the_fast_path_follows() -> None:
    data = descent(QUADRATIC, {"x": 1.5, "y": -0.5}, parameters=["x", "y"], learning_rate=0.05, optimizer="adam",
                   epochs=6, record=[1, 6])
    found = answers(data, round_to=4)
    every = answers({**data, "training": {**data["training"], "record": [1, 2, 3, 4, 5, 6]}}, round_to=4)
    for name, value in found.items():
        assert value == round(value, 4)
        if name in every:
            assert every[name] == value, name   # the fast steps 2-5 give the traced graph's numbers exactly


def test_bad_training_tables_are_refused() -> None:
    base = {"inputs": {"x": 1.0}, "nodes": {"f": "x**2"}}
    cases = [({"learning_rate": 0.1}, "training.parameters: missing (required)"),
             ({"parameters": ["z"], "learning_rate": 0.1}, "training.parameters[0]: 'z' is not an input (inputs: x)"),
             ({"parameters": ["x"], "learning_rate": 0}, "training.learning_rate: must be greater than 0, got 0"),
             ({"parameters": ["x"], "learning_rate": 0.1, "momentum": 0.9},
              "training.momentum: only momentum and nesterov take a momentum (the optimizer is sgd)"),
             ({"parameters": ["x"], "learning_rate": 0.1, "optimizer": "nesterov", "momentum": 0},
              "training.momentum: nesterov needs a momentum above 0 (with 0 it is plain sgd; PyTorch refuses it too)"),
             ({"parameters": ["x"], "learning_rate": 0.1, "epochs": 2, "record": [3]},
              "training.record[0]: expected a whole number from 1 to 2, got 3")]
    for table, message in cases:
        with pytest.raises(SpecError) as caught:
            _parse({**base, "training": table})
        assert str(caught.value) == f"descent.toml: {message}"
    clash = {"inputs": {"x": 1.0, "m_x": 0.0}, "nodes": {"f": "x**2 + m_x"},
             "training": {"parameters": ["x"], "learning_rate": 0.1, "optimizer": "adam"}}
    with pytest.raises(SpecError, match="'m_x' is the name of an optimizer value here"):
        _parse(clash)


def test_a_diverging_descent_names_the_step() -> None:
    data = descent({"f": "exp(x * x)"}, {"x": 3.0}, parameters=["x"], learning_rate=10.0, epochs=5, record=[])
    with pytest.raises(stepbystep.GraphError, match="step"):
        answers(data)


def test_the_walkthrough_explains_the_optimizer_once_and_carries_its_buffers() -> None:
    data = descent({"f": "theta**2"}, {"theta": 5.0}, parameters=["theta"], learning_rate=0.1, optimizer="adam",
                   epochs=5, record=[1, 2, 5])
    text = stepbystep.build(_parse(data)).markdown()
    assert text.count("Adam keeps two running means") == 1
    assert "m of theta after step 4, carried over" in text
    assert r"m_{\mathit{theta},2} = \beta_1 \cdot m_{\mathit{theta},1}" in text
    assert "## Summary" in text and "after step" in text


def test_buffers_from_a_shown_step_are_listed_with_the_starting_values() -> None:
    data = descent({"f": "theta**2"}, {"theta": 5.0}, parameters=["theta"], learning_rate=0.1, optimizer="momentum",
                   epochs=2, record=[1, 2])
    text = stepbystep.build(_parse(data)).markdown()
    assert "| $v_{\\mathit{theta},1}$ | 10 | v of theta after step 1, carried over |" in text


def test_a_note_on_the_output_after_any_step_is_shown_once() -> None:
    """A note on after{N}.f: under the step's line where the step is shown in
    full, in the summary where it is not, under the final pass for the last."""
    data = descent({"f": "theta**2"}, {"theta": 5.0}, parameters=["theta"], learning_rate=0.1, optimizer="adam",
                   epochs=40, record=[1, 2])
    data["notes"] = {"after2.f": "note-two", "after17.f": "note-seventeen", "after40.f": "note-forty"}
    for text in (stepbystep.build(_parse(data)).markdown(), stepbystep.build(_parse(data)).html()):
        for note in ("note-two", "note-seventeen", "note-forty"):
            assert text.count(note) == 1, note
    markdown = stepbystep.build(_parse(data)).markdown()
    assert "| 17 |" in markdown   # the noted step's row is in the summary table
