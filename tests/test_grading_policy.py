"""The grading policy of SPEC §5 (`[check]`: decimals, significant,
hand_rounding beside rtol/atol), checked against its own words and, on
random networks, against a backpropagation written here with numpy."""
from __future__ import annotations

import json
import random
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import hand_2_2_2 as hand
import pytest
from conftest import MAZUR_TOML, mazur_dict
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_check_random import backprop, simple_spec

from stepbystep import api
from stepbystep.grading.check import grader_for
from stepbystep.grading.policy import GradingPolicy, check_table
from stepbystep.spec.load import parse_spec
from stepbystep.spec.model import SpecError

MAZUR = hand.work(mazur_dict())  # Mazur's numbers, by hand: dE_total/dw1 = 0.000438568…


def grade_one(policy: GradingPolicy, line: str, spec: Any = None) -> Any:
    walkthrough = api.load(MAZUR_TOML) if spec is None else spec
    return grader_for(walkthrough.trace, policy=policy).grade_text(line).answers[0]


# -- SPEC §5's own examples -----------------------------------------------------------
def test_four_decimals_accept_the_rounded_value_that_six_decimals_refuse() -> None:
    assert MAZUR["dE_total/dw1"] == pytest.approx(0.000438568, abs=1e-9)
    at_four = grade_one(GradingPolicy(decimals=4), "dE_total/dw1 = 0.0004")
    assert at_four.status == "correct"
    at_six = grade_one(GradingPolicy(decimals=6), "dE_total/dw1 = 0.0004")
    assert at_six.status == "wrong" and at_six.diagnosis.code == "too_few_digits"
    assert "give 6 decimals" in at_six.diagnosis.message


@pytest.mark.parametrize(("text", "status"), [
    ("0.3589", "correct"),        # w5+ = 0.358916… rounded to 4 decimals
    ("0.3590", "correct"), ("0.3588", "correct"),  # the last digit off by one
    ("0.35891648", "correct"),    # more digits, rounding to an accepted value
    ("0.35904", "correct"),       # 1.4 units off: rounds to 0.3590
    ("0.3591", "wrong"), ("0.3587", "wrong"),      # two units off
    ("0.35906", "wrong"),         # rounds to 0.3591
])
def test_decimals_accept_the_rounded_value_and_one_unit_either_side(text: str, status: str) -> None:
    assert round(MAZUR["w5+"], 4) == 0.3589
    assert grade_one(GradingPolicy(decimals=4), f"w5+ = {text}").status == status


def test_significant_digits_count_from_the_rounded_value() -> None:
    assert grade_one(GradingPolicy(significant=3), "dE_total/dw1 = 0.000439").status == "correct"
    assert grade_one(GradingPolicy(significant=3), "dE_total/dw1 = 0.000441").status == "wrong"
    policy = GradingPolicy(significant=4)
    assert policy.unit(0.99996) == Decimal("0.001")      # 0.99996 at 4 digits is 1.000
    assert policy.allows(1.000, 0.99996) and policy.allows(0.9999, 0.99996)
    assert not policy.allows(1.002, 0.99996)
    advice = grade_one(policy, "dE_total/dw1 = 0.00044").diagnosis
    assert advice.code == "too_few_digits" and "give 4 significant digits" in advice.message


TRIPLING = {"inputs": {"x": 0.444}, "nodes": {"a": "3 * x", "b": "3 * a", "c": "3 * b"}}


def tripled(x: float, r: Any = lambda value: value) -> float:
    """c = 3·3·3·x, with `r` applied to a, b and c as each is computed."""
    return r(3 * r(3 * r(3 * x)))


def test_hand_rounding_accepts_the_round_chain() -> None:
    """By hand at 2 decimals: a = 1.332 -> 1.33, b = 3.99, c = 11.97; the
    exact c = 11.988 rounds to 11.99, two units away."""
    chain, exact = tripled(0.444, lambda value: round(value, 2)), tripled(0.444)
    assert (round(chain, 2), round(exact, 2)) == (11.97, 11.99)
    walkthrough = api.from_dict(TRIPLING)
    without = grade_one(GradingPolicy(decimals=2), "c = 11.97", walkthrough)
    assert without.status == "wrong" and without.diagnosis.code == "rounded_early"
    with_chain = grade_one(GradingPolicy(decimals=2, hand_rounding=True), "c = 11.97", walkthrough)
    assert with_chain.status == "correct" and "rounding every step to 2 decimals" in with_chain.note
    assert grade_one(GradingPolicy(decimals=2, hand_rounding=True), "c = 11.95", walkthrough).status == "wrong"


def test_rounded_early_only_where_early_rounding_changed_the_number() -> None:
    """Issue 12: `answers --round 4` gives dE_total/dw1 = 0.0004, which is
    simply the exact value to 4 decimals: too few digits, not rounded early."""
    answer = grade_one(GradingPolicy(), "dE_total/dw1 = 0.0004")
    assert answer.status == "wrong" and answer.diagnosis.code == "too_few_digits"
    assert "give 4 significant digits" in answer.diagnosis.message


def test_the_default_policy_is_unchanged() -> None:
    policy = GradingPolicy()
    assert (policy.rtol, policy.atol) == (7e-4, 1e-9)
    assert policy.allows(0.3589, MAZUR["w5+"]) and not policy.allows(0.3593, MAZUR["w5+"])


@pytest.mark.parametrize(("table", "field"), [
    ({"decimals": 4, "significant": 4}, "check.significant"),
    ({"decimals": 4, "rtol": 0.01}, "check.rtol"),
    ({"hand_rounding": True}, "check.hand_rounding"),
    ({"hand_rounding": "yes", "decimals": 4}, "check.hand_rounding"),
    ({"decimals": -1}, "check.decimals"), ({"decimals": 2.5}, "check.decimals"),
    ({"significant": 0}, "check.significant"), ({"places": 3}, "check.places"),
])
def test_a_bad_check_table_names_its_field(table: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError) as error:
        check_table(table, "s.toml")
    assert error.value.path == field


def test_the_policy_in_words_on_sheets_questions_and_reports(tmp_path: Path, run_cli: Any) -> None:
    data = mazur_dict()
    data["check"] = {"decimals": 4, "hand_rounding": True}
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(data), encoding="utf-8")
    words = "Give every answer to 4 decimals"
    problems = run_cli("variants", spec, "--count", "1", "--seed", "3", "--format", "md").out.partition("# Solutions")[0]
    assert words in problems and "as you go is accepted too" in problems
    bank = run_cli("variants", spec, "--count", "1", "--seed", "3", "--format", "moodle-xml").out
    assert words in bank
    sheet = tmp_path / "a.txt"
    sheet.write_text("w5+ = 0.3589\n", encoding="utf-8")
    report = run_cli("check", spec, sheet)
    assert report.code == 0 and f"Grading: {words}" in report.out


def test_moodle_blanks_accept_exactly_what_check_accepts() -> None:
    """Under decimals = 2 a blank is the rounded key ± 1.5 units; with
    hand_rounding the chain's value is a second full-mark answer where it
    lies outside that."""
    import re

    from stepbystep.exercises.moodle import moodle_xml

    data = dict(TRIPLING, check={"decimals": 2, "hand_rounding": True},
                variants={"inputs": {"x": {"range": [0.4, 0.5], "decimals": 3}}, "ask": ["c"]})
    variants = list(api.variants(parse_spec(data), 12, 1))
    pattern = re.compile(r"\{1:NUMERICAL:=([^:]+):([^~}]+)(?:~%100%([^:]+):([^}]+))?\}")
    seconds = 0
    for variant, blank in zip(variants, pattern.finditer(moodle_xml(variants, feedback=False))):
        x = variant.data["inputs"]["x"]
        exact, chain = tripled(x), tripled(x, lambda value: round(value, 2))
        assert Decimal(blank.group(1)) == hand.rounded(exact, 2) and float(blank.group(2)) == pytest.approx(0.015)
        if hand.within(repr(chain), exact, 2):
            assert blank.group(3) is None  # the chain lands inside anyway
        else:
            seconds += 1
            assert Decimal(blank.group(3)) == hand.rounded(chain, 2) and float(blank.group(4)) == pytest.approx(0.015)
    assert seconds, "some draw must drift two units when rounded as it goes"


# -- the property: random networks, random policies ------------------------------------
def correctly_rounded(value: float, policy: GradingPolicy) -> tuple[Decimal, Decimal]:
    """(the value rounded as asked, one unit of the last asked digit), worked out here."""
    exact = Decimal(value)
    if policy.decimals is not None:
        place = -policy.decimals
    else:
        assert policy.significant is not None
        place = exact.adjusted() - policy.significant + 1
        if exact.quantize(Decimal(1).scaleb(place), ROUND_HALF_EVEN).adjusted() > exact.adjusted():
            place += 1
    unit = Decimal(1).scaleb(place)
    return exact.quantize(unit, ROUND_HALF_EVEN), unit


policies = st.one_of(st.builds(GradingPolicy, decimals=st.integers(1, 8)),
                     st.builds(GradingPolicy, significant=st.integers(2, 8)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), policy=policies, data=st.data())
def test_the_rounded_key_passes_and_two_units_off_fails(seed: int, policy: GradingPolicy, data: Any) -> None:
    spec = simple_spec(random.Random(seed))
    key = backprop(spec)  # dE_total/dw{n} and w{n}+, by numpy in tests/test_check_random.py
    grader = grader_for(api.from_dict(spec).trace, policy=policy, diagnose=False)
    name = data.draw(st.sampled_from(sorted(key)))
    value = key[name]
    assume(abs(value) > 1e-9)  # a gradient that is 0 up to float noise has no last significant digit
    rounded, unit = correctly_rounded(value, policy)
    # the oracle and the program agree to ~1e-15; keep clear of a rounding boundary they could fall either side of
    assume(abs(abs(Decimal(value) - rounded) - unit / 2) > unit * Decimal("1e-6"))
    assume(abs(Decimal(value)) * Decimal("1e-12") < unit)  # floats resolve the asked digit
    sign = data.draw(st.sampled_from((-2, 2)))
    sheet = f"{name} = {rounded}\n{name} = {rounded + sign * unit}\n"  # the second is graded on its own below
    right = grader.grade_text(sheet.splitlines()[0]).answers[0]
    off = grader.grade_text(sheet.splitlines()[1]).answers[0]
    assert right.status == "correct", (name, value, str(rounded), policy)
    assert off.status == "wrong", (name, value, str(rounded + sign * unit), policy)
