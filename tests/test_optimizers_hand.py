"""Two steps of every optimizer, worked out by hand (no PyTorch, no stepbystep maths).

The net: one input x = 1, one linear output o = w*x + b (w = 1, b = 0.5, a
shared bias), target 0, E = 1/2 o^2, so dE/dw = dE/db = o. Learning rate
0.1 and weight decay lambda = 0.1 (weights only: the bias never decays).
Each expected value below is the paper calculation of SPEC.md §6's formula,
written out with the numbers of this net.
"""
from __future__ import annotations

import math
from typing import Any

import pytest

from stepbystep.engine.nn import build_trace
from stepbystep.spec.load import parse_spec

SQ = math.sqrt


def spec(optimizer: str, record: list[int], epochs: int = 2, **hyper: float) -> Any:
    data = {"learning_rate": 0.1, "loss": "half_sse",
            "layers": [{"size": 1}, {"activation": "linear", "weights": [[1.0]], "bias": 0.5}],
            "samples": [{"inputs": [1.0], "targets": [0.0]}],
            "training": {"epochs": epochs, "record": record, "optimizer": optimizer, "weight_decay": 0.1, **hyper}}
    return parse_spec(data, "hand.toml")


def run(optimizer: str, record: list[int] | None = None, **hyper: float) -> dict[str, float]:
    return build_trace(spec(optimizer, record or [1, 2], **hyper)).answers()


def check(found: dict[str, float], expected: dict[str, float]) -> None:
    for name, value in expected.items():
        assert found[name] == pytest.approx(value, rel=1e-12, abs=1e-15), name


def test_sgd() -> None:
    # step 1: o = 1.5; g_w1 = 1.5 + 0.1*1 = 1.6
    # step 2: o = 0.84 + 0.35 = 1.19; g_w1 = 1.19 + 0.1*0.84 = 1.274
    check(run("sgd"), {"step1.E_total": 1.125, "step1.E_reg": 1.125 + 0.05 * 1.0,
                       "step1.g_w1": 1.6, "step1.w1+": 0.84, "step1.b1+": 0.35,
                       "step2.g_w1": 1.274, "step2.w1+": 0.7126, "step2.b1+": 0.231})


def test_momentum() -> None:
    # step 1: v = g; step 2: v_w1 = 0.9*1.6 + 1.274 = 2.714, v_b1 = 0.9*1.5 + 1.19 = 2.54
    check(run("momentum", momentum=0.9),
          {"step1.v_w1": 1.6, "step1.v_b1": 1.5, "step1.w1+": 0.84, "step1.b1+": 0.35,
           "step2.v_w1": 2.714, "step2.v_b1": 2.54, "step2.w1+": 0.5686, "step2.b1+": 0.096})


def test_nesterov() -> None:
    # step 1: w+ = 1 - 0.1*(1.6 + 0.9*1.6) = 0.696; b+ = 0.5 - 0.1*(1.5 + 0.9*1.5) = 0.215
    # step 2: o = 0.911; g_w1 = 0.911 + 0.0696 = 0.9806; v_w1 = 1.44 + 0.9806 = 2.4206
    #         w+ = 0.696 - 0.1*(0.9806 + 0.9*2.4206) = 0.380086; v_b1 = 1.35 + 0.911 = 2.261
    #         b+ = 0.215 - 0.1*(0.911 + 0.9*2.261) = -0.07959
    check(run("nesterov", momentum=0.9),
          {"step1.v_w1": 1.6, "step1.w1+": 0.696, "step1.b1+": 0.215,
           "step2.g_w1": 0.9806, "step2.v_w1": 2.4206, "step2.w1+": 0.380086,
           "step2.v_b1": 2.261, "step2.b1+": -0.07959})


def test_adagrad() -> None:
    eps = 1e-10
    w1 = 1.0 - 0.1 * 1.6 / (SQ(2.56) + eps)           # G_w1 = 1.6^2
    b1 = 0.5 - 0.1 * 1.5 / (SQ(2.25) + eps)           # G_b1 = 1.5^2
    o = w1 + b1                                       # 1.3 (to 1e-10)
    g = o + 0.1 * w1
    check(run("adagrad"), {"step1.G_w1": 2.56, "step1.G_b1": 2.25, "step1.w1+": w1, "step1.b1+": b1,
                           "step2.g_w1": g, "step2.G_w1": 2.56 + g * g, "step2.G_b1": 2.25 + o * o,
                           "step2.w1+": w1 - 0.1 * g / (SQ(2.56 + g * g) + eps),
                           "step2.b1+": b1 - 0.1 * o / (SQ(2.25 + o * o) + eps)})
    assert o == pytest.approx(1.3, abs=1e-9)


def test_rmsprop() -> None:
    eps, alpha = 1e-8, 0.9
    s_w, s_b = 0.1 * 2.56, 0.1 * 2.25                 # (1 - alpha) g^2 from s = 0
    w1 = 1.0 - 0.1 * 1.6 / (SQ(s_w) + eps)            # 1 - 0.1*1.6/0.50596… = 0.683772…
    b1 = 0.5 - 0.1 * 1.5 / (SQ(s_b) + eps)            # 0.5 - 0.1*1.5/0.474341… = 0.183772…
    o = w1 + b1
    g = o + 0.1 * w1
    s_w2, s_b2 = 0.9 * s_w + 0.1 * g * g, 0.9 * s_b + 0.1 * o * o
    check(run("rmsprop", alpha=alpha), {"step1.s_w1": 0.256, "step1.s_b1": 0.225, "step1.w1+": w1, "step1.b1+": b1,
                                        "step2.s_w1": s_w2, "step2.s_b1": s_b2,
                                        "step2.w1+": w1 - 0.1 * g / (SQ(s_w2) + eps),
                                        "step2.b1+": b1 - 0.1 * o / (SQ(s_b2) + eps)})
    assert w1 == pytest.approx(1.0 - 0.16 / SQ(0.256), rel=1e-7)


def adam_steps(decoupled: bool) -> dict[str, float]:
    b1_, b2_, eps = 0.9, 0.999, 1e-8
    # step 1, t = 1: mhat = g, vhat = g^2, so the step is 0.1 * g/|g| = 0.1 (the first Adam step is eta)
    g_w = 1.5 if decoupled else 1.6
    w_start = 1.0 * (1 - 0.1 * 0.1) if decoupled else 1.0           # adamw shrinks w first: 0.99
    m_w, v_w = 0.1 * g_w, 0.001 * g_w * g_w
    w1 = w_start - 0.1 * (m_w / 0.1) / (SQ(v_w / 0.001) + eps)       # = w_start - 0.1 (to 1e-9)
    m_b, v_b = 0.15, 0.001 * 2.25
    b1 = 0.5 - 0.1 * (m_b / 0.1) / (SQ(v_b / 0.001) + eps)           # = 0.4
    # step 2, t = 2: bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999
    o = w1 + b1
    g2 = o if decoupled else o + 0.1 * w1
    w_start2 = w1 * (1 - 0.01) if decoupled else w1
    m_w2, v_w2 = 0.9 * m_w + 0.1 * g2, 0.999 * v_w + 0.001 * g2 * g2
    m_b2, v_b2 = 0.9 * m_b + 0.1 * o, 0.999 * v_b + 0.001 * o * o
    expected = {"step1.m_w1": m_w, "step1.v_w1": v_w, "step1.mhat_w1": g_w, "step1.vhat_w1": g_w * g_w,
                "step1.w1+": w1, "step1.m_b1": m_b, "step1.b1+": b1,
                "step2.m_w1": m_w2, "step2.v_w1": v_w2, "step2.mhat_w1": m_w2 / 0.19, "step2.vhat_w1": v_w2 / 0.001999,
                "step2.w1+": w_start2 - 0.1 * (m_w2 / 0.19) / (SQ(v_w2 / 0.001999) + eps),
                "step2.m_b1": m_b2, "step2.v_b1": v_b2,
                "step2.b1+": b1 - 0.1 * (m_b2 / 0.19) / (SQ(v_b2 / 0.001999) + eps)}
    assert w1 == pytest.approx(w_start - 0.1, abs=1e-8) and b1 == pytest.approx(0.4, abs=1e-8)
    return expected


def test_adam() -> None:
    found = run("adam")
    check(found, {**adam_steps(decoupled=False), "step1.g_w1": 1.6})
    assert "step1.decayed_w1" not in found and "step1.E_reg" in found


def test_adamw() -> None:
    found = run("adamw")
    check(found, {**adam_steps(decoupled=True), "step1.decayed_w1": 0.99})
    assert "step1.g_w1" not in found and "step1.E_reg" not in found   # adamw: no lambda in the gradient, no E_reg


def test_the_bias_never_decays() -> None:
    found = run("adam")
    assert "step1.g_b1" not in found and found["step1.m_b1"] == pytest.approx(0.15, rel=1e-12)


@pytest.mark.parametrize("optimizer,buffers", [("momentum", ["v"]), ("adagrad", ["G"]), ("rmsprop", ["s"]),
                                               ("adam", ["m", "v"]), ("adamw", ["m", "v"])])
def test_a_fast_step_hands_its_buffers_to_the_recorded_one(optimizer: str, buffers: list[str]) -> None:
    """Step 1 on the fast path, step 2 shown: step 2 starts from `step1.m_w1`, given."""
    both, second = run(optimizer), run(optimizer, record=[2])
    for key in buffers:
        for parameter in ("w1", "b1"):
            name = f"step1.{key}_{parameter}"
            assert second[name] == both[name]
    assert second["step2.w1+"] == both["step2.w1+"]


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam", "adamw"])
def test_hand_rounding_rounds_every_buffer_and_the_fast_path_replays_it(optimizer: str) -> None:
    """--round 4: every value, buffers included, rounded to 4 decimals as it is computed; with
    step 2 on the fast path, step 3 starts from the same rounded buffers and gives the same numbers."""
    def rounded(record: list[int]) -> dict[str, float]:
        return build_trace(spec(optimizer, record, epochs=3), round_to=4).answers()

    every, gap = rounded([1, 2, 3]), rounded([1, 3])
    assert all(value == round(value, 4) for value in every.values())
    for name, value in gap.items():
        if name.startswith("step3.") or name.startswith("after3."):
            assert every[name] == value, name
    buffer = {"momentum": "step2.v_w1", "rmsprop": "step2.s_w1"}.get(optimizer, "step2.m_w1")
    assert gap[buffer] == every[buffer]   # given in step 3's starting values, from the fast path


def test_the_matrix_form_shows_each_buffer_and_the_update() -> None:
    from stepbystep import api

    text = api.build(spec("adam", [1, 2])).markdown(notation="matrix")
    assert text.count("Adam keeps two running means") == 1
    for line in ("M_{W^{[1]}}", r"\hat{V}_{W^{[1]}}", "G_{W^{[1]}} = \\mathrm{d}W^{[1]} + \\lambda W^{[1]}",
                 "W^{[1]+}", "M_{b^{[1]}}", "b^{[1]+}"):
        assert line in text, line
