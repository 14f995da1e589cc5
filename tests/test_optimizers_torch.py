"""Every optimizer against PyTorch's torch.optim in float64, step by step.

Random dense nets (one or two layers after the input, every bias policy),
every optimizer x {batch, online, minibatch} x {with, without weight decay},
20 steps: every `w+`, every buffer (`v_w5`, `G_w5`, `s_w5`, `m_w5`, `v_w5`,
`mhat_w5`, `vhat_w5`), `g_w5` and `decayed_w5` of every step equals what
torch.optim computes (biases in a parameter group without weight decay),
within 1e-9 relative. Once with every step recorded (the traced graph), once
with a few (the fast paths carry the buffers between them), and the numpy
fast path on its own. Skipped without torch.
"""
from __future__ import annotations

import itertools
import random
import re
from typing import Any

import pytest
from conftest import random_network_spec
from test_gradients import Net, read_net

from stepbystep.engine.fastpath import Conventions
from stepbystep.engine.fastpath_numpy import NumpyTrainer
from stepbystep.engine.graph import GraphError
from stepbystep.engine.nn import build_trace, training_plan
from stepbystep.engine.parameters import parameter_names
from stepbystep.engine.update import UpdateRule
from stepbystep.spec.load import parse_spec
from stepbystep.spec.optimizers import OPTIMIZERS

torch = pytest.importorskip("torch")

STEPS = 20
MODES = ("batch", "online", "minibatch")
REL, ABS = 1e-9, 1e-11   # absolute: for values that nearly cancel (w+ = 0.9 - 0.8966…), where 20 steps of
                         # rounding in a different order (torch's sums, our fsum) leave ~1e-12
BUFFER = re.compile(r"^(v|G|s|m|mhat|vhat|g|decayed)_(w\d+|b\d+|b_\w+)$")


def hyperparameters(name: str, decay: bool, rng: random.Random) -> dict[str, float]:
    """Off-default values (inside the ranges), so that a hyperparameter not read shows."""
    values = {"momentum": round(rng.uniform(0.5, 0.95), 3), "beta1": round(rng.uniform(0.7, 0.95), 3),
              "beta2": round(rng.uniform(0.9, 0.999), 4), "alpha": round(rng.uniform(0.8, 0.99), 3),
              "eps": rng.choice((1e-8, 1e-6, 1e-10)), "weight_decay": round(rng.uniform(0.01, 0.3), 3) if decay else 0.0}
    keys = {parameter.key for parameter in OPTIMIZERS[name].parameters}
    return {key: value for key, value in values.items() if key in keys}


def case_spec(seed: int, optimizer: str, mode: str, decay: bool, record: list[int] | None) -> dict[str, Any]:
    """A random net trained 20 steps that does not diverge (an overflow is redrawn)."""
    rng = random.Random(seed)
    while True:
        data = draw_case(rng, optimizer, mode, decay, record)
        try:
            build_trace(parse_spec({**data, "training": {**data["training"], "record": []}}, "random.toml"))
        except GraphError:
            continue
        return data


def draw_case(rng: random.Random, optimizer: str, mode: str, decay: bool, record: list[int] | None) -> dict[str, Any]:
    while True:
        spec = random_network_spec(rng, custom_names=False)
        # 2-3 layers of weights at most. Not mae: its gradient is a sum of +-1/K terms that can cancel
        # exactly, and Adagrad, RMSprop and Adam divide the rounding noise left up to a full step.
        if len(spec["layers"]) <= 4 and spec["loss"] not in ("bce", "mae"):
            break
    for layer in spec["layers"][1:]:
        if layer["activation"] == "softmax" and isinstance(layer.get("bias"), (int, float)):
            # a shared bias of a softmax layer has gradient exactly 0 (the deltas sum to 0): only rounding
            # noise is left, which Adagrad, RMSprop and Adam divide up to a full step
            layer["bias"] = [layer["bias"]] * len(layer["weights"])
    while len(spec["samples"]) < 3:
        spec["samples"].append({"inputs": [round(rng.uniform(-1, 1), 3) for _ in spec["samples"][0]["inputs"]],
                                "targets": list(spec["samples"][0]["targets"])})
    spec["learning_rate"] = round(rng.uniform(0.02, 0.3), 3)
    per_epoch = {"batch": 1, "online": 3, "minibatch": 2}[mode]
    table: dict[str, Any] = {"mode": mode, "epochs": -(-STEPS // per_epoch), "optimizer": optimizer,
                             "record": record if record is not None else list(range(1, STEPS + 1))}
    if mode == "minibatch":
        table["batch_size"] = 2
    table.update(hyperparameters(optimizer, decay, rng))
    spec["training"] = table
    return spec


# -- PyTorch's run --------------------------------------------------------------------
def torch_optimizer(name: str, groups: list[dict[str, Any]], lr: float, options: dict[str, float]) -> Any:
    optim = torch.optim
    if name in ("sgd", "momentum", "nesterov"):
        momentum = options.get("momentum", 0.0)
        return optim.SGD(groups, lr=lr, momentum=momentum, dampening=0.0, nesterov=name == "nesterov")
    if name == "adagrad":
        return optim.Adagrad(groups, lr=lr, eps=options["eps"], lr_decay=0.0, initial_accumulator_value=0.0)
    if name == "rmsprop":
        return optim.RMSprop(groups, lr=lr, alpha=options["alpha"], eps=options["eps"], momentum=0.0, centered=False)
    kind = optim.Adam if name == "adam" else optim.AdamW
    return kind(groups, lr=lr, betas=(options["beta1"], options["beta2"]), eps=options["eps"])


def torch_steps(net: Net, spec: Any) -> list[dict[str, float]]:
    """Every step's values by our names (bare: `w5+`, `m_w5`, `g_w5`, …) from torch.optim."""
    settings = spec.training.optimizer
    name, options = settings.name, dict(settings.options)
    decay = options.get("weight_decay", 0.0)
    params = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in net.params.items()}
    weights = [tensor for key, tensor in params.items() if key.startswith("w")]
    biases = [tensor for key, tensor in params.items() if not key.startswith("w")]
    groups = [{"params": weights, "weight_decay": decay}]
    if biases and net.update_biases:
        groups.append({"params": biases, "weight_decay": 0.0})
    optimizer = torch_optimizer(name, groups, net.eta, options)
    moving = {key for key in params if key.startswith("w") or net.update_biases}
    found = []
    for step, batch in enumerate(training_plan(spec), start=1):
        optimizer.zero_grad()
        loss_of(net, params, batch).backward()
        before = {key: tensor.item() for key, tensor in params.items()}
        grads = {key: float(tensor.grad) for key, tensor in params.items()}
        optimizer.step()
        values: dict[str, float] = {}
        for key in moving:
            tensor = params[key]
            values[f"{key}+"] = tensor.item()
            weight = key.startswith("w")
            if decay and weight and name != "adamw":
                values[f"g_{key}"] = grads[key] + decay * before[key]
            if decay and weight and name == "adamw":
                values[f"decayed_{key}"] = before[key] * (1 - net.eta * decay)
            values.update(torch_buffers(name, optimizer.state[tensor], key, options, step))
        found.append(values)
    return found


def torch_buffers(name: str, state: dict[str, Any], key: str, options: dict[str, float], step: int) -> dict[str, float]:
    if name in ("momentum", "nesterov"):
        return {f"v_{key}": float(state["momentum_buffer"])}
    if name == "adagrad":
        return {f"G_{key}": float(state["sum"])}
    if name == "rmsprop":
        return {f"s_{key}": float(state["square_avg"])}
    if name in ("adam", "adamw"):
        m, v = float(state["exp_avg"]), float(state["exp_avg_sq"])
        return {f"m_{key}": m, f"v_{key}": v, f"mhat_{key}": m / (1 - options["beta1"] ** step),
                f"vhat_{key}": v / (1 - options["beta2"] ** step)}
    return {}


def loss_of(net: Net, params: dict[str, Any], batch: tuple[int, ...]) -> Any:
    import oracles

    losses = []
    for index in batch:
        inputs, targets = net.samples[index]
        outs = torch.tensor(inputs, dtype=torch.float64)
        for layer in net.layers:
            nets = torch.stack([torch.stack([params[w] for w in row]) for row in layer.weights]) @ outs
            if layer.biases[0] is not None:
                nets = nets + torch.stack([params[b] for b in layer.biases])  # type: ignore[index]
            outs = oracles.torch_activation(torch, layer.activation, nets, layer.options)
        terms = oracles.torch_loss_terms(torch, net.loss, torch.tensor(targets, dtype=torch.float64), outs,
                                         net.loss_options)
        losses.append(terms.sum())
    total = torch.stack(losses).sum()
    return total / len(losses) if net.reduction == "mean" else total


def close(found: float, expected: float) -> bool:
    return abs(found - expected) <= REL * abs(expected) + ABS


CASES = list(itertools.product(OPTIMIZERS, MODES, (False, True)))


@pytest.mark.parametrize("optimizer,mode,decay", CASES)
def test_every_recorded_step_equals_torch(optimizer: str, mode: str, decay: bool) -> None:
    """All 20 steps traced: every w+, buffer, g and decayed value of every step."""
    seed = CASES.index((optimizer, mode, decay))
    data = case_spec(seed, optimizer, mode, decay, None)
    spec = parse_spec(data, "random.toml")
    answers = build_trace(spec).answers()
    expected = torch_steps(read_net(data), spec)
    compared = 0
    for step, values in enumerate(expected[:STEPS], start=1):
        for name, value in values.items():
            found = answers[f"step{step}.{name}"]
            assert close(found, value), (step, name, found, value, data)
            compared += 1
    assert compared >= STEPS * 2
    shown = {name.split(".")[1] for name in answers if name.startswith("step1.") and BUFFER.match(name.split(".")[1])}
    assert shown == {name for name in expected[0] if BUFFER.match(name)}, "a buffer torch keeps is not in the trace, or more"


@pytest.mark.parametrize("optimizer,mode,decay", CASES)
def test_buffers_carry_across_fast_stretches(optimizer: str, mode: str, decay: bool) -> None:
    """Steps 1, 7 and 20 recorded: 2-6 and 8-19 run on the fast path, which
    must hand the buffers on (step 7 starts from step6.m_w5, given)."""
    seed = 1000 + CASES.index((optimizer, mode, decay))
    data = case_spec(seed, optimizer, mode, decay, [1, 7, 20])
    spec = parse_spec(data, "random.toml")
    answers = build_trace(spec).answers()
    expected = torch_steps(read_net(data), spec)
    for step in (1, 7, 20):
        for name, value in expected[step - 1].items():
            assert close(answers[f"step{step}.{name}"], value), (step, name, data)
    for name, value in expected[5].items():   # the buffers step 7 starts from, given from the fast path
        if BUFFER.match(name) and not name.startswith(("g_", "decayed_", "mhat_", "vhat_")):
            assert close(answers[f"step6.{name}"], value), (name, data)


@pytest.mark.parametrize("optimizer,decay", list(itertools.product(OPTIMIZERS, (False, True))))
def test_numpy_fast_path_equals_torch(optimizer: str, decay: bool) -> None:
    """The numpy engine (chosen for large nets) run directly on a small one, buffers in and out."""
    seed = 2000 + list(OPTIMIZERS).index(optimizer)
    data = case_spec(seed, optimizer, "minibatch", decay, [])
    spec = parse_spec(data, "random.toml")
    names = tuple(parameter_names(spec).all_names())
    rule = UpdateRule.of(spec.training.optimizer, spec.learning_rate)
    updated = tuple(name.startswith("w") or spec.update_biases for name in names)
    trainer = NumpyTrainer(spec, names, Conventions(spec.learning_rate, spec.reduction, updated, False, None, rule))
    plan = training_plan(spec)
    expected = torch_steps(read_net(data), spec)
    values = dict(read_net(data).params)
    values, _ = trainer.run(values, plan[:9], 1)          # two stretches: the buffers leave and come back
    values, _ = trainer.run(values, plan[9:STEPS], 10)
    for name, value in expected[STEPS - 1].items():
        if name.endswith("+"):
            assert close(values[name[:-1]], value), (name, data)
        elif not name.startswith(("g_", "decayed_", "mhat_", "vhat_")):
            assert close(values[name], value), (name, data)
