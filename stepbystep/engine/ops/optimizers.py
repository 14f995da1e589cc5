"""Optimizers: one record each, read by the step writers, both fast paths, the documents.

A record writes one parameter's buffers and its update direction as graph
expressions (so every buffer is a named node: formula, numbers, value), the
same step in numpy for the vectorized fast path, and carries its LaTeX and
prose. Each is PyTorch's torch.optim step (dampening 0) with the
hyperparameters of SPEC.md §6; the buffers start at zero (momentum's v at
the first gradient, which is the same number). Weight decay is not the
record's business: engine/update.py adds lambda*p to the gradient, or (the
record says `decoupled_decay`, adamw) shrinks p first.

`p+ = p - eta * direction`: the record gives the direction.
`np` in the numpy forms is the numpy module, passed in by the fast path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ...spec import optimizers as choices
from ...spec.optimizers import OptimizerChoice
from ..expressions import Add, Call, Div, Expr, Mul, Num, Pow, Sub
from .registry import OPTIMIZERS

ONE, TWO = Num(1.0), Num(2.0)
Buffers = tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class UpdateInputs:
    """What one parameter's step is written from, as graph expressions."""

    gradient: Expr                              # g' = g + lambda*p with weight decay, else g
    previous: Callable[[str], Expr] | None      # a carried buffer as the step found it; None: first step (zeros)
    own: Callable[[str], Expr]                  # a buffer of this step, once its node is written
    t: Expr                                     # the step number (Adam's bias correction)
    options: Mapping[str, float]
    bias_correction: bool = True                # False: the mistake "Adam without bias correction"

    def constant(self, key: str, symbol: str) -> Num:
        return Num(self.options[key], symbol)


@dataclass(frozen=True)
class OptimizerProse:
    """What a walkthrough says about this optimizer, once, where its first update is shown."""

    title: str                  # "Adam"
    why: str                    # why the rule looks as it does (Markdown with $…$ math)
    start: str                  # what the buffers start from


@dataclass(frozen=True)
class OptimizerRecord:
    """Everything about one optimizer.

    buffers(inputs): the buffer nodes of one step, in order, as (key, expression);
    direction(inputs): d in p+ = p - eta*d, over the buffers and the gradient.
    numpy_step(np, g, state, t, options): the same on arrays; `state` holds the
    carried buffers by key (empty before the first step) and is updated in
    place; returns the direction.
    """

    choice: OptimizerChoice
    carried: tuple[str, ...]            # buffers the next step starts from
    shown: tuple[str, ...]              # every buffer of a step, in node order
    buffers: Callable[[UpdateInputs], Buffers]
    direction: Callable[[UpdateInputs], Expr]
    numpy_step: Callable[[Any, Any, dict[str, Any], int, Mapping[str, float]], Any]
    symbols: Mapping[str, str]          # LaTeX of each buffer key (mhat -> \hat{m})
    rule: tuple[str, ...]               # the update rule in LaTeX, one equation a line
    prose: OptimizerProse
    decoupled_decay: bool = False       # adamw: p shrinks by (1 - eta*lambda) apart from the gradient

    @property
    def name(self) -> str:
        return self.choice.name


def _add(record: OptimizerRecord) -> None:
    OPTIMIZERS.add(record)


def _decayed_mean(inputs: UpdateInputs, key: str, rate: Num, value: Expr) -> Expr:
    """rate * previous + (1 - rate) * value; (1 - rate) * value on the first step."""
    fresh = Mul((Sub(ONE, rate), value))
    if inputs.previous is None:
        return fresh
    return Add((Mul((rate, inputs.previous(key))), fresh))


def _square(expr: Expr) -> Expr:
    return Pow(expr, TWO)


def _scaled(inputs: UpdateInputs, key: str) -> Expr:
    """g / (sqrt(buffer) + eps): adagrad's and rmsprop's direction."""
    return Div(inputs.gradient, Add((Call("sqrt", (inputs.own(key),)), inputs.constant("eps", r"\epsilon"))))


# -- sgd ---------------------------------------------------------------------------
_add(OptimizerRecord(
    choices.OPTIMIZERS["sgd"], carried=(), shown=(),
    buffers=lambda inputs: (),
    direction=lambda inputs: inputs.gradient,
    numpy_step=lambda np, g, state, t, options: g,
    symbols={},
    rule=(r"p^{+} = p - \eta \cdot g",),
    prose=OptimizerProse(
        "Gradient descent",
        "Plain gradient descent moves each parameter a step of size $\\eta$ against its gradient.",
        "It keeps nothing from one step to the next.")))


# -- momentum and nesterov -----------------------------------------------------------
def _velocity(inputs: UpdateInputs) -> Buffers:
    mu = inputs.constant("momentum", r"\mu")
    if inputs.previous is None:
        return (("v", inputs.gradient),)
    return (("v", Add((Mul((mu, inputs.previous("v"))), inputs.gradient))),)


def _numpy_velocity(np: Any, g: Any, state: dict[str, Any], options: Mapping[str, float]) -> Any:
    if "v" not in state:
        state["v"] = np.array(g, dtype=np.float64, copy=True)
    else:   # in place for arrays; a shared bias's buffer may be a plain float
        state["v"] *= options["momentum"]
        state["v"] += g
    return state["v"]


_add(OptimizerRecord(
    choices.OPTIMIZERS["momentum"], carried=("v",), shown=("v",),
    buffers=_velocity,
    direction=lambda inputs: inputs.own("v"),
    numpy_step=lambda np, g, state, t, options: _numpy_velocity(np, g, state, options),
    symbols={"v": "v"},
    rule=(r"v = \mu \cdot v_{\text{before}} + g", r"p^{+} = p - \eta \cdot v"),
    prose=OptimizerProse(
        "Momentum",
        "Momentum keeps a velocity $v$ for each parameter: each step adds the new gradient to $\\mu$ times the old\n"
        "velocity. Where the gradients keep pointing the same way they accumulate, so the steps grow (up to\n"
        "$1/(1-\\mu)$ times a plain step); where they flip sign they cancel, which damps zig-zagging.",
        "On the first step the velocity is simply the gradient (PyTorch's convention, dampening 0).")))

_add(OptimizerRecord(
    choices.OPTIMIZERS["nesterov"], carried=("v",), shown=("v",),
    buffers=_velocity,
    direction=lambda inputs: Add((inputs.gradient, Mul((inputs.constant("momentum", r"\mu"), inputs.own("v"))))),
    numpy_step=lambda np, g, state, t, options: g + options["momentum"] * _numpy_velocity(np, g, state, options),
    symbols={"v": "v"},
    rule=(r"v = \mu \cdot v_{\text{before}} + g", r"p^{+} = p - \eta \cdot (g + \mu \cdot v)"),
    prose=OptimizerProse(
        "Nesterov momentum",
        "Nesterov momentum keeps the same velocity $v$ as momentum, but steps along $g + \\mu v$: the gradient\n"
        "plus a look ahead along the velocity, so it reacts a step earlier when the velocity overshoots.",
        "On the first step the velocity is simply the gradient (PyTorch's convention, dampening 0).")))


# -- adagrad and rmsprop ---------------------------------------------------------------
def _adagrad_sum(inputs: UpdateInputs) -> Buffers:
    squared = _square(inputs.gradient)
    if inputs.previous is None:
        return (("G", squared),)
    return (("G", Add((inputs.previous("G"), squared))),)


def _numpy_adagrad(np: Any, g: Any, state: dict[str, Any], options: Mapping[str, float]) -> Any:
    if "G" not in state:
        state["G"] = np.square(g)
    else:
        state["G"] += np.square(g)
    return g / (np.sqrt(state["G"]) + options["eps"])


_add(OptimizerRecord(
    choices.OPTIMIZERS["adagrad"], carried=("G",), shown=("G",),
    buffers=_adagrad_sum,
    direction=lambda inputs: _scaled(inputs, "G"),
    numpy_step=lambda np, g, state, t, options: _numpy_adagrad(np, g, state, options),
    symbols={"G": "G"},
    rule=(r"G = G_{\text{before}} + g^2", r"p^{+} = p - \eta \cdot \frac{g}{\sqrt{G} + \epsilon}"),
    prose=OptimizerProse(
        "Adagrad",
        "Adagrad adds up each parameter's squared gradients in $G$ and divides the step by $\\sqrt{G}$: a parameter\n"
        "with large gradients gets small steps, a rarely moved one keeps large steps. $G$ only grows, so the steps\n"
        "shrink over time.",
        "$G$ starts at 0, so the first step is $\\eta \\cdot g/(|g| + \\epsilon)$: about $\\eta$ for every parameter.")))


def _rms_mean(inputs: UpdateInputs) -> Buffers:
    return (("s", _decayed_mean(inputs, "s", inputs.constant("alpha", r"\alpha"), _square(inputs.gradient))),)


def _numpy_rmsprop(np: Any, g: Any, state: dict[str, Any], options: Mapping[str, float]) -> Any:
    alpha = options["alpha"]
    fresh = np.square(g)
    fresh *= 1.0 - alpha
    if "s" not in state:
        state["s"] = fresh
    else:
        state["s"] *= alpha
        state["s"] += fresh
    return g / (np.sqrt(state["s"]) + options["eps"])


_add(OptimizerRecord(
    choices.OPTIMIZERS["rmsprop"], carried=("s",), shown=("s",),
    buffers=_rms_mean,
    direction=lambda inputs: _scaled(inputs, "s"),
    numpy_step=lambda np, g, state, t, options: _numpy_rmsprop(np, g, state, options),
    symbols={"s": "s"},
    rule=(r"s = \alpha \cdot s_{\text{before}} + (1 - \alpha) \cdot g^2",
          r"p^{+} = p - \eta \cdot \frac{g}{\sqrt{s} + \epsilon}"),
    prose=OptimizerProse(
        "RMSprop",
        "RMSprop divides each step by the root of a running mean $s$ of the squared gradients. Unlike Adagrad's sum\n"
        "it forgets old gradients (a fraction $1 - \\alpha$ of $s$ is replaced each step), so the steps do not\n"
        "shrink for ever.",
        "$s$ starts at 0.")))


# -- adam and adamw --------------------------------------------------------------------
def _adam_buffers(inputs: UpdateInputs) -> Buffers:
    beta1, beta2 = inputs.constant("beta1", r"\beta_1"), inputs.constant("beta2", r"\beta_2")
    first = ("m", _decayed_mean(inputs, "m", beta1, inputs.gradient))
    second = ("v", _decayed_mean(inputs, "v", beta2, _square(inputs.gradient)))
    if not inputs.bias_correction:
        return first, second, ("mhat", inputs.own("m")), ("vhat", inputs.own("v"))
    return (first, second,
            ("mhat", Div(inputs.own("m"), Sub(ONE, Pow(beta1, inputs.t)))),
            ("vhat", Div(inputs.own("v"), Sub(ONE, Pow(beta2, inputs.t)))))


def _adam_direction(inputs: UpdateInputs) -> Expr:
    return Div(inputs.own("mhat"), Add((Call("sqrt", (inputs.own("vhat"),)), inputs.constant("eps", r"\epsilon"))))


def _numpy_adam(np: Any, g: Any, state: dict[str, Any], t: int, options: Mapping[str, float]) -> Any:
    beta1, beta2 = options["beta1"], options["beta2"]
    first = g * (1.0 - beta1)
    second = np.square(g)
    second *= 1.0 - beta2
    if "m" not in state:
        state["m"], state["v"] = first, second
    else:
        state["m"] *= beta1
        state["m"] += first
        state["v"] *= beta2
        state["v"] += second
    mhat = state["m"] / (1.0 - beta1 ** t)
    vhat = state["v"] / (1.0 - beta2 ** t)
    return mhat / (np.sqrt(vhat) + options["eps"])


ADAM_RULE = (r"m = \beta_1 \cdot m_{\text{before}} + (1 - \beta_1) \cdot g",
             r"v = \beta_2 \cdot v_{\text{before}} + (1 - \beta_2) \cdot g^2",
             r"\hat{m} = \frac{m}{1 - \beta_1^{t}}, \quad \hat{v} = \frac{v}{1 - \beta_2^{t}}",
             r"p^{+} = p - \eta \cdot \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}")
ADAM_WHY = (
    "Adam keeps two running means per parameter: $m$ of the gradients (a momentum) and $v$ of the squared\n"
    "gradients (as RMSprop), and steps along $m/\\sqrt{v}$. Both means start at 0, so early on they are too small\n"
    "by a factor $1 - \\beta^t$; dividing by it (the bias correction, $\\hat m$ and $\\hat v$) undoes that. Without\n"
    "it the step would be off by $(1 - \\beta_1^t)/\\sqrt{1 - \\beta_2^t}$: with $\\beta_1 = 0.9$, $\\beta_2 = 0.999$ the early\n"
    "steps would be several times too large (3.2 times the first); with it the very first step is $\\eta$ in size\n"
    "whatever the gradient's size.")
ADAM_SYMBOLS = {"m": "m", "v": "v", "mhat": r"\hat{m}", "vhat": r"\hat{v}"}

_add(OptimizerRecord(
    choices.OPTIMIZERS["adam"], carried=("m", "v"), shown=("m", "v", "mhat", "vhat"),
    buffers=_adam_buffers, direction=_adam_direction, numpy_step=_numpy_adam,
    symbols=ADAM_SYMBOLS, rule=ADAM_RULE,
    prose=OptimizerProse("Adam", ADAM_WHY, "$m$ and $v$ start at 0; $t$ counts the steps from 1.")))

_add(OptimizerRecord(
    choices.OPTIMIZERS["adamw"], carried=("m", "v"), shown=("m", "v", "mhat", "vhat"),
    buffers=_adam_buffers, direction=_adam_direction, numpy_step=_numpy_adam,
    symbols=ADAM_SYMBOLS, rule=(r"p_{\text{decayed}} = (1 - \eta \lambda) \cdot p",) + ADAM_RULE[:-1]
    + (r"p^{+} = p_{\text{decayed}} - \eta \cdot \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}",),
    prose=OptimizerProse(
        "AdamW",
        ADAM_WHY + "\n\nAdamW applies weight decay apart from the gradient: each weight first shrinks by the factor\n"
        "$1 - \\eta\\lambda$, then takes the Adam step computed from the data gradient alone. Adding $\\lambda w$ to the\n"
        "gradient instead (as adam does) would send the decay through $\\hat v$ too, which divides it away for\n"
        "weights with large gradients.",
        "$m$ and $v$ start at 0; $t$ counts the steps from 1."),
    decoupled_decay=True))
