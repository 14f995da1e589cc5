"""A class of 40 sheets on a [variants] exercise, written the ways students
write them, graded in one `check` call (issue 12's proof).

Every expected status is decided here from numbers worked out by hand for
each variant's own inputs and weights (tests/hand_2_2_2.py: a forward and
backward pass written independently of the program), and from SPEC §5's
words for `decimals = 4` with `hand_rounding`: right is the exact value
rounded to 4 decimals ±1 in the last digit, more digits that round to that,
or the value of rounding every step to 4 decimals as one goes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import hand_2_2_2 as hand
import pytest
from conftest import mazur_dict

from stepbystep import api

SEED, COUNT = 2024, 40
ASKED = ["out_o1", "E_total", "dE_total/dw5", "w5+", "dE_total/dw1", "w1+", "after1.E_total"]


def class_spec(folder: Path) -> Path:
    data = mazur_dict()
    data["update_biases"] = False
    data["variants"] = {"weights": {"range": [-1, 1], "decimals": 2}, "biases": {"range": [0, 1], "decimals": 2},
                        "inputs": {"range": [0, 1], "decimals": 2}, "targets": {"range": [0.01, 0.99], "decimals": 2},
                        "ask": ASKED, "seed": SEED, "count": COUNT}
    data["check"] = {"decimals": 4, "hand_rounding": True}
    path = folder / "exercise.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def fixed(value: float, decimals: int) -> str:
    return f"{hand.rounded(value, decimals):f}"


Sheet = tuple[str, dict[str, str]]  # file text, expected status per canonical name


def lines(values: dict[str, str], spell: Callable[[str], str] = lambda name: name) -> str:
    return "".join(f"{spell(name)} = {text}\n" for name, text in values.items())


def sheet_for(kind: int, ident: str, exact: dict[str, float], chain: dict[str, float], data: dict[str, Any]
              ) -> tuple[str, str, dict[str, str]]:
    """(file name, text, expected status per name) for one student of the class."""
    four = {name: fixed(exact[name], 4) for name in ASKED}
    right = dict.fromkeys(ASKED, "correct")
    if kind == 0:    # the sheet's header copied as printed, answers to 4 decimals
        return "copied.txt", f"Variant **{ident}** · Name: ______________\n" + lines(four), right
    if kind == 1:    # `Variant: S-k, Name: Eve`, and 6 decimals (more digits than asked)
        six = {name: fixed(exact[name], 6) for name in ASKED}
        return "six.txt", f"Variant: {ident}, Name: Eve\n" + lines(six), right
    if kind == 2:    # lower case, and the hand-rounded chain (rounded at every step)
        chained = {name: fixed(chain[name], 4) for name in ASKED}
        expected = {name: "correct" for name in ASKED}  # hand_rounding: the chain's values are right
        return "chain.txt", f"variant {ident}\n" + lines(chained), expected
    if kind == 3:    # JSON, numbers as numbers
        body = {"variant": ident, **{name: float(four[name]) for name in ASKED}}
        return "answers.json", json.dumps(body, indent=1), right
    if kind == 4:    # spellings: ∂, spaces, w5_new, a Markdown heading for the variant
        spell = {"dE_total/dw5": "∂E_total/∂w5", "w5+": "w5_new", "dE_total/dw1": "d E_total / d w1", "w1+": "W1+"}
        return "spelt.txt", f"# Variant {ident}\n" + lines(four, lambda name: spell.get(name, name)), right
    if kind == 5:    # two decimals only: right only where that is within 1.5 units of the 4-decimal value
        # (values none of which is computed from another, so no error can be carried forward)
        two = {name: fixed(exact[name], 2) for name in ("E_total", "w5+", "dE_total/dw1")}
        expected = {name: "correct" if hand.within(text, exact[name], 4) else "wrong" for name, text in two.items()}
        return "two.txt", f"Variant {ident} · Name: Dan\n" + lines(two), expected
    if kind == 6:    # the uphill update: w5+ = w5 + η·∂E/∂w5 (and w1+ likewise)
        uphill = hand.work(data, sign=+1.0)
        values = dict(four, **{"w5+": fixed(uphill["w5+"], 4), "w1+": fixed(uphill["w1+"], 4)})
        expected = dict(right, **{"w5+": "wrong", "w1+": "wrong"})
        if hand.within(values["w1+"], exact["w1+"], 4):  # a gradient this small moves w1 by less than the rounding
            expected["w1+"] = "correct"
        return "uphill.txt", f"Variant: {ident}\n" + lines(values), expected
    if kind == 7:    # swapped names: the gradient written as the update and back
        values = dict(four, **{"dE_total/dw5": four["w5+"], "w5+": four["dE_total/dw5"]})
        return "swapped.txt", f"Variant: {ident}\n" + lines(values), dict(right, **{"dE_total/dw5": "wrong", "w5+": "wrong"})
    if kind == 8:    # a typo in one name: unknown (not scored), the rest graded
        values = dict(four)
        values["out_o9"] = values.pop("out_o1")
        return "typo.txt", f"Variant: {ident}\n" + lines(values), dict({k: right[k] for k in ASKED if k != "out_o1"},
                                                                           out_o9="unknown")
    # kind 9: a slip in out_o1 (+0.05), E_total worked on from it: carried
    slipped = exact["out_o1"] + 0.05
    e_total = 0.5 * (data["samples"][0]["targets"][0] - slipped) ** 2 + exact["E_o2"]
    values = dict(four, out_o1=fixed(slipped, 4), E_total=fixed(e_total, 4))
    return "slip.txt", f"Variant: {ident}\n" + lines(values), dict(right, out_o1="wrong", E_total="carried")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("class")
    spec = class_spec(folder)
    keys = {variant.id: variant.data for variant in api.variants(spec, COUNT, SEED)}  # the drawn numbers only
    expected: dict[str, dict[str, str]] = {}
    for number in range(38):
        ident = f"{SEED}-{number + 1}"
        data = keys[ident]
        exact, chain = hand.work(data), hand.work(data, lambda x: round(x, 4))
        name, text, statuses = sheet_for(number % 10, ident, exact, chain, data)
        path = folder / f"{number:02}-{name}"
        path.write_text(text, encoding="utf-8")
        expected[path.name] = statuses
    data = keys[f"{SEED}-1"]
    four = {name: fixed(hand.work(data)[name], 4) for name in ASKED}
    (folder / "38-no-variant.txt").write_text("Name: Zoe\n" + lines(four), encoding="utf-8")
    expected["38-no-variant.txt"] = dict.fromkeys(ASKED, "no_variant")
    (folder / "39-not-handed-out.txt").write_text(f"Variant: {SEED}-41\n" + lines(four), encoding="utf-8")
    expected["39-not-handed-out.txt"] = dict.fromkeys(ASKED, "no_variant")
    sheets = sorted(folder.glob("[0-9][0-9]-*"))
    assert len(sheets) == 40
    report = api.check(spec, sheets)
    return json.loads(api.check_report(report, as_json=True)), expected


def test_every_status_of_the_class_is_the_one_worked_out_by_hand(graded: Any) -> None:
    found, expected = graded
    assert len(found) == 40
    for sheet in found:
        name = Path(sheet["file"]).name
        statuses = {answer["name"]: answer["status"] for answer in sheet["answers"]}
        assert statuses == expected[name], (name, sheet)


def test_each_sheet_is_graded_against_its_own_variant(graded: Any) -> None:
    found, _ = graded
    for sheet in found:
        number = int(Path(sheet["file"]).name[:2])
        if number < 38:
            assert sheet["variant"] == f"{SEED}-{number + 1}" and "status" not in sheet
        else:
            assert sheet["status"] == "no_variant" and "variant" not in sheet and sheet["summary"]["out_of"] == 0


def test_the_held_sheets_say_what_to_do(graded: Any) -> None:
    by_name = {Path(sheet["file"]).name: sheet for sheet in graded[0]}
    assert "add the line `Variant: S-k`" in by_name["38-no-variant.txt"]["error"]
    assert f"variant {SEED}-41 does not exist for this spec: its [variants] count is 40" in \
        by_name["39-not-handed-out.txt"]["error"]
    assert all(answer["expected"] is None for answer in by_name["38-no-variant.txt"]["answers"])  # never the base's


def test_the_diagnoses_a_teacher_reads(graded: Any) -> None:
    by_name = {Path(sheet["file"]).name: sheet for sheet in graded[0]}
    uphill = {answer["name"]: answer for answer in by_name["06-uphill.txt"]["answers"]}
    assert uphill["w5+"]["diagnosis"]["code"] == "wrong_sign"
    json_sheet = by_name["03-answers.json"]
    assert all(answer["line"] is None and answer["key"] == answer["written"] for answer in json_sheet["answers"])
    typo = next(answer for answer in by_name["08-typo.txt"]["answers"] if answer["status"] == "unknown")
    assert "out_o1" in typo["suggestions"]
    assert by_name["01-six.txt"]["header"] == {"Variant": f"{SEED}-2", "Name": "Eve"}
    assert by_name["00-copied.txt"]["summary"]["decimals"] == 4 and by_name["00-copied.txt"]["summary"]["hand_rounding"]


def test_two_decimals_where_four_are_asked_is_told_so(graded: Any) -> None:
    found, _ = graded
    wrong = [answer for sheet in found if sheet["file"].endswith("-two.txt")
             for answer in sheet["answers"] if answer["status"] == "wrong"]
    assert wrong, "some two-decimal answer must be more than 1.5 units off"
    told = [answer for answer in wrong if answer.get("diagnosis", {}).get("code") == "too_few_digits"]
    assert told and all("give 4 decimals" in answer["diagnosis"]["message"] for answer in told)
