"""`check --hide-expected`, the student's self-check (SPEC §5): statuses,
carried errors and diagnoses, and no expected value anywhere — searched
for here at several precisions, in the text and in the JSON."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hand_2_2_2 as hand
from conftest import MAZUR_TOML, mazur_dict

KEY = hand.work(mazur_dict())  # every value of Mazur's walkthrough, by hand
# out_o1 from the student's own out_h1 = 0.61 and net_h2 = 0.3935 (Mazur's w5, w6, b2)
OWN_OUT_O1 = hand.sigmoid(0.40 * 0.61 + 0.45 * hand.sigmoid(0.3935) + 0.60)

# wrong answers of every kind: a slip, one carried from it, a diagnosed mistake,
# a slip after right working, too few digits, an unknown name, a word
SHEET = f"""\
Name: Sam
out_h1 = 0.61
out_o1 = {OWN_OUT_O1:.4f}
w5+ = 0.4411
net_h2 = 0.25*0.05 + 0.3*0.1 + 0.35 = 0.3935
dE_total/dw1 = 0.0004
w9+ = 0.1
E_total = about a third
"""


def leaks(output: str) -> list[str]:
    """Every key value that appears in the output, at 3 to 9 significant
    digits and at 2 to 9 decimals (the student's own numbers excepted)."""
    own = set(re.findall(r"-?\d+\.\d+(?:e-?\d+)?", SHEET))
    found = []
    for name, value in KEY.items():
        forms = {f"{value:.{digits}g}" for digits in range(3, 10)} | {f"{value:.{places}f}" for places in range(2, 10)}
        for form in forms - own:
            if len(form.strip("-0.")) >= 2 and re.search(rf"(?<![\d.]){re.escape(form)}(?!\d)", output):
                found.append(f"{name}={form}")
    return found


def test_nothing_expected_leaks_in_text_or_json(tmp_path: Path, run_cli: Any) -> None:
    sheet = tmp_path / "sam.txt"
    sheet.write_text(SHEET, encoding="utf-8")
    open_report = run_cli("check", MAZUR_TOML, sheet)
    assert leaks(open_report.out), "the ordinary report shows expected values (so the search would find them)"
    for args in ((), ("--json",)):
        result = run_cli("check", MAZUR_TOML, sheet, "--hide-expected", *args)
        assert result.code == 1 and result.err == ""
        assert leaks(result.out) == [], args
        assert "expected" not in result.out.replace(str(sheet), "")  # no "expected …" and no JSON key


def test_the_self_check_still_says_what_went_wrong(tmp_path: Path, run_cli: Any) -> None:
    sheet = tmp_path / "sam.txt"
    sheet.write_text(SHEET, encoding="utf-8")
    data = json.loads(run_cli("check", MAZUR_TOML, sheet, "--hide-expected", "--json").out)
    answers = {answer["name"]: answer for answer in data["answers"]}
    assert answers["out_h1"]["status"] == "wrong"
    assert answers["out_o1"]["status"] == "carried" and sorted(answers["out_o1"]["from"]) == ["net_h2", "out_h1"]
    assert answers["w5+"]["diagnosis"]["code"] == "wrong_sign"
    assert answers["net_h2"]["diagnosis"] == {"code": "arithmetic_slip",
                                              "message": "Your working is right; the slip is in the last step."}
    assert answers["dE_total/dw1"]["diagnosis"]["code"] == "too_few_digits"
    assert answers["w9+"]["status"] == "unknown" and answers["E_total"]["status"] == "unparsed"
    assert all("expected" not in answer and "recomputed" not in answer for answer in data["answers"])
