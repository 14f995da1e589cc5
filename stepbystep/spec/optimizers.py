"""What a spec may choose as its optimizer: names, hyperparameters, ranges.

The spec layer's half of the optimizers registry (engine/ops/optimizers.py
holds the maths and the prose), as spec/choices.py is for activations and
losses: validation reads this table and never imports the maths. A test
proves that both halves name the same optimizers.

Every optimizer takes `weight_decay` (lambda, default 0: weights only, never
biases). `compare` lists more optimizers to train side by side on the same
net (the loss-curve overlay); their hyperparameters come from the same table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol

from .choices import Options, Parameter, options_of

MOMENTUM = Parameter("momentum", 0.9, "the momentum (how much of the last velocity is kept)", 0.0, 1.0, high_open=True)
BETA1 = Parameter("beta1", 0.9, "the decay of the mean of the gradients", 0.0, 1.0, high_open=True)
BETA2 = Parameter("beta2", 0.999, "the decay of the mean of the squared gradients", 0.0, 1.0, high_open=True)
ALPHA = Parameter("alpha", 0.99, "the decay of the mean square", 0.0, 1.0, high_open=True)
EPS = Parameter("eps", 1e-8, "the small number that keeps the division finite", 0.0)
EPS_ADAGRAD = Parameter("eps", 1e-10, "the small number that keeps the division finite", 0.0)
WEIGHT_DECAY = Parameter("weight_decay", 0.0, "the weight decay lambda (weights only, never biases)", 0.0)


@dataclass(frozen=True)
class OptimizerChoice:
    """An optimizer a spec may name, with its hyperparameters (weight_decay last)."""

    name: str
    parameters: tuple[Parameter, ...]
    buffers: tuple[str, ...] = ()       # the names of its buffers per parameter p: m -> m_p (SPEC.md §6)


ADAM_BUFFERS = ("m", "v", "mhat", "vhat")
DECAY_NAMES = ("g", "decayed")          # g_p: the gradient with lambda*p added; decayed_p: adamw's shrunk p

OPTIMIZERS: Mapping[str, OptimizerChoice] = {choice.name: choice for choice in (
    OptimizerChoice("sgd", (WEIGHT_DECAY,)),
    OptimizerChoice("momentum", (MOMENTUM, WEIGHT_DECAY), ("v",)),
    OptimizerChoice("nesterov", (MOMENTUM, WEIGHT_DECAY), ("v",)),
    OptimizerChoice("adagrad", (EPS_ADAGRAD, WEIGHT_DECAY), ("G",)),
    OptimizerChoice("rmsprop", (ALPHA, EPS, WEIGHT_DECAY), ("s",)),
    OptimizerChoice("adam", (BETA1, BETA2, EPS, WEIGHT_DECAY), ADAM_BUFFERS),
    OptimizerChoice("adamw", (BETA1, BETA2, EPS, WEIGHT_DECAY), ADAM_BUFFERS),
)}

HYPERPARAMETER_KEYS: tuple[str, ...] = tuple(dict.fromkeys(
    parameter.key for choice in OPTIMIZERS.values() for parameter in choice.parameters))


@dataclass(frozen=True)
class OptimizerSettings:
    """The optimizer of a run, its hyperparameters as given, and the ones compared with it."""

    name: str = "sgd"
    given: Options = ()                 # the hyperparameters the spec wrote, by key
    compare: tuple[str, ...] = ()       # further optimizers for the loss-curve overlay

    @property
    def options(self) -> Options:
        """Every hyperparameter of the chosen optimizer, defaults filled in."""
        return self.options_for(self.name)

    def options_for(self, name: str) -> Options:
        return options_of(OPTIMIZERS[name].parameters, dict(self.given))

    def option(self, key: str) -> float:
        return dict(self.options)[key]

    @property
    def weight_decay(self) -> float:
        return self.option("weight_decay")

    def but(self, name: str) -> "OptimizerSettings":
        """The same settings with another optimizer (one run of a comparison)."""
        return OptimizerSettings(name, self.given, ())


class Checker(Protocol):
    """What of validate.py's checker this module uses (no import: validate imports us)."""

    def fail(self, path: str, message: str) -> Exception: ...
    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str: ...
    def number(self, value: Any, path: str) -> float: ...


def optimizer_settings(check: Checker, table: Mapping[str, Any], path: str) -> OptimizerSettings:
    """`optimizer`, its hyperparameters and `compare` from a [training] table.
    A hyperparameter no optimizer of the run takes is refused, naming who takes it."""
    name = check.choice(table.get("optimizer", "sgd"), f"{path}.optimizer", tuple(OPTIMIZERS))
    compare = _compare(check, table.get("compare"), f"{path}.compare", name)
    used = {name, *compare}
    given: dict[str, float] = {}
    for key in HYPERPARAMETER_KEYS:
        if key not in table:
            continue
        where = f"{path}.{key}"
        takers = [choice.name for choice in OPTIMIZERS.values() if key in {p.key for p in choice.parameters}]
        if not used & set(takers):
            raise check.fail(where, f"only {_either(takers)} take{'s' if len(takers) == 1 else ''} "
                                    f"a {key} (the optimizer is {name})")
        parameter = next(p for choice in OPTIMIZERS.values() if choice.name in used
                         for p in choice.parameters if p.key == key)
        value = check.number(table[key], where)
        if not parameter.allows(value):
            raise check.fail(where, f"expected {parameter.range_text()}, got {value:g}")
        given[key] = value
    if "nesterov" in used and given.get("momentum", MOMENTUM.default) == 0:
        raise check.fail(f"{path}.momentum", "nesterov needs a momentum above 0 (with 0 it is plain sgd; "
                                             "PyTorch refuses it too)")
    return OptimizerSettings(name, tuple(sorted(given.items())), compare)


def _compare(check: Checker, value: Any, path: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise check.fail(path, "expected a list of optimizer names, e.g. [\"sgd\", \"momentum\", \"adam\"]")
    names = tuple(check.choice(item, f"{path}[{index}]", tuple(OPTIMIZERS)) for index, item in enumerate(value))
    if len(set(names)) != len(names):
        raise check.fail(path, "an optimizer is listed twice")
    return tuple(other for other in names if other != name)


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
