"""The printable sheets and the `variants` command line."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from test_variants import EXAMPLES, mazur_dict, mazur_oracle

from stepbystep.document.blocks import Document, Equation, Section, Text
from stepbystep.exercises.sheets import PAGE_BREAK
from stepbystep.formats.markdown import render_markdown

SPEC = EXAMPLES / "mazur-variants.toml"


def test_md_with_output_writes_problems_and_solutions_beside(tmp_path: Any, run_cli: Any) -> None:
    target = tmp_path / "class.md"
    result = run_cli("variants", SPEC, "--count", "3", "--seed", "17", "--format", "md", "-o", target)
    assert result.code == 0 and result.out == "" and result.err == ""
    problems = target.read_text(encoding="utf-8")
    solutions = (tmp_path / "class-solutions.md").read_text(encoding="utf-8")
    assert problems.count(PAGE_BREAK) == 2 and solutions.count(PAGE_BREAK) == 2
    keys = json.loads(run_cli("variants", SPEC, "--count", "3", "--seed", "17").out)
    for entry, page in zip(keys, solutions.split(PAGE_BREAK)):
        data = entry["spec"]
        assert f"Variant **{entry['id']}**" in problems
        assert f"```text\nVariant: {entry['id']}\n" in problems  # the exact line a hand-in starts with
        for value in data["samples"][0]["inputs"] + data["layers"][2]["weights"][0]:
            assert f"| {value:g} |" in problems
        oracle = mazur_oracle(data)
        printed = dict(re.findall(r"\| `([^`]+)` \| (\S+) \|", page))
        assert list(printed) == entry["questions"]
        for name in entry["questions"]:
            value = float(printed[name])  # the key as printed, against an independent computation
            assert value == pytest.approx(oracle[name], rel=1e-8, abs=5e-10)
            assert printed[name] not in problems
        assert f"Variant **{entry['id']}**" in page
    assert "#### The forward pass" in solutions or "### The forward pass" in solutions  # the worked solution, demoted


def test_md_to_standard_output_has_both_sheets(run_cli: Any) -> None:
    result = run_cli("variants", SPEC, "--count", "1", "--seed", "1", "--format", "md")
    assert result.code == 0
    problems, _, solutions = result.out.partition("# Solutions:")
    assert "## What to compute" in problems and PAGE_BREAK in problems and solutions


def test_a_solution_inside_a_sheet_has_its_headings_moved_down_and_its_math_alone() -> None:
    six = Section((Text("Six"),), 6, "sbs-six", ())
    deep = Section((Text("Deep"),), 3, "sbs-deep", (six,))
    part = Section((Text("Part"),), 2, "sbs-part", (Equation("x"), deep))
    title = Section((Text("Title"),), 1, "sbs-title", (Equation("# not a heading", aligned=True, formula="y"), part))
    text = render_markdown(Document("Title", (title,)), heading_offset=2)
    assert text.splitlines() == [
        "### Title", "", "$$\\begin{aligned}", "# not a heading &= y", "\\end{aligned}$$", "", "#### Part", "",
        "$$x$$", "", "##### Deep", "", "###### Six"]


def test_bad_variants_table_is_one_line_and_no_file(tmp_path: Any, run_cli: Any) -> None:
    data = mazur_dict()
    data["variants"] = {"weights": {"range": [1, 1]}}
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps(data), encoding="utf-8")
    target = tmp_path / "out.json"
    result = run_cli("variants", spec, "--count", "2", "--seed", "1", "-o", target)
    assert result.code == 2 and result.out == ""
    assert result.err == f"stepbystep: error: {spec}: variants.weights.range: expected two numbers low < high\n"
    assert list(tmp_path.iterdir()) == [spec]


def test_usage_errors(run_cli: Any) -> None:
    for args, message in [
        (("--count", "0", "--seed", "1"), "argument --count: expected a whole number from 1 to 100000, got 0"),
        (("--count", "2", "--seed", "-1"), "argument --seed: expected a whole number from 0"),
        (("--count", "2"), "the following arguments are required: --seed"),
        (("--count", "2", "--seed", "1", "--format", "csv"), "argument --format: invalid choice: 'csv'"),
    ]:
        result = run_cli("variants", SPEC, *args)
        assert result.code == 2 and result.err.startswith("stepbystep: error: " + message), result.err
        assert result.err.count("\n") == 1


# -- check --variant: a student graded against their own numbers ---------------------------------
def test_check_grades_against_the_students_own_variant(tmp_path: Any, run_cli: Any) -> None:
    entry = json.loads(run_cli("variants", SPEC, "--count", "3", "--seed", "5").out)[2]
    assert entry["id"] == "5-3"
    oracle = mazur_oracle(entry["spec"])  # the student's work, computed independently
    sheet = tmp_path / "student.txt"
    sheet.write_text("".join(f"{name} = {oracle[name]:.6g}\n" for name in entry["questions"]), encoding="utf-8")
    for args in (("--variant", "5-3"), ("--variant", "3", "--seed", "5"), ("--variant", "5-3", "--seed", "5")):
        result = run_cli("check", SPEC, sheet, "--json", *args)
        assert result.code == 0, result.out + result.err
        statuses = {answer["name"]: answer["status"] for answer in json.loads(result.out)["answers"]}
        assert statuses == {name: "correct" for name in entry["questions"]}
    assert run_cli("check", SPEC, sheet, "--json").code == 1  # the original numbers are not theirs
    assert run_cli("check", SPEC, sheet, "--json", "--variant", "5-2").code == 1  # nor a neighbour's


@pytest.mark.parametrize(("args", "message"), [
    (("--variant", "3"), "--variant 3 needs --seed S (or write the id as S-3)"),
    (("--seed", "5"), "--seed goes with --variant"),
    (("--variant", "5-3", "--seed", "6"), "--variant 5-3 is of seed 5, but --seed says 6"),
    (("--variant", "five"), "'five' is not a variant id (expected SEED-NUMBER, e.g. 42-7)"),
    (("--variant", "0", "--seed", "1"), "--variant: variants are numbered from 1"),
])
def test_check_variant_usage_errors(tmp_path: Any, run_cli: Any, args: tuple[str, ...], message: str) -> None:
    sheet = tmp_path / "student.txt"
    sheet.write_text("E_total = 0.1\n", encoding="utf-8")
    result = run_cli("check", SPEC, sheet, *args)
    assert result.code == 2 and result.err == f"stepbystep: error: {message}\n" and result.out == ""


def test_the_problem_states_the_training_plan(tmp_path: Any, run_cli: Any) -> None:
    data = mazur_dict()
    data["samples"].append({"inputs": [0.9, 0.2], "targets": [0.8, 0.1]})
    data["training"] = {"mode": "online", "epochs": 2}
    spec = tmp_path / "online.json"
    spec.write_text(json.dumps(data), encoding="utf-8")
    out = run_cli("variants", spec, "--count", "1", "--seed", "2", "--format", "md").out
    problems = out.partition("# Solutions:")[0]
    training = [line for line in problems.splitlines() if line.startswith("- Training:")]
    assert len(training) == 1 and "online" in training[0] and "2 epochs, 4 updates in all" in training[0]
    assert "| 2 | 0.9 | 0.2 | 0.8 | 0.1 |" in problems  # both samples are given
    assert "`after4.E_total`" in problems
