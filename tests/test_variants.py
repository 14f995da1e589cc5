"""Randomized variants: drawn as declared, reproducible, valid specs, and
keys that match an independent hand-written computation of Mazur's net."""
from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepbystep.api import build
from stepbystep.exercises.export import solutions_path, variants_json
from stepbystep.exercises.variants import (
    DEFAULT_MIN_ACTIVATION_DERIVATIVE,
    Draw,
    iter_variants,
    make_variant,
    make_variants,
    parse_variant_id,
    read_rules,
    rejection,
)
from stepbystep.spec.load import parse_spec
from stepbystep.spec.model import SpecError

# Not from conftest: with a second conftest.py (tests/benchmarks) `from conftest import`
# can find the wrong one.
REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def mazur_dict() -> dict[str, Any]:
    """A fresh copy of examples/mazur.toml as a dict."""
    with (EXAMPLES / "mazur.toml").open("rb") as stream:
        return tomllib.load(stream)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def mazur_oracle(data: dict[str, Any]) -> dict[str, float]:
    """Mazur's 2-2-2 sigmoid net, half squared error, shared fixed biases,
    one gradient step, written out by hand from the post's formulas."""
    hidden, output = data["layers"][1], data["layers"][2]
    w1, b1, w2, b2 = hidden["weights"], hidden["bias"], output["weights"], output["bias"]
    x, t = data["samples"][0]["inputs"], data["samples"][0]["targets"]
    eta = data["learning_rate"]

    def forward(wa: list[list[float]], wb: list[list[float]]) -> tuple[list[float], list[float]]:
        out_h = [sigmoid(wa[j][0] * x[0] + wa[j][1] * x[1] + b1) for j in range(2)]
        out_o = [sigmoid(wb[k][0] * out_h[0] + wb[k][1] * out_h[1] + b2) for k in range(2)]
        return out_h, out_o

    out_h, out_o = forward(w1, w2)
    error = sum(0.5 * (t[k] - out_o[k]) ** 2 for k in range(2))
    delta_o = [(out_o[k] - t[k]) * out_o[k] * (1 - out_o[k]) for k in range(2)]
    delta_h = [sum(delta_o[k] * w2[k][j] for k in range(2)) * out_h[j] * (1 - out_h[j]) for j in range(2)]
    new_w2 = [[w2[k][j] - eta * delta_o[k] * out_h[j] for j in range(2)] for k in range(2)]
    new_w1 = [[w1[j][i] - eta * delta_h[j] * x[i] for i in range(2)] for j in range(2)]
    _, after_o = forward(new_w1, new_w2)
    values = {"E_total": error, "out_o1": out_o[0], "out_o2": out_o[1],
              "dE_total/dw5": delta_o[0] * out_h[0], "dE_total/dw1": delta_h[0] * x[0],
              "after1.E_total": sum(0.5 * (t[k] - after_o[k]) ** 2 for k in range(2)),
              "sigma_primes": min(o * (1 - o) for o in out_h + out_o)}
    for n, weight in enumerate([w for row in new_w1 for w in row] + [w for row in new_w2 for w in row], start=1):
        values[f"w{n}+"] = weight
    return values


def with_variants(table: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = mazur_dict()
    data.update(changes)
    data["variants"] = table
    return data


# -- drawing and keys --------------------------------------------------------------
def test_default_varies_only_the_weights_on_the_declared_grid() -> None:
    spec = parse_spec(mazur_dict())
    original = mazur_dict()
    for variant in make_variants(spec, 20, seed=7):
        data = variant.data
        weights = [w for layer in data["layers"][1:] for row in layer["weights"] for w in row]
        assert all(-1 <= w <= 1 and round(w, 2) == w for w in weights)
        assert [layer.get("bias") for layer in data["layers"]] == [layer.get("bias") for layer in original["layers"]]
        assert data["samples"] == original["samples"]
        assert data["learning_rate"] == original["learning_rate"]
        assert "notes" not in data and "variants" not in data  # Mazur's notes explain his numbers, not these
        assert variant.id in data["title"]


def test_keys_match_a_hand_computation_of_mazurs_net() -> None:
    spec = parse_spec(with_variants({
        "weights": {"range": [-1, 1], "decimals": 2}, "biases": {"range": [0, 1], "decimals": 2},
        "inputs": {"range": [0, 1], "decimals": 2}, "targets": {"range": [0.01, 0.99], "decimals": 2},
        "learning_rate": {"range": [0.1, 1], "decimals": 1},
        "ask": ["out_o1", "E_total", "dE_total/dw5", "w5+", "dE_total/dw1", "w1+", "after1.E_total"]}))
    learning_rates = set()
    for variant in make_variants(spec, 25, seed=2024):
        oracle = mazur_oracle(variant.data)
        assert list(variant.key()) == ["out_o1", "E_total", "dE_total/dw5", "w5+", "dE_total/dw1", "w1+", "after1.E_total"]
        for name, value in variant.key().items():
            assert value == pytest.approx(oracle[name], rel=1e-12, abs=1e-15), (variant.id, name)
        for n in range(1, 9):
            assert variant.trace.value(f"w{n}+") == pytest.approx(oracle[f"w{n}+"], rel=1e-12)
        learning_rates.add(variant.data["learning_rate"])
    assert len(learning_rates) > 3 and all(0.1 <= lr <= 1 and round(lr, 1) == lr for lr in learning_rates)


def test_default_questions_are_the_loss_the_updates_and_the_loss_after() -> None:
    variant = make_variant(parse_spec(mazur_dict()), 3, 1)
    assert variant.asked == ("E_total", "w5+", "w6+", "w7+", "w8+", "w1+", "w2+", "w3+", "w4+", "after1.E_total")


def test_variant_k_does_not_depend_on_how_many_were_made() -> None:
    spec = parse_spec(mazur_dict())
    five = make_variants(spec, 5, seed=11)
    alone = make_variant(spec, 11, 4)
    assert alone.id == "11-4" and alone.data == five[3].data
    assert five[0].data != five[1].data
    assert make_variants(spec, 1, seed=12)[0].data != five[0].data


def test_each_variant_spec_round_trips_through_json_to_the_same_answers() -> None:
    spec = parse_spec(with_variants({"biases": True, "inputs": True, "targets": True, "learning_rate": True}))
    entries = json.loads(variants_json(iter_variants(spec, 10, seed=5)))
    assert [entry["id"] for entry in entries] == [f"5-{k}" for k in range(1, 11)]
    for entry in entries:
        rebuilt = build(parse_spec(entry["spec"], "variant.json"))
        assert rebuilt.answers() == entry["answers"]  # bit for bit: the spec's numbers are exact decimals
        assert set(entry["questions"]) <= set(entry["answers"])


def test_same_seed_same_bytes_in_separate_processes(tmp_path: Any) -> None:
    outputs = []
    for hash_seed in ("1", "2"):
        target = tmp_path / f"v{hash_seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "stepbystep", "variants", str(EXAMPLES / "mazur-variants.toml"),
                        "--count", "15", "--seed", "99", "-o", str(target)], check=True, env=env, cwd=REPO)
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])[0]["id"] == "99-1"


def test_graph_spec_inputs_vary_and_keys_match_the_chain_rule() -> None:
    from stepbystep.spec.load import load_spec

    spec = load_spec(EXAMPLES / "circuit-add-multiply.toml")  # f = (x + y) z
    for variant in make_variants(spec, 10, seed=3):
        x, y, z = (variant.data["inputs"][name] for name in ("x", "y", "z"))
        assert all(-2 <= v <= 2 and round(v, 1) == v for v in (x, y, z))
        key = variant.key()
        assert list(key) == ["f", "df/dx", "df/dy", "df/dz"]
        assert key["f"] == pytest.approx((x + y) * z, abs=1e-12)
        assert key["df/dx"] == pytest.approx(z) and key["df/dy"] == pytest.approx(z)
        assert key["df/dz"] == pytest.approx(x + y)


def test_graph_inputs_per_name() -> None:
    data = {"inputs": {"x": 1.0, "y": 2.0}, "nodes": {"f": "x * y"},
            "variants": {"inputs": {"x": {"range": [3, 4], "decimals": 0}, "y": False}}}
    variants = make_variants(parse_spec(data), 2, seed=1)
    assert all(variant.data["inputs"]["y"] == 2.0 for variant in variants)
    assert sorted(variant.data["inputs"]["x"] for variant in variants) == [3.0, 4.0]
    with pytest.raises(SpecError, match=r"variants\.inputs\.q: not an input of the graph \(inputs: x, y\)"):
        read_rules(parse_spec({**data, "variants": {"inputs": {"q": True}}}))


# -- redrawing poor exercises ----------------------------------------------------------------
def test_saturated_draws_are_redrawn() -> None:
    spec = parse_spec(with_variants({"weights": {"range": [-6, 6], "decimals": 1}},
                                    samples=[{"inputs": [1.0, 1.0], "targets": [0.01, 0.99]}]))
    variants = make_variants(spec, 20, seed=1)
    for variant in variants:  # checked by hand, not by the program's own rule
        assert mazur_oracle(variant.data)["sigma_primes"] >= DEFAULT_MIN_ACTIVATION_DERIVATIVE
    assert sum(variant.tries for variant in variants) > len(variants)  # some draws were refused


def test_always_saturated_is_a_clean_error() -> None:
    spec = parse_spec(with_variants({"weights": {"range": [4, 6]}, "max_tries": 5},
                                    samples=[{"inputs": [1.0, 1.0], "targets": [0.01, 0.99]}]))
    with pytest.raises(SpecError) as caught:
        make_variants(spec, 1, seed=1)
    message = str(caught.value)
    assert message.startswith("<spec>: variants: variant 1-1: no usable draw in 5 tries (5 times: a sigmoid neuron saturated")
    assert "\n" not in message


def test_vanishing_gradients_are_refused() -> None:
    spec = parse_spec(with_variants({"min_gradient": 0.01, "max_tries": 3}))  # between layer h (~1e-3) and o (~0.08)
    variant_spec = parse_spec(mazur_dict())
    reason = rejection(build(variant_spec).trace, variant_spec, read_rules(spec))
    assert reason is not None and "vanished" in reason and "layer h" in reason
    with pytest.raises(SpecError, match="vanished"):
        make_variants(spec, 1, seed=1)


# -- the [variants] table ------------------------------------------------------------------
@pytest.mark.parametrize(("table", "message"), [
    ({"weights": {"range": [1, -1]}}, "variants.weights.range: expected two numbers low < high"),
    ({"weights": {"range": [0, "1"]}}, "variants.weights.range: expected two numbers low < high"),
    ({"weights": {"range": [0]}}, "variants.weights.range: expected two numbers low < high"),
    ({"biases": {"decimals": 9}}, "variants.biases.decimals: expected a whole number from 0 to 6"),
    ({"biases": {"decimals": 1.5}}, "variants.biases.decimals: expected a whole number from 0 to 6"),
    ({"inputs": {"range": [0.1, 0.2], "decimals": 0}}, "variants.inputs.range: no number with 0 decimals lies from 0.1 to 0.2"),
    ({"inputs": {"step": 1}}, "variants.inputs.step: unknown key (known keys: range, decimals)"),
    ({"inputs": 3}, "variants.inputs: expected true, false or a table"),
    ({"learning_rate": {"range": [0, 1]}}, "variants.learning_rate.range: expected two numbers 0 < low < high"),
    ({"weight": True}, "variants.weight: unknown key (known keys: weights, biases, inputs, targets, learning_rate"),
    ({"ask": "w5+"}, "variants.ask: expected a list of value names"),
    ({"max_tries": 0}, "variants.max_tries: expected a whole number from 1 to 10000"),
    ({"min_gradient": -1}, "variants.min_gradient: expected a number from 0 up"),
])
def test_bad_tables_are_refused_with_the_field(table: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        read_rules(parse_spec(with_variants(table)))
    assert str(caught.value).startswith("<spec>: " + message)


def test_unknown_asked_name_suggests_close_ones() -> None:
    with pytest.raises(SpecError, match=r"variants\.ask\[1\]: unknown value name 'w5\+\+' \(closest: w5\+"):
        make_variants(parse_spec(with_variants({"ask": ["E_total", "w5++"]})), 1, seed=1)


def test_loss_specific_target_rules() -> None:
    data = mazur_dict()
    data["layers"][2] = {"name": "o", "activation": "sigmoid", "weights": [[0.4, 0.45]], "bias": 0.6}
    data.update(loss="bce", samples=[{"inputs": [0.05, 0.1], "targets": [1.0]}], variants={"targets": {"range": [-1, 1]}})
    with pytest.raises(SpecError, match=r"variants\.targets\.range: bce targets must lie from 0 to 1"):
        read_rules(parse_spec(data))
    from stepbystep.spec.load import load_spec

    spec = load_spec(EXAMPLES / "softmax-classifier.toml")
    assert spec.loss == "cross_entropy"  # type: ignore[union-attr]
    with pytest.raises(SpecError, match="variants.targets: cross_entropy targets must sum to 1"):
        read_rules(parse_spec(dict(spec.raw, variants={"targets": True})))


@settings(max_examples=60, deadline=None)
@given(low=st.floats(-5, 5), width=st.floats(0.01, 5), decimals=st.integers(0, 4), seed=st.integers(0, 10**6))
def test_draws_stay_on_the_grid_inside_the_range(low: float, width: float, decimals: int, seed: int) -> None:
    draw = Draw(low, low + width, decimals)
    first, last = draw.grid()
    if first > last:
        return  # refused by read_rules (tested above)
    rng = random.Random(seed)
    for _ in range(20):
        value = draw.sample(rng)
        assert low - 1e-9 <= value <= low + width + 1e-9
        assert round(value, decimals) == value


def test_variant_ids() -> None:
    assert parse_variant_id("42-7") == (42, 7)
    for bad in ("42", "42-0", "a-1", "-1-2", "4 2-1"):
        with pytest.raises(ValueError, match="not a variant id"):
            parse_variant_id(bad)
    assert solutions_path("class.md") == "class-solutions.md"
    assert solutions_path("out/sheet") == "out/sheet-solutions.md"
    assert solutions_path("a.b/sheet") == "a.b/sheet-solutions.md"


@pytest.mark.parametrize("example", sorted(path.name for path in EXAMPLES.glob("*.toml")))
def test_every_example_gives_variants_that_round_trip(example: str) -> None:
    from stepbystep.spec.load import load_spec

    spec = load_spec(EXAMPLES / example)
    entries = json.loads(variants_json(iter_variants(spec, 2, seed=31)))
    for entry in entries:
        rebuilt = build(parse_spec(json.loads(json.dumps(entry["spec"])), "variant.json"))
        assert rebuilt.answers() == entry["answers"]
        assert entry["questions"] and all(math.isfinite(entry["answers"][name]) for name in entry["questions"])
    assert entries[0]["spec"] != entries[1]["spec"]


def test_no_two_variants_of_a_seed_are_alike() -> None:
    data = {"inputs": {"x": 0.5}, "nodes": {"f": "x * x"},
            "variants": {"inputs": {"range": [0, 1], "decimals": 1}, "min_gradient": 0}}
    spec = parse_spec(data)
    values = sorted(variant.data["inputs"]["x"] for variant in make_variants(spec, 11, seed=4))
    assert values == [k / 10 for k in range(11)]  # all 11 numbers with 1 decimal in [0, 1], each once
    with pytest.raises(SpecError, match=r"variant 4-12: no usable draw in 100 tries \(100 times: the same numbers as an earlier variant\)"):
        make_variants(spec, 12, seed=4)
    assert make_variant(spec, 4, 11).data == make_variants(spec, 11, seed=4)[10].data


def test_nothing_to_vary_is_refused() -> None:
    with pytest.raises(SpecError, match="variants: nothing varies: declare at least one of weights, biases"):
        read_rules(parse_spec(with_variants({"weights": False})))


def test_the_spec_copy_of_a_draw_is_deepcopy() -> None:
    """draw_spec copies the spec's tables directly (for speed): the same as
    copy.deepcopy, also for what it hands over to deepcopy (a table held twice,
    a type of its own)."""
    import copy
    import datetime

    from stepbystep.exercises.variants import deep_copy

    shared = {"x": [1.0]}
    cases = [mazur_dict(), {"a": [1, 2.5, "t", True, None, [[-0.0]]], "b": {}},
             {"one": shared, "two": shared}, {"when": datetime.date(2024, 1, 2)}]
    for data in cases:
        copied, expected = deep_copy(data), copy.deepcopy(data)
        assert copied == expected and type(copied) is type(expected)
        assert copied is not data
    twice = deep_copy(cases[2])
    assert twice["one"] is twice["two"] and twice["one"] is not shared   # shared as deepcopy shares
    fresh = deep_copy(cases[0])
    fresh["layers"][1]["weights"][0][0] = 99.0
    assert cases[0]["layers"][1]["weights"][0][0] != 99.0
