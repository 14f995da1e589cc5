"""The activations and losses written down once more, from their mathematical
definitions (SPEC.md §1 and §6), sharing nothing with stepbystep.

The registry test proves that this table names exactly the operations of
stepbystep's registry, so a new operation cannot go untested: adding one to
stepbystep means writing its definition here too, by hand, from the maths.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

# SPEC.md's defaults for the parameters beside an operation
DEFAULTS = {"negative_slope": 0.01, "alpha": 1.0, "loss_delta": 1.0}
Options = Mapping[str, float]


def option(options: Options, key: str) -> float:
    return float(options.get(key, DEFAULTS[key]))


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass(frozen=True)
class Activation:
    """An element-wise activation (value and slope at net input x), or a
    whole-layer one (`layer`: outputs from all net inputs, `jacobian`)."""

    value: Callable[[float, Options], float] | None = None
    slope: Callable[[float, Options], float] | None = None
    layer: Callable[[Sequence[float]], list[float]] | None = None
    jacobian: Callable[[Sequence[float]], list[list[float]]] | None = None
    kinks: Callable[[Options], tuple[float, ...]] = lambda options: ()

    def outputs(self, nets: Sequence[float], options: Options) -> list[float]:
        if self.layer is not None:
            return self.layer(nets)
        assert self.value is not None
        return [self.value(z, options) for z in nets]


def _softmax(nets: Sequence[float]) -> list[float]:
    top = max(nets)
    exps = [math.exp(z - top) for z in nets]
    total = math.fsum(exps)
    return [e / total for e in exps]


def _softmax_jacobian(nets: Sequence[float]) -> list[list[float]]:
    outs = _softmax(nets)
    return [[outs[k] * ((k == j) - outs[j]) for j in range(len(outs))] for k in range(len(outs))]


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(lambda x, p: logistic(x), lambda x, p: logistic(x) * (1.0 - logistic(x))),
    "tanh": Activation(lambda x, p: math.tanh(x), lambda x, p: 1.0 - math.tanh(x) ** 2),
    "relu": Activation(lambda x, p: max(x, 0.0), lambda x, p: 1.0 if x > 0 else 0.0, kinks=lambda p: (0.0,)),
    "leaky_relu": Activation(lambda x, p: x if x > 0 else option(p, "negative_slope") * x,
                             lambda x, p: 1.0 if x > 0 else option(p, "negative_slope"), kinks=lambda p: (0.0,)),
    "linear": Activation(lambda x, p: x, lambda x, p: 1.0),
    "softmax": Activation(layer=_softmax, jacobian=_softmax_jacobian),
    # SPEC.md §6: softplus ln(1 + e^x); elu x for x > 0, alpha (e^x - 1) otherwise, slope alpha at 0
    # (from the left); silu x sigmoid(x)
    "softplus": Activation(lambda x, p: math.log(1.0 + math.exp(x)) if x < 30 else x + math.exp(-x),
                           lambda x, p: logistic(x)),
    "elu": Activation(lambda x, p: x if x > 0 else option(p, "alpha") * (math.exp(x) - 1.0),
                      lambda x, p: 1.0 if x > 0 else option(p, "alpha") * math.exp(x), kinks=lambda p: (0.0,)),
    "silu": Activation(lambda x, p: x * logistic(x),
                       lambda x, p: logistic(x) * (1.0 + x * (1.0 - logistic(x)))),
}


@dataclass(frozen=True)
class Loss:
    """E_ok for target t, output o, K outputs; and dE_ok/do. A loss whose terms
    read every output (multiclass_hinge) gives `layer` instead: all E_ok from
    all targets and outputs, with `layer_gradient` (dE_total/dout_k) and
    `layer_kinks` (the distances from its kinks, which must not be near 0)."""

    term: Callable[[float, float, int, Options], float] | None = None
    derivative: Callable[[float, float, int, Options], float] | None = None
    kinks: Callable[[Options], tuple[float, ...]] = lambda options: ()   # values of t - o
    layer: Callable[[Sequence[float], Sequence[float], Options], list[float]] | None = None
    layer_gradient: Callable[[Sequence[float], Sequence[float], Options], list[float]] | None = None
    layer_kinks: Callable[[Sequence[float], Sequence[float], Options], list[float]] | None = None


def svm_terms(targets: Sequence[float], outs: Sequence[float], options: Options) -> list[float]:
    """CS231n: L = sum over wrong classes k of max(0, s_k - s_y + delta)."""
    y = list(targets).index(1.0)
    delta = option(options, "loss_delta")
    return [0.0 if k == y else max(0.0, outs[k] - outs[y] + delta) for k in range(len(outs))]


def svm_gradient(targets: Sequence[float], outs: Sequence[float], options: Options) -> list[float]:
    """1 for each wrong class with s_k - s_y + delta > 0, minus their count for the correct class."""
    y = list(targets).index(1.0)
    delta = option(options, "loss_delta")
    active = [k != y and outs[k] - outs[y] + delta > 0 for k in range(len(outs))]
    return [-float(sum(active)) if k == y else float(active[k]) for k in range(len(outs))]


def svm_margins(targets: Sequence[float], outs: Sequence[float], options: Options) -> list[float]:
    y = list(targets).index(1.0)
    return [outs[k] - outs[y] + option(options, "loss_delta") for k in range(len(outs)) if k != y]


def sample_terms(name: str, targets: Sequence[float], outs: Sequence[float], options: Options) -> list[float]:
    """Every E_ok of one sample, per output or from the whole layer."""
    loss = LOSSES[name]
    if loss.layer is not None:
        return loss.layer(targets, outs, options)
    assert loss.term is not None
    return [loss.term(t, o, len(outs), options) for t, o in zip(targets, outs)]


def sample_gradient(name: str, targets: Sequence[float], outs: Sequence[float], options: Options) -> list[float]:
    """dE_total/dout_k for every output k of one sample."""
    loss = LOSSES[name]
    if loss.layer_gradient is not None:
        return loss.layer_gradient(targets, outs, options)
    assert loss.derivative is not None
    return [loss.derivative(t, o, len(outs), options) for t, o in zip(targets, outs)]


def kink_distances(name: str, targets: Sequence[float], outs: Sequence[float], options: Options) -> list[float]:
    """How far the sample is from every kink of the loss (0: on a kink)."""
    loss = LOSSES[name]
    if loss.layer_kinks is not None:
        return loss.layer_kinks(targets, outs, options)
    return [t - o - kink for t, o in zip(targets, outs) for kink in loss.kinks(options)]


LOSSES: dict[str, Loss] = {
    "half_sse": Loss(lambda t, o, K, p: 0.5 * (t - o) ** 2, lambda t, o, K, p: o - t),
    "sse": Loss(lambda t, o, K, p: (t - o) ** 2, lambda t, o, K, p: 2.0 * (o - t)),
    "mse": Loss(lambda t, o, K, p: (t - o) ** 2 / K, lambda t, o, K, p: 2.0 * (o - t) / K),
    "bce": Loss(lambda t, o, K, p: -(t * math.log(o) + (1 - t) * math.log(1 - o)),
                lambda t, o, K, p: (o - t) / (o * (1 - o))),
    "cross_entropy": Loss(lambda t, o, K, p: -t * math.log(o) if t else 0.0, lambda t, o, K, p: -t / o),
    # SPEC.md §6: mae |t - o| / K (slope 0 where t = o); huber 1/2 (t - o)^2 / K where |t - o| <= delta,
    # else delta (|t - o| - delta / 2) / K
    "mae": Loss(lambda t, o, K, p: abs(t - o) / K, lambda t, o, K, p: ((o > t) - (o < t)) / K,
                kinks=lambda p: (0.0,)),
    "huber": Loss(lambda t, o, K, p: (0.5 * (t - o) ** 2 if abs(t - o) <= option(p, "loss_delta")
                                      else option(p, "loss_delta") * (abs(t - o) - option(p, "loss_delta") / 2)) / K,
                  lambda t, o, K, p: max(-option(p, "loss_delta"), min(option(p, "loss_delta"), o - t)) / K),
    # SPEC.md §6: hinge max(0, 1 - t o) on one output, targets -1/+1 (slope 0 at the kink, where t o = 1,
    # i.e. t - o = 0); multiclass_hinge: CS231n's SVM loss, margin delta (default 1)
    "hinge": Loss(lambda t, o, K, p: max(0.0, 1.0 - t * o), lambda t, o, K, p: -t if 1.0 - t * o > 0 else 0.0,
                  kinks=lambda p: (0.0,)),
    "multiclass_hinge": Loss(layer=svm_terms, layer_gradient=svm_gradient, layer_kinks=svm_margins),
}


# -- PyTorch's own functions (torch.nn.functional), for the PyTorch oracle ----------
def torch_activation(torch: Any, name: str, z: Any, options: Options) -> Any:
    functional = torch.nn.functional
    return {
        "sigmoid": lambda: torch.sigmoid(z),
        "tanh": lambda: torch.tanh(z),
        "relu": lambda: torch.relu(z),
        "leaky_relu": lambda: functional.leaky_relu(z, option(options, "negative_slope")),
        "linear": lambda: z,
        "softmax": lambda: torch.softmax(z, dim=0),
        "softplus": lambda: functional.softplus(z),
        "elu": lambda: functional.elu(z, option(options, "alpha")),
        "silu": lambda: functional.silu(z),
    }[name]()


def torch_loss_terms(torch: Any, name: str, t: Any, o: Any, options: Options) -> Any:
    """E_ok for every output k (PyTorch's element-wise losses, with our /K where SPEC says so)."""
    return {
        "half_sse": lambda: 0.5 * (t - o) ** 2,
        "sse": lambda: (t - o) ** 2,
        "mse": lambda: (t - o) ** 2 / len(t),
        "bce": lambda: -(t * torch.log(o) + (1 - t) * torch.log(1 - o)),
        "cross_entropy": lambda: -t * torch.log(o),
        "mae": lambda: torch.nn.functional.l1_loss(o, t, reduction="none") / len(t),
        "huber": lambda: torch.nn.functional.huber_loss(o, t, reduction="none",
                                                        delta=option(options, "loss_delta")) / len(t),
        "hinge": lambda: torch.clamp(1 - t * o, min=0),
        # the correct class's own term is max(0, delta) - delta = 0
        "multiclass_hinge": lambda: torch.clamp(o - (t * o).sum() + option(options, "loss_delta"), min=0)
        - t * option(options, "loss_delta"),
    }[name]()
