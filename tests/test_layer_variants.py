"""Variants, problem sheets and Moodle banks of convolution and recurrent exercises.

Each variant's answer key is checked against the independent forward pass
and finite differences of tests/layer_nets.py, run on the variant's own
drawn numbers; the Moodle blanks against the key; a sheet of the key's
values grades as all correct against its own variant.
"""
from __future__ import annotations

import copy
import math
import re
import tomllib
import xml.etree.ElementTree as ET
from typing import Any, Callable

import pytest
from conftest import EXAMPLES
from layer_nets import conv_forward, parameter_paths, rnn_forward, with_parameter

import stepbystep
from stepbystep.exercises.moodle import moodle_xml
from stepbystep.exercises.variants import make_variants
from stepbystep.spec.load import parse_spec

BLANK = re.compile(r"\{[0-9]*:(?:NUMERICAL|NM):=(-?[0-9.eE+-]+)")


def example(name: str, variants: dict[str, Any]) -> dict[str, Any]:
    data = tomllib.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    data["variants"] = variants
    return data


CASES: list[tuple[str, dict[str, Any], Callable[..., tuple[float, dict[str, float]]]]] = [
    ("conv-4x4.toml", {"weights": {"range": [-0.9, 0.9], "decimals": 1}, "inputs": True}, conv_forward),
    ("rnn-3-steps.toml", {"weights": {"range": [-0.9, 0.9], "decimals": 1}, "inputs": True, "targets": True},
     rnn_forward),
]


@pytest.mark.parametrize(("name", "rules", "forward"), CASES, ids=["conv", "rnn"])
def test_each_variants_key_against_the_definitions(name: str, rules: dict[str, Any],
                                                   forward: Callable[..., tuple[float, dict[str, float]]]) -> None:
    spec = parse_spec(example(name, rules), name)
    variants = make_variants(spec, 3, seed=5)
    assert len({str(variant.data) for variant in variants}) == 3
    for variant in variants:
        drawn = copy.deepcopy(variant.data)
        key = variant.key()
        loss, _ = forward(drawn)
        assert math.isclose(key["E_total"], loss, rel_tol=1e-12)
        eta = drawn["learning_rate"]
        for parameter, path in parameter_paths(drawn):
            if f"{parameter}+" not in key:
                continue
            h = 1e-6
            difference = (forward(with_parameter(drawn, path, h))[0] - forward(with_parameter(drawn, path, -h))[0]) / (2 * h)
            before = variant.trace.value(parameter)
            assert math.isclose(key[f"{parameter}+"], before - eta * difference, rel_tol=1e-6, abs_tol=1e-8), parameter


@pytest.mark.parametrize(("name", "rules", "forward"), CASES, ids=["conv", "rnn"])
def test_moodle_blanks_are_the_key(name: str, rules: dict[str, Any], forward: Any) -> None:
    variants = make_variants(parse_spec(example(name, rules), name), 2, seed=9)
    root = ET.fromstring(moodle_xml(variants).encode("utf-8"))
    questions = root.findall("question")[1:]
    assert len(questions) == 2
    for question, variant in zip(questions, variants):
        blanks = [float(found) for found in BLANK.findall(question.findtext("questiontext/text") or "")]
        assert len(blanks) == len(variant.asked)
        for blank, name_ in zip(blanks, variant.asked):
            assert math.isclose(blank, variant.key()[name_], rel_tol=1e-6, abs_tol=1e-9), name_


@pytest.mark.parametrize(("name", "rules", "forward"), CASES, ids=["conv", "rnn"])
def test_a_sheet_of_the_key_grades_correct_against_its_variant(name: str, rules: dict[str, Any], forward: Any,
                                                              tmp_path: Any) -> None:
    data = example(name, rules)
    spec_path = tmp_path / name
    from conftest import toml_text

    spec_path.write_text(toml_text(data), encoding="utf-8")
    from stepbystep.api import variants

    variant = next(variants(spec_path, 2, seed=3))
    sheet = f"Variant: {variant.id}\n" + "\n".join(f"{key} = {value!r}" for key, value in variant.key().items())
    report = stepbystep.check(spec_path, texts={"sheet.txt": sheet})
    assert report.exit_code == 0


def test_problem_sheet_and_solution_render(tmp_path: Any, run_cli) -> None:
    from conftest import toml_text

    for name, rules, _ in CASES:
        path = tmp_path / name
        path.write_text(toml_text(example(name, rules)), encoding="utf-8")
        result = run_cli("variants", path, "--count", "2", "--seed", "1", "--format", "md")
        assert result.code == 0 and "Variant **1-1**" in result.out and "$$" in result.out
        if name.startswith("rnn"):   # the sample's numbers by their names at each step
            assert "x_{2}^{\\langle 3 \\rangle}" in result.out and "x_{4}" not in result.out
