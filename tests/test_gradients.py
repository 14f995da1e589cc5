"""Every gradient of random dense networks against independent oracles.

Oracle 1: central finite differences (fourth-order, five points) of a tiny
forward pass written here in plain Python, sharing nothing with stepbystep's
graph. Oracle 2: PyTorch autograd in float64 where torch is installed.
Covered: every activation, loss, bias policy, update_biases on and off,
1-3 samples with sum and mean reduction (SPEC §2 names: bare for one sample,
`step1.` / `step1.sample{n}.` otherwise).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Callable

import pytest
import oracles
from conftest import ACTIVATIONS, LOSSES, layer_neurons, operation_options, random_network_spec

import stepbystep

SEEDS = range(120)
STEP = 1e-4          # finite-difference step
KINK = 1e-4          # net inputs (and loss differences t - o) must stay this far from a kink


# -- the network as the spec describes it, read independently ---------------
@dataclass(frozen=True)
class DenseLayer:
    neurons: tuple[str, ...]
    activation: str
    options: dict[str, float]              # the activation's parameters (negative_slope, alpha)
    weights: tuple[tuple[str, ...], ...]   # names, [neuron][input]
    biases: tuple[str | None, ...]         # a name per neuron (shared: the same name)


@dataclass(frozen=True)
class Net:
    inputs: tuple[str, ...]
    layers: tuple[DenseLayer, ...]
    params: dict[str, float]
    loss: str
    loss_options: dict[str, float]
    reduction: str
    eta: float
    samples: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    update_biases: bool

    @property
    def bare(self) -> bool:
        return len(self.samples) == 1


def read_net(spec: dict[str, Any]) -> Net:
    raw_layers = spec["layers"]
    neurons_of = layer_neurons(spec)
    params: dict[str, float] = {}
    counter = 0
    sizes = [raw_layers[0]["size"]] + [len(layer["weights"]) for layer in raw_layers[1:]]
    layers = []
    for index, raw in enumerate(raw_layers[1:], start=1):
        neurons = neurons_of[index]
        rows = []
        for row in raw["weights"]:
            names = []
            for weight in row:
                counter += 1
                params[f"w{counter}"] = float(weight)
                names.append(f"w{counter}")
            rows.append(tuple(names))
        bias = raw.get("bias")
        if bias is None:
            biases: tuple[str | None, ...] = (None,) * sizes[index]
        elif isinstance(bias, list):
            biases = tuple(f"b_{neuron}" for neuron in neurons)
            params.update(zip(biases, map(float, bias)))  # type: ignore[arg-type]
        else:
            biases = (f"b{index}",) * sizes[index]
            params[f"b{index}"] = float(bias)
        layers.append(DenseLayer(neurons, raw["activation"], operation_options(raw), tuple(rows), biases))
    inputs = neurons_of[0]
    samples = tuple((tuple(s["inputs"]), tuple(s["targets"])) for s in spec["samples"])
    return Net(inputs, tuple(layers), params, spec["loss"], operation_options(spec), spec.get("reduction", "sum"),
               spec["learning_rate"], samples, spec.get("update_biases", True))


# -- oracle 1: plain-Python forward pass and finite differences --------------
def activate(kind: str, nets: list[float], options: dict[str, float]) -> list[float]:
    return oracles.ACTIVATIONS[kind].outputs(nets, options)


def sample_loss(net: Net, outs: list[float], targets: tuple[float, ...]) -> float:
    return math.fsum(oracles.sample_terms(net.loss, targets, outs, net.loss_options))


def forward(net: Net, params: dict[str, float], x: tuple[float, ...],
            kinks: list[float] | None = None) -> list[float]:
    """The outputs; `kinks` collects each net input's distance from its activation's kinks."""
    outs = list(x)
    for layer in net.layers:
        nets = [math.fsum([params[w] * o for w, o in zip(row, outs)] + ([params[b]] if b else []))
                for row, b in zip(layer.weights, layer.biases)]
        if kinks is not None:
            kinks.extend(z - kink for z in nets for kink in oracles.ACTIVATIONS[layer.activation].kinks(layer.options))
        outs = activate(layer.activation, nets, layer.options)
    return outs


def reduce(net: Net, values: list[float]) -> float:
    return math.fsum(values) / (len(values) if net.reduction == "mean" else 1)


def step_loss(net: Net, params: dict[str, float]) -> float:
    return reduce(net, [sample_loss(net, forward(net, params, x), t) for x, t in net.samples])


def central_difference(function: Callable[[float], float], at: float) -> float:
    """Five-point stencil: error O(h^4), far below the 1e-6 asked for."""
    h = STEP
    return (-function(at + 2 * h) + 8 * function(at + h) - 8 * function(at - h) + function(at - 2 * h)) / (12 * h)


def safe_from_kinks(net: Net) -> bool:
    """No net input near a kink of its activation (relu at 0), no t - o near a kink
    of the loss: the derivative jumps there."""
    kinks: list[float] = []
    for x, targets in net.samples:
        outs = forward(net, net.params, x, kinks)
        kinks.extend(oracles.kink_distances(net.loss, targets, outs, net.loss_options))
    return all(abs(z) > KINK for z in kinks)


def fd_parameter_gradients(net: Net) -> dict[str, float]:
    def loss_with(name: str) -> Callable[[float], float]:
        return lambda value: step_loss(net, {**net.params, name: value})

    return {name: central_difference(loss_with(name), value) for name, value in net.params.items()}


def fd_input_gradients(net: Net, n: int) -> list[float]:
    x, targets = net.samples[n]
    found = []
    for i in range(len(x)):
        def loss_at(value: float, i: int = i) -> float:
            moved = tuple(value if k == i else v for k, v in enumerate(x))
            return sample_loss(net, forward(net, net.params, moved), targets)
        found.append(central_difference(loss_at, x[i]))
    return found


# -- test cases ----------------------------------------------------------------
def draw(seed: int) -> tuple[dict[str, Any], Net]:
    """A random spec whose relu kinks are not within reach of the stencil."""
    rng = random.Random(seed)
    while True:
        spec = random_network_spec(rng)
        net = read_net(spec)
        if safe_from_kinks(net):
            return spec, net


def names(net: Net) -> tuple[str, str]:
    """Prefixes of step-level and per-sample values (SPEC §2)."""
    return ("", "") if net.bare else ("step1.", "step1.sample{n}.")


def close(found: float, expected: float, rel: float, floor: float) -> bool:
    return abs(found - expected) <= rel * abs(expected) + floor


@pytest.fixture(scope="module")
def cases() -> dict[int, tuple[dict[str, Any], Net, dict[str, float]]]:
    built = {}
    for seed in SEEDS:
        spec, net = draw(seed)
        built[seed] = (spec, net, stepbystep.from_dict(spec).answers())
    return built


def test_the_cases_cover_every_convention(cases) -> None:
    seen: set[str] = set()
    for spec, net, _ in cases.values():
        seen.update(layer["activation"] for layer in spec["layers"][1:])
        seen.add(spec["loss"])
        seen.add(f"reduction={spec['reduction']}")
        seen.add(f"update_biases={spec['update_biases']}")
        seen.add(f"samples={len(spec['samples'])}")
        seen.add(f"hidden={len(spec['layers']) - 2}")
        for layer in spec["layers"][1:]:
            seen.add("bias=" + ("none" if "bias" not in layer else "list" if isinstance(layer["bias"], list) else "shared"))
    expected = {*ACTIVATIONS, *LOSSES, "reduction=sum", "reduction=mean", "update_biases=True",
                "update_biases=False", "samples=1", "samples=2", "samples=3", "hidden=1", "hidden=2",
                "hidden=3", "bias=none", "bias=list", "bias=shared"}
    assert expected <= seen


@pytest.mark.parametrize("seed", SEEDS)
def test_gradients_match_finite_differences(seed: int, cases) -> None:
    spec, net, answers = cases[seed]
    step, sample = names(net)
    for name, expected in fd_parameter_gradients(net).items():
        found = answers[f"{step}dE_total/d{name}"]
        assert close(found, expected, 1e-6, 1e-9), (name, found, expected, spec)
    for n in range(len(net.samples)):
        prefix = sample.format(n=n + 1)
        for neuron, expected in zip(net.inputs, fd_input_gradients(net, n)):
            found = answers[f"{prefix}dE_total/d{neuron}"]
            assert close(found, expected, 1e-6, 1e-9), (neuron, n, found, expected, spec)


@pytest.mark.parametrize("seed", SEEDS)
def test_losses_updates_and_error_after_the_step(seed: int, cases) -> None:
    spec, net, answers = cases[seed]
    step, sample = names(net)
    assert math.isclose(answers[f"{step}E_total"], step_loss(net, net.params), rel_tol=1e-12, abs_tol=1e-15)
    for n, (x, targets) in enumerate(net.samples):
        own = sample_loss(net, forward(net, net.params, x), targets)
        assert math.isclose(answers[f"{sample.format(n=n + 1)}E_total"], own, rel_tol=1e-12, abs_tol=1e-15)
    gradients = fd_parameter_gradients(net)
    updated = dict(net.params)
    for name, value in net.params.items():
        moves = name.startswith("w") or net.update_biases
        if moves:
            updated[name] = value - net.eta * gradients[name]
            found = answers[f"{step}{name}+"]
            assert close(found, updated[name], 0, net.eta * (1e-6 * abs(gradients[name]) + 1e-9)), (name, spec)
        else:
            assert f"{step}{name}+" not in answers
        assert close(answers[f"after1.{name}"], updated[name], 0, net.eta * (1e-6 * abs(gradients[name]) + 1e-9))
    assert close(answers["after1.E_total"], step_loss(net, updated), 1e-7, 1e-12), spec


# -- oracle 2: PyTorch autograd in float64 -------------------------------------
def torch_gradients(net: Net) -> tuple[dict[str, float], list[list[float]]]:
    torch = pytest.importorskip("torch")
    params = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in net.params.items()}
    inputs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x, _ in net.samples]
    losses = []
    for x, (_, targets) in zip(inputs, net.samples):
        outs = x
        for layer in net.layers:
            weights = torch.stack([torch.stack([params[w] for w in row]) for row in layer.weights])
            nets = weights @ outs
            if layer.biases[0] is not None:
                nets = nets + torch.stack([params[b] for b in layer.biases])  # type: ignore[index]
            outs = oracles.torch_activation(torch, layer.activation, nets, layer.options)
        t = torch.tensor(targets, dtype=torch.float64)
        terms = oracles.torch_loss_terms(torch, net.loss, t, outs, net.loss_options)
        losses.append(terms.sum())
    total = torch.stack(losses).sum() / (len(losses) if net.reduction == "mean" else 1)
    grads = torch.autograd.grad(total, list(params.values()), retain_graph=True)
    by_name = {name: float(grad) for name, grad in zip(params, grads)}
    per_sample = [[float(g) for g in torch.autograd.grad(loss, x, retain_graph=True)[0]] for loss, x in zip(losses, inputs)]
    return by_name, per_sample


@pytest.mark.parametrize("seed", SEEDS)
def test_gradients_match_pytorch(seed: int, cases) -> None:
    pytest.importorskip("torch")
    spec, net, answers = cases[seed]
    step, sample = names(net)
    by_name, per_sample = torch_gradients(net)
    for name, expected in by_name.items():
        found = answers[f"{step}dE_total/d{name}"]
        assert close(found, expected, 1e-10, 1e-15), (name, found, expected, spec)
    for n, gradients in enumerate(per_sample):
        prefix = sample.format(n=n + 1)
        for neuron, expected in zip(net.inputs, gradients):
            found = answers[f"{prefix}dE_total/d{neuron}"]
            assert close(found, expected, 1e-10, 1e-15), (neuron, n, found, expected, spec)


def test_mazur_gradients_match_pytorch(mazur_spec) -> None:
    """The published network itself, through the same oracle."""
    pytest.importorskip("torch")
    net = read_net(mazur_spec)
    by_name, _ = torch_gradients(net)
    answers = stepbystep.from_dict(mazur_spec).answers()
    for name, expected in by_name.items():
        assert close(answers[f"dE_total/d{name}"], expected, 1e-12, 1e-16), name


# -- hidden_deltas_use = "updated_weights": SPEC §1's rule, worked out here -------
# (not a true gradient, so no finite differences: the oracle is the rule itself,
# written independently; in 59 of these 60 nets it differs from the gradient)
def activation_jacobian(layer: DenseLayer, nets: list[float], outs: list[float]) -> list[list[float]]:
    """J[k][j] = d out_k / d net_j."""
    size = len(nets)
    oracle = oracles.ACTIVATIONS[layer.activation]
    if oracle.jacobian is not None:
        return oracle.jacobian(nets)
    assert oracle.slope is not None
    return [[oracle.slope(nets[k], layer.options) if k == j else 0.0 for j in range(size)] for k in range(size)]


def loss_gradient(net: Net, outs: list[float], targets: tuple[float, ...]) -> list[float]:
    return oracles.sample_gradient(net.loss, targets, outs, net.loss_options)


def updated_weights_gradients(net: Net, x: tuple[float, ...], targets: tuple[float, ...]) -> tuple[dict[str, float], list[float]]:
    """One sample: each hidden delta goes back through the next layer's weights
    already moved by this sample's own gradient; dE/di uses the original weights."""
    p = net.params
    outs_by_layer, nets_by_layer = [list(x)], []
    for layer in net.layers:
        nets = [math.fsum([p[w] * o for w, o in zip(row, outs_by_layer[-1])] + ([p[b]] if b else []))
                for row, b in zip(layer.weights, layer.biases)]
        nets_by_layer.append(nets)
        outs_by_layer.append(activate(layer.activation, nets, layer.options))
    grads: dict[str, float] = {}
    upstream = loss_gradient(net, outs_by_layer[-1], targets)   # dE/dout of the current layer
    first_deltas: list[float] = []
    for l in range(len(net.layers) - 1, -1, -1):
        layer, below = net.layers[l], outs_by_layer[l]
        jacobian = activation_jacobian(layer, nets_by_layer[l], outs_by_layer[l + 1])
        deltas = [math.fsum(upstream[k] * jacobian[k][j] for k in range(len(upstream))) for j in range(len(upstream))]
        for j, row in enumerate(layer.weights):
            for i, w in enumerate(row):
                grads[w] = deltas[j] * below[i]
        for name in set(b for b in layer.biases if b):
            grads[name] = math.fsum(d for d, b in zip(deltas, layer.biases) if b == name)
        moved = [[p[w] - net.eta * grads[w] for w in row] for row in layer.weights]
        upstream = [math.fsum(deltas[j] * moved[j][i] for j in range(len(deltas))) for i in range(len(below))]
        first_deltas = deltas
    inputs = [math.fsum(first_deltas[j] * p[net.layers[0].weights[j][i]] for j in range(len(first_deltas)))
              for i in range(len(x))]
    return grads, inputs


@pytest.mark.parametrize("seed", range(60))
def test_updated_weights_convention(seed: int) -> None:
    rng = random.Random(10_000 + seed)
    spec = random_network_spec(rng, hidden_deltas_use="updated_weights")
    net = read_net(spec)
    answers = stepbystep.from_dict(spec).answers()
    step, sample = names(net)
    per_sample = [updated_weights_gradients(net, x, t) for x, t in net.samples]
    for n, (grads, inputs) in enumerate(per_sample):
        prefix = sample.format(n=n + 1)
        for name, expected in grads.items():
            assert close(answers[f"{prefix}dE_total/d{name}"], expected, 1e-9, 1e-13), (name, n, spec)
        for neuron, expected in zip(net.inputs, inputs):
            assert close(answers[f"{prefix}dE_total/d{neuron}"], expected, 1e-9, 1e-13), (neuron, n, spec)
    for name in net.params:
        expected = reduce(net, [grads[name] for grads, _ in per_sample])
        assert close(answers[f"{step}dE_total/d{name}"], expected, 1e-9, 1e-13), (name, spec)
