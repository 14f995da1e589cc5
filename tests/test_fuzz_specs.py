"""Hostile specs thrown at the loader and at `render` (issue 14 §6): deep
nesting, huge strings and numbers, NaN and infinity in any table, wrong
types, byte-order marks, broken text. Every one ends in a result or in one
clean `stepbystep: error:` line (exit 2) within the time and memory bounds,
never "internal error" and never a traceback.

The default run throws 400 specs; `pytest -m slow` (which CI runs, .ci/run)
throws 10,000 more with other seeds.
"""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import mazur_dict, toml_text
from hostile import GIGABYTE, bounded
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stepbystep.cli import main


def _nest(depth: int, kind: str) -> Any:
    value: Any = 1.0
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


HOSTILE_VALUES = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 0.0, -0.0, 10**400, -(10**30), 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**6, 10**6),
    st.builds(lambda unit, count: unit * count,
              st.sampled_from(["x", "*\\$&<", "\\(\\href{javascript:alert(1)}{X}\\)", "é€😀", "{{ }}", "\u2028"]),
              st.sampled_from([1, 50, 2_000, 20_000, 300_000])),
    st.text(max_size=20),
    st.builds(_nest, st.sampled_from([3, 20, 40, 400]), st.sampled_from(["list", "dict"])),
    st.sampled_from([None, True, False, [], {}, [[]], [{}], {"range": [math.nan, 1]}, {"rtol": math.nan}]),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=5),
)
KEYS = ["title", "notes", "check", "variants", "training", "rtol", "atol", "decimals", "significant", "range",
        "weights", "bias", "name", "size", "epochs", "record", "mode", "inputs", "targets", "E_total", "x", "f",
        "ask", "count", "seed", "hand_rounding", "max_tries", "learning_rate", "nodes", "output"]


def base_network() -> dict[str, Any]:
    spec = mazur_dict()
    spec["notes"] = {"E_total": "the total error", "after1.E_total": "after one update"}
    spec["check"] = {"rtol": 7e-4, "atol": 1e-9}
    spec["variants"] = {"weights": {"range": [-1, 1], "decimals": 2}, "ask": ["E_total", "w5+"]}
    spec["training"] = {"mode": "online", "epochs": 2, "record": [1]}
    return spec


def base_graph() -> dict[str, Any]:
    return {"title": "f = (x + y) z", "inputs": {"x": -2.0, "y": 5.0, "z": -4.0},
            "nodes": {"q": "x + y", "f": "sigmoid(q * z)"}, "notes": {"f": "the output"},
            "check": {"rtol": 0.001}, "variants": {"inputs": {"range": [-3, 3], "decimals": 1}}}


def _places(node: Any, path: tuple = ()) -> list[tuple]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        found.append(path + (key,))
        if len(path) < 8:
            found.extend(_places(child, path + (key,)))
    return found


def _at(spec: Any, path: tuple) -> Any:
    for key in path:
        spec = spec[key]
    return spec


@st.composite
def hostile_specs(draw: st.DrawFn) -> tuple[str, str]:
    """A valid spec mutated 1-4 times, then written as TOML or JSON and maybe broken as text."""
    spec = base_network() if draw(st.booleans()) else base_graph()
    for _ in range(draw(st.integers(1, 4))):
        places = _places(spec)
        operation = draw(st.sampled_from(["replace", "replace", "add", "delete"]))
        if operation == "add" or not places:
            tables = [()] + [place for place in places if isinstance(_at(spec, place), dict)]
            _at(spec, draw(st.sampled_from(tables)))[draw(st.sampled_from(KEYS))] = copy.deepcopy(draw(HOSTILE_VALUES))
            continue
        place = draw(st.sampled_from(places))
        parent = _at(spec, place[:-1])
        if operation == "delete":
            del parent[place[-1]]
        else:
            parent[place[-1]] = copy.deepcopy(draw(HOSTILE_VALUES))  # the strategy's own objects stay intact
    style = draw(st.sampled_from(["toml", "json"]))
    try:
        text = toml_text(spec) if style == "toml" else json.dumps(spec)
    except (TypeError, ValueError, RecursionError):  # None in TOML: write JSON instead
        style, text = "json", json.dumps(spec)
    breakage = draw(st.sampled_from(["none", "none", "none", "bom", "truncate", "dotted", "brackets", "binary"]))
    if breakage == "bom":
        text = "\ufeff" + text
    elif breakage == "truncate":
        text = text[:draw(st.integers(0, len(text)))]
    elif breakage == "dotted":
        text = ("a" + ".a" * draw(st.sampled_from([5, 40, 30_000])) + " = 1\n") + (text if style == "toml" else "")
        style = "toml"
    elif breakage == "brackets":
        depth = draw(st.sampled_from([30, 900, 50_000]))
        text = ('{"title": ' + "[" * depth + "]" * depth + "}") if style == "json" else \
            ("x = " + "[" * depth + "]" * depth + "\n" + text)
    elif breakage == "binary":
        text = text[:100] + "\x00\udcff"[: draw(st.integers(1, 2))] + text[100:]
    return text, style


def run_one(folder: Path, capsys: pytest.CaptureFixture[str], text: str, style: str, command: list[str]) -> None:
    path = folder / f"spec.{style}"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    capsys.readouterr()
    with bounded(seconds=120, memory=2 * GIGABYTE):
        code = main([command[0], str(path), *command[1:]])
    out, err = capsys.readouterr()
    event(f"{command[0]}: exit {code}")
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 0:
        assert err == "" or err.startswith("stepbystep: warning"), err
        assert out
    else:
        assert code == 2, (code, err)
        assert err.startswith(f"stepbystep: error: {path}") and err.count("\n") == 1, err


COMMANDS = st.sampled_from([["answers"], ["render"], ["render", "--format", "html"],
                            ["render", "--format", "html", "--math", "mathjax", "--fragment"],
                            ["variants", "--count", "2", "--seed", "1"]])
FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                   HealthCheck.data_too_large, HealthCheck.large_base_example])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=400, **FUZZ)
@given(hostile_specs(), COMMANDS)
def test_hostile_specs_end_in_a_result_or_one_clean_line(folder: Path, capsys, case, command) -> None:
    run_one(folder, capsys, *case, command)


@pytest.mark.slow
@settings(max_examples=10_000, **FUZZ)
@given(hostile_specs(), COMMANDS)
def test_ten_thousand_hostile_specs(folder: Path, capsys, case, command) -> None:
    run_one(folder, capsys, *case, command)
