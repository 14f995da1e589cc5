"""Grading on Mazur's example: every expected number here is worked out by
hand formulas in this file (or copied from the published post), never read
back from the program."""
from __future__ import annotations

import math
from typing import Callable

import pytest
from conftest import MAZUR_TOML
from hypothesis import given, settings
from hypothesis import strategies as st

from stepbystep.api import load
from stepbystep.grading.check import (
    CARRIED,
    CORRECT,
    UNKNOWN,
    UNPARSED,
    WRONG,
    FileReport,
    GradingPolicy,
    grader_for,
)

I1, I2 = 0.05, 0.10
W = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)
B1, B2 = 0.35, 0.60
T1, T2 = 0.01, 0.99


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def hand(*, derivative: Callable[[float, float], float] = lambda out, net: out * (1 - out),
         loss_factor: float = 1.0, eta: float = 0.5, sign: float = -1.0, through_updated: bool = False,
         swap: bool = False, out_h1: float | None = None,
         r: Callable[[float], float] = lambda x: x) -> dict[str, float]:
    """Mazur's walkthrough by hand, with a student's mistake switched on:
    `derivative(out, net)` the activation derivative, `loss_factor` 2 for a
    forgotten ½ (0.5 for a doubled one), `sign` +1 for uphill updates,
    `through_updated` hidden deltas through w5+…w8+, `swap` the other
    neuron's output as ∂net/∂w, `out_h1` a student's own (wrong) out_h1,
    `r` rounding applied to each named value as it is computed."""
    w1, w2, w3, w4, w5, w6, w7, w8 = W
    v: dict[str, float] = {}
    v["net_h1"] = r(w1 * I1 + w2 * I2 + B1)
    v["out_h1"] = out_h1 if out_h1 is not None else r(sigmoid(v["net_h1"]))
    v["net_h2"] = r(w3 * I1 + w4 * I2 + B1)
    v["out_h2"] = r(sigmoid(v["net_h2"]))
    h1, h2 = v["out_h1"], v["out_h2"]
    v["net_o1"] = r(w5 * h1 + w6 * h2 + B2)
    v["out_o1"] = r(sigmoid(v["net_o1"]))
    v["net_o2"] = r(w7 * h1 + w8 * h2 + B2)
    v["out_o2"] = r(sigmoid(v["net_o2"]))
    v["E_o1"] = r(loss_factor * 0.5 * (T1 - v["out_o1"]) ** 2)
    v["E_o2"] = r(loss_factor * 0.5 * (T2 - v["out_o2"]) ** 2)
    v["E_total"] = r(v["E_o1"] + v["E_o2"])
    dE_o1 = v["dE_total/dout_o1"] = r(loss_factor * (v["out_o1"] - T1))
    dE_o2 = v["dE_total/dout_o2"] = r(loss_factor * (v["out_o2"] - T2))
    d_o1 = v["dout_o1/dnet_o1"] = r(derivative(v["out_o1"], v["net_o1"]))
    d_o2 = v["dout_o2/dnet_o2"] = r(derivative(v["out_o2"], v["net_o2"]))
    delta_o1 = v["dE_total/dnet_o1"] = r(dE_o1 * d_o1)
    delta_o2 = v["dE_total/dnet_o2"] = r(dE_o2 * d_o2)
    first, second = (h2, h1) if swap else (h1, h2)
    v["dnet_o1/dw5"] = first
    v["dE_total/dw5"] = r(dE_o1 * d_o1 * first)
    v["dE_total/dw6"] = r(dE_o1 * d_o1 * second)
    v["dE_total/dw7"] = r(dE_o2 * d_o2 * first)
    v["dE_total/dw8"] = r(dE_o2 * d_o2 * second)
    for number, weight in zip((5, 6, 7, 8), (w5, w6, w7, w8)):
        v[f"w{number}+"] = r(weight + sign * eta * v[f"dE_total/dw{number}"])
    path = {n: v[f"w{n}+"] if through_updated else W[n - 1] for n in (5, 6, 7, 8)}
    v["dnet_o1/dout_h1"] = path[5]
    v["dE_o1/dout_h1"] = r(delta_o1 * path[5])
    v["dE_o2/dout_h1"] = r(delta_o2 * path[7])
    v["dE_total/dout_h1"] = r(v["dE_o1/dout_h1"] + v["dE_o2/dout_h1"])
    dE_o1_h2, dE_o2_h2 = r(delta_o1 * path[6]), r(delta_o2 * path[8])
    dE_h2 = r(dE_o1_h2 + dE_o2_h2)
    d_h1 = v["dout_h1/dnet_h1"] = r(derivative(h1, v["net_h1"]))
    d_h2 = r(derivative(h2, v["net_h2"]))
    first_input, second_input = (I2, I1) if swap else (I1, I2)
    v["dnet_h1/dw1"] = first_input
    v["dE_total/dw1"] = r(v["dE_total/dout_h1"] * d_h1 * first_input)
    v["dE_total/dw2"] = r(v["dE_total/dout_h1"] * d_h1 * second_input)
    v["dE_total/dw3"] = r(dE_h2 * d_h2 * first_input)
    v["dE_total/dw4"] = r(dE_h2 * d_h2 * second_input)
    for number, weight in zip((1, 2, 3, 4), (w1, w2, w3, w4)):
        v[f"w{number}+"] = r(weight + sign * eta * v[f"dE_total/dw{number}"])
    return v


def sig4(value: float) -> str:
    return f"{value:.4g}"


@pytest.fixture(scope="module")
def grader():
    return grader_for(load(MAZUR_TOML).trace)


def grade(grader, text: str) -> FileReport:
    return grader.grade_text(text, "sheet.txt")


def by_name(report: FileReport) -> dict:
    return {answer.name: answer for answer in report.answers}


# Mazur's published numbers (../shared/mazur-2015.md) at 4 significant figures.
PUBLISHED_SHEET = """\
# Mazur (2015), the published numbers at 4 significant figures
net_h1 = 0.3775
out_h1 = 0.5933
out_h2 = 0.5969
net_o1 = 1.106
out_o1 = 0.7514
out_o2 = 0.7729
E_o1 = 0.2748
E_o2 = 0.02356
E_total = 0.2984
dE_total/dout_o1 = 0.7414
dout_o1/dnet_o1 = 0.1868
dnet_o1/dw5 = 0.5933
dE_total/dw5 = 0.08217
w5+ = 0.3589
w6+ = 0.4087
w7+ = 0.5113
w8+ = 0.5614
dE_o1/dnet_o1 = 0.1385
dnet_o1/dout_h1 = 0.4000
dE_o1/dout_h1 = 0.05540
dE_o2/dout_h1 = -0.01905
dE_total/dout_h1 = 0.03635
dout_h1/dnet_h1 = 0.2413
dnet_h1/dw1 = 0.05000
dE_total/dw1 = 0.0004386
w1+ = 0.1498
w2+ = 0.1996
w3+ = 0.2498
w4+ = 0.2995
after1.E_total = 0.2910
"""


def test_the_published_numbers_at_four_significant_figures_pass(grader):
    report = grade(grader, PUBLISHED_SHEET)
    assert [answer.name for answer in report.answers if answer.status != CORRECT] == []
    assert report.passed and report.points == report.out_of == 30


def test_the_hand_model_reproduces_the_published_numbers():
    """The oracle of this file, checked against the post itself."""
    v = hand()
    for name, published in [("out_o1", 0.75136507), ("E_total", 0.298371109), ("dE_total/dw5", 0.082167041),
                            ("w5+", 0.35891648), ("dE_total/dout_h1", 0.036350306), ("dE_total/dw1", 0.000438568),
                            ("w1+", 0.149780716), ("w4+", 0.29950229)]:
        assert v[name] == pytest.approx(published, abs=5e-9)  # the post prints 8 or 9 decimals


def test_names_are_matched_forgivingly(grader):
    sheet = ("OUT H1: 0.5933\n∂E_total/∂w5 = 0.08217\nw5_new = 0.3589\nw6⁺ = 0.4087\nw7' = 0.5113\n"
             "delta_o1 = 0.1385\nδ_o2 = -0.03810\ndE/dw1 = 0.0004386\nd E_total / d out_o1 = 0.7414\n")
    report = grade(grader, sheet)
    assert [(answer.name, answer.status) for answer in report.answers] == [
        ("out_h1", CORRECT), ("dE_total/dw5", CORRECT), ("w5+", CORRECT), ("w6+", CORRECT), ("w7+", CORRECT),
        ("dE_total/dnet_o1", CORRECT), ("dE_total/dnet_o2", CORRECT), ("dE_total/dw1", CORRECT),
        ("dE_total/dout_o1", CORRECT)]


def test_an_unknown_name_gets_suggestions_and_the_rest_is_graded(grader):
    report = grade(grader, "w9+ = 0.35\nout_h3 = 0.5\nw5+ = 0.3589\n")
    answers = report.answers
    assert answers[0].status == UNKNOWN and "w8+" in answers[0].suggestions
    assert answers[1].status == UNKNOWN and set(answers[1].suggestions) & {"out_h1", "out_h2"}
    assert answers[2].status == CORRECT
    assert not report.passed and report.out_of == 1


# -- planted mistakes, each computed by hand ------------------------------------------
def no_derivative(out: float, net: float) -> float:
    return 1.0


def from_net(out: float, net: float) -> float:
    return net * (1 - net)


PLANTED = [
    # (code, sheet lines: name -> value worked out by hand with the mistake)
    ("wrong_sign", {"dE_total/dw5": 0.082167041, "w5+": 0.4 + 0.5 * 0.082167041}),
    ("wrong_sign", {"w1+": hand(sign=+1)["w1+"]}),
    ("half_forgotten", {"dE_total/dout_o1": hand(loss_factor=2)["dE_total/dout_o1"]}),
    ("half_forgotten", {"E_o1": hand(loss_factor=2)["E_o1"]}),
    ("half_doubled", {"dE_total/dout_o2": hand(loss_factor=0.5)["dE_total/dout_o2"]}),
    ("half_doubled", {"E_total": hand(loss_factor=0.5)["E_total"]}),
    ("updated_weights", {"dE_total/dout_h1": hand(through_updated=True)["dE_total/dout_h1"]}),
    ("updated_weights", {"dE_total/dw1": hand(through_updated=True)["dE_total/dw1"]}),
    ("no_activation_derivative", {"dE_total/dw5": hand(derivative=no_derivative)["dE_total/dw5"]}),
    ("no_activation_derivative", {"dE_total/dw1": hand(derivative=no_derivative)["dE_total/dw1"]}),
    ("derivative_from_net", {"dout_o1/dnet_o1": hand(derivative=from_net)["dout_o1/dnet_o1"]}),
    ("derivative_from_net", {"dE_total/dw3": hand(derivative=from_net)["dE_total/dw3"]}),
    ("no_learning_rate", {"dE_total/dw5": 0.082167041, "w5+": 0.4 - 0.082167041}),
    ("no_learning_rate", {"dE_total/dw2": 0.00087713547, "w2+": hand(eta=1.0)["w2+"]}),
    ("wrong_input_neuron", {"dnet_o1/dw5": hand(swap=True)["dnet_o1/dw5"]}),
    ("wrong_input_neuron", {"dE_total/dw5": hand(swap=True)["dE_total/dw5"]}),
]


@pytest.mark.parametrize("code, lines", PLANTED, ids=[f"{code}-{'-'.join(lines)}" for code, lines in PLANTED])
def test_a_planted_mistake_gets_its_diagnosis(grader, code, lines):
    truth = hand()
    name = list(lines)[-1]
    assert not GradingPolicy().allows(lines[name], truth[name]), "the mistake must change the planted value"
    report = grade(grader, "".join(f"{key} = {sig4(value)}\n" for key, value in lines.items()))
    answer = by_name(report)[name]
    assert answer.status == WRONG
    assert answer.diagnosis is not None and answer.diagnosis.code == code, answer
    assert answer.diagnosis.message


@pytest.mark.parametrize("decimals", [4, 3, 2])
def test_rounding_too_early_is_recognised(grader, decimals):
    truth = hand()
    rounded = hand(r=lambda x: round(x, decimals))
    wrong = [name for name in ("E_total", "dE_total/dw5", "dE_total/dout_h1", "dE_total/dw1", "w1+", "out_o2")
             if not GradingPolicy().allows(rounded[name], truth[name])]
    assert wrong, "some value must be visibly off when rounded this early"
    early = [name for name in wrong if round(rounded[name], decimals) != round(truth[name], decimals)]
    assert early, "rounding as one goes must change some value's own digits"
    for name in wrong:
        answer = by_name(grade(grader, f"{name} = {rounded[name]!r}\n"))[name]
        # rounded early only where that changed the digits; the exact value correctly
        # rounded (0.0004 for 0.00043857 at 4 decimals) has too few digits, nothing more
        expected = "rounded_early" if name in early else "too_few_digits"
        assert answer.status == WRONG and expected in codes(answer), (name, answer)


def codes(answer) -> list[str]:
    return ([answer.diagnosis.code] if answer.diagnosis is not None else []) + list(answer.also)


def test_a_number_two_mistakes_explain_names_both(grader):
    """On Mazur's net i2 = 2·i1, so taking i2 for ∂net_h1/∂w1 doubles
    dE_total/dw1, exactly as forgetting the ½ does: both are named."""
    doubled = hand(swap=True)["dE_total/dw1"]
    assert doubled == pytest.approx(hand(loss_factor=2)["dE_total/dw1"], rel=1e-12)
    answer = grade(grader, f"dE_total/dw1 = {sig4(doubled)}\n").answers[0]
    assert answer.status == WRONG and {"half_forgotten", "wrong_input_neuron"} <= set(codes(answer))


def test_a_plain_slip_gets_no_diagnosis(grader):
    answer = grade(grader, "w5+ = 0.3712\n").answers[0]
    assert answer.status == WRONG and answer.diagnosis is None and answer.stems_from == ()


def test_the_wrong_sign_is_found_from_the_students_own_wrong_gradient(grader):
    """An arithmetic slip in dE_total/dw5 and then the uphill update of that
    slip: ECF and the mistaken re-run together still name the mistake."""
    report = grade(grader, "dE_total/dw5 = 0.09\nw5+ = 0.445\n")
    slip, update = report.answers
    assert slip.status == WRONG and slip.diagnosis is None
    assert update.status == WRONG and update.diagnosis is not None and update.diagnosis.code == "wrong_sign"
    assert update.stems_from == ("dE_total/dw5",)


# -- error carried forward --------------------------------------------------------------
def test_a_wrong_hidden_output_is_carried_into_both_layers(grader):
    """out_h1 = 0.7 (a slip), everything after worked correctly from it by
    hand; the student skipped dnet_o1/dw5, the deltas and much else."""
    mine = hand(out_h1=0.7)
    names = ["out_h1", "out_o1", "dE_total/dw5", "w5+", "dE_total/dout_h1", "dout_h1/dnet_h1", "dE_total/dw1"]
    report = grade(grader, "".join(f"{name} = {mine[name]:.6g}\n" for name in names))
    found = by_name(report)
    assert found["out_h1"].status == WRONG
    for name in ("out_o1", "dE_total/dw5", "dE_total/dout_h1", "dout_h1/dnet_h1", "dE_total/dw1"):
        assert not GradingPolicy().allows(mine[name], hand()[name])
        assert found[name].status == CARRIED, found[name]
        assert found[name].stems_from == ("out_h1",)
        assert found[name].recomputed == pytest.approx(mine[name], rel=1e-5)
    assert found["w5+"].status in (CARRIED, CORRECT)
    assert report.points == len(names) - 1


def test_a_diagnosed_mistake_is_carried_downstream(grader):
    mine = hand(derivative=no_derivative)
    names = ["dout_o1/dnet_o1", "dE_total/dnet_o1", "dE_total/dw5", "w5+"]
    report = grade(grader, "".join(f"{name} = {sig4(mine[name])}\n" for name in names))
    first, *rest = report.answers
    assert first.status == WRONG and first.diagnosis.code == "no_activation_derivative"
    assert [(answer.status, answer.stems_from) for answer in rest] == [(CARRIED, ("dout_o1/dnet_o1",))] * 3


def test_carried_names_the_root_through_a_chain_of_carried_answers(grader):
    mine = hand(out_h1=0.7)
    report = grade(grader, f"out_h1 = 0.7\nnet_o1 = {mine['net_o1']:.6g}\nout_o1 = {mine['out_o1']:.6g}\n")
    assert [answer.status for answer in report.answers] == [WRONG, CARRIED, CARRIED]
    assert report.answers[2].stems_from == ("out_h1",)


def test_rounding_that_adds_up_is_right_from_the_students_own_values(grader):
    """Each factor inside the tolerance, their product just outside it: the
    product is right from the student's own numbers, and nothing was wrong."""
    truth = hand()
    factors = ["dE_total/dout_o1", "dout_o1/dnet_o1", "dnet_o1/dw5"]
    mine = {name: truth[name] * (1 + 6e-4) for name in factors}
    product = math.prod(mine.values())
    assert not GradingPolicy().allows(product, truth["dE_total/dw5"])
    report = grade(grader, "".join(f"{name} = {value!r}\n" for name, value in mine.items())
                   + f"dE_total/dw5 = {product!r}\n")
    assert [answer.status for answer in report.answers] == [CORRECT] * 4
    assert report.answers[3].note and report.passed


def test_bad_lines_are_reported_and_the_rest_graded(grader):
    report = grade(grader, "out_h1 = 0.5933\nw5+ = about a third\nout_h1 = 0.6\nnonsense line\nw6+ = 0.4087\n")
    statuses = [(answer.line, answer.status) for answer in report.answers]
    assert statuses == [(1, CORRECT), (2, UNPARSED), (3, UNPARSED), (4, UNPARSED), (5, CORRECT)]
    assert "not a number" in report.answers[1].note
    assert "twice" in report.answers[2].note and "line 1" in report.answers[2].note
    assert report.points == 2 and report.out_of == 3


def test_a_computation_graph_is_graded_with_the_same_code():
    grader = grader_for(load(MAZUR_TOML.parent / "circuit-add-multiply.toml").trace)
    # q = x + y = 3 by hand; the student writes 4, then f = q z and df/dz = q from it.
    report = grader.grade_text("q = 4\nf = -16\ndf/dz = 4\ndf/dx = -4\n")
    assert [(answer.name, answer.status) for answer in report.answers] == [
        ("q", WRONG), ("f", CARRIED), ("df/dz", CARRIED), ("df/dx", CORRECT)]
    assert report.answers[1].stems_from == ("q",)


def test_rounding_too_early_on_a_computation_graph():
    """a = 3x, b = 3a with x = 0.444: by hand at 2 decimals a = 1.332 -> 1.33,
    b = 3 * 1.33 = 3.99, while the exact b = 3.996 rounds to 4.00."""
    from stepbystep.api import from_dict

    grader = grader_for(from_dict({"inputs": {"x": 0.444}, "nodes": {"a": "3 * x", "b": "3 * a"}}).trace)
    report = grader.grade_text("a = 1.33\nb = 3.99\n")
    assert [(answer.status, codes(answer)[:1]) for answer in report.answers] == [
        (WRONG, ["too_few_digits"]), (CARRIED, [])]  # 1.33 is 1.332 correctly rounded; b follows from it
    alone = grader.grade_text("b = 3.99\n").answers[0]
    assert alone.status == WRONG and codes(alone)[:1] == ["rounded_early"]


def test_the_sigmoid_neuron_rounded_to_two_decimals_is_too_few_digits():
    """CS231n's sigmoid neuron by hand at 2 decimals: g = e^-1 -> 0.37,
    h = 1 + g = 1.37, f = 1/h = 0.7299 -> 0.73, and the exact 0.7311 rounds to
    0.73 as well: the rounding changed nothing, the digits are too few."""
    grader = grader_for(load(MAZUR_TOML.parent / "circuit-sigmoid-neuron.toml").trace)
    alone = grader.grade_text("f = 0.73\n").answers[0]
    assert alone.status == WRONG and codes(alone) == ["too_few_digits"]
    assert "give 4 significant digits" in alone.diagnosis.message


def test_a_misread_given_value_is_carried(grader):
    """i1 read as 0.5: net_h1 = 0.15 * 0.5 + 0.20 * 0.10 + 0.35 = 0.445 by hand."""
    report = grade(grader, "i1 = 0.5\nnet_h1 = 0.445\nout_h1 = 0.6094\n")  # sigmoid(0.445) = 0.60944
    assert [(answer.status, answer.stems_from) for answer in report.answers] == [
        (WRONG, ()), (CARRIED, ("i1",)), (CARRIED, ("i1",))]


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-5, max_value=1e6), st.booleans())
def test_four_significant_figures_pass_and_the_third_one_off_fails(magnitude, negative):
    value = -magnitude if negative else magnitude
    tolerance = GradingPolicy()
    assert tolerance.allows(float(f"{value:.4g}"), value)
    unit = 10.0 ** (math.floor(math.log10(magnitude)) - 2)  # one unit in the third significant figure
    assert not tolerance.allows(value + unit, value) and not tolerance.allows(value - unit, value)


def test_without_ancestor_bitsets_the_result_is_the_same(monkeypatch):
    """Graphs above ecf.MASK_LIMIT nodes recompute up to the leaves instead."""
    import stepbystep.grading.ecf

    mine = hand(out_h1=0.7)
    names = ["out_h1", "out_o1", "dE_total/dw5", "dE_total/dout_h1", "dE_total/dw1"]
    sheet = "".join(f"{name} = {mine[name]:.6g}\n" for name in names) + "w2+ = 0.2004\n"
    with_masks = grade(grader_for(load(MAZUR_TOML).trace), sheet)
    monkeypatch.setattr(stepbystep.grading.ecf, "MASK_LIMIT", 0)
    without = grade(grader_for(load(MAZUR_TOML).trace), sheet)
    assert [(a.status, a.stems_from, a.recomputed) for a in without.answers] == \
        [(a.status, a.stems_from, a.recomputed) for a in with_masks.answers]
    assert [a.status for a in without.answers] == [WRONG] + [CARRIED] * 4 + [WRONG]
    assert without.answers[-1].diagnosis.code == "wrong_sign"  # 0.20 + 0.5 * 0.00087714 by hand


@pytest.mark.parametrize("decimals", [4, 3, 2])
def test_a_whole_sheet_rounded_too_early_is_one_diagnosis(grader, decimals):
    """Every value of the hand model rounded to K decimals as computed: each
    answer is right, carried, diagnosed as rounded too early, or (where the
    chain gives the exact value correctly rounded) as too few digits — never a
    different mistake (the one already seen on the sheet wins a tie)."""
    sheet = "".join(f"{name} = {value!r}\n" for name, value in hand(r=lambda x: round(x, decimals)).items())
    report = grade(grader, sheet)
    found = {(answer.status, answer.diagnosis.code if answer.diagnosis else None) for answer in report.answers}
    assert (WRONG, "rounded_early") in found
    assert found <= {(CORRECT, None), (CARRIED, None), (WRONG, "rounded_early"), (WRONG, "too_few_digits")}


WHOLE_SHEETS = [
    ("wrong_sign", dict(sign=+1.0)), ("half_forgotten", dict(loss_factor=2.0)), ("half_doubled", dict(loss_factor=0.5)),
    ("updated_weights", dict(through_updated=True)), ("no_activation_derivative", dict(derivative=no_derivative)),
    ("derivative_from_net", dict(derivative=from_net)), ("no_learning_rate", dict(eta=1.0)),
    ("wrong_input_neuron", dict(swap=True)),
]


@pytest.mark.parametrize("code, mistake", WHOLE_SHEETS, ids=[code for code, _ in WHOLE_SHEETS])
def test_a_whole_sheet_with_one_mistake_is_that_diagnosis_and_its_consequences(grader, code, mistake):
    """Every value worked by hand with the mistake, at 4 significant figures:
    each answer is right, carried from an earlier one, or diagnosed with it."""
    sheet = "".join(f"{name} = {sig4(value)}\n" for name, value in hand(**mistake).items())
    report = grade(grader, sheet)
    found = {(answer.status, answer.diagnosis.code if answer.diagnosis else None) for answer in report.answers}
    assert (WRONG, code) in found
    assert found <= {(CORRECT, None), (CARRIED, None), (WRONG, code)}, found
