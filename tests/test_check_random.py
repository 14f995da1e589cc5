"""Planted mistakes on random networks: each mistaken number comes from a
small backpropagation written here with numpy, with the mistake made on
purpose; the grader must name the mistake."""
from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import oracles
from conftest import EXAMPLES, layer_neurons, operation_options, random_network_spec

from stepbystep.api import from_dict, load
from stepbystep.grading.check import CARRIED, WRONG, GradingPolicy, grader_for
from stepbystep.grading.ecf import compile_expr

# slopes the walkthrough writes with the output in them (so a slip in out carries into
# the slope); the mistake derivative_from_net puts net where out belongs in sigmoid's and tanh's
WRITTEN_WITH_OUT = {
    "sigmoid": lambda out, net: out * (1 - out),
    "tanh": lambda out, net: 1 - out ** 2,
    "silu": lambda out, net: oracles.logistic(net) + out * (1 - oracles.logistic(net)),
}
FROM_NET_MISTAKE = {"sigmoid", "tanh"}


def activation(layer: dict[str, Any], net: np.ndarray) -> np.ndarray:
    return np.array(oracles.ACTIVATIONS[layer["activation"]].outputs([float(z) for z in net], operation_options(layer)))


def derivative(layer: dict[str, Any], out: np.ndarray, net: np.ndarray, mistake: str | None) -> np.ndarray:
    kind = layer["activation"]
    if mistake == "no_activation_derivative":
        return np.ones_like(net)
    if kind in WRITTEN_WITH_OUT:
        mistaken = mistake == "derivative_from_net" and kind in FROM_NET_MISTAKE
        return np.array([WRITTEN_WITH_OUT[kind](float(n if mistaken else o), float(n)) for o, n in zip(out, net)])
    slope = oracles.ACTIVATIONS[kind].slope
    assert slope is not None, kind  # element-wise activations only (simple_spec)
    return np.array([slope(float(z), operation_options(layer)) for z in net])


def loss_gradient(spec: dict[str, Any], target: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.array(oracles.sample_gradient(spec["loss"], [float(t) for t in target], [float(o) for o in out],
                                            operation_options(spec)))


def backprop(spec: dict[str, Any], mistake: str | None = None,
             override: tuple[int, int, float] | None = None) -> dict[str, float]:
    """dE_total/dw{n} and w{n}+ for one sample, one step (SPEC §2 numbering);
    `override` (layer, neuron, value): a student's own value of that output."""
    layers = spec["layers"]
    weights = [np.array(layer["weights"], dtype=float) for layer in layers[1:]]
    biases = []
    for layer in layers[1:]:
        bias = layer.get("bias", 0.0)
        biases.append(np.array(bias, dtype=float) if isinstance(bias, list) else np.full(len(layer["weights"]), float(bias)))
    sample = spec["samples"][0]
    outs, nets = [np.array(sample["inputs"], dtype=float)], []
    for layer, weight, bias in zip(layers[1:], weights, biases):
        nets.append(weight @ outs[-1] + bias)
        outs.append(activation(layer, nets[-1]))
        if override is not None and override[0] == len(outs) - 1:
            outs[-1][override[1]] = override[2]
    eta = 1.0 if mistake == "no_learning_rate" else spec["learning_rate"]
    factor = {"half_forgotten": 2.0, "half_doubled": 0.5, "half_added": 0.5}.get(mistake or "", 1.0)
    dE_dout = factor * loss_gradient(spec, np.array(sample["targets"], dtype=float), outs[-1])
    gradients: list[np.ndarray] = [np.empty(0)] * len(weights)
    updated: list[np.ndarray] = [np.empty(0)] * len(weights)
    sign = 1.0 if mistake == "wrong_sign" else -1.0
    for index in range(len(weights) - 1, -1, -1):
        delta = dE_dout * derivative(layers[index + 1], outs[index + 1], nets[index], mistake)
        below = outs[index]
        if mistake == "wrong_input_neuron" and len(below) > 1:
            below = np.roll(below, -1)  # neuron i+1's output for the weight from neuron i
        gradients[index] = np.outer(delta, below)
        updated[index] = weights[index] + sign * eta * gradients[index]
        path = updated[index] if mistake == "updated_weights" else weights[index]
        dE_dout = path.T @ delta
    found: dict[str, float] = {}
    number = 0
    for gradient, new in zip(gradients, updated):
        for value, new_value in zip(gradient.ravel(), new.ravel()):
            number += 1
            found[f"dE_total/dw{number}"] = float(value)
            found[f"w{number}+"] = float(new_value)
    return found


def simple_spec(rng: random.Random) -> dict[str, Any]:
    """A random one-sample, one-step network with element-wise activations."""
    while True:
        spec = random_network_spec(rng)
        spec["samples"] = spec["samples"][:1]
        if any(oracles.ACTIVATIONS[layer["activation"]].slope is None for layer in spec["layers"][1:]):
            continue  # softmax: not element-wise
        return spec


def mistakes_for(spec: dict[str, Any]) -> list[str]:
    found = ["wrong_sign", "no_activation_derivative", "derivative_from_net", "wrong_input_neuron"]
    found += {"half_sse": ["half_forgotten", "half_doubled"], "sse": ["half_added"]}.get(spec["loss"], [])
    if len(spec["layers"]) > 2:
        found.append("updated_weights")
    if spec["learning_rate"] != 1.0:
        found.append("no_learning_rate")
    return found


def codes(answer) -> list[str]:
    return ([answer.diagnosis.code] if answer.diagnosis is not None else []) + list(answer.also)


@pytest.mark.parametrize("seed", range(24))
def test_planted_mistakes_on_a_random_network_are_recognised(seed):
    rng = random.Random(seed)
    spec = simple_spec(rng)
    trace = from_dict(spec).trace
    truth = backprop(spec)
    for name, value in truth.items():  # the oracle agrees with the walkthrough
        assert trace.value(name) == pytest.approx(value, rel=1e-9, abs=1e-12)
    grader = grader_for(trace)
    tolerance = GradingPolicy()
    recognised = 0
    for mistake in mistakes_for(spec):
        wrong = backprop(spec, mistake)
        kind = "w" if mistake in ("wrong_sign", "no_learning_rate") else "dE_total/dw"
        planted = [name for name in wrong if name.startswith(kind) and not tolerance.allows(wrong[name], truth[name])]
        if not planted:
            continue  # the mistake changes nothing visible on this network (e.g. all-linear, one input)
        name = planted[0]
        sheet = f"{name} = {wrong[name]:.6g}\n"
        if kind == "w":  # the gradient right, the update wrong
            sheet = f"dE_total/d{name[:-1]} = {truth['dE_total/d' + name[:-1]]:.6g}\n" + sheet
        answer = grader.grade_text(sheet).answers[-1]
        assert answer.status == WRONG, (mistake, name, answer)
        assert mistake in codes(answer), (mistake, name, answer)
        recognised += 1
    assert recognised >= 1  # a dead relu layer hides all but the left-out derivative


@pytest.mark.parametrize("seed", range(12))
def test_a_slip_in_the_first_hidden_layer_is_carried_to_every_later_gradient(seed):
    """The first hidden neuron's output written 0.25 too high; every weight
    gradient and update after it worked correctly from that slip (numpy)."""
    rng = random.Random(1000 + seed)
    spec = simple_spec(rng)
    while len(spec["layers"]) < 3:
        spec = simple_spec(rng)
    trace = from_dict(spec).trace
    neuron = layer_neurons(spec)[1][0]
    slip = trace.value(f"out_{neuron}") + 0.25
    truth, mine = backprop(spec), backprop(spec, override=(1, 0, slip))
    changed = [name for name in mine if not GradingPolicy().allows(mine[name], truth[name])]
    report = grader_for(trace).grade_text(
        f"out_{neuron} = {slip!r}\n" + "".join(f"{name} = {mine[name]:.6g}\n" for name in changed))
    first, *rest = report.answers
    dead = not any(value for name, value in truth.items() if name.startswith("dE_total/dw"))  # no gradient flows
    assert first.status == WRONG and (rest or dead or spec["layers"][1]["activation"] == "relu")
    for answer in rest:
        assert answer.status == CARRIED and answer.stems_from == (f"out_{neuron}",), answer


@pytest.mark.parametrize("seed", range(6))
def test_compiled_expressions_compute_exactly_what_the_graph_computed(seed):
    """ecf.compile_expr is only a faster Expr.evaluate: bit for bit the same
    on every node of a random network (every activation and loss) and of graphs."""
    graphs = [from_dict(random_network_spec(random.Random(seed), training=True)).trace.graph]
    graphs += [load(EXAMPLES / name).trace.graph for name in ("circuit-sigmoid-neuron.toml", "circuit-max.toml")]
    for graph in graphs:
        for node in graph.nodes.values():
            if node.expr is not None:
                assert compile_expr(node.expr)(graph.values) == node.value, node.name
