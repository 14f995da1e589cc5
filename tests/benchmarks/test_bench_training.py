"""Speed of long training runs, side by side with their peers.

Goals (issue 6): the 10,000-step Mazur loop at most 0.5 x a pure-Python loop
written the way Mazur's companion code is (per-neuron objects, lists,
math.exp); a mid-size run (8-32-32-4, 256 samples, batch mode, 1,000 epochs)
at most 0.5 x the same loop in PyTorch CPU float64. Compare the means of the
tests of one group:

    python -m pytest tests/benchmarks/test_bench_training.py --benchmark-only -p no:cacheprovider
"""
from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest

from stepbystep import api
from stepbystep.engine import nn
from stepbystep.spec.load import parse_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAZUR_STEPS = 10_000


# -- the pure-Python reference, in the style of Mazur's companion code ---------------------
class Neuron:
    def __init__(self, bias: float) -> None:
        self.bias = bias
        self.weights: list[float] = []
        self.inputs: list[float] = []
        self.output = 0.0

    def calculate_output(self, inputs: list[float]) -> float:
        self.inputs = inputs
        self.output = self.squash(self.calculate_total_net_input())
        return self.output

    def calculate_total_net_input(self) -> float:
        total = 0.0
        for i in range(len(self.inputs)):
            total += self.inputs[i] * self.weights[i]
        return total + self.bias

    def squash(self, total_net_input: float) -> float:
        return 1 / (1 + math.exp(-total_net_input))

    def calculate_pd_error_wrt_total_net_input(self, target_output: float) -> float:
        return self.calculate_pd_error_wrt_output(target_output) * self.calculate_pd_total_net_input_wrt_input()

    def calculate_error(self, target_output: float) -> float:
        return 0.5 * (target_output - self.output) ** 2

    def calculate_pd_error_wrt_output(self, target_output: float) -> float:
        return -(target_output - self.output)

    def calculate_pd_total_net_input_wrt_input(self) -> float:
        return self.output * (1 - self.output)

    def calculate_pd_total_net_input_wrt_weight(self, index: int) -> float:
        return self.inputs[index]


class NeuronLayer:
    def __init__(self, num_neurons: int, bias: float) -> None:
        self.bias = bias
        self.neurons = [Neuron(self.bias) for _ in range(num_neurons)]

    def feed_forward(self, inputs: list[float]) -> list[float]:
        return [neuron.calculate_output(inputs) for neuron in self.neurons]

    def get_outputs(self) -> list[float]:
        return [neuron.output for neuron in self.neurons]


class NeuralNetwork:
    LEARNING_RATE = 0.5

    def __init__(self, hidden_weights: list[float], hidden_bias: float, output_weights: list[float],
                 output_bias: float, num_inputs: int = 2) -> None:
        self.num_inputs = num_inputs
        self.hidden_layer = NeuronLayer(2, hidden_bias)
        self.output_layer = NeuronLayer(2, output_bias)
        index = 0
        for neuron in self.hidden_layer.neurons:
            for _ in range(num_inputs):
                neuron.weights.append(hidden_weights[index])
                index += 1
        index = 0
        for neuron in self.output_layer.neurons:
            for _ in range(len(self.hidden_layer.neurons)):
                neuron.weights.append(output_weights[index])
                index += 1

    def feed_forward(self, inputs: list[float]) -> list[float]:
        return self.output_layer.feed_forward(self.hidden_layer.feed_forward(inputs))

    def train(self, training_inputs: list[float], training_outputs: list[float]) -> None:
        self.feed_forward(training_inputs)
        output_deltas = [neuron.calculate_pd_error_wrt_total_net_input(target)
                         for neuron, target in zip(self.output_layer.neurons, training_outputs)]
        hidden_deltas = []
        for h, neuron in enumerate(self.hidden_layer.neurons):
            d_error_wrt_output = 0.0
            for o, output_neuron in enumerate(self.output_layer.neurons):
                d_error_wrt_output += output_deltas[o] * output_neuron.weights[h]
            hidden_deltas.append(d_error_wrt_output * neuron.calculate_pd_total_net_input_wrt_input())
        for o, neuron in enumerate(self.output_layer.neurons):
            for w in range(len(neuron.weights)):
                neuron.weights[w] -= self.LEARNING_RATE * output_deltas[o] * neuron.calculate_pd_total_net_input_wrt_weight(w)
        for h, neuron in enumerate(self.hidden_layer.neurons):
            for w in range(len(neuron.weights)):
                neuron.weights[w] -= self.LEARNING_RATE * hidden_deltas[h] * neuron.calculate_pd_total_net_input_wrt_weight(w)

    def calculate_total_error(self, training_sets: list[list[list[float]]]) -> float:
        total = 0.0
        for inputs, outputs in training_sets:
            self.feed_forward(inputs)
            for o, target in enumerate(outputs):
                total += self.output_layer.neurons[o].calculate_error(target)
        return total


def reference_mazur_loop(steps: int = MAZUR_STEPS) -> list[float]:
    """Train and record the total error after every update, as the tool does."""
    network = NeuralNetwork([0.15, 0.2, 0.25, 0.3], 0.35, [0.4, 0.45, 0.5, 0.55], 0.6)
    sample = [[0.05, 0.1], [0.01, 0.99]]
    errors = []
    for _ in range(steps):
        network.train(*sample)
        errors.append(network.calculate_total_error([sample]))
    return errors


def test_reference_loop_agrees_with_the_tool() -> None:
    errors = reference_mazur_loop(100)
    walk = api.load(EXAMPLES / "mazur.toml")
    assert errors[0] == pytest.approx(walk.value("after1.E_total"), rel=1e-12)


def mazur_dict_online(steps: int) -> dict[str, Any]:
    """examples/mazur.toml trained online for `steps` steps (one sample: one step an epoch), nothing recorded."""
    import tomllib

    with (EXAMPLES / "mazur.toml").open("rb") as stream:
        data = tomllib.load(stream)
    data["training"] = {"mode": "online", "epochs": steps, "record": []}
    return data


def _fast_mazur_loop() -> list[float]:
    from stepbystep.spec.load import load_spec

    spec = load_spec(EXAMPLES / "mazur-10000.toml")
    builder = nn._NetworkBuilder(spec, None, nn.NO_MISTAKES)
    values, losses = builder._run_fast(1, MAZUR_STEPS + 1, nn.initial_values(spec, builder.names))
    return losses


@pytest.mark.benchmark(group="mazur-10000")
def test_bench_mazur_reference_pure_python(benchmark: Any) -> None:
    errors = benchmark(reference_mazur_loop)
    assert errors[-1] == pytest.approx(3.510187782978859e-05, rel=1e-9)


@pytest.mark.benchmark(group="mazur-10000")
def test_bench_mazur_fast_path(benchmark: Any) -> None:
    """Compiling the sample's graph, then 10,000 steps with every after-loss."""
    losses = benchmark(_fast_mazur_loop)
    assert losses[-1] == pytest.approx(3.510187782978859e-05, rel=1e-12)


@pytest.mark.benchmark(group="mazur-10000-whole")
def test_bench_mazur_answers(benchmark: Any) -> None:
    """The whole `answers` build: step 1 traced, 9,999 fast, 10,000 given nodes."""
    benchmark(lambda: api.load(EXAMPLES / "mazur-10000.toml").answers())


@pytest.mark.benchmark(group="mazur-10000-whole")
def test_bench_mazur_render(benchmark: Any) -> None:
    benchmark(lambda: api.load(EXAMPLES / "mazur-10000.toml").markdown())


# -- the mid-size run ----------------------------------------------------------------------
def mid_size_spec(epochs: int = 1000) -> dict[str, Any]:
    rng = random.Random(0)
    sizes = [8, 32, 32, 4]
    layers: list[dict[str, Any]] = [{"name": "i", "size": 8}]
    for index, name in enumerate(("h1", "h2", "o"), start=1):
        layers.append({"name": name, "activation": "sigmoid" if name == "o" else "tanh",
                       "weights": [[rng.gauss(0, 1 / math.sqrt(sizes[index - 1])) for _ in range(sizes[index - 1])]
                                   for _ in range(sizes[index])],
                       "bias": [0.0] * sizes[index]})
    samples = [{"inputs": [rng.uniform(-1, 1) for _ in range(8)], "targets": [rng.uniform(0, 1) for _ in range(4)]}
               for _ in range(256)]
    return {"learning_rate": 0.5, "loss": "half_sse", "reduction": "mean", "update_biases": True,
            "layers": layers, "samples": samples, "training": {"mode": "batch", "epochs": epochs, "record": []}}


def mid_size_engine_spec(data: dict[str, Any]) -> Any:
    """The spec for the training engine alone. 1,408 weights x 256 samples is above the final-pass
    limit of a walkthrough (its answer key would name every value of the last forward pass), so it
    is checked with half the samples and then given all 256: the fast path has no such limit."""
    from dataclasses import replace

    from stepbystep.spec.model import Sample

    samples = data["samples"]
    spec = parse_spec({**data, "samples": samples[:128]}, "mid.json")
    return replace(spec, samples=tuple(Sample(tuple(s["inputs"]), tuple(s["targets"])) for s in samples))


def fast_mid_size(data: dict[str, Any]) -> list[float]:
    """The mid-size run on our fast path, the loss after each epoch (any optimizer its data names)."""
    spec = mid_size_engine_spec(data)
    builder = nn._NetworkBuilder(spec, None, nn.NO_MISTAKES)
    _, losses = builder._run_fast(1, spec.training.epochs + 1, nn.initial_values(spec, builder.names))
    return losses


def torch_mid_size(data: dict[str, Any]) -> list[float]:
    """The same run as an ordinary PyTorch float64 training loop (autograd + SGD)."""
    torch = pytest.importorskip("torch")
    params = []
    for layer in data["layers"][1:]:
        params.append(torch.tensor(layer["weights"], dtype=torch.float64, requires_grad=True))
        params.append(torch.tensor(layer["bias"], dtype=torch.float64, requires_grad=True))
    x = torch.tensor([s["inputs"] for s in data["samples"]], dtype=torch.float64)
    t = torch.tensor([s["targets"] for s in data["samples"]], dtype=torch.float64)
    optimizer = torch.optim.SGD(params, lr=data["learning_rate"])
    w1, b1, w2, b2, w3, b3 = params

    def loss_of() -> Any:
        out = torch.sigmoid(torch.tanh(torch.tanh(x @ w1.T + b1) @ w2.T + b2) @ w3.T + b3)
        return (0.5 * (t - out) ** 2).sum(dim=1).mean()

    losses = []
    for _ in range(data["training"]["epochs"]):
        optimizer.zero_grad()
        loss = loss_of()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())   # the loss before this update = after the previous one
    with torch.no_grad():
        losses.append(loss_of().item())
    return losses[1:]


def test_mid_size_fast_path_agrees_with_torch() -> None:
    pytest.importorskip("torch")
    data = mid_size_spec(epochs=20)
    ours, theirs = fast_mid_size(data), torch_mid_size(data)
    assert ours == pytest.approx(theirs, rel=1e-10)


@pytest.mark.benchmark(group="mid-size")
def test_bench_mid_size_fast_path(benchmark: Any) -> None:
    data = mid_size_spec()
    benchmark.pedantic(fast_mid_size, args=(data,), rounds=3, iterations=1)


@pytest.mark.benchmark(group="mid-size")
def test_bench_mid_size_torch(benchmark: Any) -> None:
    pytest.importorskip("torch")
    data = mid_size_spec()
    benchmark.pedantic(torch_mid_size, args=(data,), rounds=2, iterations=1)


@pytest.mark.benchmark(group="mid-size")
def test_bench_mid_size_torch_one_thread(benchmark: Any) -> None:
    """The same with torch pinned to one thread (faster on a busy 2-core machine)."""
    torch = pytest.importorskip("torch")
    data = mid_size_spec()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        benchmark.pedantic(torch_mid_size, args=(data,), rounds=3, iterations=1)
    finally:
        torch.set_num_threads(threads)


def _best(function: Any, *args: Any) -> float:
    import time

    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


@pytest.mark.benchmark(group="ratios")
def test_bench_ratios_interleaved(benchmark: Any) -> None:
    """The goals as ratios, each pair timed alternately (best of several) so that
    a busy machine slows both sides alike. Printed with -s; in extra_info."""
    torch = pytest.importorskip("torch")
    data = mid_size_spec(epochs=300)
    ratios: dict[str, float] = {}

    def measure() -> None:
        ours, theirs = [], []
        for _ in range(5):
            ours.append(_best(_fast_mazur_loop))
            theirs.append(_best(reference_mazur_loop))
        ratios["mazur 10,000 steps / Mazur-style pure Python (goal <= 0.5)"] = min(ours) / min(theirs)
        ours, single, default = [], [], []
        threads = torch.get_num_threads()
        for _ in range(3):
            ours.append(_best(fast_mid_size, data))
            default.append(_best(torch_mid_size, data))
            torch.set_num_threads(1)
            single.append(_best(torch_mid_size, data))
            torch.set_num_threads(threads)
        ratios["mid-size / torch float64, default threads (goal <= 0.5)"] = min(ours) / min(default)
        ratios["mid-size / torch float64, one thread (goal <= 0.5)"] = min(ours) / min(single)

    benchmark.pedantic(measure, rounds=1, iterations=1)
    for name, ratio in ratios.items():
        benchmark.extra_info[name] = round(ratio, 3)
        print(f"\n{name}: {ratio:.2f}")
