"""Published worked examples of a convolution and of backpropagation through time.

Oracles: the numbers as their authors printed them, copied below with where
they come from. Where the publication slips, the walkthrough does not follow
it: the example file names the erratum in a note, and the grader, given the
published numbers as an answer sheet, marks the slip wrong and the numbers
computed from it `carried` (right from the author's own earlier values).

1. Backpropagation through time (prachub.com, "Detailed Backpropagation
   Walkthrough", section "Backpropagation Through Time"): x = 1, 2; h0 = 0;
   W_x = 0.5, W_h = 0.1, b = 0, W_y = 2; targets 1, 2; L = sum 1/2 (y − t)^2.
   examples/rnn-bptt-two-steps.toml.
2. Convolution, ReLU and max pooling forward (primelearnpoint.com, "CNN
   Fully Solved Numericals", Numerical 1): a 5x5 image, the 3x3 vertical
   edge kernel [1 0 −1] in every row, no padding, stride 1.
   examples/conv-edge-5x5.toml.
3. A convolution's backward pass (prof.lexailabs.com, "Conv2D backward
   (dx, dW)", Example 1): x = 0…15 as a 4x4 image, W = [[1, 2], [3, 4]], an
   upstream gradient of 1 at output (0, 0) only: dW = [[0, 1], [4, 5]], dx is
   W on the top-left 2x2 patch and 0 elsewhere.
"""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import EXAMPLES

import stepbystep
from stepbystep.engine.nn import build_trace
from stepbystep.spec.load import load_spec, parse_spec

BPTT = EXAMPLES / "rnn-bptt-two-steps.toml"

# published name -> (our name, as printed, status): ok = our value to the printed digits;
# erratum = the publication's slip (named in a note of the example); carried = right
# from the publication's own earlier numbers, not ours (it follows an erratum)
BPTT_TABLE: dict[str, tuple[str, str, str]] = {
    "h_1": ("out_h1@1", "0.4621", "ok"),
    "y_1": ("out_o1@1", "0.9242", "ok"),
    "a_2 = 1.0 + 0.04621": ("net_h1@2", "1.04621", "ok"),
    "h_2": ("out_h1@2", "0.7790", "erratum"),
    "y_2": ("out_o1@2", "1.558", "carried"),
    "L_1": ("E_o1@1", "0.00288", "erratum"),
    "dL/dy_2": ("dE_total/dout_o1@2", "-0.442", "carried"),
    "dL/dh_2": ("dE_total/dout_h1@2", "-0.884", "carried"),
    "tanh'(a_2)": ("dout_h1@2/dnet_h1@2", "0.3931", "carried"),
    "dL/da_2": ("dE_total/dnet_h1@2", "-0.3475", "carried"),
    "dL/dW_x at t = 2": ("dE_total/dw1@2", "-0.695", "carried"),
    "dL/dW_h at t = 2": ("dE_total/dw2@2", "-0.1606", "carried"),
}


def printed(value: float, shown: str) -> str:
    """The value rounded to as many decimals as the publication printed."""
    places = len(shown.partition(".")[2])
    return f"{Decimal(repr(value)).quantize(Decimal(1).scaleb(-places)):.{places}f}"


@pytest.fixture(scope="module")
def bptt() -> stepbystep.Walkthrough:
    return stepbystep.load(BPTT)


@pytest.mark.parametrize("row", [row for row, (_, _, status) in BPTT_TABLE.items() if status == "ok"])
def test_bptt_published_numbers_reproduced(bptt: stepbystep.Walkthrough, row: str) -> None:
    name, shown, _ = BPTT_TABLE[row]
    assert printed(bptt.value(name), shown) == shown


@pytest.mark.parametrize("row", [row for row, (_, _, status) in BPTT_TABLE.items() if status == "erratum"])
def test_bptt_errata_are_named_in_the_document(bptt: stepbystep.Walkthrough, row: str) -> None:
    name, shown, _ = BPTT_TABLE[row]
    assert printed(bptt.value(name), shown) != shown
    note = bptt.spec.notes[name]   # the example's note is printed under the value in the walkthrough
    assert shown in note and printed(bptt.value(name), shown) in note
    assert note.split(".")[0] in bptt.markdown()


def test_the_grader_marks_the_slips_and_carries_the_rest(bptt: stepbystep.Walkthrough) -> None:
    """The published numbers as an answer sheet: the errata are wrong, every number
    after them is right from the publication's own earlier numbers (carried)."""
    sheet = "\n".join(f"{name} = {shown}" for name, shown, _ in BPTT_TABLE.values())
    report = json.loads(stepbystep.check_report(stepbystep.check(bptt, texts={"published.txt": sheet}), as_json=True))
    statuses = {answer["name"]: answer["status"] for answer in report["answers"]}
    for name, _, status in BPTT_TABLE.values():
        expected = {"ok": "correct", "erratum": "wrong", "carried": "carried"}[status]
        assert statuses[name] == expected, (name, statuses[name])


def test_bptt_sum_over_time_by_hand(bptt: stepbystep.Walkthrough) -> None:
    """The step the publication leaves to the reader, derived here by hand:
    dL/dh_1 = dL/dy_1 · W_y + dL/da_2 · W_h, then the sums over t = 1, 2."""
    import math

    h1, h2 = math.tanh(0.5), math.tanh(0.5 * 2 + 0.1 * math.tanh(0.5))
    y1, y2 = 2 * h1, 2 * h2
    da2 = (y2 - 2) * 2 * (1 - h2 ** 2)
    dh1 = (y1 - 1) * 2 + da2 * 0.1
    da1 = dh1 * (1 - h1 ** 2)
    assert math.isclose(bptt.value("dE_total/dout_h1@1"), dh1, rel_tol=1e-13)
    assert math.isclose(bptt.value("dE_total/dw1"), da1 * 1 + da2 * 2, rel_tol=1e-13)
    assert math.isclose(bptt.value("dE_total/dw2"), da1 * 0 + da2 * h1, rel_tol=1e-13)
    assert math.isclose(bptt.value("dE_total/dw3"), (y1 - 1) * h1 + (y2 - 2) * h2, rel_tol=1e-13)


def test_convolution_relu_and_pooling_forward_as_published() -> None:
    answers = stepbystep.load(EXAMPLES / "conv-edge-5x5.toml").answers()
    feature_map = [[-6, 14, 12], [-2, 9, 5], [4, 7, 3]]               # FM[r, c] as printed
    for r, row in enumerate(feature_map):
        for c, value in enumerate(row):
            assert answers[f"net_c1_{r + 1}_{c + 1}"] == value
            assert answers[f"out_c1_{r + 1}_{c + 1}"] == max(0, value)   # the ReLU table
    # the 2x2 stride-1 pool of the ReLU map, by hand: max of each window
    assert [answers[f"out_p1_{r}_{c}"] for r in (1, 2) for c in (1, 2)] == [14, 14, 9, 9]


def test_convolution_backward_as_published() -> None:
    """An upstream gradient of exactly 1 at output (0, 0): a dense head that reads only
    c1_1_1 with weight 1, and a target one below the output (half_sse: dE/dout = 1)."""
    image = [[[4 * r + c for c in range(4)] for r in range(4)]]
    head = [[1.0] + [0.0] * 8]
    spec = {"learning_rate": 0.1, "loss": "half_sse", "samples": [{"inputs": image, "targets": [33.0]}], "layers": [
        {"name": "x", "shape": [1, 4, 4]},
        {"name": "c", "type": "conv2d", "activation": "linear", "kernels": [[[[1, 2], [3, 4]]]]},
        {"name": "o", "activation": "linear", "weights": head}]}
    answers = build_trace(parse_spec(spec, "lexai.toml")).answers()
    assert answers["out_o1"] == 34.0 and answers["dE_total/dout_c1_1_1"] == 1.0
    assert [answers[f"dE_total/dw{n}"] for n in range(1, 5)] == [0, 1, 4, 5]
    expected = {(1, 1): 1, (1, 2): 2, (2, 1): 3, (2, 2): 4}
    for r in range(1, 5):
        for c in range(1, 5):
            assert answers[f"dE_total/dx1_{r}_{c}"] == expected.get((r, c), 0)


def test_the_bptt_example_file_loads_as_the_publication_states() -> None:
    spec = load_spec(BPTT)
    layer = spec.layers[1]
    assert layer.weights == ((0.5,),) and layer.recurrent == ((0.1,),) and spec.layers[2].weights == ((2.0,),)
    assert spec.samples[0].inputs == (1.0, 2.0) and spec.samples[0].targets == (1.0, 2.0)
