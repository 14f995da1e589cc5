"""conv2d, pooling and rnn layers (SPEC §8) against finite differences, independent of torch.

For random conv stacks and random recurrent nets (tests/layer_nets.py), the
trace's forward values equal an independent forward pass written from the
definitions, and every gradient the walkthrough names — each weight, bias
and input, each delta dE_total/dnet and each dE_total/dout, at every
position and time step — equals a central difference of that forward pass's
loss; every update is w − η·(that difference).
"""
from __future__ import annotations

import math
import random
from typing import Any, Callable

import pytest
from layer_nets import (
    GAPS,
    conv_forward,
    parameter_paths,
    random_conv_spec,
    random_rnn_spec,
    rnn_forward,
    with_parameter,
)

from stepbystep.engine.nn import build_trace
from stepbystep.spec.load import parse_spec

H = 1e-6
CASES = 12


def close(ours: float, difference: float) -> bool:
    return math.isclose(ours, difference, rel_tol=2e-5, abs_tol=2e-7)


def central(loss: Callable[[float], float]) -> float:
    return (loss(H) - loss(-H)) / (2 * H)


def kinked(spec: dict[str, Any], values: dict[str, float]) -> bool:
    """A relu's net input or a max-pool tie within reach of the difference step:
    the derivative is not smooth there, so the case is skipped (redrawn)."""
    kinks = any(abs(value) < 1e-4 for name, value in values.items() if name.startswith("net_"))
    return kinks or any(layer.get("type") == "maxpool2d" for layer in spec["layers"]) and min(GAPS.values()) < 1e-4


def drawn(kind: str, seed: int) -> tuple[dict[str, Any], Callable[..., tuple[float, dict[str, float]]]]:
    rng = random.Random(f"{kind}-{seed}")
    forward = conv_forward if kind == "conv" else rnn_forward
    while True:
        spec = random_conv_spec(rng) if kind == "conv" else random_rnn_spec(rng)
        GAPS.clear()
        _, values = forward(spec)
        if not kinked(spec, values):
            return spec, forward


@pytest.mark.parametrize("kind", ["conv", "rnn"])
@pytest.mark.parametrize("seed", range(CASES))
def test_every_value_and_gradient_against_the_definitions(kind: str, seed: int) -> None:
    spec, forward = drawn(kind, seed)
    trace = build_trace(parse_spec(spec, "random.toml"))
    answers = trace.answers()
    loss, values = forward(spec)
    assert math.isclose(answers["E_total"], loss, rel_tol=1e-12, abs_tol=1e-15)
    for name, value in values.items():   # every net input and output, at every position or step
        assert math.isclose(answers[name], value, rel_tol=1e-12, abs_tol=1e-14), name
    eta = spec["learning_rate"]
    for name, path in parameter_paths(spec):
        difference = central(lambda h: forward(with_parameter(spec, path, h))[0])
        assert close(answers[f"dE_total/d{name}"], difference), (name, answers[f"dE_total/d{name}"], difference)
        before = answers[name]
        assert close(answers[f"{name}+"], before - eta * difference), name
    for name in values:   # deltas and output gradients: nudge the value itself
        difference = central(lambda h: forward(spec, {name: h})[0])
        gradient = answers[f"dE_total/d{name}"] if f"dE_total/d{name}" in answers else 0.0
        assert close(gradient, difference), (name, gradient, difference)
    for name in _inputs(spec):
        difference = central(lambda h: forward(spec, {name: h})[0])
        assert close(answers[f"dE_total/d{name}"], difference), name


def _inputs(spec: dict[str, Any]) -> list[str]:
    first = spec["layers"][0]
    if "shape" in first:
        channels, rows, columns = first["shape"]
        return [f"{first['name']}{k + 1}_{r + 1}_{c + 1}" for k in range(channels) for r in range(rows)
                for c in range(columns)]
    steps = len(spec["samples"][0]["inputs"])
    return [f"{first['name']}{i + 1}@{t}" for t in range(1, steps + 1) for i in range(first["size"])]


def test_the_drawn_cases_cover_what_the_brief_asks() -> None:
    """Channels 1-2, images 4-6, kernels 2 and 3, stride 1-2, padding 0-1, both
    poolings; 1-3 hidden units, 2-5 steps, per-step and last-only targets."""
    convs = [drawn("conv", seed)[0] for seed in range(CASES)]
    rnns = [drawn("rnn", seed)[0] for seed in range(CASES)]
    conv_layers = [layer for spec in convs for layer in spec["layers"] if layer.get("type") == "conv2d"]
    assert {spec["layers"][0]["shape"][0] for spec in convs} == {1, 2}
    assert {len(layer["kernels"][0][0]) for layer in conv_layers} == {2, 3}
    assert {layer.get("stride", 1) for layer in conv_layers} == {1, 2}
    assert {layer.get("padding", 0) for layer in conv_layers} == {0, 1}
    assert {layer.get("type") for spec in convs for layer in spec["layers"]} >= {"maxpool2d", "avgpool2d"}
    assert {len(spec["layers"][1]["weights"]) for spec in rnns} == {1, 2, 3}
    assert {"targets", "targets_last"} <= {key for spec in rnns for key in spec["samples"][0]}
    assert len({len(spec["samples"][0]["inputs"]) for spec in rnns}) >= 3
