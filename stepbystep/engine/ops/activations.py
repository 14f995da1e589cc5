"""Activations: one record each, read by backprop, both fast paths, the documents.

A record writes the layer's output and its slope as graph expressions (so
every number of a walkthrough is a named node with a formula), gives the
same maths in numpy for the vectorized fast path, and carries its LaTeX and
its prose. The spec-level facts (name, parameters and their ranges, the
smallest layer) are its `choice`, from spec/choices.py.

`np` in the numpy forms is the numpy module, passed in by the numpy fast path
so that numpy is imported only when that path runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ...spec import choices
from ...spec.choices import ActivationChoice
from ..expressions import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Sub
from .registry import ACTIVATIONS

ONE = Num(1.0)


@dataclass(frozen=True)
class ActivationProse:
    """The sentences a walkthrough says about this activation (Markdown with $…$ math)."""

    squash: str                  # before the first out node: what the function does
    slope: str                   # ends "…that is the derivative of the activation function," with the slope
    delta: str | None = None     # the delta sentence, where it is not the product of the two factors


@dataclass(frozen=True)
class ActivationRecord:
    """Everything about one activation.

    output(nets, j, options): out_j as a graph expression of the layer's net inputs.
    slope(k, j, outs, nets, options): d out_k / d net_j as a graph expression,
    written as the post writes it (from the outputs where it can be);
    called for k = j only when `elementwise`.
    numpy_forward(np, net, options) and numpy_delta(np, upstream, net, out,
    options): the same maths on arrays (columns = samples), dE/dnet from dE/dout.
    """

    choice: ActivationChoice
    output: Callable[[Sequence[Expr], int, Mapping[str, float]], Expr]
    slope: Callable[[int, int, Sequence[Expr], Sequence[Expr], Mapping[str, float]], Expr]
    numpy_forward: Callable[[Any, Any, Mapping[str, float]], Any]
    numpy_delta: Callable[[Any, Any, Any, Any, Mapping[str, float]], Any]
    symbol: str                  # its name in the matrix form: A = \sigma(Z)
    formula: str                 # LaTeX of f(x)
    prose: ActivationProse
    elementwise: bool = True     # softmax: each output depends on every net input of the layer
    slope_from_out: bool = False  # the slope reads the outputs (the mistake derivative_from_net reads net instead)
    saturates: bool = False      # a tiny slope means a vanishing gradient (documents warn, variants redraw)
    kinks: tuple[float, ...] = ()  # net inputs where the slope jumps

    @property
    def name(self) -> str:
        return self.choice.name


def _add(record: ActivationRecord) -> None:
    ACTIVATIONS.add(record)


# -- sigmoid -----------------------------------------------------------------------
def _numpy_sigmoid(np: Any, net: Any, options: Mapping[str, float]) -> Any:
    out = np.negative(net)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _numpy_sigmoid_delta(np: Any, upstream: Any, net: Any, out: Any, options: Mapping[str, float]) -> Any:
    slope = np.subtract(1.0, out)
    slope *= out
    slope *= upstream
    return slope


_add(ActivationRecord(
    choices.ACTIVATIONS["sigmoid"],
    output=lambda nets, j, options: Call("sigmoid", (nets[j],)),
    slope=lambda k, j, outs, nets, options: Mul((outs[k], Sub(ONE, outs[k]))),
    numpy_forward=_numpy_sigmoid, numpy_delta=_numpy_sigmoid_delta,
    symbol=r"\sigma", formula=r"\frac{1}{1 + e^{-x}}",
    prose=ActivationProse(
        squash="The logistic (sigmoid) function squashes the net input into $(0, 1)$:",
        slope=r"which for the logistic function is $out \cdot (1 - out)$:"),
    slope_from_out=True, saturates=True))


# -- tanh --------------------------------------------------------------------------
def _numpy_tanh(np: Any, net: Any, options: Mapping[str, float]) -> Any:
    # tanh(x) = sign(x) (1 - e^(-2|x|)) / (1 + e^(-2|x|)): one exp, about 2x faster than np.tanh
    # here; a few ulps from math.tanh (relative ~1e-16 / |x| for tiny x, absolute < 2e-16)
    t = np.abs(net)
    t *= -2.0
    np.exp(t, out=t)
    out = 1.0 - t
    t += 1.0
    out /= t
    return np.copysign(out, net, out=out)


def _numpy_tanh_delta(np: Any, upstream: Any, net: Any, out: Any, options: Mapping[str, float]) -> Any:
    slope = np.square(out)
    np.subtract(1.0, slope, out=slope)
    slope *= upstream
    return slope


_add(ActivationRecord(
    choices.ACTIVATIONS["tanh"],
    output=lambda nets, j, options: Call("tanh", (nets[j],)),
    slope=lambda k, j, outs, nets, options: Sub(ONE, Pow(outs[k], Num(2.0))),
    numpy_forward=_numpy_tanh, numpy_delta=_numpy_tanh_delta,
    symbol=r"\tanh", formula=r"\tanh(x)",
    prose=ActivationProse(
        squash="The hyperbolic tangent squashes the net input into $(-1, 1)$:",
        slope="which for tanh is $1 - out^2$:"),
    slope_from_out=True, saturates=True))


# -- relu and leaky_relu -----------------------------------------------------------
_add(ActivationRecord(
    choices.ACTIVATIONS["relu"],
    output=lambda nets, j, options: Call("relu", (nets[j],)),
    slope=lambda k, j, outs, nets, options: Call("step", (nets[k],)),
    numpy_forward=lambda np, net, options: np.where(net > 0, net, 0.0),
    numpy_delta=lambda np, upstream, net, out, options: upstream * (net > 0),
    symbol=r"\operatorname{relu}", formula=r"\max(0, x)",
    prose=ActivationProse(
        squash="ReLU passes a positive net input through and turns a negative one into 0:",
        slope="which for ReLU is 1 where the net input is positive and 0 elsewhere (we take 0 at exactly 0):"),
    kinks=(0.0,)))

_add(ActivationRecord(
    choices.ACTIVATIONS["leaky_relu"],
    output=lambda nets, j, options: Call("leaky_relu", (nets[j],), options["negative_slope"]),
    slope=lambda k, j, outs, nets, options: Call("leaky_step", (nets[k],), options["negative_slope"]),
    numpy_forward=lambda np, net, options: np.where(net > 0, net, options["negative_slope"] * net),
    numpy_delta=lambda np, upstream, net, out, options: upstream * np.where(net > 0, 1.0, options["negative_slope"]),
    symbol=r"\operatorname{lrelu}", formula=r"\begin{cases} x & x > 0 \\ a x & \text{otherwise} \end{cases}",
    prose=ActivationProse(
        squash="Leaky ReLU passes a positive net input through and scales a negative one by the slope:",
        slope="which for leaky ReLU is 1 where the net input is positive and the slope elsewhere "
              "(the slope also at exactly 0):"),
    kinks=(0.0,)))


# -- linear ------------------------------------------------------------------------
_add(ActivationRecord(
    choices.ACTIVATIONS["linear"],
    output=lambda nets, j, options: nets[j],
    slope=lambda k, j, outs, nets, options: Num(1.0),
    numpy_forward=lambda np, net, options: net,
    numpy_delta=lambda np, upstream, net, out, options: upstream,
    symbol=r"\operatorname{id}", formula="x",
    prose=ActivationProse(
        squash="A linear neuron outputs its net input unchanged:",
        slope="which for a linear neuron is 1:")))


# -- softmax -----------------------------------------------------------------------
def _softmax_slope(k: int, j: int, outs: Sequence[Expr], nets: Sequence[Expr], options: Mapping[str, float]) -> Expr:
    if k == j:
        return Mul((outs[k], Sub(ONE, outs[k])))
    return Neg(Mul((outs[k], outs[j])))


def _numpy_softmax(np: Any, net: Any, options: Mapping[str, float]) -> Any:
    exps = np.exp(net)
    return exps / exps.sum(axis=0, keepdims=True)


def _numpy_softmax_delta(np: Any, upstream: Any, net: Any, out: Any, options: Mapping[str, float]) -> Any:
    # delta_j = sum_k g_k o_k ([k = j] - o_j) = o_j (g_j - sum_k g_k o_k)
    return out * (upstream - (upstream * out).sum(axis=0, keepdims=True))


_add(ActivationRecord(
    choices.ACTIVATIONS["softmax"],
    output=lambda nets, j, options: Div(Call("exp", (nets[j],)), Add(tuple(Call("exp", (other,)) for other in nets))),
    slope=_softmax_slope,
    numpy_forward=_numpy_softmax, numpy_delta=_numpy_softmax_delta,
    symbol=r"\operatorname{softmax}", formula=r"\frac{e^{x_k}}{\sum_j e^{x_j}}",
    prose=ActivationProse(
        squash="Softmax turns the layer's net inputs into probabilities that sum to 1:",
        slope="and a softmax output depends on every net input of its layer: $\\frac{\\partial out_k}{\\partial net_j}$ is\n"
              "$out_k (1 - out_k)$ when $j = k$ and $-out_k \\cdot out_j$ otherwise:",
        delta="The delta of a softmax neuron gathers the changes of every output its net input moves"),
    elementwise=False, slope_from_out=True, saturates=True))


# -- softplus, elu, silu (SPEC.md §6) ---------------------------------------------------
def _numpy_sigmoid_of(np: Any, net: Any) -> Any:
    return _numpy_sigmoid(np, np.array(net, dtype=float), {})


_add(ActivationRecord(
    choices.ACTIVATIONS["softplus"],
    output=lambda nets, j, options: Call("softplus", (nets[j],)),
    slope=lambda k, j, outs, nets, options: Call("sigmoid", (nets[k],)),
    numpy_forward=lambda np, net, options: np.maximum(net, 0.0) + np.log1p(np.exp(-np.abs(net))),
    numpy_delta=lambda np, upstream, net, out, options: upstream * _numpy_sigmoid_of(np, net),
    symbol=r"\operatorname{softplus}", formula=r"\ln\left(1 + e^{x}\right)",
    prose=ActivationProse(
        squash="Softplus is a smooth ReLU, $\\ln(1 + e^{net})$: near 0 for a very negative net input, near the net "
               "input itself for a large one:",
        slope="which for softplus is the logistic function of the net input, $\\frac{1}{1 + e^{-net}}$:")))

_add(ActivationRecord(
    choices.ACTIVATIONS["elu"],
    output=lambda nets, j, options: Call("elu", (nets[j],), options["alpha"]),
    slope=lambda k, j, outs, nets, options: Call("elu_step", (nets[k],), options["alpha"]),
    numpy_forward=lambda np, net, options: np.where(net > 0, net, options["alpha"] * np.expm1(np.minimum(net, 0.0))),
    numpy_delta=lambda np, upstream, net, out, options:
        upstream * np.where(net > 0, 1.0, options["alpha"] * np.exp(np.minimum(net, 0.0))),
    symbol=r"\operatorname{elu}", formula=r"\begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & \text{otherwise} \end{cases}",
    prose=ActivationProse(
        squash="ELU passes a positive net input through and bends a negative one smoothly towards $-\\alpha$, "
               "as $\\alpha (e^{net} - 1)$:",
        slope="which for ELU is 1 where the net input is positive and $\\alpha e^{net}$ elsewhere "
              "(at exactly 0 the slope from the left, $\\alpha$):"),
    kinks=(0.0,)))

_add(ActivationRecord(
    choices.ACTIVATIONS["silu"],
    output=lambda nets, j, options: Call("silu", (nets[j],)),
    slope=lambda k, j, outs, nets, options: Add((Call("sigmoid", (nets[k],)),
                                                 Mul((outs[k], Sub(ONE, Call("sigmoid", (nets[k],))))))),
    numpy_forward=lambda np, net, options: net * _numpy_sigmoid_of(np, net),
    numpy_delta=lambda np, upstream, net, out, options:
        upstream * _silu_slope(_numpy_sigmoid_of(np, net), out),
    symbol=r"\operatorname{silu}", formula=r"\frac{x}{1 + e^{-x}}",
    prose=ActivationProse(
        squash="SiLU (swish) multiplies the net input by its own logistic function, $net \\cdot \\sigma(net)$ "
               "with $\\sigma(net) = \\frac{1}{1 + e^{-net}}$:",
        slope="which for SiLU is $\\sigma(net) + out \\cdot (1 - \\sigma(net))$:")))


def _silu_slope(sigma: Any, out: Any) -> Any:
    return sigma + out * (1.0 - sigma)
