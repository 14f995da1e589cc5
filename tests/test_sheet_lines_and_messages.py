"""Issue 12's names and messages: the Variant line in every form students
write it, bare names on a one-step batch, JSON keys, working that is
checked, and the messages that say what to do instead of "unknown name"."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hand_2_2_2 as hand
import pytest
from conftest import EXAMPLES, MAZUR_TOML, mazur_dict

from stepbystep import api
from stepbystep.grading.answerfile import parse_sheet

MAZUR = hand.work(mazur_dict())


@pytest.mark.parametrize("line", [
    "Variant: 2024-7", "Variant 2024-7 · Name: Eve", "Variant **2024-7** · Name: ______________________________",
    "variant 2024-7", "Variant: 2024-7, Name: Eve", "VARIANT: 2024 – 7", "# Variant 2024-7", "**Variant:** 2024-7",
    "Variant no. 2024-7", "Variant 2024-7 | Name: Eve", "Variant = 2024-7",
])
def test_the_variant_line_in_every_form(line: str) -> None:
    sheet = parse_sheet(f"{line}\nw5+ = 0.3589\n")
    assert sheet.variant is not None and (sheet.variant.seed, sheet.variant.index) == (2024, 7)
    assert [entry.written for entry in sheet.entries] == ["w5+"]  # the line is a header, not an answer
    if "Eve" in line:
        assert sheet.fields == (("Name", "Eve"),)


def test_the_variant_of_a_json_sheet() -> None:
    sheet = parse_sheet('{"variant": "2024-7", "w5+": 0.3589}')
    assert sheet.variant is not None and sheet.variant.id == "2024-7" and sheet.variant.where == 'key "variant"'


def test_a_graph_node_named_like_a_header_is_still_an_answer() -> None:
    assert parse_sheet("variant = 0.5\n").entries[0].value == 0.5 and parse_sheet("variant = 0.5\n").variant is None


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_variant_line_on_a_spec_without_variants_is_reported(tmp_path: Path, run_cli: Any) -> None:
    sheet = write(tmp_path, "s.txt", f"Variant: 2024-3\nw5+ = {MAZUR['w5+']:.6f}\n")
    result = run_cli("check", MAZUR_TOML, sheet, "--json")
    data = json.loads(result.out)
    assert result.code == 0 and data["answers"][0]["status"] == "correct"  # graded against the spec itself …
    assert "names variant '2024-3' (line 1), but the spec has no [variants] table" in data["notes"][0]  # … and told


def test_an_explicit_variant_wins_and_says_so(tmp_path: Path, run_cli: Any) -> None:
    sheet = write(tmp_path, "s.txt", "Variant: 2024-3\nE_total = 0.3\n")
    data = json.loads(run_cli("check", EXAMPLES / "mazur-variants.toml", sheet, "--variant", "2024-2", "--json").out)
    assert data["variant"] == "2024-2" and "graded against 2024-2 as asked (--variant)" in data["notes"][0]


def test_two_different_variant_lines_keep_the_first(tmp_path: Path) -> None:
    sheet = parse_sheet("Variant: 2024-3\nw5+ = 0.3\nVariant: 2024-4\n")
    assert sheet.variant is not None and sheet.variant.id == "2024-3"
    assert sheet.notes == ("line 3 names variant '2024-4' too; line 1 counts",)


# -- names -------------------------------------------------------------------------------------
def two_sample_batch() -> dict[str, Any]:
    data = mazur_dict()
    data["samples"].append({"inputs": [0.3, 0.9], "targets": [0.6, 0.2]})
    return data


def test_bare_names_on_a_one_step_batch_mean_step1() -> None:
    data = two_sample_batch()
    first, second = (hand.work(dict(data, samples=[sample])) for sample in data["samples"])
    w5_new = 0.40 - 0.5 * (first["dE_total/dw5"] + second["dE_total/dw5"])  # batch, reduction sum, by hand
    e_total = first["E_total"] + second["E_total"]
    text = (f"w5+ = {w5_new:.6f}\nE_total = {e_total:.6f}\nsample2.out_o1 = {second['out_o1']:.6f}\n"
            f"out_o1 = {first['out_o1']:.6f}\n")
    report = api.check(api.from_dict(data), texts={"s.txt": text})
    answers = report.files[0].answers
    assert [(answer.name, answer.status) for answer in answers] == [
        ("step1.w5+", "correct"), ("step1.E_total", "correct"), ("step1.sample2.out_o1", "correct"),
        ("out_o1", "unknown")]
    assert {"step1.sample1.out_o1", "step1.sample2.out_o1"} <= set(answers[3].suggestions)  # which sample?


def test_json_sheets_name_answers_by_key(tmp_path: Path, run_cli: Any) -> None:
    sheet = write(tmp_path, "s.json", json.dumps({"w5+": MAZUR["w5+"], "w6+": "x", "w7+": 0.1}))
    text = run_cli("check", MAZUR_TOML, sheet).out
    assert "key w5+" in text and "key w6+" in text and "line 1" not in text
    data = json.loads(run_cli("check", MAZUR_TOML, sheet, "--json").out)
    assert [(answer["key"], answer["line"]) for answer in data["answers"]] == [("w5+", None), ("w6+", None), ("w7+", None)]


def test_an_update_of_a_bias_that_is_not_updated(tmp_path: Path, run_cli: Any) -> None:
    sheet = write(tmp_path, "s.txt", "b2+ = 0.6\nb_o1+ = 0.6\n")
    result = run_cli("check", MAZUR_TOML, sheet, "--json")
    first = json.loads(result.out)["answers"][0]
    assert first["status"] == "unknown" and "suggestions" not in first
    assert first["note"] == "biases are not updated in this exercise (update_biases = false): b2 keeps its value"


# -- working shown, working checked --------------------------------------------------------------
def test_a_slip_in_the_last_step_of_right_working() -> None:
    assert MAZUR["net_h1"] == pytest.approx(0.3775)  # 0.15*0.05 + 0.2*0.1 + 0.35
    report = api.check(MAZUR_TOML, texts={"s.txt": "net_h1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3875\n"})
    answer = report.files[0].answers[0]
    assert answer.status == "wrong" and answer.diagnosis.code == "arithmetic_slip"
    assert answer.diagnosis.message == "Your working gives 0.3775; the slip is in the last step."
    right = api.check(MAZUR_TOML, texts={"s.txt": "out_h1 = 1/(1+e^-0.3775) = 0.5933\n"}).files[0].answers[0]
    assert right.status == "correct"
    wrong_working = api.check(MAZUR_TOML, texts={"s.txt": "net_h1 = 0.15*0.05 + 0.2*0.2 + 0.35 = 0.3975\n"})
    assert wrong_working.files[0].answers[0].diagnosis is None  # the working is wrong too: no slip to point at


def test_working_without_a_final_number_says_what_to_write() -> None:
    answer = api.check(MAZUR_TOML, texts={"s.txt": "net_h1 = 0.15*0.05 + 0.2*0.1 + 0.35\n"}).files[0].answers[0]
    assert answer.status == "unparsed" and "the working has no final number" in answer.note


# -- command-line messages ------------------------------------------------------------------------
def test_swapped_arguments_are_named(tmp_path: Path, run_cli: Any) -> None:
    sheet = write(tmp_path, "alice.txt", "w5+ = 0.3589\n")
    result = run_cli("check", sheet, MAZUR_TOML)
    assert result.code == 2
    assert result.err == (f"stepbystep: error: {sheet}: this is an answer file, and {MAZUR_TOML} is a spec: "
                          f"the spec comes first (stepbystep check {MAZUR_TOML} {sheet} …)\n")


def test_a_spec_given_as_an_answer_file_is_named(tmp_path: Path, run_cli: Any) -> None:
    result = run_cli("check", MAZUR_TOML, MAZUR_TOML, "--json")
    assert "this is a spec file, not an answer file" in json.loads(result.out)["error"]


def test_a_bare_command_points_to_help(run_cli: Any) -> None:
    result = run_cli()
    assert result.code == 2 and "`stepbystep --help` lists the commands" in result.err


def test_a_missing_loss_lists_the_choices(tmp_path: Path, run_cli: Any) -> None:
    data = mazur_dict()
    del data["loss"]
    spec = write(tmp_path, "s.json", json.dumps(data))
    result = run_cli("render", spec)
    assert result.code == 2 and "loss: missing (required; one of: half_sse, sse," in result.err


def test_the_problem_sheet_says_exactly_what_to_write(run_cli: Any) -> None:
    out = run_cli("variants", EXAMPLES / "mazur-variants.toml", "--count", "1", "--seed", "9", "--format", "md").out
    problems = out.partition("# Solutions")[0]
    assert "```text\nVariant: 9-1\nout_o1 = …\nE_total = …\n```" in problems
    assert "shown for completeness" not in problems and "Biases are not updated, as in Mazur's post." in problems
    bank = run_cli("variants", EXAMPLES / "mazur-variants.toml", "--count", "1", "--seed", "9", "--format", "moodle-xml").out
    assert "<code>Variant: 9-1</code>" in bank and "shown for completeness" not in bank.split("generalfeedback")[0]


def test_the_readme_python_example_for_grading_runs(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import re
    import textwrap

    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Checking homework", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)^\s*```", section, flags=re.S | re.M)
    assert code is not None
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "alice.txt", f"w5+ = {MAZUR['w5+']:.6f}\n")
    write(tmp_path, "bob.txt", "w5+ = 0.4411\n")
    exec(textwrap.dedent(code.group(1)).replace("examples/mazur.toml", str(MAZUR_TOML)), {})  # noqa: S102
    out = capsys.readouterr().out
    assert "alice.txt 1 1 None None" in out and "bob.txt 0 1" in out and '"status": "wrong"' in out
