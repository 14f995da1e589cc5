"""Malformed specs at the command line: one clean line, exit 2, no file.

Every kind of bad input the foundation issue lists gets exactly one line on
standard error, `stepbystep: error: FILE: FIELD: what is wrong`, exit code 2,
no traceback, nothing on standard output, and with `-o` no output file (an
existing one is left as it was, and no temporary file is left behind). A
hypothesis fuzz test throws a thousand mutated specs at the CLI.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import mazur_dict, toml_text
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stepbystep.spec.model import MAX_DETAIL_WEIGHTS, MAX_LAYER_SIZE

PREVIOUS = "an earlier document, which must survive a failed run\n"


def edited(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    spec = mazur_dict()
    change(spec)
    return spec


def square(size: int) -> list[list[float]]:
    return [[0.01] * size for _ in range(size)]


def too_many_weights(spec: dict[str, Any]) -> None:
    """One sample through size x size weights, above the full-detail limit."""
    size = math.isqrt(MAX_DETAIL_WEIGHTS) + 1
    spec["layers"] = [{"size": size}, {"activation": "sigmoid", "weights": square(size)}]
    spec["samples"] = [{"inputs": [0.1] * size, "targets": [0.5] * size}]


def sets(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change at a dotted path such as `layers.1.weights.0`."""
    def change(spec: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


def deletes(path: str) -> Callable[[dict[str, Any]], None]:
    def change(spec: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[int(last) if isinstance(node, list) else last]
    return change


# (case id, file name, file content, the field the error must name or None)
def spec_cases() -> list[tuple[str, str, str | bytes, str | None]]:
    toml = lambda change: toml_text(edited(change))  # noqa: E731
    json_ = lambda change: json.dumps(edited(change))  # noqa: E731
    return [
        ("not TOML", "bad.toml", "this is = = not TOML [", None),
        ("not JSON", "bad.json", '{"learning_rate": 0.5,', None),
        ("JSON list at the top", "list.json", "[1, 2, 3]", None),
        ("not UTF-8", "latin.toml", b"title = \"caf\xe9\"\n", None),
        ("empty file", "empty.toml", "", "learning_rate"),
        ("weights row too long", "s.toml", toml(sets("layers.1.weights.1", [0.25, 0.3, 0.1])), "layers[1].weights[1]"),
        ("weights row too short", "s.toml", toml(sets("layers.2.weights.0", [0.4])), "layers[2].weights[0]"),
        ("rows do not match size", "s.toml", toml(sets("layers.1.size", 3)), "layers[1].weights"),
        ("weights not a matrix", "s.toml", toml(sets("layers.1.weights", 0.5)), "layers[1].weights"),
        ("weights a flat list", "s.toml", toml(sets("layers.1.weights", [0.15, 0.2])), "layers[1].weights[0]"),
        ("unknown activation", "s.toml", toml(sets("layers.2.activation", "sigmoidal")), "layers[2].activation"),
        ("missing activation", "s.toml", toml(deletes("layers.1.activation")), "layers[1].activation"),
        ("unknown loss", "s.toml", toml(sets("loss", "l2")), "loss"),
        ("missing loss", "s.toml", toml(deletes("loss")), "loss"),
        ("missing targets", "s.toml", toml(deletes("samples.0.targets")), "samples[0].targets"),
        ("too few targets", "s.toml", toml(sets("samples.0.targets", [0.01])), "samples[0].targets"),
        ("too many targets", "s.json", json_(sets("samples.0.targets", [0.01, 0.99, 0.5])), "samples[0].targets"),
        ("wrong number of inputs", "s.toml", toml(sets("samples.0.inputs", [0.05])), "samples[0].inputs"),
        ("NaN weight", "s.toml", toml(sets("layers.1.weights.0.1", math.nan)), "layers[1].weights[0][1]"),
        ("infinite bias", "s.toml", toml(sets("layers.2.bias", math.inf)), "layers[2].bias"),
        ("-inf input", "s.toml", toml(sets("samples.0.inputs.0", -math.inf)), "samples[0].inputs[0]"),
        ("NaN in JSON", "s.json", json_(sets("learning_rate", math.nan)), None),
        ("Infinity in JSON", "s.json", json_(sets("samples.0.targets.1", math.inf)), None),
        ("integer too big for a float", "s.toml", toml(sets("layers.1.bias", 10**400)), "layers[1].bias"),
        ("5000-digit integer in TOML", "s.toml", "learning_rate = " + "9" * 5000 + "\n", None),
        ("5000-digit integer in JSON", "s.json", '{"learning_rate": ' + "9" * 5000 + "}", None),
        ("huge whole number for a size", "s.toml", toml(sets("layers.0.size", 10**4000)), "layers[0].size"),
        ("text for a weight", "s.toml", toml(sets("layers.1.weights.0.0", "0.15")), "layers[1].weights[0][0]"),
        ("text for the learning rate", "s.toml", toml(sets("learning_rate", "fast")), "learning_rate"),
        ("true for an input", "s.toml", toml(sets("samples.0.inputs.1", True)), "samples[0].inputs[1]"),
        ("null for a bias", "s.json", json_(sets("layers.1.bias", None)), "layers[1].bias"),
        ("table for a target", "s.toml", toml(sets("samples.0.targets.0", {"x": 1})), "samples[0].targets[0]"),
        ("negative size", "s.toml", toml(sets("layers.0.size", -2)), "layers[0].size"),
        ("zero size", "s.toml", toml(sets("layers.0.size", 0)), "layers[0].size"),
        ("fractional size", "s.toml", toml(sets("layers.0.size", 2.5)), "layers[0].size"),
        ("zero hidden neurons", "s.toml", toml(sets("layers.1.weights", [])), "layers[1].weights"),
        ("zero hidden size", "s.toml", toml(sets("layers.1.size", 0)), "layers[1].size"),
        ("no layers", "s.toml", toml(sets("layers", [])), "layers"),
        ("only an input layer", "s.toml", toml(sets("layers", [{"size": 2}])), "layers"),
        ("missing layers", "s.toml", toml(deletes("layers")), "layers"),
        ("no samples", "s.toml", toml(sets("samples", [])), "samples"),
        ("missing samples", "s.toml", toml(deletes("samples")), "samples"),
        ("bce with two outputs", "s.toml", toml(sets("loss", "bce")), "loss"),
        ("cross_entropy without softmax", "s.toml", toml(sets("loss", "cross_entropy")), "loss"),
        ("negative learning rate", "s.toml", toml(sets("learning_rate", -0.5)), "learning_rate"),
        ("zero learning rate", "s.toml", toml(sets("learning_rate", 0)), "learning_rate"),
        ("unknown training mode", "s.toml", toml(sets("training", {"mode": "offline"})), "training.mode"),
        ("zero epochs", "s.toml", toml(sets("training", {"epochs": 0})), "training.epochs"),
        ("recorded step past the end", "s.toml", toml(sets("training", {"record": [2]})), "training.record[0]"),
        ("minibatch without a size", "s.toml", toml(sets("training", {"mode": "minibatch"})), "training.batch_size"),
        ("unknown reduction", "s.toml", toml(sets("reduction", "median")), "reduction"),
        ("unknown hidden_deltas_use", "s.toml", toml(sets("hidden_deltas_use", "new")), "hidden_deltas_use"),
        ("update_biases not a boolean", "s.toml", toml(sets("update_biases", "yes")), "update_biases"),
        ("unknown key", "s.toml", toml(sets("colour", "blue")), "colour"),
        ("unknown layer key", "s.toml", toml(sets("layers.1.dropout", 0.5)), "layers[1].dropout"),
        ("layer name clashes with values", "s.toml", toml(sets("layers.1.name", "w")), "layers[1].name"),
        ("two layers with one name", "s.toml", toml(sets("layers.2.name", "h")), "layers[2].name"),
        ("softmax on one neuron", "s.toml",
         toml(lambda s: (s["layers"][2].update(activation="softmax", weights=[[0.4, 0.45]]),
                         s["samples"][0].update(targets=[1.0]))), "layers[2].activation"),
        ("full-detail weights above the limit", "big.toml", toml(too_many_weights), "layers"),
        ("a layer above the size limit", "s.toml", toml(sets("layers.0.size", MAX_LAYER_SIZE + 1)), "layers[0].size"),
        ("overflow while computing", "s.toml",
         toml(lambda s: (s["layers"][1].update(activation="linear", weights=[[1e308, 1e308], [0.1, 0.1]]),
                         s["samples"][0].update(inputs=[10.0, 10.0]))), "net_h1"),
    ]


CASES = spec_cases()


def assert_one_clean_error(code: int, out: str, err: str, source: str, field: str | None) -> str:
    assert code == 2, (code, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    line = err.rstrip("\n")
    assert line.startswith(f"stepbystep: error: {source}: "), line
    assert "Traceback" not in line and "internal error" not in line, line
    if field is not None:
        assert line.startswith(f"stepbystep: error: {source}: {field}: "), line
    assert len(line) > len(f"stepbystep: error: {source}: {field or ''}: ") + 5, "no explanation"
    return line


@pytest.mark.parametrize(("case", "name", "content", "field"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("command", ["render", "answers"])
def test_bad_spec_is_one_clean_line(case, name, content, field, command, tmp_path: Path, run_cli) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    result = run_cli(command, path)
    assert_one_clean_error(result.code, result.out, result.err, str(path), field)


@pytest.mark.parametrize(("case", "name", "content", "field"), CASES, ids=[case[0] for case in CASES])
def test_bad_spec_writes_no_output_file(case, name, content, field, tmp_path: Path, run_cli) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    fresh, existing = out_dir / "new.md", out_dir / "old.md"
    existing.write_text(PREVIOUS, encoding="utf-8")
    for target in (fresh, existing):
        result = run_cli("render", path, "-o", target)
        assert_one_clean_error(result.code, result.out, result.err, str(path), field)
    assert sorted(p.name for p in out_dir.iterdir()) == ["old.md"], "a file was written or left behind"
    assert existing.read_text(encoding="utf-8") == PREVIOUS


@pytest.mark.parametrize("name", ["missing.toml", "a-folder"])
def test_unreadable_spec(name: str, tmp_path: Path, run_cli) -> None:
    (tmp_path / "a-folder").mkdir()
    path = tmp_path / name
    result = run_cli("render", path)
    assert_one_clean_error(result.code, result.out, result.err, str(path), None)


def test_output_folder_that_does_not_exist(tmp_path: Path, run_cli) -> None:
    from conftest import MAZUR_TOML

    result = run_cli("render", MAZUR_TOML, "-o", tmp_path / "nowhere" / "out.md")
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("stepbystep: error: ")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("args", [
    [], ["render"], ["paint", "x.toml"], ["render", "x.toml", "--precision", "many"],
    ["render", "x.toml", "--precision", "-1"], ["render", "x.toml", "--round", "99"],
    ["answers", "x.toml", "--format", "xml"], ["render", "x.toml", "--no-such-flag"],
])
def test_usage_errors_are_one_line(args: list[str], run_cli) -> None:
    result = run_cli(*args)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("stepbystep: error: "), result.err
    assert "internal error" not in result.err


@pytest.mark.parametrize(("case", "name", "content", "field"),
                         [case for case in CASES if case[0] in ("not TOML", "NaN weight", "bce with two outputs",
                                                                 "full-detail weights above the limit",
                                                                 "overflow while computing")])
def test_real_process_prints_no_traceback(case, name, content, field, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    target = tmp_path / "out.md"
    run = subprocess.run([sys.executable, "-m", "stepbystep", "render", str(path), "-o", str(target)],
                         capture_output=True, text=True, timeout=60)
    assert_one_clean_error(run.returncode, run.stdout, run.stderr, str(path), field)
    assert not target.exists()


# -- the fuzz test ---------------------------------------------------------------
WEIRD_NUMBERS = st.sampled_from([0, -1, 1, 2, 3, 7, 0.0, -0.0, 0.5, -2.5, 1e-320, 1e308, -1e308, 2**63, 10**30,
                                 -(10**20), math.nan, math.inf, -math.inf])
WEIRD_VALUES = st.one_of(
    WEIRD_NUMBERS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["sigmoid", "softmax", "relu", "bce", "cross_entropy", "mse", "online", "minibatch",
                     "updated_weights", "mean", "i", "h", "w", "o1", "", "0.5", "nan"]),
    st.booleans(),
    st.none(),
    st.lists(st.floats(-2, 2), max_size=4),
    st.lists(st.lists(st.floats(-2, 2), min_size=1, max_size=3), max_size=3),
    st.builds(dict), st.builds(list), st.builds(lambda: [{}]),  # fresh objects: mutations must not leak
)


def locations(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place in the nested spec: (path to the container, key)."""
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        found.append(path + (key,))
        found.extend(locations(child, path + (key,)))
    return found


def container(spec: dict[str, Any], path: tuple) -> Any:
    node: Any = spec
    for key in path:
        node = node[key]
    return node


@st.composite
def mutated_specs(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    spec = mazur_dict()
    if draw(st.booleans()):
        spec["samples"].append({"inputs": [0.9, 0.2], "targets": [0.8, 0.1]})
    if draw(st.integers(0, 3)) == 0:
        spec["training"] = draw(st.sampled_from([{"mode": "online", "epochs": 2, "record": [1, 3]},
                                                 {"mode": "minibatch", "batch_size": 1, "epochs": 2},
                                                 {"mode": "batch", "epochs": 3, "record": [2]}]))
    for _ in range(draw(st.integers(1, 3))):
        places = locations(spec)
        operation = draw(st.sampled_from(["delete", "replace", "replace", "length", "add"]))
        if operation == "add" or not places:
            target = container(spec, draw(st.sampled_from([()] + [p for p in places if isinstance(container(spec, p), dict)])))
            target[draw(st.sampled_from(["colour", "bias", "size", "name", "negative_slope", "record", "mode"]))] = draw(WEIRD_VALUES)
            continue
        place = draw(st.sampled_from(places))
        parent, key = container(spec, place[:-1]), place[-1]
        if operation == "delete":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(WEIRD_VALUES)
        else:
            value = parent[key]
            if isinstance(value, list) and value and draw(st.booleans()):
                value.pop(draw(st.integers(0, len(value) - 1)))
            elif isinstance(value, list):
                value.append(value[0] if value else draw(WEIRD_VALUES))
            else:
                parent[key] = [value, value]
    has_none = "null" in json.dumps(spec)
    style = draw(st.sampled_from(["toml", "json", "json-named-toml"] if not has_none else ["json"]))
    return spec, style


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=1000, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutated_specs(), st.sampled_from(["render", "answers"]))
def test_fuzz_mutated_specs(fuzz_dir: Path, capsys: pytest.CaptureFixture[str], case, command: str) -> None:
    from stepbystep.cli import main

    spec, style = case
    text = toml_text(spec) if style == "toml" else json.dumps(spec)
    path = fuzz_dir / ("spec.json" if style == "json" else "spec.toml")
    path.write_text(text, encoding="utf-8")
    target = fuzz_dir / "out.md"
    target.write_text(PREVIOUS, encoding="utf-8")
    capsys.readouterr()
    code = main([command, str(path)] + (["-o", str(target)] if command == "render" else []))
    out, err = capsys.readouterr()
    event(f"exit {code}")
    if code == 0:
        assert err == ""
        if command == "render":
            assert out == "" and target.read_text(encoding="utf-8").startswith("# ")
        else:
            answers = json.loads(out)
            assert answers and all(math.isfinite(value) for value in answers.values())
    else:
        assert_one_clean_error(code, out, err, str(path), None)
        assert target.read_text(encoding="utf-8") == PREVIOUS
    assert sorted(p.name for p in fuzz_dir.iterdir() if p.name.startswith(".")) == [], "a temporary file was left"
