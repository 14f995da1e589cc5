"""The Moodle XML export, checked offline as far as possible: well-formed
XML, the elements Moodle's importer reads (question/format/xml/format.php),
Cloze blanks as Moodle's own NUMERICAL pattern parses them, and every blank
equal to its variant's key within the grader's tolerance."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from test_variants import EXAMPLES, mazur_dict, mazur_oracle

from stepbystep.exercises.moodle import cdata, default_tolerances, moodle_xml, tolerance
from stepbystep.exercises.variants import make_variants
from stepbystep.spec.load import parse_spec

# Moodle's qtype_multianswer patterns (NUMBER_REGEX, NUMERICAL_ALTERNATIVE_REGEX), written out here.
NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
BLANK = re.compile(r"\{([0-9]*):(NUMERICAL|NM):=(" + NUMBER + r")(?::(" + NUMBER + r"))?\}")
ANY_BLANK = re.compile(r"\{[0-9]*:[A-Z_]+:")


def parse(xml: str) -> ET.Element:
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    return ET.fromstring(xml.encode("utf-8"))


@pytest.fixture(scope="module")
def bank() -> tuple[list[Any], str]:
    data = mazur_dict()
    data["variants"] = {"inputs": True, "targets": True}
    variants = make_variants(parse_spec(data, "mazur.toml"), 4, seed=8)
    return variants, moodle_xml(variants)


def test_one_cloze_question_per_variant_after_a_category(bank: tuple[list[Any], str]) -> None:
    variants, xml = bank
    root = parse(xml)
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert questions[0].get("type") == "category"
    category = questions[0].findtext("category/text")
    assert category is not None and category.startswith("$course$/top/") and "seed 8" in category
    assert [q.get("type") for q in questions[1:]] == ["cloze"] * len(variants)
    for question, variant in zip(questions[1:], variants):
        assert question.findtext("name/text") == f"A step by step backpropagation example (Mazur, 2015) (variant {variant.id})"
        assert question.find("questiontext").get("format") == "html"  # type: ignore[union-attr]
        assert question.find("generalfeedback").get("format") == "html"  # type: ignore[union-attr]
        assert float(question.findtext("penalty") or "x") == pytest.approx(1 / 3, abs=1e-6)
        assert question.findtext("hidden") == "0"


def test_blanks_are_the_key_within_the_graders_tolerance(bank: tuple[list[Any], str]) -> None:
    variants, xml = bank
    rtol, atol = default_tolerances()
    for question, variant in zip(parse(xml).findall("question")[1:], variants):
        text = question.findtext("questiontext/text") or ""
        blanks = BLANK.findall(text)
        assert len(blanks) == len(ANY_BLANK.findall(text)) == len(variant.asked) == 10
        oracle = mazur_oracle(variant.data)
        for (weight, kind, answer, margin), name in zip(blanks, variant.asked):
            assert weight == "1" and kind == "NUMERICAL"
            assert float(answer) == pytest.approx(oracle[name], rel=1e-9)  # independent hand computation
            wanted = max(atol, rtol * abs(oracle[name]))  # the grader's rule
            assert wanted <= float(margin) <= wanted * 1.01  # rounded up, never stricter than `check`


def test_the_question_shows_the_variants_own_numbers(bank: tuple[list[Any], str]) -> None:
    variants, xml = bank
    for question, variant in zip(parse(xml).findall("question")[1:], variants):
        text = question.findtext("questiontext/text") or ""
        sample = variant.data["samples"][0]
        for value in sample["inputs"] + sample["targets"] + [w for row in variant.data["layers"][1]["weights"] for w in row]:
            assert f"<td>{value:g}</td>" in text
        assert "\\(w_{5}^{+}\\)" in text and "<code>w5+</code>" in text
        assert "$" not in text  # inline math is \( … \) for Moodle's MathJax filter


def test_feedback_is_the_worked_solution_as_html(bank: tuple[list[Any], str]) -> None:
    variants, xml = bank
    question = parse(xml).findall("question")[1]
    feedback = question.findtext("generalfeedback/text") or ""
    out_o1 = variants[0].trace.value("out_o1")
    assert f"{out_o1:.9f}".rstrip("0") in feedback
    assert "<h1" in feedback or "<h2" in feedback
    assert "<style>" not in feedback and "<script" not in feedback


def test_untrusted_title_cannot_break_the_xml_or_open_a_blank() -> None:
    data = mazur_dict()
    data["title"] = "Evil {1:NUMERICAL:=1:0} ]]> <script>alert(1)</script> & \x01"
    variants = make_variants(parse_spec(data), 1, seed=1)
    questions = parse(moodle_xml(variants)).findall("question")
    text = questions[1].findtext("questiontext/text") or ""
    assert len(ANY_BLANK.findall(text)) == len(variants[0].asked)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert questions[1].findtext("name/text", "").startswith("Evil {1:NUMERICAL:=1:0} ]]> <script>alert(1)</script> & \ufffd")
    feedback = questions[1].findtext("generalfeedback/text") or ""
    assert "<script>" not in feedback


def test_cdata_survives_its_terminator() -> None:
    wrapped = "<a>" + cdata("x ]]> y ]]]> z") + "</a>"
    assert ET.fromstring(wrapped).text == "x ]]> y ]]]> z"


def test_tolerance_is_the_graders_relative_rule_with_a_floor() -> None:
    assert tolerance(2.0, 1e-3, 1e-6) == pytest.approx(0.002)
    assert tolerance(-2.0, 1e-3, 0.0) == pytest.approx(0.002)
    assert tolerance(1e-9, 1e-3, 1e-6) == 1e-6


def test_tolerances_are_the_checkers() -> None:
    check = pytest.importorskip("stepbystep.grading.check")
    assert default_tolerances() == (check.DEFAULT_RTOL, check.DEFAULT_ATOL)
    data = mazur_dict()
    data["check"] = {"rtol": 0.01}
    variant = make_variants(parse_spec(data), 1, seed=3)[0]
    assert default_tolerances(variant.spec) == (0.01, check.DEFAULT_ATOL)
    text = parse(moodle_xml([variant])).findall("question")[1].findtext("questiontext/text") or ""
    for (_, _, answer, margin), name in zip(BLANK.findall(text), variant.asked):
        assert float(margin) == pytest.approx(0.01 * abs(variant.trace.value(name)), rel=0.01)
    assert "within 1\u00a0%" in text  # the policy in words, with a no-break space


def test_cli_writes_a_bank(tmp_path: Any, run_cli: Any) -> None:
    target = tmp_path / "bank.xml"
    result = run_cli("variants", EXAMPLES / "circuit-add-multiply.toml", "--count", "3", "--seed", "4",
                     "--format", "moodle-xml", "-o", target)
    assert result.code == 0 and result.out == "" and result.err == ""
    questions = parse(target.read_text(encoding="utf-8")).findall("question")
    assert len(questions) == 4
    text = questions[1].findtext("questiontext/text") or ""
    assert len(BLANK.findall(text)) == 4  # f, df/dx, df/dy, df/dz


def test_question_html_is_balanced(bank: tuple[list[Any], str]) -> None:
    from html.parser import HTMLParser

    class Balance(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag not in ("br", "img", "hr", "input", "meta", "link"):
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert self.stack and self.stack.pop() == tag, tag

    _, xml = bank
    for question in parse(xml).findall("question")[1:]:
        for path in ("questiontext/text", "generalfeedback/text"):
            checker = Balance()
            checker.feed(question.findtext(path) or "")
            checker.close()
            assert checker.stack == [], path


def test_the_bank_leaves_the_collector_as_it_found_it() -> None:
    """moodle_xml pauses the cyclic collector per variant (for speed): it is
    running again afterwards, also when a variant fails, and stays off when
    it was off."""
    import gc

    data = mazur_dict()
    data["variants"] = {"inputs": True}
    variants = make_variants(parse_spec(data, "mazur.toml"), 2, seed=3)
    assert gc.isenabled()
    moodle_xml(variants)
    assert gc.isenabled()

    def failing() -> Any:
        yield variants[0]
        raise RuntimeError("a variant failed")

    with pytest.raises(RuntimeError):
        moodle_xml(failing())
    assert gc.isenabled()
    gc.disable()
    try:
        moodle_xml(variants)
        assert not gc.isenabled()
    finally:
        gc.enable()
