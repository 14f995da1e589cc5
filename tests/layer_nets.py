"""Random conv and recurrent networks, and their forward pass written out
independently of stepbystep (plain Python loops over SPEC §8's definitions).

The specs are drawn as the brief of issue 16 asks: conv stacks with 1-2
input channels, 4x4 to 6x6 images, 2x2 and 3x3 kernels, stride 1-2,
padding 0-1, max and average pooling, a dense head; recurrent nets with 1-3
hidden units, 2-5 steps, targets at every step or at the last only.

`conv_forward` / `rnn_forward` compute the loss from a spec dict, with
optional perturbations of any net input or output (`nudge`: value name ->
amount added), so a test can take finite differences of the loss with
respect to parameters, inputs and intermediate values alike.
"""
from __future__ import annotations

import copy
import math
import random
from typing import Any, Callable

Nudge = dict[str, float]
GAPS: dict[str, float] = {}   # max pooling: each window's largest minus its second largest (last forward pass)
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")


def act(name: str, x: float, slope: float = 0.01) -> float:
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    if name == "tanh":
        return math.tanh(x)
    if name == "relu":
        return x if x > 0 else 0.0
    if name == "leaky_relu":
        return x if x > 0 else slope * x
    assert name == "linear"
    return x


def loss_terms(loss: str, targets: list[float], outs: list[float]) -> float:
    count = len(outs)
    if loss == "half_sse":
        return sum(0.5 * (t - o) ** 2 for t, o in zip(targets, outs))
    if loss == "mse":
        return sum((t - o) ** 2 / count for t, o in zip(targets, outs))
    if loss == "bce":
        return sum(-(t * math.log(o) + (1 - t) * math.log(1 - o)) for t, o in zip(targets, outs))
    assert loss == "cross_entropy"
    return sum(-t * math.log(o) for t, o in zip(targets, outs))


def softmax(nets: list[float]) -> list[float]:
    exps = [math.exp(x) for x in nets]
    return [e / sum(exps) for e in exps]


def _numbers(rng: random.Random, count: int, low: float = -1.0, high: float = 1.0) -> list[float]:
    return [round(rng.uniform(low, high), 3) for _ in range(count)]


def _grid(rng: random.Random, shape: tuple[int, ...], low: float = -1.0, high: float = 1.0) -> Any:
    if len(shape) == 1:
        return _numbers(rng, shape[0], low, high)
    return [_grid(rng, shape[1:], low, high) for _ in range(shape[0])]


def _head(rng: random.Random, loss: str, outputs: int) -> tuple[str, int]:
    if loss == "cross_entropy":
        return "softmax", max(outputs, 2)
    if loss == "bce":
        return "sigmoid", 1
    return rng.choice(("sigmoid", "tanh", "linear")), outputs


def _targets(rng: random.Random, loss: str, outputs: int) -> list[float]:
    if loss == "cross_entropy":
        hot = [0.0] * outputs
        hot[rng.randrange(outputs)] = 1.0
        return hot
    return _numbers(rng, outputs, 0.05, 0.95)


def random_conv_spec(rng: random.Random) -> dict[str, Any]:
    """Input image, one or two conv layers (each maybe followed by pooling), a dense head."""
    channels = rng.choice((1, 2))
    size = rng.choice((4, 5, 6))
    layers: list[dict[str, Any]] = [{"name": "x", "shape": [channels, size, size]}]
    shape = (channels, size, size)
    for number in range(rng.choice((1, 1, 2))):
        options = [(k, s, p) for k in (2, 3) for s in (1, 2) for p in (0, 1)
                   if p < k and (shape[1] + 2 * p - k) % s == 0 and (shape[1] + 2 * p - k) // s + 1 >= 2]
        if not options:
            break
        kernel, stride, padding = rng.choice(options)
        out_channels = rng.choice((1, 2))
        name = f"c{number + 1}" if number else "c"
        layer: dict[str, Any] = {"name": name, "type": "conv2d", "activation": rng.choice(ACTIVATIONS),
                                 "kernels": _grid(rng, (out_channels, shape[0], kernel, kernel))}
        if stride != 1:
            layer["stride"] = stride
        if padding:
            layer["padding"] = padding
        bias = rng.choice(("channel", "shared", "none"))
        if bias == "channel":
            layer["bias"] = _numbers(rng, out_channels, -0.5, 0.5)
        elif bias == "shared":
            layer["bias"] = round(rng.uniform(-0.5, 0.5), 3)
        layers.append(layer)
        shape = (out_channels, (shape[1] + 2 * padding - kernel) // stride + 1, 0)
        shape = (shape[0], shape[1], shape[1])
        pools = [(w, s) for w in (2, 3) for s in (1, 2) if w <= shape[1] and (shape[1] - w) % s == 0]
        if pools and rng.random() < 0.7:
            window, stride = rng.choice(pools)
            pool: dict[str, Any] = {"name": f"p{number + 1}" if number else "p",
                                    "type": rng.choice(("maxpool2d", "avgpool2d")), "size": window}
            if stride != window:
                pool["stride"] = stride
            layers.append(pool)
            shape = (shape[0], (shape[1] - window) // stride + 1, (shape[1] - window) // stride + 1)
    flat = shape[0] * shape[1] * shape[2]
    loss = rng.choice(("half_sse", "mse", "cross_entropy", "bce"))
    activation, outputs = _head(rng, loss, rng.choice((1, 2)))
    head: dict[str, Any] = {"name": "o", "activation": activation, "weights": _grid(rng, (outputs, flat), -0.5, 0.5)}
    if rng.random() < 0.5:
        head["bias"] = _numbers(rng, outputs, -0.5, 0.5)
    layers.append(head)
    return {"learning_rate": round(rng.uniform(0.1, 1.0), 2), "loss": loss, "layers": layers,
            "samples": [{"inputs": _grid(rng, (channels, size, size)), "targets": _targets(rng, loss, outputs)}]}


def random_rnn_spec(rng: random.Random) -> dict[str, Any]:
    """Input vectors, one rnn layer, a dense head at every step."""
    width, hidden, steps = rng.choice((1, 2, 3)), rng.choice((1, 2, 3)), rng.choice((2, 3, 4, 5))
    last = rng.random() < 0.4
    rnn: dict[str, Any] = {"name": "h", "type": "rnn", "activation": rng.choice(("tanh", "tanh", "sigmoid", "relu")),
                           "weights": _grid(rng, (hidden, width)), "recurrent": _grid(rng, (hidden, hidden), -0.8, 0.8)}
    bias = rng.choice(("unit", "shared", "none"))
    if bias == "unit":
        rnn["bias"] = _numbers(rng, hidden, -0.5, 0.5)
    elif bias == "shared":
        rnn["bias"] = round(rng.uniform(-0.5, 0.5), 3)
    if rng.random() < 0.5:
        rnn["initial"] = _numbers(rng, hidden, -0.5, 0.5)
    loss = rng.choice(("half_sse", "mse", "cross_entropy", "bce"))
    activation, outputs = _head(rng, loss, rng.choice((1, 2)))
    head: dict[str, Any] = {"name": "o", "activation": activation, "weights": _grid(rng, (outputs, hidden))}
    if rng.random() < 0.5:
        head["bias"] = _numbers(rng, outputs, -0.5, 0.5)
    sample: dict[str, Any] = {"inputs": _grid(rng, (steps, width))}
    if last:
        sample["targets_last"] = _targets(rng, loss, outputs)
    else:
        sample["targets"] = [_targets(rng, loss, outputs) for _ in range(steps)]
    return {"learning_rate": round(rng.uniform(0.1, 1.0), 2), "loss": loss,
            "layers": [{"name": "x", "size": width}, rnn, head], "samples": [sample]}


# -- the forward passes, from the definitions -------------------------------------------------
def _spatial(name: str, k: int, r: int, c: int) -> str:
    joiner = "_" if name[-1].isdigit() else ""
    return f"{name}{joiner}{k + 1}_{r + 1}_{c + 1}"


def _plain(name: str, j: int) -> str:
    joiner = "_" if name[-1].isdigit() else ""
    return f"{name}{joiner}{j + 1}"


def conv_forward(spec: dict[str, Any], nudge: Nudge | None = None) -> tuple[float, dict[str, float]]:
    """The loss and every net input and output (by SPEC §8 name) of sample 0."""
    nudge = nudge or {}
    values: dict[str, float] = {}
    layers = spec["layers"]
    image = spec["samples"][0]["inputs"]
    grid = [[[v + nudge.get(_spatial(layers[0]["name"], k, r, c), 0.0) for c, v in enumerate(row)]
             for r, row in enumerate(channel)] for k, channel in enumerate(image)]
    flat: list[float] | None = None
    for layer in layers[1:]:
        kind, name = layer.get("type", "dense"), layer["name"]
        if kind == "conv2d":
            grid = _conv(layer, grid, values, nudge)
        elif kind in ("maxpool2d", "avgpool2d"):
            grid = _pool(layer, grid, values, nudge)
        else:
            flat = [v for channel in grid for row in channel for v in row] if flat is None else flat
            flat = _dense(layer, flat, values, nudge, lambda j: _plain(name, j))
    assert flat is not None
    targets = spec["samples"][0]["targets"]
    return loss_terms(spec["loss"], targets, flat), values


def _conv(layer: dict[str, Any], grid: list, values: dict[str, float], nudge: Nudge) -> list:
    kernels = layer["kernels"]
    stride, padding = layer.get("stride", 1), layer.get("padding", 0)
    size_k = len(kernels[0][0])
    height = len(grid[0])
    out_size = (height + 2 * padding - size_k) // stride + 1
    bias = layer.get("bias")
    result = []
    for k, kernel in enumerate(kernels):
        rows = []
        for r in range(out_size):
            row = []
            for c in range(out_size):
                net = 0.0
                for ci, channel_kernel in enumerate(kernel):
                    for a in range(size_k):
                        for b in range(size_k):
                            y, x = r * stride + a - padding, c * stride + b - padding
                            if 0 <= y < height and 0 <= x < height:
                                net += channel_kernel[a][b] * grid[ci][y][x]
                if bias is not None:
                    net += bias[k] if isinstance(bias, list) else bias
                unit = _spatial(layer["name"], k, r, c)
                net += nudge.get("net_" + unit, 0.0)
                out = act(layer["activation"], net) + nudge.get("out_" + unit, 0.0)
                values["net_" + unit], values["out_" + unit] = net, out
                row.append(out)
            rows.append(row)
        result.append(rows)
    return result


def _pool(layer: dict[str, Any], grid: list, values: dict[str, float], nudge: Nudge) -> list:
    size = layer["size"]
    stride = layer.get("stride", size)
    out_size = (len(grid[0]) - size) // stride + 1
    result = []
    for k, channel in enumerate(grid):
        rows = []
        for r in range(out_size):
            row = []
            for c in range(out_size):
                window = [channel[r * stride + a][c * stride + b] for a in range(size) for b in range(size)]
                out = max(window) if layer["type"] == "maxpool2d" else sum(window) / len(window)
                unit = _spatial(layer["name"], k, r, c)
                out += nudge.get("out_" + unit, 0.0)
                values["out_" + unit] = out
                ranked = sorted(window)
                GAPS[unit] = ranked[-1] - ranked[-2] if len(window) > 1 else math.inf
                row.append(out)
            rows.append(row)
        result.append(rows)
    return result


def _dense(layer: dict[str, Any], below: list[float], values: dict[str, float], nudge: Nudge,
           unit: Callable[[int], str]) -> list[float]:
    bias = layer.get("bias")
    nets = []
    for j, row in enumerate(layer["weights"]):
        net = sum(w * x for w, x in zip(row, below))
        if bias is not None:
            net += bias[j] if isinstance(bias, list) else bias
        net += nudge.get("net_" + unit(j), 0.0)
        values["net_" + unit(j)] = net
        nets.append(net)
    outs = softmax(nets) if layer["activation"] == "softmax" else [act(layer["activation"], net) for net in nets]
    for j in range(len(outs)):
        outs[j] += nudge.get("out_" + unit(j), 0.0)
        values["out_" + unit(j)] = outs[j]
    return outs


def rnn_forward(spec: dict[str, Any], nudge: Nudge | None = None) -> tuple[float, dict[str, float]]:
    nudge = nudge or {}
    values: dict[str, float] = {}
    x_layer, rnn, head = spec["layers"]
    sample = spec["samples"][0]
    steps = len(sample["inputs"])
    state = list(rnn.get("initial", [0.0] * len(rnn["weights"])))
    bias = rnn.get("bias")
    total = 0.0
    for t in range(1, steps + 1):
        xs = [v + nudge.get(f"{_plain(x_layer['name'], i)}@{t}", 0.0) for i, v in enumerate(sample["inputs"][t - 1])]
        new_state = []
        for j, (row, recurrent) in enumerate(zip(rnn["weights"], rnn["recurrent"])):
            net = sum(w * x for w, x in zip(row, xs)) + sum(u * h for u, h in zip(recurrent, state))
            if bias is not None:
                net += bias[j] if isinstance(bias, list) else bias
            name = f"{_plain(rnn['name'], j)}@{t}"
            net += nudge.get("net_" + name, 0.0)
            out = act(rnn["activation"], net) + nudge.get("out_" + name, 0.0)
            values["net_" + name], values["out_" + name] = net, out
            new_state.append(out)
        state = new_state
        outs = _dense(head, state, values, nudge, lambda j: f"{_plain(head['name'], j)}@{t}")
        if "targets" in sample:
            total += loss_terms(spec["loss"], sample["targets"][t - 1], outs)
        elif t == steps:
            total += loss_terms(spec["loss"], sample["targets_last"], outs)
    return total, values


def with_parameter(spec: dict[str, Any], path: tuple[Any, ...], amount: float) -> dict[str, Any]:
    """A copy of the spec with the number at `path` (keys and indices) moved by `amount`."""
    changed = copy.deepcopy(spec)
    holder = changed
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] += amount
    return changed


def parameter_paths(spec: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """Every trainable number as (SPEC name, path in the spec dict), in SPEC §8's numbering."""
    found: list[tuple[str, tuple[Any, ...]]] = []
    counter = 0
    biases: list[tuple[str, tuple[Any, ...]]] = []
    for index, layer in enumerate(spec["layers"][1:], start=1):
        kind = layer.get("type", "dense")
        if kind in ("maxpool2d", "avgpool2d"):
            continue
        matrices = [("kernels",)] if kind == "conv2d" else [("weights",)] + ([("recurrent",)] if kind == "rnn" else [])
        for (key,) in matrices:
            for position in _positions(layer[key]):
                counter += 1
                found.append((f"w{counter}", ("layers", index, key) + position))
        bias = layer.get("bias")
        if isinstance(bias, list):
            for j in range(len(bias)):
                joiner = "_" if layer["name"][-1].isdigit() else ""
                biases.append((f"b_{layer['name']}{joiner}{j + 1}", ("layers", index, "bias", j)))
        elif bias is not None:
            biases.append((f"b{index}", ("layers", index, "bias")))
    return found + biases


def _positions(nested: Any) -> list[tuple[int, ...]]:
    if not isinstance(nested, list):
        return [()]
    return [(index,) + rest for index, item in enumerate(nested) for rest in _positions(item)]
