"""What a spec may choose: the activations and losses, their parameters, their demands.

This is the spec layer's half of the operations registry (engine/ops/):
for each operation the name a spec file uses, its parameters (the spec key
beside it, the default, the valid range) and, for a loss, what it needs of
the output layer and the targets. It lives here and not in engine/ because
validation must not import the maths (DESIGN.md's layers: spec/ imports
nothing above it). Each engine record holds its entry from here (`choice`),
and tests/test_registry.py proves that both halves name the same operations,
so an operation cannot be accepted by the validator yet unknown to backprop,
or the other way round.

Adding an activation or a loss: one entry here (name, parameters, needs),
one record in engine/ops/ (the maths and the prose).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

# A layer's or a spec's parameters of its activation or loss, by spec key,
# every key present (defaults filled in): (("negative_slope", 0.01),).
Options = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Parameter:
    """A number that sits beside its operation in the spec (`alpha = 1.0`)."""

    key: str                     # the spec key: negative_slope, alpha, loss_delta
    default: float
    meaning: str                 # for messages and documents: "the slope for negative net inputs"
    low: float | None = None     # the valid range; None: unbounded on that side
    high: float | None = None
    low_open: bool = False       # True: low itself is not allowed
    high_open: bool = False

    def allows(self, value: float) -> bool:
        if self.low is not None and (value < self.low or self.low_open and value == self.low):
            return False
        return not (self.high is not None and (value > self.high or self.high_open and value == self.high))

    def range_text(self) -> str:
        """`a number from 0 up to (not including) 1`, `a number greater than 0`…"""
        low, high = _plain(self.low), _plain(self.high)
        if self.low is not None and self.high is not None:
            upper = f"up to (not including) {high}" if self.high_open else f"to {high}"
            lower = f"above {low}" if self.low_open else f"from {low}"
            return f"a number {lower} {upper}"
        if self.low is not None:
            return f"a number greater than {low}" if self.low_open else f"a number of at least {low}"
        if self.high is not None:
            return f"a number less than {high}" if self.high_open else f"a number of at most {high}"
        return "a number"


@dataclass(frozen=True)
class ActivationChoice:
    """An activation a layer may name."""

    name: str
    parameters: tuple[Parameter, ...] = ()
    min_size: int = 1            # softmax: 2 (one softmax output is always 1)
    min_size_reason: str = ""


@dataclass(frozen=True)
class LossChoice:
    """A loss a spec may name, and what it needs of the output layer and the targets."""

    name: str
    parameters: tuple[Parameter, ...] = ()
    output_size: int | None = None         # bce: exactly 1 output neuron
    output_activation: str | None = None   # bce: sigmoid, cross_entropy: softmax
    target_low: float | None = None        # every target at least this
    target_high: float | None = None       # every target at most this
    targets_sum: float | None = None       # cross_entropy: each sample's targets sum to 1
    target_values: tuple[float, ...] | None = None  # hinge: every target -1 or +1
    one_hot: bool = False                  # multiclass_hinge: one target 1 (the class), the others 0
    min_outputs: int = 1                   # multiclass_hinge: at least two classes

    def problem(self, size: int, activation: str, where: str) -> str | None:
        """Why the output layer (`where`, e.g. layers[2]) does not fit this loss, or None."""
        if self.output_size is not None and size != self.output_size:
            return f"{self.name} needs exactly {_count(self.output_size)} output neuron" \
                   f"{'' if self.output_size == 1 else 's'}, {where} has {size}"
        if size < self.min_outputs:
            return f"{self.name} needs at least {_count(self.min_outputs)} output neurons (one per class), {where} has {size}"
        if self.output_activation is not None and activation != self.output_activation:
            return f"{self.name} needs a {self.output_activation} output, {where} is {activation}"
        return None

    def target_problem(self, targets: Sequence[float]) -> tuple[int | None, str] | None:
        """Why one sample's targets do not fit: (index of the target or None for
        the whole list, message), or None."""
        for index, target in enumerate(targets):
            if self.target_high is not None and self.target_low is not None \
                    and not self.target_low <= target <= self.target_high:
                return index, (f"{self.name} targets must be from {_plain(self.target_low)} to "
                               f"{_plain(self.target_high)}, got {target}")
            if self.target_high is None and self.target_low is not None and target < self.target_low:
                shown = "must not be negative" if self.target_low == 0 else f"must be at least {_plain(self.target_low)}"
                return None, f"{self.name} targets {shown}"
        if self.target_values is not None:
            for index, target in enumerate(targets):
                if target not in self.target_values:
                    allowed = " or ".join(f"{value:+g}" for value in self.target_values)
                    return index, f"{self.name} targets must be {allowed}, got {target}"
        if self.one_hot and (sorted(targets)[:-1] != [0.0] * (len(targets) - 1) or max(targets) != 1.0):
            return None, f"{self.name} targets must be one-hot: 1 for the correct class, 0 for the others"
        if self.targets_sum is not None and abs(math.fsum(targets) - self.targets_sum) > 1e-9:
            return None, (f"{self.name} targets must sum to {_plain(self.targets_sum)}, "
                          f"they sum to {math.fsum(targets):g}")
        return None

    @property
    def targets_drawn_freely(self) -> bool:
        """Can variants draw each target on its own? Not when they must add up to
        something, nor when they name a class (one-hot, or -1/+1)."""
        return self.targets_sum is None and self.target_values is None and not self.one_hot


@dataclass(frozen=True)
class LayerChoice:
    """A kind of layer a spec may name with `type` (SPEC.md §8)."""

    name: str
    keys: tuple[str, ...]        # what its table may hold besides `name` and `type`
    weighted: bool = True        # has weights, a bias and an activation
    spatial: bool = False        # reads and writes images [channel][row][column]
    recurrent: bool = False      # steps through a sequence, feeding its output back


def _plain(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _count(number: int) -> str:
    return {1: "one", 2: "two", 3: "three"}.get(number, str(number))


NEGATIVE_SLOPE = Parameter("negative_slope", 0.01, "the slope for negative net inputs", 0.0, 1.0, high_open=True)
ELU_ALPHA = Parameter("alpha", 1.0, "how far below 0 elu's output can go", 0.0)
MARGIN = Parameter("loss_delta", 1.0, "the margin by which the correct class must win", 0.0, low_open=True)
HUBER_DELTA = Parameter("loss_delta", 1.0, "the distance where the loss turns from squared to linear", 0.0,
                        low_open=True)

ACTIVATIONS: Mapping[str, ActivationChoice] = {choice.name: choice for choice in (
    ActivationChoice("sigmoid"),
    ActivationChoice("tanh"),
    ActivationChoice("relu"),
    ActivationChoice("leaky_relu", (NEGATIVE_SLOPE,)),
    ActivationChoice("linear"),
    ActivationChoice("softmax", min_size=2, min_size_reason="one softmax output is always 1"),
    ActivationChoice("softplus"),
    ActivationChoice("elu", (ELU_ALPHA,)),
    ActivationChoice("silu"),
)}

LOSSES: Mapping[str, LossChoice] = {choice.name: choice for choice in (
    LossChoice("half_sse"),
    LossChoice("sse"),
    LossChoice("mse"),
    LossChoice("bce", output_size=1, output_activation="sigmoid", target_low=0.0, target_high=1.0),
    LossChoice("cross_entropy", output_activation="softmax", target_low=0.0, targets_sum=1.0),
    LossChoice("mae"),
    LossChoice("huber", (HUBER_DELTA,)),
    LossChoice("hinge", output_size=1, output_activation="linear", target_values=(-1.0, 1.0)),
    LossChoice("multiclass_hinge", (MARGIN,), one_hot=True, min_outputs=2),
)}


LAYER_KINDS: Mapping[str, LayerChoice] = {choice.name: choice for choice in (
    LayerChoice("dense", ("size", "activation", "weights", "bias")),
    LayerChoice("conv2d", ("activation", "kernels", "stride", "padding", "bias"), spatial=True),
    LayerChoice("maxpool2d", ("size", "stride"), weighted=False, spatial=True),
    LayerChoice("avgpool2d", ("size", "stride"), weighted=False, spatial=True),
    LayerChoice("rnn", ("size", "activation", "weights", "recurrent", "bias", "initial"), recurrent=True),
)}
MAX_KERNEL = 16        # rows or columns of a kernel or pooling window
MAX_STRIDE = 16
MAX_CHANNELS = 64
MAX_IMAGE = 256        # rows or columns of an image
MAX_STEPS = 100        # time steps of a sequence


def options_of(parameters: Sequence[Parameter], given: Mapping[str, float]) -> Options:
    """Every parameter by key, the given value or the default."""
    return tuple((parameter.key, float(given.get(parameter.key, parameter.default))) for parameter in parameters)
