"""Shared fixtures: where things are, the Mazur spec as a dict, and a way to
run the command line in-process and see exactly what it printed."""
from __future__ import annotations

import copy
import json
import math
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import oracles
import pytest

from stepbystep.engine import ops
from stepbystep.spec import choices

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"
MAZUR_TOML = EXAMPLES / "mazur.toml"


def mazur_dict() -> dict[str, Any]:
    """A fresh copy of examples/mazur.toml as a dict (safe to mutate)."""
    with MAZUR_TOML.open("rb") as stream:
        return copy.deepcopy(tomllib.load(stream))


@pytest.fixture
def mazur_spec() -> dict[str, Any]:
    return mazur_dict()


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Call `stepbystep.cli.main(args)` in-process; returns code, stdout, stderr."""
    from stepbystep.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()  # drop anything printed before
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


# -- random dense networks (shared by the gradient and property tests) --------
# Every operation of the registry is drawn; tests/oracles.py holds their maths,
# written independently (tests/test_registry.py proves it covers them all).
ACTIVATIONS = ops.ACTIVATIONS.names()
LOSSES = ops.LOSSES.names()
LAYER_NAMES = ("x", "u", "v", "p", "q", "k2", "m", "z")


def _uniform(rng: random.Random, low: float = -1.0, high: float = 1.0) -> float:
    return round(rng.uniform(low, high), rng.choice((2, 3, 17)))


def operation_options(table: dict[str, Any]) -> dict[str, float]:
    """The parameters of an activation or loss given in a spec table (the oracles know the defaults)."""
    return {key: float(table[key]) for key in oracles.DEFAULTS if key in table}


def _parameter_value(rng: random.Random, parameter: choices.Parameter) -> float:
    """A value inside the parameter's range: from its low end to the middle (or low + 2)."""
    low = parameter.low if parameter.low is not None else -1.0
    high = parameter.high if parameter.high is not None else low + 4.0
    return round(rng.uniform(low + (0.1 if parameter.low_open else 0.0), (low + high) / 2), 3)


def _targets(rng: random.Random, need: choices.LossChoice, size: int) -> list[float]:
    """Targets the loss accepts: a distribution (summing to 1), a range like [0, 1], or anything."""
    if need.targets_sum is not None:
        if rng.random() < 0.5:
            targets = [0.0] * size
            targets[rng.randrange(size)] = 1.0
            return targets
        raw = [rng.random() for _ in range(size)]
        targets = [value / math.fsum(raw) for value in raw]
        targets[-1] = 1.0 - math.fsum(targets[:-1])
        return targets
    if need.target_values is not None:
        return [rng.choice(need.target_values) for _ in range(size)]
    if need.one_hot:
        targets = [0.0] * size
        targets[rng.randrange(size)] = 1.0
        return targets
    if need.target_low is not None and need.target_high is not None:
        low, high = need.target_low, need.target_high
        return [rng.choice((low, high, round(rng.uniform(low, high), 3))) for _ in range(size)]
    return [_uniform(rng) for _ in range(size)]


def random_network_spec(rng: random.Random, *, custom_names: bool = True,
                        hidden_deltas_use: str = "original_weights",
                        training: bool = False, wild: bool = False) -> dict[str, Any]:
    """A valid spec dict: 1-3 hidden layers of width 1-4, every activation,
    loss, bias policy and reduction, 1-3 samples, within the spec's rules
    (what each loss needs of the output and targets: spec/choices.py). `wild`: weights up to 1000 and a
    learning rate up to 1000, so that training saturates or overflows."""
    loss = rng.choice(LOSSES)
    need = choices.LOSSES[loss]
    hidden = rng.randint(1, 3)
    sizes = [rng.randint(1, 4)] + [rng.randint(1, 4) for _ in range(hidden)]
    activations = [rng.choice(ACTIVATIONS) for _ in range(hidden)]
    output_activation = need.output_activation or rng.choice(ACTIVATIONS)
    output_size = need.output_size or rng.randint(max(choices.ACTIVATIONS[output_activation].min_size,
                                                      need.min_outputs), 4)
    sizes.append(output_size)
    activations.append(output_activation)
    for index, activation in enumerate(activations, start=1):
        sizes[index] = max(sizes[index], choices.ACTIVATIONS[activation].min_size)
    names = rng.sample(LAYER_NAMES, len(sizes)) if custom_names and rng.random() < 0.4 else None
    layers: list[dict[str, Any]] = [{"size": sizes[0]}]
    for index, activation in enumerate(activations, start=1):
        layer: dict[str, Any] = {
            "activation": activation,
            "weights": [[_uniform(rng) for _ in range(sizes[index - 1])] for _ in range(sizes[index])],
        }
        bias_kind = rng.choice(("shared", "per-neuron", "none"))
        if bias_kind == "shared":
            layer["bias"] = _uniform(rng)
        elif bias_kind == "per-neuron":
            layer["bias"] = [_uniform(rng) for _ in range(sizes[index])]
        for parameter in choices.ACTIVATIONS[activation].parameters:
            if rng.random() < 0.5:
                layer[parameter.key] = _parameter_value(rng, parameter)
        if rng.random() < 0.5:
            layer["size"] = sizes[index]
        layers.append(layer)
    if names:
        for layer, name in zip(layers, names):
            layer["name"] = name
    samples = []
    for _ in range(rng.randint(1, 3)):
        targets = _targets(rng, need, output_size)
        samples.append({"inputs": [_uniform(rng) for _ in range(sizes[0])], "targets": targets})
    spec: dict[str, Any] = {
        "learning_rate": rng.choice((0.5, 0.1, 1.0, round(rng.uniform(0.01, 2), 3))),
        "loss": loss,
        "reduction": rng.choice(("sum", "mean")),
        "update_biases": rng.choice((True, False)),
        "hidden_deltas_use": hidden_deltas_use,
        "layers": layers,
        "samples": samples,
    }
    for parameter in need.parameters:
        if rng.random() < 0.5:
            spec[parameter.key] = _parameter_value(rng, parameter)
    if wild:
        scale = rng.choice((1, 10, 100, 1000))
        for layer in layers[1:]:
            layer["weights"] = [[weight * scale for weight in row] for row in layer["weights"]]
        spec["learning_rate"] = rng.choice((0.5, 10.0, 1000.0))
    if rng.random() < 0.3:
        spec["title"] = rng.choice(("A net", "<b>bold</b> & $x$", "ünïcode — net", "*stars* _under_ `code`"))
    if training:
        mode = rng.choice(("batch", "online", "minibatch"))
        table: dict[str, Any] = {"mode": mode, "epochs": rng.choice((1, 2, 3, 20)) if wild else rng.randint(1, 3)}
        if mode == "minibatch":
            table["batch_size"] = rng.randint(1, 3)
        steps = table["epochs"] * {"batch": 1, "online": len(samples),
                                   "minibatch": -(-len(samples) // table.get("batch_size", 1))}[mode]
        table["record"] = sorted(rng.sample(range(1, steps + 1), rng.randint(1, min(steps, 2))))
        spec["training"] = table
    return spec


def layer_neurons(spec: dict[str, Any]) -> list[tuple[str, ...]]:
    """Neuron names of every layer (SPEC §2), read from a spec dict here,
    independently of stepbystep: `i1`, `h2`, or `k2_1` after a digit."""
    raw_layers = spec["layers"]
    hidden = len(raw_layers) - 2
    defaults = ["i"] + (["h"] if hidden == 1 else [f"h{n}" for n in range(1, hidden + 1)]) + ["o"]
    found = []
    for index, layer in enumerate(raw_layers):
        name = layer.get("name", defaults[index])
        size = layer["size"] if index == 0 else len(layer["weights"])
        joiner = "_" if name[-1].isdigit() else ""
        found.append(tuple(f"{name}{joiner}{n}" for n in range(1, size + 1)))
    return found


def toml_text(data: dict[str, Any]) -> str:
    """Any dict of TOML-able values as TOML, one `"key" = <inline value>` a
    line (inline tables and arrays), so even a mangled structure is written
    faithfully. Floats keep every digit; nan and inf are TOML's own."""
    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int):
            return str(item)
        if isinstance(item, float):
            if math.isnan(item):
                return "nan"
            if math.isinf(item):
                return "inf" if item > 0 else "-inf"
            return repr(item)
        if isinstance(item, str):  # TOML basic string: JSON's escapes, but no surrogate pairs or raw DEL
            return json.dumps(item, ensure_ascii=False).replace("\x7f", "\\u007f")
        if isinstance(item, list):
            return "[" + ", ".join(value(element) for element in item) + "]"
        if isinstance(item, dict):
            return "{" + ", ".join(f"{value(str(k))} = {value(v)}" for k, v in item.items()) + "}"
        raise TypeError(f"not TOML: {item!r}")

    return "".join(f"{value(str(key))} = {value(item)}\n" for key, item in data.items())


# -- speed ratios measured by tests/benchmarks (printed at the end, never asserted) --
SPEED_RATIOS: list[tuple[str, float, float, str]] = []  # (what, measured, goal, unit: "x" a ratio, " s" seconds)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SPEED_RATIOS:
        terminalreporter.write_sep("=", "speed ratios (measured vs goal)")
        for name, measured, goal, unit in SPEED_RATIOS:
            verdict = "ok" if measured <= goal else "MISSED"
            terminalreporter.write_line(f"{name}: {measured:.2f}{unit} (goal <= {goal}{unit}) {verdict}")
