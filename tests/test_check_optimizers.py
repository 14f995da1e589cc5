"""check on optimizer runs: error carried forward through the buffers, and the
optimizer's diagnoses (SPEC.md §6). Every planted answer is worked out here by
hand from the formulas of SPEC §6, on the one-weight net of
test_optimizers_hand.py (x = 1, o = w*x + b, target 0, eta 0.1, lambda 0.1)
or on f = theta^2."""
from __future__ import annotations

import math

import pytest

import stepbystep
from stepbystep.api import build
from stepbystep.grading.check import CARRIED, CORRECT, WRONG, grader_for
from stepbystep.spec.load import parse_spec


def net(optimizer: str, epochs: int = 2, **hyper: float) -> object:
    return parse_spec(net_dict(optimizer, epochs, **hyper), "net.toml")


def net_dict(optimizer: str, epochs: int = 2, **hyper: float) -> dict:
    return {"learning_rate": 0.1, "loss": "half_sse",
                       "layers": [{"size": 1}, {"activation": "linear", "weights": [[1.0]], "bias": 0.5}],
                       "samples": [{"inputs": [1.0], "targets": [0.0]}],
                       "training": {"epochs": epochs, "record": list(range(1, epochs + 1)), "optimizer": optimizer,
                                    **hyper}}


def grade(spec: object, text: str) -> dict:
    report = grader_for(build(spec).trace).grade_text(text, "sheet.txt")  # type: ignore[arg-type]
    return {answer.name: answer for answer in report.answers}


def code(answer: object) -> str | None:
    diagnosis = getattr(answer, "diagnosis")
    return diagnosis.code if diagnosis is not None else None


def test_adam_without_bias_correction() -> None:
    """Step 1: g = 1.5, m = 0.15, v = 0.001 * 2.25 = 0.00225; without correction
    w+ = 1 - 0.1 * 0.15 / sqrt(0.00225) = 1 - 0.316228 = 0.683772 (instead of 0.9)."""
    answers = grade(net("adam"), "step1.m_w1 = 0.15\nstep1.v_w1 = 0.00225\nstep1.mhat_w1 = 0.15\n"
                                 f"step1.w1+ = {1 - 0.1 * 0.15 / math.sqrt(0.00225):.6f}\n")
    assert answers["step1.m_w1"].status == CORRECT
    assert answers["step1.mhat_w1"].status == WRONG and code(answers["step1.mhat_w1"]) == "no_bias_correction"


def test_momentum_buffer_not_carried_over() -> None:
    """Step 1: g = o = 1.5, v1 = 1.5, w = 0.85, b = 0.35. Step 2 restarted: v_w1 = g2 = 0.85 + 0.35 = 1.2
    instead of 0.9 * 1.5 + 1.2 = 2.55."""
    answers = grade(net("momentum", momentum=0.9), "step1.v_w1 = 1.5\nstep2.v_w1 = 1.2\n")
    assert answers["step1.v_w1"].status == CORRECT
    assert answers["step2.v_w1"].status == WRONG and code(answers["step2.v_w1"]) == "buffers_not_carried"


def test_weight_decay_applied_to_the_bias() -> None:
    """sgd, lambda 0.1: b+ should be 0.5 - 0.1 * 1.5 = 0.35; with decay on the bias
    0.5 - 0.1 * (1.5 + 0.1 * 0.5) = 0.345."""
    answers = grade(net("sgd", weight_decay=0.1), "step1.b1+ = 0.345\n")
    assert answers["step1.b1+"].status == WRONG and code(answers["step1.b1+"]) == "decay_on_bias"


def test_the_sign_of_an_adam_update() -> None:
    """Uphill: 1 + 0.1 * 1 = 1.1 instead of 0.9 (the first Adam step is eta in size)."""
    answers = grade(net("adam"), "step1.w1+ = 1.1\n")
    assert answers["step1.w1+"].status == WRONG and code(answers["step1.w1+"]) == "wrong_sign"


def test_error_carried_forward_through_the_buffers() -> None:
    """A wrong step1.v_w1 (1.4 instead of 1.5) carried forward: the student's w1 after step 1 is
    1 - 0.1 * 1.4 = 0.86, so o2 = 0.86 + 0.35 = 1.21 and v2 = 0.9 * 1.4 + 1.21 = 2.47, right from
    the student's own v1; w+ = 0.86 - 0.1 * 2.47 = 0.613 likewise."""
    answers = grade(net("momentum", momentum=0.9), "step1.v_w1 = 1.4\nstep2.v_w1 = 2.47\nstep2.w1+ = 0.613\n")
    assert answers["step1.v_w1"].status == WRONG
    assert answers["step2.v_w1"].status == CARRIED
    assert answers["step2.w1+"].status == CARRIED


def test_a_descent_on_a_graph_is_graded_and_diagnosed() -> None:
    spec = parse_spec({"inputs": {"theta": 5.0}, "nodes": {"f": "theta**2"},
                       "training": {"parameters": ["theta"], "learning_rate": 0.1, "optimizer": "adam", "epochs": 2,
                                    "record": [1, 2]}}, "f.toml")
    answers = grade(spec, "step1.df/dtheta = 10\nstep1.theta+ = 4.9\nstep2.theta+ = 4.9\n"
                          "step2.mhat_theta = 1.88\n")
    assert answers["step1.theta+"].status == CORRECT and answers["step1.df/dtheta"].status == CORRECT
    assert answers["step2.mhat_theta"].status == WRONG and code(answers["step2.mhat_theta"]) == "no_bias_correction"
    wrong = grade(spec, "step1.theta+ = 5.1\n")["step1.theta+"]
    assert wrong.status == WRONG and code(wrong) == "wrong_sign"


def test_without_bias_correction_the_first_adam_step_is_too_large_and_both_texts_say_so() -> None:
    """By hand on the one-weight net: the corrected first step is eta = 0.1; without the
    correction it is 0.1 * 0.15 / sqrt(0.00225) = 0.316228, (1 - 0.9) / sqrt(1 - 0.999) = 3.16
    times larger. The diagnosis and the walkthrough's explanation must not call it small."""
    uncorrected, corrected = 0.1 * 0.15 / math.sqrt(0.00225), 0.1
    assert uncorrected / corrected == pytest.approx((1 - 0.9) / math.sqrt(1 - 0.999))
    assert round(uncorrected / corrected, 1) == 3.2
    answers = grade(net("adam"), f"step1.w1+ = {1 - uncorrected:.6f}\n")
    diagnosis = answers["step1.w1+"].diagnosis
    assert diagnosis is not None and diagnosis.code == "no_bias_correction"
    assert "too large" in diagnosis.message and "3.2 times" in diagnosis.message
    assert "too small" not in diagnosis.message
    prose = stepbystep.from_dict(net_dict("adam")).markdown()
    assert "3.2 times the first" in prose and "tiny" not in prose


def test_weight_decay_left_out() -> None:
    """sgd, lambda 0.1, by hand: g' = 1.5 + 0.1 * 1 = 1.6 and w+ = 1 - 0.1 * 1.6 = 0.84; without
    the decay g = 1.5 and w+ = 0.85."""
    answers = grade(net("sgd", weight_decay=0.1), "step1.w1+ = 0.85\n")
    assert answers["step1.w1+"].status == WRONG and code(answers["step1.w1+"]) == "weight_decay_forgotten"
    answers = grade(net("sgd", weight_decay=0.1), "step1.g_w1 = 1.5\nstep1.w1+ = 0.85\n")
    assert code(answers["step1.g_w1"]) == "weight_decay_forgotten" and answers["step1.w1+"].status == CARRIED


def test_adamw_decay_left_out() -> None:
    """adamw, lambda 0.1: the weight first shrinks to (1 - 0.1 * 0.1) * 1 = 0.99, then Adam's
    first step of eta: 0.89; without the shrinking 0.9."""
    assert grade(net("adamw", weight_decay=0.1), "step1.w1+ = 0.89\n")["step1.w1+"].status == CORRECT
    answers = grade(net("adamw", weight_decay=0.1), "step1.w1+ = 0.9\n")
    assert answers["step1.w1+"].status == WRONG and code(answers["step1.w1+"]) == "weight_decay_forgotten"


def test_hatted_names_as_the_walkthrough_prints_them() -> None:
    """m̂ and \\hat{v} as written from the formulas; by hand m̂ = 0.15 / (1 - 0.9) = 1.5 and
    v̂ = 0.00225 / (1 - 0.999) = 2.25."""
    answers = grade(net("adam"), "step1.m\u0302_w1 = 1.5\nstep1.\\hat{v}_{w1} = 2.25\n")
    assert answers["step1.mhat_w1"].status == CORRECT and answers["step1.vhat_w1"].status == CORRECT
