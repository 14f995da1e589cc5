"""A note must name a value: TOML puts every key written below `[notes]` into
that table, so `optimizer = "adam"` appended to examples/mazur.toml used to be
a note on no value, shown nowhere, and the run silently stayed plain SGD."""
from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLES

MAZUR = (EXAMPLES / "mazur.toml").read_text(encoding="utf-8")


def test_a_setting_written_below_notes_is_refused(run_cli, tmp_path: Path) -> None:
    spec = tmp_path / "adam.toml"
    spec.write_text(MAZUR + 'optimizer = "adam"\n', encoding="utf-8")
    out = tmp_path / "adam.md"
    result = run_cli("render", spec, "-o", out)
    assert result.code == 2 and not out.exists() and result.out == ""
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"stepbystep: error: {spec}: notes.optimizer: no value of this spec is named")
    assert "move it above the tables" in result.err


def test_a_misspelt_note_name_is_refused_with_the_closest_names(run_cli, tmp_path: Path) -> None:
    spec = tmp_path / "typo.toml"
    spec.write_text(MAZUR.replace('"net_h1" = ', '"net_h" = '), encoding="utf-8")
    result = run_cli("answers", spec)
    assert result.code == 2 and "notes.net_h: " in result.err and "did you mean" in result.err
    assert "net_h1" in result.err


def test_a_note_under_an_alias_names_the_value_to_write_it_under(run_cli, tmp_path: Path) -> None:
    spec = tmp_path / "alias.toml"
    spec.write_text(MAZUR.replace('"net_h1" = ', '"delta_o1" = '), encoding="utf-8")
    result = run_cli("render", spec)
    assert result.code == 2 and "notes.delta_o1: " in result.err and "dE_total/dnet_o1" in result.err


def test_mazurs_notes_still_go_with_a_copy_that_trains_longer(run_cli, tmp_path: Path) -> None:
    """net_h1 is step1.sample1.net_h1 once there are several steps: the note names a value of the net."""
    spec = tmp_path / "longer.toml"
    spec.write_text(MAZUR.replace("[[samples]]", "[training]\nepochs = 3\n\n[[samples]]"), encoding="utf-8")
    assert run_cli("answers", spec).code == 0


def test_a_note_on_a_step_no_longer_shown_is_let_be(run_cli, tmp_path: Path) -> None:
    """descent-adam.toml's note is on step1.theta+; showing step 2 only keeps the spec valid."""
    spec = tmp_path / "later.toml"
    text = (EXAMPLES / "descent-adam.toml").read_text(encoding="utf-8").replace("record = [1, 2]", "record = [2]")
    spec.write_text(text, encoding="utf-8")
    assert run_cli("answers", spec).code == 0
    spec.write_text(text.replace('"step1.theta+" =', '"step1.thetta+" ='), encoding="utf-8")
    result = run_cli("answers", spec)
    assert result.code == 2 and "notes.step1.thetta+: no value of this spec is named" in result.err
