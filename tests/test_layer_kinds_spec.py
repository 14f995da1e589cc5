"""SPEC §8's specs: names and numbering read back, and every refusal one line naming its field."""
from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import EXAMPLES, toml_text
from test_bad_input import assert_one_clean_error

from stepbystep.engine.nn import build_trace
from stepbystep.spec.load import parse_spec
from stepbystep.spec.model import SpecError

CONV = EXAMPLES / "conv-4x4.toml"
RNN = EXAMPLES / "rnn-3-steps.toml"


def loaded(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def changed(path: Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(loaded(path))
    change(data)
    return data


def test_names_and_numbering_of_the_conv_example() -> None:
    """Kernel entries are w1…w4 in [out][in][row][col] order, the dense weights go on
    from there; spatial units are named by channel, row and column; b_c1 per channel."""
    answers = build_trace(parse_spec(loaded(CONV), "conv.toml")).answers()
    assert [answers[f"w{n}"] for n in range(1, 9)] == [0.3, -0.6, 0.2, 0.4, 0.5, -0.4, 0.3, 0.6]
    assert answers["b_c1"] == 0.1 and answers["b3"] == 0.2   # o is the third layer after the input
    assert answers["x1_2_3"] == 0.4 and answers["x1_4_1"] == 0.2      # channel 1, row 2, column 3
    for name in ("net_c1_3_3", "out_c1_3_3", "out_p1_2_2", "dE_total/dx1_4_4", "dE_total/dnet_c1_1_1",
                 "dE_total/dout_p1_1_2", "dout_p1_1_1/dout_c1_2_2", "w4+", "b_c1+"):
        assert name in answers, name
    assert "net_c1_4_1" not in answers and "net_p1_1_1" not in answers   # 3x3 output; pooling has no net input


def test_a_layer_name_ending_in_a_digit_gets_one_more_underscore() -> None:
    def rename(data: dict[str, Any]) -> None:
        data["layers"][1]["name"] = "c2"
        data["layers"][2]["name"] = "p2"
    answers = build_trace(parse_spec(changed(CONV, rename), "conv.toml")).answers()
    assert "net_c2_1_2_3" in answers and "out_p2_1_1_1" in answers and "b_c2_1" in answers


def test_names_and_numbering_of_the_rnn_example() -> None:
    """Input weights first, then the recurrent ones, row by row; values at step t carry @t."""
    answers = build_trace(parse_spec(loaded(RNN), "rnn.toml")).answers()
    assert [answers[f"w{n}"] for n in range(1, 11)] == [0.1, 0.2, 0.3, 0.4, 0.5, -0.1, 0.2, 0.3, 1.0, -0.5]
    assert answers["out_h1@0"] == 0.0 and answers["x2@2"] == -0.5 and answers["target_o1@3"] == 1.0
    for name in ("net_h1@1", "out_h2@3", "out_o1@2", "E_o1@3", "dE_total/dnet_h1@2", "dE_total/dout_h1@2",
                 "dE_h1@3/dout_h2@2", "dE_o1@2/dout_h1@2", "dE_total/dw5@2", "dE_total/dw5", "w5+", "b_h2+",
                 "dE_total/dx1@1", "after1.E_total", "after1.out_o1@3"):
        assert name in answers, name
    assert "dE_total/dout_h1@4" not in answers and "dE_h1@4/dout_h1@3" not in answers


def test_targets_last_scores_the_last_step_only() -> None:
    def last(data: dict[str, Any]) -> None:
        del data["samples"][0]["targets"]
        data["samples"][0]["targets_last"] = [1.0]
    answers = build_trace(parse_spec(changed(RNN, last), "rnn.toml")).answers()
    assert "E_o1@3" in answers and "E_o1@2" not in answers and "dE_total/dout_o1@2" not in answers
    assert answers["E_total"] == answers["E_o1@3"]
    # at step 2 the hidden units reach the error only through step 3
    assert "dE_h1@3/dout_h1@2" in answers and "dE_o1@2/dout_h1@2" not in answers


def sets(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
    return change


def drops(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[int(last) if isinstance(node, list) else last]
    return change


# (case, example, change, the field the one-line error names, a word the message holds)
REFUSALS: list[tuple[str, Path, Callable[[dict[str, Any]], None], str, str]] = [
    ("conv output not whole", CONV, sets("layers.1.stride", 3), "layers[1].stride", "whole number"),
    ("kernel wider than the image", CONV, sets("layers.1.kernels", [[[[0.1] * 5] * 5]]), "layers[1]", "larger"),
    ("kernel row too short", CONV, sets("layers.1.kernels.0.0.1", [0.2]), "layers[1].kernels[0][0][1]", "2 numbers"),
    ("kernel with a missing row", CONV, lambda d: d["layers"][1]["kernels"].append([[[0.3, -0.6]]]),
     "layers[1].kernels[1][0]", "rows"),
    ("kernels for two input channels", CONV, sets("layers.1.kernels.0", [[[0.1, 0.2], [0.3, 0.4]]] * 2),
     "layers[1].kernels[0]", "input channel"),
    ("conv bias per channel of the wrong length", CONV, sets("layers.1.bias", [0.1, 0.2]), "layers[1].bias", "1 number"),
    ("padding as large as the kernel", CONV, sets("layers.1.padding", 2), "layers[1].padding", "less than"),
    ("negative stride", CONV, sets("layers.1.stride", -1), "layers[1].stride", "whole number"),
    ("conv without kernels", CONV, drops("layers.1.kernels"), "layers[1].kernels", "missing"),
    ("conv with softmax", CONV, sets("layers.1.activation", "softmax"), "layers[1].activation", "softmax"),
    ("conv after a vector input", CONV, sets("layers.0", {"name": "x", "size": 16}), "layers[1].type", "image"),
    ("pooling window not fitting", CONV, sets("layers.2.stride", 2), "layers[2].stride", "whole number"),
    ("pooling with weights", CONV, sets("layers.2.weights", [[1.0]]), "layers[2].weights", "unknown key"),
    ("pooling as output", CONV, drops("layers.3"), "layers[2].type", "output layer"),
    ("dense head of the wrong width", CONV, sets("layers.3.weights", [[0.5, -0.4, 0.3]]), "layers[3].weights[0]",
     "4 numbers"),
    ("unknown layer type", CONV, sets("layers.1.type", "conv3d"), "layers[1].type", "conv2d"),
    ("image shape of two numbers", CONV, sets("layers.0.shape", [4, 4]), "layers[0].shape", "channels"),
    ("both size and shape", CONV, sets("layers.0.size", 16), "layers[0].size", "not both"),
    ("image with a short row", CONV, sets("samples.0.inputs.0.2", [0.7, 0.5, 0.1]), "samples[0].inputs[0][2]",
     "4 numbers"),
    ("image missing a row", CONV, sets("samples.0.inputs.0", [[0.1, 0.2, 0.6, 0.8]] * 3), "samples[0].inputs[0]",
     "4 rows"),
    ("image as a flat list", CONV, sets("samples.0.inputs", [0.1] * 16), "samples[0].inputs", "channel"),
    ("updated-weights convention on a conv net", CONV, sets("hidden_deltas_use", "updated_weights"),
     "hidden_deltas_use", "dense"),
    ("ragged sequence row", RNN, sets("samples.0.inputs.1", [0.5, -0.5, 0.2]), "samples[0].inputs[1]", "2 numbers"),
    ("sequence of bare numbers", RNN, sets("samples.0.inputs", [1.0, 0.0]), "samples[0].inputs", "time step"),
    ("targets for fewer steps", RNN, sets("samples.0.targets", [[0.5], [0.0]]), "samples[0].targets", "3 rows"),
    ("targets and targets_last", RNN, sets("samples.0.targets_last", [1.0]), "samples[0].targets", "not both"),
    ("no targets at all", RNN, drops("samples.0.targets"), "samples[0].targets", "targets_last"),
    ("targets_last of the wrong width", RNN, lambda d: (drops("samples.0.targets")(d),
                                                        sets("samples.0.targets_last", [1.0, 0.0])(d)),
     "samples[0].targets_last", "1 number"),
    ("recurrent weights not square", RNN, sets("layers.1.recurrent.1", [0.2]), "layers[1].recurrent[1]", "2 numbers"),
    ("recurrent weights missing", RNN, drops("layers.1.recurrent"), "layers[1].recurrent", "missing"),
    ("initial state of the wrong size", RNN, sets("layers.1.initial", [0.0]), "layers[1].initial", "2 numbers"),
    ("rnn input weights of the wrong width", RNN, sets("layers.1.weights.0", [0.1]), "layers[1].weights[0]",
     "2 numbers"),
    ("rnn over an image", CONV, sets("layers.1", {"name": "h", "type": "rnn", "activation": "tanh",
                                                   "weights": [[0.1] * 16], "recurrent": [[0.5]]}),
     "layers[1].type", "image"),
    ("sequences of different lengths", RNN, lambda d: d["samples"].append(
        {"inputs": [[1.0, 0.0], [0.5, -0.5]], "targets": [[0.5], [0.0]]}), "samples[1].inputs", "same length"),
]


@pytest.mark.parametrize(("case", "example", "change", "field", "word"), REFUSALS, ids=[case[0] for case in REFUSALS])
def test_refused_with_one_line_naming_the_field(case: str, example: Path, change: Callable[[dict[str, Any]], None],
                                                field: str, word: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(changed(example, change), "s.toml")
    assert caught.value.path == field, str(caught.value)
    assert word in caught.value.message, str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("case", ["conv output not whole", "ragged sequence row", "image with a short row"])
def test_the_command_line_prints_the_one_line(case: str, tmp_path: Path, run_cli) -> None:
    _, example, change, field, _ = next(item for item in REFUSALS if item[0] == case)
    path = tmp_path / "s.toml"
    path.write_text(toml_text(changed(example, change)), encoding="utf-8")
    result = run_cli("render", path)
    assert_one_clean_error(result.code, result.out, result.err, str(path), field)


def test_every_layer_kind_is_a_complete_registry_record() -> None:
    """Both halves name the same kinds (spec/choices.py and engine/layers/), and
    every record's forms exist; a kind unknown to the registry raises, naming the known ones."""
    from stepbystep.engine.ops import LAYERS, UnknownOperation
    from stepbystep.spec.choices import LAYER_KINDS

    assert set(LAYERS.names()) == set(LAYER_KINDS)
    for record in LAYERS:
        assert record.choice is LAYER_KINDS[record.name]
        assert all(callable(form) for form in (record.forward, record.backward, record.send_back, record.input_terms))
    assert {record.name for record in LAYERS if record.in_sequences} == {"dense", "rnn"}
    with pytest.raises(UnknownOperation, match="conv2d"):
        LAYERS.get("conv3d")
