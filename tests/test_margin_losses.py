"""The margin losses (SPEC.md §6) and CS231n's linear classifier.

Oracles: the numbers the CS231n notes on linear classification publish
(the "SVM vs. Softmax" figure: 4 inputs, 3 classes, scores -2.85, 0.86,
0.28, SVM loss 1.58, softmax loss 1.04; the worked SVM example: scores
[13, -7, 11], delta 10, loss 8), values worked out by hand here, central
finite differences away from the kinks, and the exact slope 0 at a kink.
The random-network tests (test_gradients.py, test_fastpath.py,
test_optimizers_torch.py) draw both losses too.
"""
from __future__ import annotations

import math
import random

import numpy as np
import oracles
import pytest
from conftest import EXAMPLES

import stepbystep
from stepbystep.engine.expressions import Ref
from stepbystep.engine.ops import LOSSES
from stepbystep.spec.load import parse_spec
from stepbystep.spec.model import SpecError

H = 1e-6


def linear_net(inputs: list[float], weights: list[list[float]], targets: list[float], loss: str,
               **extra: object) -> dict[str, object]:
    return {"learning_rate": 0.1, "loss": loss, **extra,
            "layers": [{"size": len(inputs)}, {"activation": "linear", "weights": weights}],
            "samples": [{"inputs": inputs, "targets": targets}]}


# -- CS231n's published numbers -------------------------------------------------------
def test_the_svm_example_reproduces_cs231n() -> None:
    answers = stepbystep.load(EXAMPLES / "linear-classifier-svm.toml").answers()
    # the scores W x + b, by hand: 0.01*-15 - 0.05*22 + 0.1*-44 + 0.05*56 + 0 = -2.85, and so on
    assert [answers[f"net_s{k}"] for k in (1, 2, 3)] == pytest.approx([-2.85, 0.86, 0.28], abs=1e-12)
    assert answers["E_total"] == pytest.approx(1.58, abs=1e-12)          # CS231n: 1.58
    assert answers["E_s1"] == 0.0 and answers["E_s3"] == 0.0              # beaten by the margin; the correct class
    # slopes: class 2 is inside the margin (1), class 1 is not (0), the correct class -1
    assert [answers[f"dE_total/dout_s{k}"] for k in (1, 2, 3)] == [0.0, 1.0, -1.0]
    assert answers["dE_total/dw5"] == -15.0 and answers["dE_total/dw9"] == 15.0 and answers["dE_total/dw1"] == 0.0


def test_the_softmax_example_reproduces_cs231n() -> None:
    answers = stepbystep.load(EXAMPLES / "linear-classifier-softmax.toml").answers()
    assert [answers[f"net_s{k}"] for k in (1, 2, 3)] == pytest.approx([-2.85, 0.86, 0.28], abs=1e-12)
    # by hand: e^s = 0.0578, 2.3632, 1.3231, so the probabilities are 0.0154, 0.6312, 0.3534
    exps = [math.exp(-2.85), math.exp(0.86), math.exp(0.28)]
    assert [answers[f"out_s{k}"] for k in (1, 2, 3)] == pytest.approx([e / sum(exps) for e in exps], rel=1e-14)
    assert [answers[f"out_s{k}"] for k in (1, 2, 3)] == pytest.approx([0.0154, 0.6312, 0.3534], abs=1e-4)
    assert answers["E_total"] == pytest.approx(1.04, abs=5e-3)                          # CS231n: 1.04
    assert answers["E_total"] == pytest.approx(-math.log(exps[2] / sum(exps)), rel=1e-14)


def test_the_worked_svm_example_of_the_notes() -> None:
    """Scores [13, -7, 11], the first class correct, delta 10: max(0, -7 - 13 + 10) + max(0, 11 - 13 + 10) = 8."""
    identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    spec = linear_net([13.0, -7.0, 11.0], identity, [1.0, 0.0, 0.0], "multiclass_hinge", loss_delta=10.0)
    answers = stepbystep.from_dict(spec).answers()
    assert (answers["E_o1"], answers["E_o2"], answers["E_o3"], answers["E_total"]) == (0.0, 0.0, 8.0, 8.0)
    assert [answers[f"dE_total/dout_o{k}"] for k in (1, 2, 3)] == [-1.0, 0.0, 1.0]


# -- the binary hinge, by hand ----------------------------------------------------------
@pytest.mark.parametrize("target,out,loss,slope", [
    (1.0, 0.25, 0.75, -1.0),     # right side, inside the margin: pushed up
    (-1.0, 0.25, 1.25, 1.0),     # wrong side: pushed down
    (1.0, 1.5, 0.0, 0.0),        # margin met: no loss, no gradient
    (-1.0, -3.0, 0.0, 0.0),
    (1.0, 1.0, 0.0, 0.0),        # exactly on the kink (t*o = 1): slope 0 (SPEC)
    (-1.0, -1.0, 0.0, 0.0),
])
def test_hinge_values_and_slopes(target: float, out: float, loss: float, slope: float) -> None:
    answers = stepbystep.from_dict(linear_net([1.0], [[out]], [target], "hinge")).answers()
    assert answers["E_total"] == loss
    assert answers["dE_total/dout_o1"] == slope
    assert answers["dE_total/dw1"] == slope         # x = 1


def test_hinge_needs_plus_or_minus_one_and_one_linear_output() -> None:
    with pytest.raises(SpecError, match=r"samples\[0\].targets\[0\]: hinge targets must be -1 or \+1, got 0.5"):
        parse_spec(linear_net([1.0], [[0.2]], [0.5], "hinge"), "h.toml")
    data = linear_net([1.0], [[0.2]], [1.0], "hinge")
    data["layers"][1]["activation"] = "tanh"   # type: ignore[index]
    with pytest.raises(SpecError, match="loss: hinge needs a linear output"):
        parse_spec(data, "h.toml")


def test_multiclass_hinge_needs_one_hot_targets_and_two_classes() -> None:
    with pytest.raises(SpecError, match="multiclass_hinge targets must be one-hot"):
        parse_spec(linear_net([1.0], [[0.2], [0.1]], [0.5, 0.5], "multiclass_hinge"), "m.toml")
    with pytest.raises(SpecError, match="at least two output neurons"):
        parse_spec(linear_net([1.0], [[0.2]], [1.0], "multiclass_hinge"), "m.toml")
    with pytest.raises(SpecError, match="loss_delta: expected a number greater than 0"):
        parse_spec(linear_net([1.0], [[0.2], [0.1]], [1.0, 0.0], "multiclass_hinge", loss_delta=0), "m.toml")


# -- the multiclass record against its oracle and finite differences -----------------------
def svm_values(outs: list[float], targets: list[float], delta: float) -> tuple[list[float], list[float]]:
    record = LOSSES.get("multiclass_hinge")
    t = [Ref(f"t{k}") for k in range(len(outs))]
    o = [Ref(f"o{k}") for k in range(len(outs))]
    env = {**{f"t{k}": v for k, v in enumerate(targets)}, **{f"o{k}": v for k, v in enumerate(outs)}}
    options = {"loss_delta": delta}
    terms = [record.layer_term(t, o, targets, k, options).evaluate(env) for k in range(len(outs))]  # type: ignore[misc]
    slopes = [record.layer_derivative(t, o, targets, k, options).evaluate(env)  # type: ignore[misc]
              for k in range(len(outs))]
    return terms, slopes


@pytest.mark.parametrize("seed", range(40))
def test_multiclass_hinge_against_oracle_and_finite_differences(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(2, 5)
    delta = rng.choice((1.0, 0.5, 3.0))
    outs = [round(rng.uniform(-3, 3), 3) for _ in range(size)]
    targets = [0.0] * size
    targets[rng.randrange(size)] = 1.0
    terms, slopes = svm_values(outs, targets, delta)
    assert terms == oracles.svm_terms(targets, outs, {"loss_delta": delta})
    assert slopes == oracles.svm_gradient(targets, outs, {"loss_delta": delta})
    if min(abs(m) for m in oracles.svm_margins(targets, outs, {"loss_delta": delta})) < 10 * H:
        return   # a kink: no finite difference
    for k in range(size):
        def total(z: float, k: int = k) -> float:
            return sum(svm_values([z if j == k else v for j, v in enumerate(outs)], targets, delta)[0])
        assert slopes[k] == pytest.approx((total(outs[k] + H) - total(outs[k] - H)) / (2 * H), abs=1e-7)


def test_a_margin_met_exactly_has_slope_zero() -> None:
    """Class 2 sits exactly on the margin (1 - 2 + 1 = 0): no loss, slope 0; class 3 is inside."""
    terms, slopes = svm_values([2.0, 1.0, 1.5], [1.0, 0.0, 0.0], 1.0)
    assert terms == [0.0, 0.0, 0.5]
    assert slopes == [-1.0, 0.0, 1.0]


@pytest.mark.parametrize("name", ["hinge", "multiclass_hinge"])
def test_numpy_forms_match_the_graph(name: str) -> None:
    record = LOSSES.get(name)
    rng = np.random.default_rng(3)
    size = 1 if name == "hinge" else 4
    out = rng.normal(size=(size, 6))
    if name == "hinge":
        target = rng.choice([-1.0, 1.0], size=(1, 6))
    else:
        target = np.zeros((size, 6))
        target[rng.integers(0, size, 6), np.arange(6)] = 1.0
    out[:, 0] = target[:, 0] if name == "hinge" else out[:, 0]   # a sample on the hinge's kink
    terms = record.numpy_term(np, target, out, {"loss_delta": 1.0})
    slopes = record.numpy_derivative(np, target, out, {"loss_delta": 1.0})
    for column in range(6):
        outs, targets = list(out[:, column]), list(target[:, column])
        assert list(terms[:, column]) == pytest.approx(oracles.sample_terms(name, targets, outs, {"loss_delta": 1.0}))
        assert list(slopes[:, column]) == pytest.approx(oracles.sample_gradient(name, targets, outs,
                                                                                 {"loss_delta": 1.0}))


def test_several_classes_train_on_the_fast_path_as_in_the_graph() -> None:
    """Each class needs its own compiled sample (the loss names the correct class):
    30 online steps over three samples of three classes, fast against every step shown."""
    data = {"learning_rate": 0.05, "loss": "multiclass_hinge",
            "layers": [{"size": 2}, {"activation": "linear", "weights": [[0.2, -0.1], [0.05, 0.3], [-0.2, 0.1]],
                                     "bias": [0.0, 0.1, -0.1]}],
            "samples": [{"inputs": [1.0, 0.5], "targets": [1.0, 0.0, 0.0]},
                        {"inputs": [-0.5, 1.0], "targets": [0.0, 1.0, 0.0]},
                        {"inputs": [0.3, -1.0], "targets": [0.0, 0.0, 1.0]}],
            "training": {"mode": "online", "epochs": 10, "record": []}}
    fast = stepbystep.from_dict(data).answers()
    shown = stepbystep.from_dict({**data, "training": {**data["training"], "record": list(range(1, 31))}}).answers()
    for name in ("after30.w1", "after30.w6", "after30.b_o2", "after30.E_total"):
        assert fast[name] == shown[name]
