"""`check` on convolution and recurrent walkthroughs: error carried forward
across positions and time steps, and the diagnoses of SPEC §8's mistakes.

Each mistaken answer below is worked out by hand in the test from the
mistake's definition (a flipped kernel, one position's term, an evenly
spread max-pool gradient, the last step's contribution, one path only),
never taken from the program's mistaken re-run.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import EXAMPLES

import stepbystep


@pytest.fixture(scope="module")
def conv() -> stepbystep.Walkthrough:
    return stepbystep.load(EXAMPLES / "conv-4x4.toml")


@pytest.fixture(scope="module")
def rnn() -> stepbystep.Walkthrough:
    return stepbystep.load(EXAMPLES / "rnn-3-steps.toml")


def graded(walk: stepbystep.Walkthrough, answers: dict[str, float]) -> dict[str, dict[str, Any]]:
    sheet = "\n".join(f"{name} = {value!r}" for name, value in answers.items())
    report = json.loads(stepbystep.check_report(stepbystep.check(walk, texts={"sheet.txt": sheet}), as_json=True))
    return {answer["name"]: answer for answer in report["answers"]}


def test_a_flipped_kernel_is_diagnosed(conv: stepbystep.Walkthrough) -> None:
    # kernel [[0.3, -0.6], [0.2, 0.4]] turned 180°: [[0.4, 0.2], [-0.6, 0.3]] on the window [[0.1, 0.2], [0.3, 0.9]]
    flipped = 0.4 * 0.1 + 0.2 * 0.2 + (-0.6) * 0.3 + 0.3 * 0.9 + 0.1
    found = graded(conv, {"net_c1_1_1": flipped})["net_c1_1_1"]
    assert found["status"] == "wrong" and found["diagnosis"]["code"] == "kernel_flipped"


def test_a_kernel_gradient_from_one_position_is_diagnosed(conv: stepbystep.Walkthrough) -> None:
    one_position = conv.value("dE_total/dnet_c1_1_1") * 0.1      # delta at (1, 1) times x1_1_1 only
    found = graded(conv, {"dE_total/dw1": one_position})["dE_total/dw1"]
    assert found["status"] == "wrong" and found["diagnosis"]["code"] == "gradient_not_summed_over_positions"


def test_a_max_pool_gradient_spread_over_the_window_is_diagnosed(conv: stepbystep.Walkthrough) -> None:
    spread = conv.value("dE_total/dout_p1_1_1") / 4              # a quarter to each of the 2x2 window
    found = graded(conv, {"dE_total/dout_c1_1_1": spread})["dE_total/dout_c1_1_1"]
    assert found["status"] == "wrong" and found["diagnosis"]["code"] == "max_pool_gradient_spread"


def test_a_max_pool_gradient_copied_to_the_whole_window_is_diagnosed(conv: stepbystep.Walkthrough) -> None:
    """By hand: out_c1_2_2 = 0.27 lies in all four 2x2 windows (stride 1) of
    [[0.43, 0.14, 0], [0, 0.27, 0.24], [0.21, 0.59, 0.35]] and is the largest of window (1, 2)
    only. Given each window's whole gradient, it gets the sum of all four windows'; the
    gradients of the pooled outputs are delta_o1 times w5..w8 = 0.5, -0.4, 0.3, 0.6."""
    delta_o1 = conv.value("dE_total/dnet_o1")
    copied = delta_o1 * (0.5 - 0.4 + 0.3 + 0.6)
    assert conv.value("dE_total/dout_c1_2_2") == pytest.approx(delta_o1 * -0.4, rel=1e-12)
    found = graded(conv, {"dE_total/dout_c1_2_2": copied})["dE_total/dout_c1_2_2"]
    assert found["status"] == "wrong" and found["diagnosis"]["code"] == "max_pool_gradient_spread"
    assert "passed whole to every value of its window" in found["diagnosis"]["message"]


def test_error_carried_forward_across_positions(conv: stepbystep.Walkthrough) -> None:
    """A slip at one position: the values computed from it are carried, the other positions right."""
    slip = 0.45                                                  # net_c1_1_1 is 0.43
    answers = {"net_c1_1_1": slip, "out_c1_1_1": slip,            # relu of the student's own net
               "out_p1_1_1": max(slip, 0.14, 0.0, 0.27),         # the max of their window
               "net_c1_1_2": conv.value("net_c1_1_2")}
    found = graded(conv, answers)
    assert found["net_c1_1_1"]["status"] == "wrong"
    assert found["out_c1_1_1"]["status"] == "carried" and found["out_p1_1_1"]["status"] == "carried"
    assert found["net_c1_1_2"]["status"] == "correct"


def test_a_gradient_from_the_last_step_only_is_diagnosed(rnn: stepbystep.Walkthrough) -> None:
    found = graded(rnn, {"dE_total/dw5": rnn.value("dE_total/dw5@3")})["dE_total/dw5"]
    assert found["status"] == "wrong" and found["diagnosis"]["code"] == "gradient_not_summed_over_time"


def test_the_path_through_the_next_step_forgotten_is_diagnosed(rnn: stepbystep.Walkthrough) -> None:
    one_path = rnn.value("dE_total/dnet_o1@2") * 1.0               # delta_o1@2 times w9 = 1: the output's path only
    found = graded(rnn, {"dE_total/dout_h1@2": one_path})["dE_total/dout_h1@2"]
    assert found["status"] == "wrong" and found["diagnosis"]["code"] == "recurrent_path_forgotten"


def test_error_carried_forward_through_time(rnn: stepbystep.Walkthrough) -> None:
    """A wrong delta at step 3 carries into that step's contributions and, back
    through time, into step 2's gradient; the student's own numbers used throughout."""
    delta3 = rnn.value("dE_total/dnet_h1@3") + 0.1
    through_time = rnn.value("dE_o1@2/dout_h1@2") + delta3 * 0.5 + rnn.value("dE_h2@3/dout_h1@2")   # w5 = 0.5
    answers = {"dE_total/dnet_h1@3": delta3,
               "dE_total/dw5@3": delta3 * rnn.value("out_h1@2"),
               "dE_h1@3/dout_h1@2": delta3 * 0.5,
               "dE_total/dout_h1@2": through_time}
    found = graded(rnn, answers)
    assert found["dE_total/dnet_h1@3"]["status"] == "wrong"
    for name in ("dE_total/dw5@3", "dE_h1@3/dout_h1@2", "dE_total/dout_h1@2"):
        assert found[name]["status"] == "carried", (name, found[name])


def test_hand_rounding_covers_both_kinds() -> None:
    """--round 3: every value rounded to 3 decimals as it is computed, and used rounded."""
    for example in ("conv-4x4.toml", "rnn-3-steps.toml"):
        walk = stepbystep.load(EXAMPLES / example, round_to=3)
        answers = walk.answers()
        assert all(round(value, 3) == value for value in answers.values())
        text = walk.markdown()
        assert "rounded to 3 decimals" in text
    walk = stepbystep.load(EXAMPLES / "rnn-3-steps.toml", round_to=3)
    # recomputed by hand from the rounded values: out_h1@1 = tanh(0.1) = 0.0997 -> 0.1
    assert walk.value("out_h1@1") == 0.1 and walk.value("net_h1@2") == round(0.05 - 0.1 + 0.5 * 0.1 - 0.1 * 0.38, 3)
