"""The library API (README): load, from_dict, build, value (with aliases), answers, markdown."""
from __future__ import annotations

import copy
import json
import math

import pytest
from conftest import EXAMPLES, MAZUR_TOML, mazur_dict

import stepbystep
from stepbystep.engine.graph import GraphError
from stepbystep.spec.model import SpecError

# mazur-2015.md, exact (float64) column
W5_PLUS = 0.35891647971788465
E_TOTAL = 0.2983711087600027
DELTA_O1 = 0.13849856162855698


def test_load_accepts_str_and_path() -> None:
    for path in (MAZUR_TOML, str(MAZUR_TOML)):
        walk = stepbystep.load(path)
        assert isinstance(walk, stepbystep.Walkthrough)
        assert math.isclose(walk.value("w5+"), W5_PLUS, rel_tol=1e-15)


def test_from_dict_equals_load_and_leaves_the_dict_alone() -> None:
    data = mazur_dict()
    before = copy.deepcopy(data)
    walk = stepbystep.from_dict(data)
    assert data == before
    assert walk.answers() == stepbystep.load(MAZUR_TOML).answers()


def test_json_spec_is_the_same_as_toml(tmp_path) -> None:
    path = tmp_path / "mazur.json"
    path.write_text(json.dumps(mazur_dict()), encoding="utf-8")
    assert stepbystep.load(path).answers() == stepbystep.load(MAZUR_TOML).answers()


def test_build_from_a_parsed_spec() -> None:
    spec = stepbystep.load_spec(MAZUR_TOML)
    walk = stepbystep.build(spec)
    assert walk.spec is spec
    assert math.isclose(walk.value("E_total"), E_TOTAL, rel_tol=1e-15)


@pytest.mark.parametrize("name", ["dE_total/dnet_o1", "delta_o1", "dE_o1/dnet_o1"])
def test_value_accepts_aliases(name: str) -> None:
    assert math.isclose(stepbystep.load(MAZUR_TOML).value(name), DELTA_O1, rel_tol=1e-15)


def test_value_of_an_unknown_name_raises_key_error() -> None:
    with pytest.raises(KeyError):
        stepbystep.load(MAZUR_TOML).value("w99")


def test_answers_are_canonical_and_ordered() -> None:
    walk = stepbystep.load(MAZUR_TOML)
    answers = walk.answers()
    assert list(answers) == walk.trace.names()
    assert "delta_o1" not in answers
    assert all(isinstance(value, float) and math.isfinite(value) for value in answers.values())
    assert answers["w5"] == 0.4 and answers["i1"] == 0.05 and answers["target_o2"] == 0.99


def test_markdown_and_notebook_display() -> None:
    walk = stepbystep.load(MAZUR_TOML)
    document = walk.markdown()
    assert document.startswith("# A step by step backpropagation example")
    assert walk._repr_markdown_() == document
    assert "0.35891648" in document
    assert "0.359" in walk.markdown(precision=3) and "0.35891648" not in walk.markdown(precision=3)


def test_round_to_is_hand_calculation() -> None:
    walk = stepbystep.from_dict(mazur_dict(), round_to=4)
    assert walk.round_to == 4
    assert all(value == round(value, 4) for value in walk.answers().values())
    assert walk.value("net_h1") == 0.3775 and walk.value("out_h1") == 0.5933  # by calculator


def test_errors_are_exceptions_with_the_field_not_output(capsys) -> None:
    data = mazur_dict()
    data["layers"][1]["weights"][1] = [0.25]
    with pytest.raises(SpecError) as caught:
        stepbystep.from_dict(data, source="homework.toml")
    assert str(caught.value) == "homework.toml: layers[1].weights[1]: expected 2 numbers, got 1"
    assert caught.value.path == "layers[1].weights[1]" and caught.value.source == "homework.toml"
    assert isinstance(caught.value, ValueError)
    assert capsys.readouterr() == ("", "")


def test_a_value_that_overflows_is_a_graph_error() -> None:
    data = mazur_dict()
    data["layers"][1].update(activation="linear", weights=[[1e308, 1e308], [0.1, 0.1]])
    data["samples"][0]["inputs"] = [10.0, 10.0]
    with pytest.raises(GraphError) as caught:
        stepbystep.from_dict(data)
    assert caught.value.name == "net_h1"


def test_missing_file_is_a_spec_error(tmp_path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        stepbystep.load(tmp_path / "nothing.toml")


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_every_example_loads(example: str) -> None:
    walk = stepbystep.load(EXAMPLES / example)
    assert walk.answers() and walk.markdown().startswith("# ")
