"""A known key in the wrong table says where it belongs. Networks and graphs
keep the learning rate in different places (SPEC §1 top level, §6 [training]),
and TOML files every key written below a table header into that table."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES

MAZUR = (EXAMPLES / "mazur.toml").read_text(encoding="utf-8")
DESCENT = (EXAMPLES / "descent-adam.toml").read_text(encoding="utf-8")
NOTES_START = MAZUR.index("[notes]")


@pytest.mark.parametrize("text, field, where", [
    (MAZUR + "\n[training]\noptimizer = \"adam\"\nlearning_rate = 0.1\n", "training.learning_rate",
     "a network's learning rate is the top-level learning_rate"),
    ('learning_rate = 0.1\n' + DESCENT.replace("learning_rate = 0.1\n", ""), "learning_rate",
     "a computation graph's learning rate goes in its [training] table"),
    ('optimizer = "adam"\n' + MAZUR, "optimizer", "it belongs in the [training] table"),
    (MAZUR[:NOTES_START] + "epochs = 3\n", "samples[0].epochs",
     "a key written below [[samples]] belongs to that sample: move it above the tables or into [training]"),
])
def test_a_key_in_the_wrong_table_says_where_it_belongs(run_cli, tmp_path: Path, text: str, field: str,
                                                         where: str) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(text, encoding="utf-8")
    result = run_cli("render", spec)
    assert result.code == 2 and result.err.count("\n") == 1
    assert result.err.startswith(f"stepbystep: error: {spec}: {field}: unknown key (known keys: ")
    assert where in result.err


@pytest.mark.parametrize("example, remove, field, hint", [
    ("rnn-bptt-two-steps.toml", 'type = "rnn"', "layers[1].recurrent", 'belongs to a layer of type = "rnn"'),
    ("conv-4x4.toml", 'type = "conv2d"', "layers[1].kernels", 'belongs to a layer of type = "conv2d"'),
    ("conv-4x4.toml", 'type = "maxpool2d"', "layers[2].stride", 'type = "conv2d", "maxpool2d" or "avgpool2d"'),
])
def test_a_layer_without_its_type_says_which_type_takes_the_key(run_cli, tmp_path: Path, example: str, remove: str,
                                                               field: str, hint: str) -> None:
    spec = tmp_path / example
    spec.write_text((EXAMPLES / example).read_text(encoding="utf-8").replace(remove, "", 1), encoding="utf-8")
    result = run_cli("render", spec)
    assert result.code == 2 and f"{field}: unknown key" in result.err and hint in result.err
