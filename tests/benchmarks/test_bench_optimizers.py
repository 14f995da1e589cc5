"""Speed with optimizers, side by side with their peers (issue 15).

Goals: 20,000 online steps of Mazur's network with the loss after each step
at most 0.5 x a pure-Python loop written the way Mazur's companion code is
(test_bench_training.py's NeuralNetwork: per-neuron objects, lists,
math.exp, and the total error computed after every step); and the mid-size
run (8-32-32-4, 256 samples, 1,000 batch epochs) at most 0.5 x PyTorch CPU
float64 with the same optimizer, for every optimizer. The ratios, each pair
timed alternately (best of several) in one run so a busy machine slows both
sides alike:

    python -m pytest tests/benchmarks/test_bench_optimizers.py --benchmark-only -s -p no:cacheprovider
"""
from __future__ import annotations

import time
from typing import Any, Callable

import pytest
from test_bench_training import fast_mid_size, mazur_dict_online, mid_size_spec, reference_mazur_loop

from stepbystep.engine import nn
from stepbystep.spec.load import parse_spec
from stepbystep.spec.optimizers import OPTIMIZERS

MAZUR_STEPS = 20_000
EPOCHS = 1000
# a learning rate each optimizer trains this net with (Adam-like steps are eta in size)
RATES = {"sgd": 0.5, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.05, "rmsprop": 0.005, "adam": 0.005,
         "adamw": 0.005}


def mazur_online() -> list[float]:
    """20,000 online steps on the fast path, the loss after each (compiling included)."""
    spec = parse_spec(mazur_dict_online(MAZUR_STEPS), "mazur.toml")
    builder = nn._NetworkBuilder(spec, None, nn.NO_MISTAKES)
    _, losses = builder._run_fast(1, MAZUR_STEPS + 1, nn.initial_values(spec, builder.names))
    return losses


def mid_data(optimizer: str, epochs: int = EPOCHS) -> dict[str, Any]:
    data = mid_size_spec(epochs)
    data["learning_rate"] = RATES[optimizer]
    data["training"]["optimizer"] = optimizer
    if optimizer == "adamw":
        data["training"]["weight_decay"] = 0.01
    return data


def torch_mid(data: dict[str, Any]) -> list[float]:
    """The same run as an ordinary PyTorch float64 loop with the same torch.optim optimizer."""
    torch = pytest.importorskip("torch")
    params = []
    for layer in data["layers"][1:]:
        params.append(torch.tensor(layer["weights"], dtype=torch.float64, requires_grad=True))
        params.append(torch.tensor(layer["bias"], dtype=torch.float64, requires_grad=True))
    x = torch.tensor([s["inputs"] for s in data["samples"]], dtype=torch.float64)
    t = torch.tensor([s["targets"] for s in data["samples"]], dtype=torch.float64)
    name, lr = data["training"]["optimizer"], data["learning_rate"]
    weights, biases = params[0::2], params[1::2]
    groups = [{"params": weights, "weight_decay": data["training"].get("weight_decay", 0.0)},
              {"params": biases, "weight_decay": 0.0}]
    optimizer = {
        "sgd": lambda: torch.optim.SGD(groups, lr=lr),
        "momentum": lambda: torch.optim.SGD(groups, lr=lr, momentum=0.9),
        "nesterov": lambda: torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True),
        "adagrad": lambda: torch.optim.Adagrad(groups, lr=lr, eps=1e-10),
        "rmsprop": lambda: torch.optim.RMSprop(groups, lr=lr, alpha=0.99, eps=1e-8),
        "adam": lambda: torch.optim.Adam(groups, lr=lr),
        "adamw": lambda: torch.optim.AdamW(groups, lr=lr),
    }[name]()
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
        losses.append(loss.item())
    with torch.no_grad():
        losses.append(loss_of().item())
    return losses[1:]


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_the_benchmarked_runs_agree_with_torch(optimizer: str) -> None:
    """What is timed is the same computation: the first 15 epochs within 1e-9 relative
    (longer Adam-like runs on this net drift apart chaotically from rounding alone)."""
    pytest.importorskip("torch")
    data = mid_data(optimizer, epochs=15)
    assert fast_mid_size(data) == pytest.approx(torch_mid(data), rel=1e-9)


def test_the_mazur_reference_agrees() -> None:
    assert mazur_online()[:50] == pytest.approx(reference_mazur_loop(50), rel=1e-12)


@pytest.mark.benchmark(group="mazur-20000-online")
def test_bench_mazur_online_fast_path(benchmark: Any) -> None:
    benchmark.pedantic(mazur_online, rounds=5, iterations=1)


@pytest.mark.benchmark(group="mazur-20000-online")
def test_bench_mazur_online_reference(benchmark: Any) -> None:
    benchmark.pedantic(reference_mazur_loop, args=(MAZUR_STEPS,), rounds=5, iterations=1)


def _best(rounds: int, *runs: Callable[[], Any]) -> list[float]:
    """Each run timed `rounds` times, alternately; the best time of each."""
    best = [float("inf")] * len(runs)
    for _ in range(rounds):
        for index, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


@pytest.mark.benchmark(group="ratios")
def test_bench_optimizer_ratios(benchmark: Any) -> None:
    """The goals as ratios (printed with -s; in extra_info)."""
    torch = pytest.importorskip("torch")
    ratios: dict[str, float] = {}

    def measure() -> None:
        ours, theirs = _best(5, mazur_online, lambda: reference_mazur_loop(MAZUR_STEPS))
        ratios["mazur 20,000 online steps / Mazur-style pure Python (goal <= 0.5)"] = ours / theirs
        threads = torch.get_num_threads()
        for name in OPTIMIZERS:
            data = mid_data(name)

            def one_thread(data: dict[str, Any] = data) -> None:
                torch.set_num_threads(1)
                try:
                    torch_mid(data)
                finally:
                    torch.set_num_threads(threads)

            ours, single, default = _best(2, lambda data=data: fast_mid_size(data), one_thread, lambda data=data: torch_mid(data))
            ratios[f"mid-size {name} / torch one thread (goal <= 0.5)"] = ours / single
            ratios[f"mid-size {name} / torch default threads (goal <= 0.5)"] = ours / default

    benchmark.pedantic(measure, rounds=1, iterations=1)
    for name, ratio in ratios.items():
        benchmark.extra_info[name] = round(ratio, 3)
        print(f"\n{name}: {ratio:.2f}")
