"""`stepbystep check` from the command line: exit codes, reports, JSON shape, bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import MAZUR_TOML

CORRECT_SHEET = "out_h1 = 0.5933\ndE_total/dw5 = 0.08217\nw5+ = 0.3589\ndE_total/dw1 = 0.0004386\nw1+ = 0.1498\n"
# w5+ uphill: 0.4 + 0.5 * 0.082167041 = 0.44108352; out_o1 off in its third significant figure.
WRONG_SHEET = "dE_total/dw5 = 0.08217\nw5+ = 0.4411\nout_o1 = 0.7413\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_a_correct_sheet_exits_0(run_cli, tmp_path):
    result = run_cli("check", MAZUR_TOML, write(tmp_path, "a.txt", CORRECT_SHEET))
    assert result.code == 0, result
    assert "Score: 5/5 (100%)" in result.out and result.out.count("✓") == 5 and result.err == ""


def test_wrong_answers_exit_1_with_expected_values_and_diagnosis(run_cli, tmp_path):
    result = run_cli("check", MAZUR_TOML, write(tmp_path, "a.txt", WRONG_SHEET))
    assert result.code == 1 and result.err == ""
    w5_line = next(line for line in result.out.splitlines() if " w5+ " in line)
    assert "✗" in w5_line and "expected 0.35891648" in w5_line and "wrong_sign" in w5_line
    out_line = next(line for line in result.out.splitlines() if " out_o1 " in line)
    assert "✗" in out_line and "expected 0.75136507" in out_line
    assert "Score: 1/3" in result.out


def test_json_for_one_sheet(run_cli, tmp_path):
    sheet = write(tmp_path, "a.txt", "out_h1 = 0.7\nnet_o1 = 1.14615\nw5+ = 0.4411\nw9 = 1\nw6+ = x\n")
    result = run_cli("check", MAZUR_TOML, sheet, "--json")
    assert result.code == 1
    data = json.loads(result.out)
    assert set(data) == {"file", "summary", "answers"} and data["file"] == str(sheet)
    answers = {answer["written"]: answer for answer in data["answers"]}
    for answer in data["answers"]:
        assert {"name", "given", "expected", "status"} <= set(answer)
    assert answers["out_h1"]["status"] == "wrong" and answers["out_h1"]["expected"] == pytest.approx(0.593269992, abs=1e-9)
    # net_o1 from the student's own out_h1 by hand: 0.40 * 0.7 + 0.45 * 0.596884378 + 0.60 = 1.14859797
    assert answers["net_o1"]["status"] == "wrong" and answers["net_o1"]["recomputed"] == pytest.approx(1.14859797, abs=1e-8)
    assert answers["w5+"]["diagnosis"]["code"] == "wrong_sign" and answers["w5+"]["diagnosis"]["message"]
    assert answers["w9"]["status"] == "unknown" and "w8" in answers["w9"]["suggestions"]
    assert answers["w6+"]["status"] == "unparsed" and answers["w6+"]["given"] is None and answers["w6+"]["text"] == "x"
    summary = data["summary"]
    assert (summary["correct"], summary["wrong"], summary["unknown"], summary["unparsed"]) == (0, 3, 1, 1)
    assert summary["points"] == 0 and summary["out_of"] == 4 and summary["passed"] is False


def test_json_carried_answers_say_where_they_come_from(run_cli, tmp_path):
    # out_h1 = 0.7 by hand: net_o1 = 0.40 * 0.7 + 0.45 * 0.596884378 + 0.60 = 1.148597970
    sheet = write(tmp_path, "a.txt", "out_h1 = 0.7\nnet_o1 = 1.1486\n")
    data = json.loads(run_cli("check", MAZUR_TOML, sheet, "--json").out)
    carried = data["answers"][1]
    assert carried["status"] == "carried" and carried["from"] == ["out_h1"]
    assert data["summary"]["carried"] == 1 and data["summary"]["points"] == 1


def test_a_class_of_sheets(run_cli, tmp_path):
    sheets = [write(tmp_path, "alice.txt", CORRECT_SHEET), write(tmp_path, "bob.txt", WRONG_SHEET),
              write(tmp_path, "carol.txt", "w5+ = 0.4411\nw1+ = 0.1498\n")]
    result = run_cli("check", MAZUR_TOML, *sheets)
    assert result.code == 1
    assert "Class summary: 3 files, 1 all correct" in result.out
    struggle = result.out.split("Where the class struggles")[1]
    assert "w5+" in struggle and "1/3 right" in struggle and "wrong_sign ×2" in struggle
    assert "wrong_sign (2 sheets)" in result.out

    data = json.loads(run_cli("check", MAZUR_TOML, *sheets, "--json").out)
    assert isinstance(data, list) and [item["file"] for item in data] == [str(sheet) for sheet in sheets]
    assert all(item["class"] == data[0]["class"] for item in data)
    summary = data[0]["class"]
    assert summary["files"] == 3 and summary["passed"] == 1 and summary["diagnoses"] == {"wrong_sign": 2}
    values = {value["name"]: value for value in summary["values"]}
    assert (values["w5+"]["answered"], values["w5+"]["right"]) == (3, 1)
    assert values["w5+"]["share"] == pytest.approx(1 / 3, abs=1e-4) and values["w1+"]["share"] == 1.0


def test_an_unreadable_file_exits_2_and_the_rest_is_graded(run_cli, tmp_path):
    good = write(tmp_path, "good.txt", CORRECT_SHEET)
    result = run_cli("check", MAZUR_TOML, good, tmp_path / "missing.txt", tmp_path)
    assert result.code == 2
    assert result.err.splitlines() == [f"stepbystep: error: {tmp_path / 'missing.txt'}: no such file",
                                       f"stepbystep: error: {tmp_path}: is a directory, not an answer file"]
    assert "Score: 5/5" in result.out and "Traceback" not in result.out + result.err


@pytest.mark.parametrize("content", [
    b"\x00\x01\x02PK binary", b"w5+ = 0.3589\nout_h1 = 0.59\xff33\n", b'{"w5+": 0.35', b"", b"# only a comment\n",
    b"w5+ = 0.3589\nw5+ = 0.3589\n", "w5⁺ = 0.3589\n".encode("utf-16"), b"\xef\xbb\xbfw5+ = 0.3589\r\n",
])
def test_bad_sheets_are_reported_never_a_traceback(run_cli, tmp_path, content):
    result = run_cli("check", MAZUR_TOML, write(tmp_path, "s.txt", content))
    assert result.code in (0, 1) and result.err == "" and "Traceback" not in result.out
    assert result.code == (0 if content.endswith((b"0.3589\r\n",)) or content[:2] == b"\xff\xfe" else 1)


@pytest.mark.parametrize("args", [("--rtol", "-1"), ("--rtol", "abc"), ("--atol", "2"), ("--rtol", "nan")])
def test_bad_tolerances_exit_2(run_cli, tmp_path, args):
    result = run_cli("check", MAZUR_TOML, write(tmp_path, "a.txt", CORRECT_SHEET), *args)
    assert result.code == 2 and result.err.startswith("stepbystep: error:") and len(result.err.splitlines()) == 1


def test_usage_errors_exit_2(run_cli, tmp_path):
    assert run_cli("check", MAZUR_TOML).code == 2
    missing_spec = run_cli("check", tmp_path / "nope.toml", write(tmp_path, "a.txt", CORRECT_SHEET))
    assert missing_spec.code == 2 and missing_spec.err.startswith("stepbystep: error:") and missing_spec.out == ""


def test_the_tolerance_from_the_command_line_and_from_the_spec(run_cli, tmp_path):
    sheet = write(tmp_path, "a.txt", "out_o1 = 0.7513\nout_h1 = 0.59\n")  # 0.59: 5.5e-3 relative off
    assert run_cli("check", MAZUR_TOML, sheet).code == 1
    assert run_cli("check", MAZUR_TOML, sheet, "--rtol", "0.01").code == 0
    loose = write(tmp_path, "loose.toml", MAZUR_TOML.read_text() + "\n[check]\nrtol = 0.01\natol = 0\n")
    assert run_cli("check", loose, sheet).code == 0
    assert run_cli("check", loose, sheet, "--rtol", "0.001").code == 1  # the command line wins
    assert run_cli("check", MAZUR_TOML, sheet, "--atol", "0.01").code == 0


@pytest.mark.parametrize("table, field", [("rtol = 'abc'", "check.rtol"), ("rtol = -0.1", "check.rtol"),
                                          ("rtol = 1.5", "check.rtol"), ("atol = true", "check.atol"),
                                          ("tolerance = 0.1", "check.tolerance")])
def test_a_bad_check_table_is_refused_in_one_line(run_cli, tmp_path, table, field):
    spec = write(tmp_path, "bad.toml", MAZUR_TOML.read_text() + f"\n[check]\n{table}\n")
    result = run_cli("check", spec, write(tmp_path, "a.txt", CORRECT_SHEET))
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"stepbystep: error: {spec}: {field}: ") and len(result.err.splitlines()) == 1


def test_hostile_bytes_never_reach_the_terminal_or_break_the_output(run_cli, tmp_path):
    sheet = write(tmp_path, "s.txt", b"w\xff5+ = 0.3589\n\x1b[31mout_h1\x1b[0m = 0.5933\nw5+ = 0.3589\n")
    text = run_cli("check", MAZUR_TOML, sheet)
    assert text.code == 1 and "\x1b" not in text.out and text.err == ""
    data = json.loads(run_cli("check", MAZUR_TOML, sheet, "--json").out)
    assert [answer["status"] for answer in data["answers"]] == ["unparsed", "unknown", "correct"]
    assert "UTF-8" in data["answers"][0]["note"]


def test_a_json_sheet_with_a_lone_surrogate(run_cli, tmp_path):
    sheet = write(tmp_path, "s.json", b'{"w5+\\ud800": 1, "w5+": "0.3589\\udfff", "w6+": 0.4087}')
    for args in ((), ("--json",)):
        result = run_cli("check", MAZUR_TOML, sheet, *args)
        assert result.code == 1 and result.err == ""


def test_the_readme_example_still_holds(run_cli, tmp_path, monkeypatch):
    """The sheet and report shown in README's "Checking homework" (the
    expected 0.35891648 is Mazur's published w5+)."""
    import re

    readme = (MAZUR_TOML.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Checking homework", 1)[1].split("\n## ", 1)[0]
    sheet, report = re.findall(r"^```text\n(.*?)^```", section, flags=re.M | re.S)[:2]
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "alice.txt", sheet)
    result = run_cli("check", MAZUR_TOML, "alice.txt")
    assert result.code == 1 and result.out == report
