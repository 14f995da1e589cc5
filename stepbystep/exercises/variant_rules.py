"""The `[variants]` table of a spec: which numbers vary, how, and which
draws are refused. Validated here (spec.py keeps the table raw) with one-line
errors naming the field, e.g. `variants.weights.range: expected two numbers
low < high`.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from ..spec import choices
from ..spec.model import GraphSpec, NetworkSpec, Spec, SpecError

PARAMETERS = ("weights", "biases", "inputs", "targets", "learning_rate")
MAX_DECIMALS = 6
MAX_SEED = 2**63 - 1       # as `variants --seed`
MAX_VARIANTS = 100_000     # as `variants --count`: no variant number above this exists
DEFAULT_MAX_TRIES = 100
# sigma'(net) below this makes a number that barely moves: the exercise
# teaches nothing (Mazur's smallest is 0.187).
DEFAULT_MIN_ACTIVATION_DERIVATIVE = 1e-3
# A layer whose every weight gradient is below this would not change in the
# printed digits (Mazur's smallest is 4.4e-4).
DEFAULT_MIN_GRADIENT = 1e-5


@dataclass(frozen=True)
class Draw:
    """Uniform on the numbers with `decimals` decimals from low to high."""

    low: float
    high: float
    decimals: int

    def grid(self) -> tuple[int, int]:
        scale = 10**self.decimals
        return math.ceil(self.low * scale - 1e-9), math.floor(self.high * scale + 1e-9)

    def sample(self, rng: random.Random) -> float:
        first, last = self.grid()
        return rng.randint(first, last) / 10**self.decimals


# Drawn numbers stay where a hand calculation (and float64) stays sensible: a range of
# ±1e307 overflowed in the first product. README: "Randomized variants".
MAX_MAGNITUDE = 1e6


# Used when a parameter is declared `true` or with only some of its fields.
DEFAULT_DRAWS = {
    "weights": Draw(-1.0, 1.0, 2),
    "biases": Draw(-1.0, 1.0, 2),
    "inputs": Draw(0.0, 1.0, 2),
    "targets": Draw(0.01, 0.99, 2),
    "learning_rate": Draw(0.1, 1.0, 1),
}
GRAPH_INPUT_DRAW = Draw(-2.0, 2.0, 1)


@dataclass(frozen=True)
class Rules:
    """The validated `[variants]` table: what varies, and what is refused."""

    draws: dict[str, Draw]  # network: parameter kind -> draw; graph: input name -> draw
    ask: tuple[str, ...] | None
    max_tries: int = DEFAULT_MAX_TRIES
    min_activation_derivative: float = DEFAULT_MIN_ACTIVATION_DERIVATIVE
    min_gradient: float = DEFAULT_MIN_GRADIENT
    seed: int | None = None    # the seed handed out, when the spec records it
    count: int | None = None   # how many variants were handed out, when the spec records it


def read_rules(spec: Spec) -> Rules:
    """Validate `spec.variants`; every refusal names its field (`variants.weights.range`)."""
    table = spec.variants
    graph = isinstance(spec, GraphSpec)
    limits = ("ask", "max_tries", "min_gradient", "seed", "count") + (() if graph else ("min_activation_derivative",))
    known = (("inputs",) if graph else PARAMETERS) + limits
    for key in table:
        if key not in known:
            raise spec_error(spec, f"variants.{key}", f"unknown key (known keys: {', '.join(known)})")
    draws = _graph_draws(spec, table) if graph else _network_draws(spec, table)  # type: ignore[arg-type]
    if not draws:
        raise spec_error(spec, "variants", "nothing varies: declare at least one of "
                                           + ("the inputs" if graph else ", ".join(PARAMETERS)))
    ask = None
    if "ask" in table:
        raw = table["ask"]
        if not isinstance(raw, list) or not raw or not all(isinstance(name, str) for name in raw):
            raise spec_error(spec, "variants.ask", "expected a list of value names, e.g. [\"E_total\", \"w5+\"]")
        ask = tuple(raw)
    return Rules(
        draws=draws,
        ask=ask,
        max_tries=_whole(spec, table, "max_tries", DEFAULT_MAX_TRIES, 1, 10_000),
        min_activation_derivative=_threshold(spec, table, "min_activation_derivative", DEFAULT_MIN_ACTIVATION_DERIVATIVE),
        min_gradient=_threshold(spec, table, "min_gradient", DEFAULT_MIN_GRADIENT),
        seed=_whole(spec, table, "seed", None, 0, MAX_SEED),
        count=_whole(spec, table, "count", None, 1, MAX_VARIANTS),
    )


def _network_draws(spec: NetworkSpec, table: dict[str, Any]) -> dict[str, Draw]:
    draws: dict[str, Draw] = {}
    for kind in PARAMETERS:
        value = table.get(kind, kind == "weights")  # weights vary unless told otherwise
        draw = _draw(spec, f"variants.{kind}", value, DEFAULT_DRAWS[kind])
        if draw is not None:
            draws[kind] = draw
    lr = draws.get("learning_rate")
    if lr is not None and lr.low <= 0:
        raise spec_error(spec, "variants.learning_rate.range", "expected two numbers 0 < low < high (the learning rate must be above 0)")
    targets = draws.get("targets")
    if targets is not None:
        _targets_fit(spec, targets)
    return draws


def _targets_fit(spec: NetworkSpec, targets: Draw) -> None:
    """What the loss needs of its targets (spec/choices.py), asked of the drawn ones."""
    loss = choices.LOSSES[spec.loss]
    if loss.targets_sum is not None:
        raise spec_error(spec, "variants.targets", f"{loss.name} targets must sum to {loss.targets_sum:g} and cannot "
                                                   "be drawn one by one; set targets = false")
    if not loss.targets_drawn_freely:
        raise spec_error(spec, "variants.targets", f"{loss.name} targets name a class and cannot be drawn as numbers; "
                                                   "set targets = false")
    low, high = loss.target_low, loss.target_high
    if low is not None and high is not None and not (low <= targets.low and targets.high <= high):
        raise spec_error(spec, "variants.targets.range", f"{loss.name} targets must lie from {low:g} to {high:g}")
    if low is not None and high is None and targets.low < low:
        raise spec_error(spec, "variants.targets.range", f"{loss.name} targets must be at least {low:g}")


def _graph_draws(spec: GraphSpec, table: dict[str, Any]) -> dict[str, Draw]:
    names = [name for name, _ in spec.inputs]
    value = table.get("inputs", True)
    per_input = isinstance(value, dict) and not set(value) <= {"range", "decimals"}
    if not per_input:
        draw = _draw(spec, "variants.inputs", value, GRAPH_INPUT_DRAW)
        return {name: draw for name in names} if draw is not None else {}
    draws = {}
    for name, item in value.items():
        if name not in names:
            raise spec_error(spec, f"variants.inputs.{name}", f"not an input of the graph (inputs: {', '.join(names)})")
        draw = _draw(spec, f"variants.inputs.{name}", item, GRAPH_INPUT_DRAW)
        if draw is not None:
            draws[name] = draw
    return draws


def _draw(spec: Spec, path: str, value: Any, default: Draw) -> Draw | None:
    """`true` (the default range), `false` (kept fixed) or {range, decimals}."""
    if value is True:
        return default
    if value is False:
        return None
    if not isinstance(value, dict):
        raise spec_error(spec, path, "expected true, false or a table {range = [low, high], decimals = N}")
    for key in value:
        if key not in ("range", "decimals"):
            raise spec_error(spec, f"{path}.{key}", "unknown key (known keys: range, decimals)")
    low, high = default.low, default.high
    if "range" in value:
        bounds = value["range"]
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
                or not bounds[0] < bounds[1]):
            raise spec_error(spec, f"{path}.range", "expected two numbers low < high")
        if not all(abs(b) <= MAX_MAGNITUDE for b in bounds):  # also NaN, inf and a 400-digit whole number
            raise spec_error(spec, f"{path}.range", f"expected numbers from {-MAX_MAGNITUDE:,.0f} to {MAX_MAGNITUDE:,.0f} "
                                                    f"(the variant range limit), got {bounds[0]!r:.40} to {bounds[1]!r:.40}")
        low, high = float(bounds[0]), float(bounds[1])
    decimals = value.get("decimals", default.decimals)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_DECIMALS:
        raise spec_error(spec, f"{path}.decimals", f"expected a whole number from 0 to {MAX_DECIMALS}")
    draw = Draw(low, high, decimals)
    first, last = draw.grid()
    if first > last:
        raise spec_error(spec, f"{path}.range", f"no number with {decimals} decimals lies from {low:g} to {high:g}")
    return draw


def _whole(spec: Spec, table: dict[str, Any], key: str, default: Any, low: int, high: int) -> Any:
    if key not in table:
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise spec_error(spec, f"variants.{key}", f"expected a whole number from {low} to {high}")
    return value


def _threshold(spec: Spec, table: dict[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise spec_error(spec, f"variants.{key}", "expected a number from 0 up")
    return float(value)


def capacity(spec: Spec, rules: Rules, at_most: int = MAX_VARIANTS) -> int:
    """How many different variants the ranges can give (capped at `at_most`):
    the product of the grid sizes of every drawn number. Counted in time
    proportional to the number of drawn numbers, never by drawing."""
    total = 1
    for draw, slots in _slots(spec, rules):
        first, last = draw.grid()
        for _ in range(slots):
            total *= last - first + 1
            if total >= at_most:
                return at_most
    return total


def _slots(spec: Spec, rules: Rules) -> list[tuple[Draw, int]]:
    """(draw, how many numbers are drawn with it) for every varying kind."""
    draws = rules.draws
    if isinstance(spec, GraphSpec):
        return [(draws[name], 1) for name, _ in spec.inputs if name in draws]
    counts = {
        "weights": sum(len(row) for layer in spec.layers[1:] for row in layer.weights),
        "biases": sum(0 if layer.bias is None else len(layer.bias) if isinstance(layer.bias, tuple) else 1
                      for layer in spec.layers[1:]),
        "inputs": sum(len(sample.inputs) for sample in spec.samples),
        "targets": sum(len(sample.targets) for sample in spec.samples),
        "learning_rate": 1,
    }
    return [(draw, counts.get(kind, 0)) for kind, draw in draws.items()]


def spec_error(spec: Spec, path: str, message: str) -> SpecError:
    return SpecError(spec.source, path, message)
