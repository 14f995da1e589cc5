"""The command line (SPEC §3): render and answers, -o, --precision, --round."""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, MAZUR_TOML, REPO

import stepbystep


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=REPO, timeout=120)


def console_script() -> str:
    script = Path(sys.executable).with_name("stepbystep")
    return str(script) if script.exists() else "stepbystep"


# -- whole processes ---------------------------------------------------------------
def test_console_script_and_module_print_the_same_walkthrough() -> None:
    script = run(console_script(), "render", "examples/mazur.toml")
    module = run(sys.executable, "-m", "stepbystep", "render", "examples/mazur.toml")
    for result in (script, module):
        assert result.returncode == 0 and result.stderr == ""
        assert result.stdout.startswith("# A step by step backpropagation example")
        assert "0.35891648" in result.stdout  # w5+ (Mazur)
    assert script.stdout == module.stdout


def test_help_exits_zero() -> None:
    result = run(sys.executable, "-m", "stepbystep", "--help")
    assert result.returncode == 0 and "render" in result.stdout and "answers" in result.stdout


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_every_example_renders(example: str, run_cli) -> None:
    result = run_cli("render", EXAMPLES / example)
    assert result.code == 0 and result.err == "", result.err
    assert result.out.startswith("# ")


# -- answers ---------------------------------------------------------------------------
def answers_pairs(text: str) -> list[tuple[str, float]]:
    pairs: list[tuple[str, float]] = []
    json.loads(text, object_pairs_hook=lambda items: pairs.extend(items) or dict(items))
    return pairs


def test_answers_is_one_json_object_in_trace_order(run_cli) -> None:
    result = run_cli("answers", MAZUR_TOML, "--format", "json")
    assert result.code == 0 and result.err == ""
    pairs = answers_pairs(result.out)
    names = [name for name, _ in pairs]
    assert len(names) == len(set(names))
    assert isinstance(json.loads(result.out), dict)
    walk = stepbystep.load(MAZUR_TOML)
    assert names == walk.trace.names()
    # the order a person computes in (Mazur's post)
    order = ["w1", "i1", "net_h1", "out_h1", "net_o1", "out_o1", "E_o1", "E_total", "dE_total/dout_o1",
             "dout_o1/dnet_o1", "dE_total/dnet_o1", "dnet_o1/dw5", "dE_total/dw5", "w5+", "dE_o1/dout_h1",
             "dE_total/dout_h1", "dE_total/dw1", "w1+", "dE_total/di1", "after1.E_total"]
    positions = [names.index(name) for name in order]
    assert positions == sorted(positions)
    # canonical names only (SPEC §2: aliases are for check), full precision
    assert "delta_o1" not in names and "dE_o1/dnet_o1" not in names
    for name, value in pairs:
        assert value == walk.value(name)


def test_answers_of_a_batch_use_prefixes(run_cli) -> None:
    result = run_cli("answers", EXAMPLES / "batch-mean.toml")
    answers = json.loads(result.out)
    assert "step1.sample2.out_o1" in answers and "step1.E_total" in answers and "step1.w5+" in answers
    # mean reduction, computed here from the two samples' own values
    for name in ("E_total", "dE_total/dw5", "dE_total/dw1"):
        mean = (answers[f"step1.sample1.{name}"] + answers[f"step1.sample2.{name}"]) / 2
        assert math.isclose(answers[f"step1.{name}"], mean, rel_tol=1e-15)
    assert math.isclose(answers["step1.w5+"], 0.4 - 0.5 * answers["step1.dE_total/dw5"], rel_tol=1e-15)


# -- -o ------------------------------------------------------------------------------
def test_output_file_holds_exactly_the_document(tmp_path: Path, run_cli) -> None:
    target = tmp_path / "walk.md"
    target.write_text("old", encoding="utf-8")
    written = run_cli("render", MAZUR_TOML, "-o", target)
    assert written.code == 0 and written.out == "" and written.err == ""
    printed = run_cli("render", MAZUR_TOML)
    assert target.read_text(encoding="utf-8") == printed.out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary file was left"


def test_output_is_written_to_a_temporary_file_then_renamed(tmp_path: Path, run_cli, monkeypatch) -> None:
    target = tmp_path / "walk.md"
    renames: list[tuple[Path, Path, str]] = []
    real_replace = os.replace

    def spy(source, destination):  # type: ignore[no-untyped-def]
        renames.append((Path(source), Path(destination), Path(source).read_text(encoding="utf-8")))
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", spy)
    assert run_cli("render", MAZUR_TOML, "-o", target).code == 0
    walk_renames = [r for r in renames if r[1] == target]
    assert len(walk_renames) == 1
    source, _, content = walk_renames[0]
    assert source.parent == target.parent and source != target
    assert content == target.read_text(encoding="utf-8")


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, run_cli, monkeypatch) -> None:
    target = tmp_path / "walk.md"
    target.write_text("the old document\n", encoding="utf-8")

    def fail(source, destination):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device", str(destination))

    monkeypatch.setattr(os, "replace", fail)
    result = run_cli("render", MAZUR_TOML, "-o", target)
    assert result.code == 2 and result.out == ""
    assert result.err == f"stepbystep: error: {target}: cannot write (No space left on device)\n"
    assert target.read_text(encoding="utf-8") == "the old document\n"
    assert [p.name for p in tmp_path.iterdir()] == ["walk.md"]


# -- --precision and --round ---------------------------------------------------------------
def equation_values(markdown: str) -> list[str]:
    values = []
    for block in re.findall(r"\$\$(.+?)\$\$", markdown, flags=re.S):
        last = block.replace(r"\end{aligned}", "").rsplit("=", 1)[-1].strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", last):
            values.append(last)
    return values


@pytest.mark.parametrize("precision", [0, 3, 12])
def test_precision_sets_the_printed_decimals(precision: int, run_cli) -> None:
    result = run_cli("render", MAZUR_TOML, "--precision", str(precision))
    assert result.code == 0
    values = equation_values(result.out)
    assert len(values) > 50
    assert all(len(v.partition(".")[2]) <= precision for v in values)
    # w5+ = 0.35891647971788465 (mazur-2015.md, exact column), rounded here
    expected = f"{0.35891647971788465:.{precision}f}".rstrip("0").rstrip(".") if precision else "0"
    assert re.search(r"w_\{5\}\^\{\+\} = [^$]* = " + re.escape(expected) + r"\$\$", result.out)


def test_precision_12_shows_more_digits_than_the_default(run_cli) -> None:
    assert "0.359" in run_cli("render", MAZUR_TOML, "--precision", "3").out
    assert "0.358916479718" in run_cli("render", MAZUR_TOML, "--precision", "12").out


def hand_rounded_mazur(k: int) -> dict[str, float]:
    """Mazur's forward pass by calculator: each named value rounded to k decimals."""
    r = lambda x: round(x, k)  # noqa: E731
    sigmoid = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    v: dict[str, float] = {}
    v["net_h1"] = r(0.15 * 0.05 + 0.2 * 0.1 + 0.35 * 1)
    v["net_h2"] = r(0.25 * 0.05 + 0.3 * 0.1 + 0.35 * 1)
    v["out_h1"], v["out_h2"] = r(sigmoid(v["net_h1"])), r(sigmoid(v["net_h2"]))
    v["net_o1"] = r(0.4 * v["out_h1"] + 0.45 * v["out_h2"] + 0.6 * 1)
    v["net_o2"] = r(0.5 * v["out_h1"] + 0.55 * v["out_h2"] + 0.6 * 1)
    v["out_o1"], v["out_o2"] = r(sigmoid(v["net_o1"])), r(sigmoid(v["net_o2"]))
    v["E_o1"], v["E_o2"] = r(0.5 * (0.01 - v["out_o1"]) ** 2), r(0.5 * (0.99 - v["out_o2"]) ** 2)
    v["E_total"] = r(v["E_o1"] + v["E_o2"])
    v["dE_total/dout_o1"] = r(-(0.01 - v["out_o1"]))
    v["dout_o1/dnet_o1"] = r(v["out_o1"] * (1 - v["out_o1"]))
    v["dE_total/dnet_o1"] = r(v["dE_total/dout_o1"] * v["dout_o1/dnet_o1"])
    v["dE_total/dw5"] = r(v["dE_total/dout_o1"] * v["dout_o1/dnet_o1"] * v["out_h1"])
    v["w5+"] = r(0.4 - 0.5 * v["dE_total/dw5"])
    return v


@pytest.mark.parametrize("k", [3, 4])
def test_round_is_hand_calculation_mode(k: int, run_cli) -> None:
    result = run_cli("answers", MAZUR_TOML, "--round", str(k))
    assert result.code == 0
    answers = json.loads(result.out)
    assert all(value == round(value, k) for value in answers.values())
    for name, expected in hand_rounded_mazur(k).items():
        assert answers[name] == pytest.approx(expected, abs=1e-12), name
    document = run_cli("render", MAZUR_TOML, "--round", str(k)).out
    assert f"rounded to {k} decimals" in document
    assert all(len(v.partition(".")[2]) <= k for v in equation_values(document))


def test_output_path_that_is_a_folder(tmp_path: Path, run_cli) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    result = run_cli("render", MAZUR_TOML, "-o", folder)
    assert result.code == 2 and result.err.startswith(f"stepbystep: error: {folder}: is a folder")
    assert result.err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"] and not list(folder.iterdir())
