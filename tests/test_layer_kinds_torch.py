"""conv2d, pooling and rnn layers against PyTorch float64 autograd (skipped without torch).

Random conv stacks and recurrent nets (tests/layer_nets.py): every net
input, output, dE_total/dout, delta dE_total/dnet, weight, bias and input
gradient and every updated parameter of one step equals what
torch.nn.functional.conv2d / max_pool2d / avg_pool2d / flatten / linear (an
explicit Elman loop for the rnn) and autograd give, within 1e-9 relative.
Then three steps of gradient descent on two samples, on the fast path,
against torch's own loop.
"""
from __future__ import annotations

import math
import random
from typing import Any

import pytest
from layer_nets import parameter_paths, random_conv_spec, random_rnn_spec

from stepbystep.engine.nn import build_trace
from stepbystep.spec.load import parse_spec

torch = pytest.importorskip("torch")
F = torch.nn.functional

REL, ABS = 1e-9, 1e-13   # absolute: values that cancel to ~0 (a sum of ±terms), summed in another order
CASES = 16


def tensor(values: Any) -> Any:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def activate(name: str, net: Any) -> Any:
    if name == "sigmoid":
        return torch.sigmoid(net)
    if name == "tanh":
        return torch.tanh(net)
    if name == "relu":
        return torch.relu(net)
    if name == "leaky_relu":
        return F.leaky_relu(net, 0.01)
    if name == "softmax":
        return torch.softmax(net, dim=-1)
    return net


def loss_of(name: str, out: Any, target: Any) -> Any:
    if name == "half_sse":
        return 0.5 * ((target - out) ** 2).sum()
    if name == "mse":
        return ((target - out) ** 2).sum() / out.shape[-1]
    if name == "bce":
        return -(target * torch.log(out) + (1 - target) * torch.log(1 - out)).sum()
    return -(target * torch.log(out)).sum()


class TorchNet:
    """The spec's parameters as leaf tensors, and every named value of a forward pass."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.params: dict[str, Any] = {}
        for index, layer in enumerate(spec["layers"][1:], start=1):
            for key in ("kernels", "weights", "recurrent", "bias"):
                if key in layer:
                    self.params[f"{index}.{key}"] = tensor(layer[key])
        self.values: dict[str, Any] = {}

    def names(self) -> dict[str, tuple[str, tuple[int, ...]]]:
        """SPEC name -> (tensor key, index) for every parameter."""
        found = {}
        for name, path in parameter_paths(self.spec):
            found[name] = (f"{path[1]}.{path[2]}", tuple(path[3:]))
        return found

    def keep(self, prefix: str, name_of: Any, value: Any) -> None:
        value.retain_grad()
        for index in range(value.numel()):
            self.values[prefix + name_of(index)] = (value, index)

    def conv_loss(self, image: Any, target: Any) -> Any:
        a = image
        flat = None
        for index, layer in enumerate(self.spec["layers"][1:], start=1):
            kind, name = layer.get("type", "dense"), layer["name"]
            if kind == "conv2d":
                net = F.conv2d(a, self.params[f"{index}.kernels"], stride=layer.get("stride", 1),
                               padding=layer.get("padding", 0))
                if "bias" in layer:
                    bias = self.params[f"{index}.bias"]
                    net = net + (bias.view(1, -1, 1, 1) if bias.dim() else bias)
                a = activate(layer["activation"], net)
                self.keep("net_", _spatial_namer(name, net.shape), net)
                self.keep("out_", _spatial_namer(name, a.shape), a)
            elif kind in ("maxpool2d", "avgpool2d"):
                pool = F.max_pool2d if kind == "maxpool2d" else F.avg_pool2d
                a = pool(a, layer["size"], layer.get("stride", layer["size"]))
                self.keep("out_", _spatial_namer(name, a.shape), a)
            else:
                flat = a.reshape(-1) if flat is None else flat
                flat = self.dense(index, layer, flat, lambda j: _plain(name, j))
        return loss_of(self.spec["loss"], flat, target)

    def dense(self, index: int, layer: dict[str, Any], below: Any, name_of: Any) -> Any:
        net = self.params[f"{index}.weights"] @ below
        if "bias" in layer:
            net = net + self.params[f"{index}.bias"]
        out = activate(layer["activation"], net)
        self.keep("net_", name_of, net)
        self.keep("out_", name_of, out)
        return out

    def rnn_loss(self, sequence: Any, sample: dict[str, Any]) -> Any:
        _, rnn, head = self.spec["layers"]
        state = torch.tensor(rnn.get("initial", [0.0] * len(rnn["weights"])), dtype=torch.float64)
        total = torch.tensor(0.0, dtype=torch.float64)
        steps = sequence.shape[0]
        for t in range(1, steps + 1):
            net = self.params["1.weights"] @ sequence[t - 1] + self.params["1.recurrent"] @ state
            if "bias" in rnn:
                net = net + self.params["1.bias"]
            state = activate(rnn["activation"], net)
            self.keep("net_", lambda j, t=t: f"{_plain(rnn['name'], j)}@{t}", net)
            self.keep("out_", lambda j, t=t: f"{_plain(rnn['name'], j)}@{t}", state)
            out = self.dense(2, head, state, lambda j, t=t: f"{_plain(head['name'], j)}@{t}")
            if "targets" in sample:
                total = total + loss_of(self.spec["loss"], out, torch.tensor(sample["targets"][t - 1], dtype=torch.float64))
            elif t == steps:
                total = total + loss_of(self.spec["loss"], out, torch.tensor(sample["targets_last"], dtype=torch.float64))
        return total


def _plain(name: str, j: int) -> str:
    return f"{name}{'_' if name[-1].isdigit() else ''}{j + 1}"


def _spatial_namer(name: str, shape: Any) -> Any:
    def name_of(index: int) -> str:
        _, channels, rows, columns = shape
        k, rest = divmod(index, rows * columns)
        r, c = divmod(rest, columns)
        return f"{_plain(name, k)}_{r + 1}_{c + 1}"
    return name_of


def agree(ours: float, theirs: float) -> bool:
    return math.isclose(ours, theirs, rel_tol=REL, abs_tol=ABS)


def compare_one_step(spec: dict[str, Any]) -> int:
    """Every value of the bare one-sample step against torch; the count compared."""
    answers = build_trace(parse_spec(spec, "random.toml")).answers()
    net = TorchNet(spec)
    sample = spec["samples"][0]
    if "shape" in spec["layers"][0]:
        image = tensor([sample["inputs"]])
        loss = net.conv_loss(image, torch.tensor(sample["targets"], dtype=torch.float64))
        inputs = {name: (image, index) for index, name in enumerate(_input_names(spec))}
    else:
        sequence = tensor(sample["inputs"])
        loss = net.rnn_loss(sequence, sample)
        inputs = {name: (sequence, index) for index, name in enumerate(_input_names(spec))}
    loss.backward()
    compared = 0
    assert agree(answers["E_total"], loss.item())
    for name, (value, index) in net.values.items():
        assert agree(answers[name], value.reshape(-1)[index].item()), name
        # an output the loss does not read (a head at an unscored step) has no gradient, in torch and here
        gradient = value.grad.reshape(-1)[index].item() if value.grad is not None else 0.0
        ours = answers.get(f"dE_total/d{name}", 0.0)
        assert agree(ours, gradient), (name, ours, gradient)
        compared += 2
    eta = spec["learning_rate"]
    for name, (key, index) in net.names().items():
        leaf = net.params[key]
        gradient = leaf.grad[index].item() if index else leaf.grad.item()
        assert agree(answers[f"dE_total/d{name}"], gradient), (name, answers[f"dE_total/d{name}"], gradient)
        before = leaf[index].item() if index else leaf.item()
        assert agree(answers[f"{name}+"], before - eta * gradient), name
        compared += 2
    for name, (leaf, index) in inputs.items():
        assert agree(answers[f"dE_total/d{name}"], leaf.grad.reshape(-1)[index].item()), name
        compared += 1
    return compared


def _input_names(spec: dict[str, Any]) -> list[str]:
    first = spec["layers"][0]
    if "shape" in first:
        channels, rows, columns = first["shape"]
        return [f"{_plain(first['name'], k)}_{r + 1}_{c + 1}" for k in range(channels) for r in range(rows)
                for c in range(columns)]
    steps = len(spec["samples"][0]["inputs"])
    return [f"{_plain(first['name'], i)}@{t}" for t in range(1, steps + 1) for i in range(first["size"])]


@pytest.mark.parametrize("seed", range(CASES))
def test_conv_stack_equals_torch(seed: int) -> None:
    assert compare_one_step(random_conv_spec(random.Random(f"torch-conv-{seed}"))) > 20


@pytest.mark.parametrize("seed", range(CASES))
def test_rnn_equals_torch(seed: int) -> None:
    assert compare_one_step(random_rnn_spec(random.Random(f"torch-rnn-{seed}"))) > 10


def _two_samples(spec: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A second sample like the first, and three batch steps of which only the second is shown."""
    from layer_nets import _grid, _targets

    first = spec["samples"][0]
    second: dict[str, Any] = {}
    if "shape" in spec["layers"][0]:
        second["inputs"] = _grid(rng, tuple(spec["layers"][0]["shape"]))
        second["targets"] = _targets(rng, spec["loss"], len(first["targets"]))
    else:
        second["inputs"] = _grid(rng, (len(first["inputs"]), len(first["inputs"][0])))
        key = "targets" if "targets" in first else "targets_last"
        outputs = len(spec["layers"][-1]["weights"])
        second[key] = [_targets(rng, spec["loss"], outputs) for _ in first["inputs"]] if key == "targets" \
            else _targets(rng, spec["loss"], outputs)
    return {**spec, "samples": [first, second], "reduction": "mean",
            "training": {"mode": "batch", "epochs": 3, "record": [2]}}


@pytest.mark.parametrize("kind", ["conv", "rnn"])
@pytest.mark.parametrize("seed", range(4))
def test_three_steps_on_the_fast_path_equal_torch(kind: str, seed: int) -> None:
    rng = random.Random(f"torch-steps-{kind}-{seed}")
    spec = _two_samples(random_conv_spec(rng) if kind == "conv" else random_rnn_spec(rng), rng)
    answers = build_trace(parse_spec(spec, "steps.toml")).answers()
    net = TorchNet(spec)
    eta = spec["learning_rate"]
    for step in range(1, 4):
        total = torch.tensor(0.0, dtype=torch.float64)
        for sample in spec["samples"]:
            if kind == "conv":
                total = total + net.conv_loss(torch.tensor([sample["inputs"]], dtype=torch.float64),
                                              torch.tensor(sample["targets"], dtype=torch.float64))
            else:
                total = total + net.rnn_loss(torch.tensor(sample["inputs"], dtype=torch.float64), sample)
        total = total / len(spec["samples"])
        for leaf in net.params.values():
            leaf.grad = None
        total.backward()
        if step > 1:
            assert agree(answers[f"after{step - 1}.E_total"], total.item()), step
        with torch.no_grad():
            for leaf in net.params.values():
                leaf -= eta * leaf.grad
    for name, (key, index) in net.names().items():
        leaf = net.params[key]
        assert agree(answers[f"after3.{name}"], leaf[index].item() if index else leaf.item()), name


@pytest.mark.parametrize(("kind", "optimizer", "options", "make"), [
    ("conv", "momentum", {"momentum": 0.9}, lambda params, eta: torch.optim.SGD(params, lr=eta, momentum=0.9)),
    ("rnn", "adam", {"weight_decay": 0.01},
     lambda params, eta: torch.optim.Adam(params, lr=eta, weight_decay=0.01)),
], ids=["conv-momentum", "rnn-adam"])
def test_optimizers_over_layer_kinds_equal_torch_optim(kind: str, optimizer: str, options: dict, make: Any) -> None:
    """Five steps with an optimizer (SPEC §6) over a conv stack and a recurrent net: every
    parameter after the run equals torch.optim's (weight decay on weights only)."""
    rng = random.Random(f"torch-optim-{kind}")
    spec = random_conv_spec(rng) if kind == "conv" else random_rnn_spec(rng)
    spec["learning_rate"] = 0.05
    spec["training"] = {"epochs": 5, "record": [1, 5], "optimizer": optimizer, **options}
    answers = build_trace(parse_spec(spec, "optim.toml")).answers()
    net = TorchNet(spec)
    weights = [leaf for key, leaf in net.params.items() if not key.endswith(".bias")]
    biases = [leaf for key, leaf in net.params.items() if key.endswith(".bias")]
    groups = [{"params": weights}] + ([{"params": biases, "weight_decay": 0.0}] if biases else [])
    step = make(groups, spec["learning_rate"])
    sample = spec["samples"][0]
    for _ in range(5):
        step.zero_grad()
        if kind == "conv":
            loss = net.conv_loss(torch.tensor([sample["inputs"]], dtype=torch.float64),
                                 torch.tensor(sample["targets"], dtype=torch.float64))
        else:
            loss = net.rnn_loss(torch.tensor(sample["inputs"], dtype=torch.float64), sample)
        loss.backward()
        step.step()
    for name, (key, index) in net.names().items():
        leaf = net.params[key]
        assert agree(answers[f"after5.{name}"], leaf[index].item() if index else leaf.item()), name
