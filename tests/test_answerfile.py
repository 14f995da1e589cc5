"""Reading answer sheets: forgiving about notation, exact about what went wrong."""
from __future__ import annotations

import codecs
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepbystep.grading.answerfile import (
    NameIndex,
    parse_number,
    parse_sheet,
    read_sheet,
)

NAMES = ["w5", "w5+", "out_h1", "out_h2", "dE_total/dw5", "dE_total/dnet_o1", "E_total", "step1.sample2.out_h1",
         "h2_3", "h23", "after1.E_total"]
ALIASES = {"delta_o1": "dE_total/dnet_o1", "dE_o1/dnet_o1": "dE_total/dnet_o1"}


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(NAMES, ALIASES)


@pytest.mark.parametrize("written, canonical", [
    ("w5+", "w5+"), ("W5+", "w5+"), ("w5_new", "w5+"), ("w5 new", "w5+"), ("w5⁺", "w5+"), ("w5'", "w5+"),
    ("w_5^{+}", "w5+"), ("$w_5^+$", "w5+"), ('"w5+"', "w5+"), ("w5(new)", "w5+"), ("w5", "w5"),
    ("∂E_total/∂w5", "dE_total/dw5"), ("d E_total / d w5", "dE_total/dw5"), ("dEtotal/dw5", "dE_total/dw5"),
    ("dE/dw5", "dE_total/dw5"), (r"\partial E_{total}/\partial w_5", "dE_total/dw5"),
    ("delta_o1", "dE_total/dnet_o1"), ("δ_o1", "dE_total/dnet_o1"), ("dE_o1/dnet_o1", "dE_total/dnet_o1"),
    ("OUT_H1", "out_h1"), ("out h1", "out_h1"), ("E total", "E_total"), ("Step1.Sample2.out_h1", "step1.sample2.out_h1"),
    ("h2_3", "h2_3"), ("h23", "h23"), ("after1.e_total", "after1.E_total"),
])
def test_names_are_matched_forgivingly(index, written, canonical):
    assert index.match(written) == canonical


def test_ambiguous_loose_spellings_stay_apart():
    index = NameIndex(["x", "X", "h2_3", "h23"], {})
    assert index.match("x") == "x" and index.match("X") == "X"
    assert index.match("H2_3") == "h2_3" and index.match("h_23") is None  # h_23: h2_3 or h23?


def test_unknown_names_get_the_closest_known_ones(index):
    assert index.match("w9+") is None
    assert index.suggest("out_h3")[:2] in (("out_h1", "out_h2"), ("out_h2", "out_h1"))
    assert index.suggest("completely different") == ()


@pytest.mark.parametrize("text, value", [
    ("0.3589", 0.3589), ("-0.019", -0.019), ("−0.019", -0.019), ("+1.5", 1.5), (".5", 0.5), ("5.", 5.0),
    ("4.386e-4", 4.386e-4), ("4.386E-04", 4.386e-4), ("4.386 × 10⁻⁴", 4.386e-4), ("4.386*10^-4", 4.386e-4),
    ("0,3589", 0.3589), ("≈ 0.3589", 0.3589), ("0.3589;", 0.3589), ("1 000", 1000.0),
])
def test_numbers_as_people_write_them(text, value):
    assert parse_number(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "-Infinity", "1_000", "0.5.1", "1e400", "0x10", "½", "1,2,3",
                                  "0.36 (rounded)", ""])
def test_things_that_are_not_numbers(text):
    assert parse_number(text) is None


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_reads_back(value):
    assert parse_number(repr(value)) == value


def test_text_sheet_lines_comments_and_blanks():
    sheet = parse_sheet(b"# homework 3\n\nw5+ = 0.3589  # my answer\r\nout_h1: 0.5933\nw6+ = \nw7+ = ?\n"
                        b"E_total 0.2984\njust words\n= 0.5\nw8+ = twelve\n")
    found = [(entry.line, entry.written, entry.value, entry.problem) for entry in sheet.entries]
    assert found[:3] == [(3, "w5+", 0.3589, None), (4, "out_h1", 0.5933, None), (7, "E_total", 0.2984, None)]
    assert found[3][0] == 8 and "name = value" in found[3][3]
    assert found[4][0] == 9 and "no name" in found[4][3]
    assert found[5][:3] == (10, "w8+", None) and "not a number" in found[5][3]
    assert len(found) == 6  # the empty slots of a template (w6+, w7+) are not answers
    assert sheet.error is None


def test_a_spreadsheet_saved_as_csv():
    entries = parse_sheet(b"w5+;0,3589\nout_h1,0.5933\nE_total\t0.2984\nw6+,abc\n").entries
    assert [(entry.written, entry.value) for entry in entries] == [
        ("w5+", 0.3589), ("out_h1", 0.5933), ("E_total", 0.2984), ("w6+,abc", None)]


def test_a_number_too_large_for_a_float_is_not_a_number():
    entry = parse_sheet(b"w5+ = 1e400\n").entries[0]
    assert entry.value is None and "not a number" in entry.problem


def test_bytes_that_are_not_utf8_are_reported_on_their_line_only():
    sheet = parse_sheet(b"# R\xe9sum\xe9 in a comment is harmless\nw5+ = 0.3589\nout_h1 = 0.59\xff\n")
    assert [(entry.line, entry.value) for entry in sheet.entries] == [(2, 0.3589), (3, None)]
    assert "UTF-8" in sheet.entries[1].problem


def test_utf16_and_bom():
    text = "w5⁺ = 0.3589\nout_h1 = 0.5933\n"
    for data in (codecs.BOM_UTF8 + text.encode(), text.encode("utf-16"), codecs.BOM_UTF16_BE + text.encode("utf-16-be")):
        assert [(entry.written, entry.value) for entry in parse_sheet(data).entries] == [("w5⁺", 0.3589),
                                                                                         ("out_h1", 0.5933)]


def test_json_sheets():
    text = json.dumps({"w5+": 0.3589, "out_h1": "0.5933", "w6+": [1], "w7+": True, "E_total": "", "w8+": "x"}, indent=1)
    entries = parse_sheet(text.encode()).entries
    assert [(entry.line, entry.written, entry.value) for entry in entries] == [  # a JSON sheet names answers by key
        (None, "w5+", 0.3589), (None, "out_h1", 0.5933), (None, "w6+", None), (None, "w7+", None), (None, "w8+", None)]
    assert parse_sheet(text.encode()).keyed
    assert "a list" in entries[2].problem and "true/false" in entries[3].problem


def test_json_duplicates_are_kept_for_the_grader_to_report():
    entries = parse_sheet(b'{"w5+": 0.35, "w5+": 0.36}').entries
    assert [entry.value for entry in entries] == [0.35, 0.36]


@pytest.mark.parametrize("data, message", [
    (b'{"w5+": 0.35', "not valid JSON"), (b'{"w5+": NaN}', "not valid JSON"), (b"[1, 2]", "name = value"),
    (b"\x00\x01PK\x03\x04binary", "binary"), (b'{"a": 1}\xff', "UTF-8"),
])
def test_sheets_that_cannot_be_read_as_answers(data, message):
    sheet = parse_sheet(data)
    problems = [sheet.error] + [entry.problem for entry in sheet.entries]
    assert any(problem and message in problem for problem in problems), sheet
    assert not sheet.unreadable


def test_files_that_cannot_be_opened(tmp_path):
    missing = read_sheet(tmp_path / "missing.txt")
    folder = read_sheet(tmp_path)
    assert missing.unreadable and "no such file" in missing.error
    assert folder.unreadable and "directory" in folder.error
    big = tmp_path / "big.txt"
    big.write_bytes(b"w5 = 1\n" * 400_000)
    assert "larger than" in read_sheet(big).error
