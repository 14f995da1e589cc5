"""Comparing optimizers needs a run of two updates or more: `render mazur.toml
--compare sgd,momentum,adam` (one update, no loss curve) printed the page without
any comparison and said nothing. Now it is one error line naming the field."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES

MAZUR = (EXAMPLES / "mazur.toml").read_text(encoding="utf-8")
DESCENT = (EXAMPLES / "descent-adam.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("example", ["mazur.toml", "conv-4x4.toml"])
def test_compare_on_one_update_is_refused(run_cli, example: str) -> None:
    result = run_cli("render", EXAMPLES / example, "--compare", "sgd,momentum,adam")
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert "--compare: this run makes one update" in result.err


def test_a_compare_table_on_one_update_is_refused(run_cli, tmp_path: Path) -> None:
    spec = tmp_path / "one.toml"
    spec.write_text(MAZUR.replace("[[samples]]", '[training]\noptimizer = "adam"\ncompare = ["sgd"]\n\n[[samples]]'),
                    encoding="utf-8")
    result = run_cli("render", spec)
    assert result.code == 2 and f"{spec}: training.compare: this run makes one update" in result.err


def test_a_descent_of_one_step_refuses_compare(run_cli, tmp_path: Path) -> None:
    spec = tmp_path / "one.toml"
    spec.write_text(DESCENT.replace("epochs = 60", "epochs = 1").replace("record = [1, 2]", "record = [1]"),
                    encoding="utf-8")
    result = run_cli("render", spec)
    assert result.code == 2 and f"{spec}: training.compare: this descent makes one step" in result.err


def test_two_updates_compare(run_cli, tmp_path: Path) -> None:
    """Two online updates (two samples, one epoch): the table has the compared column."""
    spec = tmp_path / "two.toml"
    spec.write_text(MAZUR.replace("[[samples]]", '[training]\nmode = "online"\n\n[[samples]]', 1)
                    + "\n", encoding="utf-8")
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("[notes]", "[[samples]]\ninputs = [0.9, 0.2]\ntargets = [0.8, 0.1]\n\n[notes]"),
                    encoding="utf-8")
    result = run_cli("render", spec, "--compare", "adam")
    assert result.code == 0 and "| $E_{\\mathrm{total}}$ (sgd) | adam |" in result.out


def test_variants_of_a_run_showing_no_step_say_what_to_ask(run_cli, tmp_path: Path) -> None:
    """record = [] (every step on the fast path) crashed variants with an internal error
    (min() of nothing); now one line names training.record, and an explicit ask works."""
    adam = (EXAMPLES / "mazur-adam.toml").read_text(encoding="utf-8").replace("record = [1, 2]", "record = []")
    spec = tmp_path / "none.toml"
    spec.write_text(adam, encoding="utf-8")
    result = run_cli("variants", spec, "--count", "1", "--seed", "1", "--format", "md")
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"{spec}: training.record: no step is shown in full" in result.err
    spec.write_text(adam + '\n[variants]\nask = ["after200.E_total"]\n', encoding="utf-8")
    assert run_cli("variants", spec, "--count", "1", "--seed", "1", "--format", "md").code == 0
    descent = (EXAMPLES / "descent-adam.toml").read_text(encoding="utf-8").replace("record = [1, 2]", "record = []")
    descent = descent[:descent.index("[notes]")]   # its note is on step 1, which is no longer shown
    spec.write_text(descent, encoding="utf-8")
    result = run_cli("variants", spec, "--count", "1", "--seed", "1")
    assert result.code == 2 and "training.record: no step is shown in full" in result.err
