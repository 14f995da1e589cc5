"""Variants, problem sheets and Moodle banks of optimizer runs and of a
graph's descent: the questions cover the optimizer's values, the sheets
state its conventions, and the keys are right (checked by hand: the first
Adam step moves theta by -0.1 * sign(theta0), whatever the start)."""
from __future__ import annotations

import math
from typing import Any

import pytest
from conftest import mazur_dict

from stepbystep import api
from stepbystep.exercises.moodle import moodle_xml
from stepbystep.exercises.sheets import sheets
from stepbystep.spec.load import parse_spec


def descent_spec() -> Any:
    return parse_spec({"inputs": {"theta": 5.0}, "nodes": {"f": "theta**2"},
                       "training": {"parameters": ["theta"], "learning_rate": 0.1, "optimizer": "adam", "epochs": 3},
                       "variants": {"inputs": {"theta": {"range": [-4, 4], "decimals": 1}}}}, "descent.toml")


def network_spec() -> Any:
    data = mazur_dict()
    data["training"] = {"optimizer": "momentum", "momentum": 0.9, "weight_decay": 0.01, "epochs": 2, "record": [1]}
    data["variants"] = {"weights": True}
    return parse_spec(data, "mazur-momentum.toml")


def test_descent_variants_ask_the_optimizer_values_and_their_keys_are_right() -> None:
    for variant in api.variants(descent_spec(), count=4, seed=3):
        asked = list(variant.asked)
        assert asked == ["step1.f", "step1.df/dtheta", "step1.m_theta", "step1.v_theta", "step1.mhat_theta",
                         "step1.vhat_theta", "step1.theta+", "after3.f"]
        theta = dict(variant.spec.inputs)["theta"]
        assert theta != 0.0
        expected = theta - 0.1 * 2 * theta / (abs(2 * theta) + 1e-8)   # the first Adam step: eta * g / |g|
        assert variant.trace.value("step1.theta+") == pytest.approx(expected, rel=1e-14)
        assert variant.trace.value("step1.f") == pytest.approx(theta * theta, rel=1e-15)


def test_network_variants_ask_one_weights_buffers() -> None:
    variant = next(iter(api.variants(network_spec(), count=1, seed=1)))
    asked = list(variant.asked)
    assert asked[:3] == ["step1.E_total", "step1.g_w5", "step1.v_w5"]
    assert "step1.w1+" in asked and asked[-1] == "after2.E_total"
    gradient = variant.trace.value("step1.dE_total/dw5")
    w5 = dict(zip(["w5"], [variant.trace.value("step1.w5")]))["w5"]
    assert variant.trace.value("step1.g_w5") == pytest.approx(gradient + 0.01 * w5, rel=1e-15)
    assert variant.trace.value("step1.w5+") == pytest.approx(w5 - 0.5 * (gradient + 0.01 * w5), rel=1e-15)


@pytest.mark.parametrize("make", [descent_spec, network_spec])
def test_sheets_and_moodle_state_the_optimizer(make: Any) -> None:
    variants = list(api.variants(make(), count=2, seed=5))
    problems, solutions = sheets(variants)
    name = "Adam" if make is descent_spec else "Momentum"
    assert f"optimizer: {name}" in problems and problems.count("## Conventions") == 2
    assert "step1.m_theta" in problems if make is descent_spec else "step1.v_w5" in problems
    xml = moodle_xml(variants)
    assert f"optimizer: {name}" in xml and ("step1.mhat_theta" in xml if make is descent_spec else "step1.g_w5" in xml)
    assert not math.isnan(variants[0].trace.value(variants[0].asked[-1]))
