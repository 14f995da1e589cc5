"""Spec parsing (SPEC §1): defaults, names, formats and the documented limits."""
from __future__ import annotations

import json

import pytest
from conftest import MAZUR_TOML, mazur_dict

from stepbystep.spec.load import load_spec, parse_spec
from stepbystep.spec.model import (
    MAX_DETAIL_WEIGHTS,
    GraphSpec,
    NetworkSpec,
    SpecError,
    steps_per_epoch,
)


def test_mazur_spec() -> None:
    spec = load_spec(MAZUR_TOML)
    assert isinstance(spec, NetworkSpec)
    assert spec.learning_rate == 0.5 and spec.loss == "half_sse" and spec.update_biases is False
    assert [layer.name for layer in spec.layers] == ["i", "h", "o"]
    assert spec.layers[1].weights == ((0.15, 0.20), (0.25, 0.30)) and spec.layers[2].bias == 0.60
    assert spec.samples[0].inputs == (0.05, 0.10) and spec.samples[0].targets == (0.01, 0.99)
    assert spec.weight_count == 8


def test_defaults() -> None:
    data = mazur_dict()
    for key in ("reduction", "update_biases", "hidden_deltas_use", "title"):
        data.pop(key, None)
    for layer in data["layers"]:
        layer.pop("name", None)
    spec = parse_spec(data)
    assert spec.reduction == "sum" and spec.update_biases is True
    assert spec.hidden_deltas_use == "original_weights" and spec.title is None
    assert (spec.training.mode, spec.training.epochs, spec.training.record, spec.training.given) == ("batch", 1, (1,), False)
    assert [layer.name for layer in spec.layers] == ["i", "h", "o"]


def test_default_names_with_several_hidden_layers() -> None:
    data = mazur_dict()
    for layer in data["layers"]:
        layer.pop("name")
    data["layers"].insert(2, {"activation": "tanh", "weights": [[0.1, 0.2], [0.3, 0.4]]})
    spec = parse_spec(data)
    assert [layer.name for layer in spec.layers] == ["i", "h1", "h2", "o"]
    assert spec.layers[1].neuron(1) == "h1_2" and spec.layers[3].neuron(0) == "o1"


def test_bias_kinds() -> None:
    data = mazur_dict()
    data["layers"][1]["bias"] = [0.1, 0.2]
    del data["layers"][2]["bias"]
    spec = parse_spec(data)
    assert spec.layers[1].bias == (0.1, 0.2) and spec.layers[2].bias is None


def test_json_is_detected_by_content_or_name(tmp_path) -> None:
    text = json.dumps(mazur_dict())
    for name in ("a.json", "b.toml", "c.spec"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert load_spec(tmp_path / name).layers == load_spec(MAZUR_TOML).layers


def test_graph_spec_is_recognised() -> None:
    spec = parse_spec({"inputs": {"x": 2.0, "y": -3.0}, "nodes": {"q": "x + y", "f": "q * x"}})
    assert isinstance(spec, GraphSpec) and spec.output == "f"


def test_a_size_given_must_match_the_rows() -> None:
    data = mazur_dict()
    data["layers"][1]["size"] = 2
    assert parse_spec(data).layers[1].size == 2


@pytest.mark.parametrize(("mode", "batch", "count", "steps"), [
    ("batch", None, 5, 1), ("online", None, 5, 5), ("minibatch", 2, 5, 3), ("minibatch", 5, 5, 1), ("minibatch", 7, 5, 1),
])
def test_steps_per_epoch(mode: str, batch: int | None, count: int, steps: int) -> None:
    assert steps_per_epoch(mode, batch, count) == steps


def wide(inputs: int, outputs: int, samples: int = 1) -> dict:
    return {"learning_rate": 0.5, "loss": "half_sse",
            "layers": [{"size": inputs}, {"activation": "linear", "weights": [[0.0] * inputs for _ in range(outputs)]}],
            "samples": [{"inputs": [0.0] * inputs, "targets": [0.0] * outputs}] * samples}


def test_full_detail_limit_is_on_weights_times_samples() -> None:
    assert MAX_DETAIL_WEIGHTS == 20_000  # documented in the README
    assert parse_spec(wide(100, 200)).weight_count == MAX_DETAIL_WEIGHTS   # at the limit: accepted
    with pytest.raises(SpecError, match="full-detail limit"):
        parse_spec(wide(101, 200))
    assert parse_spec(wide(2, 2, samples=MAX_DETAIL_WEIGHTS // 4))
    with pytest.raises(SpecError, match="full-detail limit") as caught:
        parse_spec(wide(2, 2, samples=MAX_DETAIL_WEIGHTS // 4 + 1))
    assert caught.value.path == "layers"


def test_online_steps_count_one_sample_each() -> None:
    data = wide(2, 2, samples=MAX_DETAIL_WEIGHTS // 4 + 1)
    data["training"] = {"mode": "online", "record": [1, 2]}
    assert parse_spec(data).training.record == (1, 2)


def test_errors_name_source_and_field() -> None:
    data = mazur_dict()
    data["layers"][2]["weights"][1] = [0.5, 0.55, 0.1]
    with pytest.raises(SpecError) as caught:
        parse_spec(data, "mazur.toml")
    assert str(caught.value) == "mazur.toml: layers[2].weights[1]: expected 2 numbers, got 3"  # SPEC §1's example
