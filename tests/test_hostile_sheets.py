"""One student's sheet never stops the class (issue 14 §3): each reproducer
is reported on its own sheet while the good sheets beside it are graded,
and a hypothesis fuzz throws random bytes, deep JSON, long lines and
hostile variant lines in among good sheets."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import hand_2_2_2 as hand
import pytest
from conftest import REPO, mazur_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepbystep import api
from stepbystep.exercises import variants as variants_module

ASKED = ["out_o1", "E_total", "w5+"]


@pytest.fixture(scope="module")
def exercise(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A [variants] spec (5 variants of any seed) and a right sheet for 2024-1 … 2024-3."""
    folder = tmp_path_factory.mktemp("exercise")
    data = mazur_dict()
    data["variants"] = {"inputs": True, "ask": ASKED, "count": 5}
    spec = folder / "exercise.json"
    spec.write_text(json.dumps(data), encoding="utf-8")
    good = {}
    for variant in api.variants(spec, 3, 2024):
        key = hand.work(variant.data)  # by hand, from the variant's drawn numbers
        good[variant.id] = f"Variant: {variant.id}\n" + "".join(f"{name} = {key[name]:.6g}\n" for name in ASKED)
    return spec, good


def graded_well(report: Any, sources: list[str]) -> bool:
    by_source = {sheet.source: sheet for sheet in report.files}
    return all(by_source[source].passed and len(by_source[source].answers) == len(ASKED) for source in sources)


def class_with(exercise: tuple[Path, dict[str, str]], hostile: dict[str, bytes | str]) -> tuple[Any, list[str]]:
    spec, good = exercise
    texts: dict[str, bytes | str] = {f"good-{ident}.txt": text for ident, text in good.items()}
    texts.update(hostile)
    return api.check(spec, texts=texts), [f"good-{ident}.txt" for ident in good]


def count_draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record every variant drawn (the only costly step towards a variant id)."""
    drawn: list[int] = []
    original = variants_module._make

    def counted(spec: Any, rules: Any, asked: Any, seed: int, index: int, *rest: Any) -> Any:
        drawn.append(index)
        return original(spec, rules, asked, seed, index, *rest)
    monkeypatch.setattr(variants_module, "_make", counted)
    return drawn


# -- the reproducers ------------------------------------------------------------------------
def test_a_variant_beyond_the_spec_is_refused_for_that_sheet_without_drawing(exercise: Any, monkeypatch: Any) -> None:
    drawn = count_draws(monkeypatch)
    report, good = class_with(exercise, {"huge.txt": "Variant: 2024-999999999\nout_o1 = 0.5\n",
                                         "seed.txt": "Variant: 99999999999999999999999-1\nout_o1 = 0.5\n",
                                         "digits.txt": "Variant: 2024-" + "9" * 900 + "\nout_o1 = 0.5\n"})
    assert graded_well(report, good)
    assert sorted(drawn) == [1, 2, 3]  # the good sheets' variants, each drawn once; nothing towards the others
    held = {sheet.source: sheet for sheet in report.files if sheet.status == "no_variant"}
    assert set(held) == {"huge.txt", "seed.txt", "digits.txt"}
    assert "variant 2024-999999999 does not exist for this spec: its [variants] count is 5" in held["huge.txt"].error
    assert "does not exist" in held["seed.txt"].error and "not a variant id" in held["digits.txt"].error


def test_an_absurd_variant_on_the_command_line_is_refused_at_once(exercise: Any, run_cli: Any, monkeypatch: Any,
                                                                  tmp_path: Path) -> None:
    drawn = count_draws(monkeypatch)
    sheet = tmp_path / "s.txt"
    sheet.write_text("out_o1 = 0.5\n", encoding="utf-8")
    result = run_cli("check", REPO / "examples" / "mazur-variants.toml", sheet, "--variant", "1-99999999999")
    assert result.code == 2 and drawn == []
    assert result.err == "stepbystep: error: variant 1-99999999999 does not exist: variants are numbered 1 to 100000\n"


def test_a_long_line_is_reported_not_parsed(exercise: Any) -> None:
    report, good = class_with(exercise, {"spaces.txt": "Variant: 2024-1\nw5+" + " " * 200_000 + "x\nout_o1 = 0.5\n",
                                         "one-line.txt": " " * 200_000})
    assert graded_well(report, good)
    spaces = next(sheet for sheet in report.files if sheet.source == "spaces.txt")
    assert spaces.answers[0].status == "unparsed" and "a line of 200,004 characters (the limit is 1,000)" in spaces.answers[0].note
    assert spaces.answers[1].name == "out_o1"  # the rest of the sheet is read


def test_deep_json_and_bad_bytes_are_that_sheets_report(exercise: Any) -> None:
    deep = '{"variant": "2024-1", "out_o1": ' + "[" * 500 + "]" * 500 + "}"
    assert len(deep) < 1100
    report, good = class_with(exercise, {"deep.json": deep, "latin1.txt": "Variant: 2024-2\nout_o1 = 0,5 \xe9\n".encode("latin-1"),
                                         "binary.txt": b"PK\x03\x04\x00\x00binary", "utf16.txt": "\ufeffVariant: 2024-3\n".encode("utf-16")})
    assert graded_well(report, good)
    by_source = {sheet.source: sheet for sheet in report.files}
    assert "nested 501 levels deep" in by_source["deep.json"].error and "RecursionError" not in by_source["deep.json"].error
    assert "not UTF-8" in by_source["latin1.txt"].answers[0].note
    assert "binary" in by_source["binary.txt"].error


def test_a_named_pipe_is_refused_without_waiting_on_it(exercise: Any, tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    spec, good = exercise
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    sheet = tmp_path / "good.txt"
    sheet.write_text(good["2024-1"], encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "stepbystep", "check", str(spec), str(pipe), str(sheet), "--json"],
                            capture_output=True, text=True, timeout=120, cwd=REPO)  # a hang would stop here, not forever
    assert result.returncode == 2  # an answer file that is not a file: bad input, like a folder
    assert result.stderr == f"stepbystep: error: {pipe}: not a regular file (a named pipe, device or socket), not an answer file\n"
    graded = {Path(sheet["file"]).name: sheet for sheet in json.loads(result.stdout)}
    assert graded["good.txt"]["summary"]["passed"] is True


def test_a_sheet_over_its_time_limit_is_reported_and_the_others_graded(exercise: Any, monkeypatch: Any) -> None:
    """A fake clock that moves one second each time a deadline looks at it:
    a sheet of 3,000 lines looks often enough to pass 10 s, a short one never."""
    from stepbystep.grading import guard

    clock = iter(range(10**9))
    monkeypatch.setattr(guard.time, "monotonic", lambda: float(next(clock)))
    long_sheet = "Variant: 2024-1\n" + "out_o1 = 0.5\n" * 3000
    report, good = class_with(exercise, {"long.txt": long_sheet})
    assert graded_well(report, good)
    slow = next(sheet for sheet in report.files if sheet.source == "long.txt")
    assert slow.error == "took longer than the time limit of 10 s per sheet"


def test_a_failure_inside_the_grader_is_one_sheets_report(exercise: Any, monkeypatch: Any) -> None:
    from stepbystep.grading import check

    original = check.Grader._unknown

    def broken(self: Any, entry: Any) -> Any:
        if entry.written == "explode":
            raise RecursionError("maximum recursion depth exceeded")
        return original(self, entry)
    monkeypatch.setattr(check.Grader, "_unknown", broken)
    report, good = class_with(exercise, {"bad.txt": "Variant: 2024-1\nexplode = 1\n"})
    assert graded_well(report, good)
    assert next(sheet for sheet in report.files if sheet.source == "bad.txt").error.startswith("nested too deeply")


# -- the fuzz --------------------------------------------------------------------------------
variant_lines = st.one_of(
    st.builds(lambda seed, index: f"Variant: {seed}-{index}", st.integers(0, 10**30), st.integers(0, 10**30)),
    st.builds(lambda text: f"Variant: {text}", st.text(max_size=60)),
    st.builds(lambda index: f"variant 2024-{index} · Name: x", st.integers(-5, 10**12)),
    st.just("Variant: 2024-" + "9" * 4400),
)
hostile_sheets = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda depth: '{"a": ' + "[" * depth + "]" * depth + "}", st.integers(1, 3000)),
    st.builds(lambda depth: "{" * depth, st.integers(1, 3000)),
    st.builds(lambda size, char: "w5+ = " + char * size + "1", st.integers(500, 300_000), st.sampled_from(" (9.=-e")),
    st.builds(lambda line, body: f"{line}\n{body}", variant_lines, st.text(max_size=400)),
    st.text(max_size=2000),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(sheets=st.lists(hostile_sheets, min_size=1, max_size=4))
def test_hostile_sheets_never_stop_the_good_ones(exercise: Any, sheets: list[bytes | str]) -> None:
    report, good = class_with(exercise, {f"hostile-{number}.txt": sheet for number, sheet in enumerate(sheets)})
    assert graded_well(report, good)
    assert len(report.files) == len(good) + len(sheets)
    assert all("internal error" not in (sheet.error or "") for sheet in report.files)
    api.check_report(report), api.check_report(report, as_json=True)  # and the report can be written
