"""Randomized variants of one exercise, each with its own answer key.

An instructor's spec declares in a `[variants]` table which numbers may
change and how (a range and a number of decimals). Variant `S-k` (seed S,
k-th variant, from 1) is drawn from its own `random.Random`, so it can be
regenerated alone — by `check --variant S-k` — and the same seed always gives
the same variants. A draw that makes a poor exercise (a saturated sigmoid or
tanh neuron, a layer whose gradients all vanish, an overflow) is redrawn.
"""
from __future__ import annotations

import copy
import difflib
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from .api import Walkthrough, build
from .graph import GraphError
from .spec import GraphSpec, NetworkSpec, Spec, SpecError, parse_spec
from .trace import Trace

PARAMETERS = ("weights", "biases", "inputs", "targets", "learning_rate")
MAX_DECIMALS = 6
MAX_COUNT = 100_000
MAX_SEED = 2**63 - 1
DEFAULT_MAX_TRIES = 100
# sigma'(net) below this makes a number that barely moves: the exercise
# teaches nothing (Mazur's smallest is 0.187).
DEFAULT_MIN_ACTIVATION_DERIVATIVE = 1e-3
# A layer whose every weight gradient is below this would not change in the
# printed digits (Mazur's smallest is 4.4e-4).
DEFAULT_MIN_GRADIENT = 1e-5
_VARIANT_ID = re.compile(r"^\s*(\d+)-(\d+)\s*$")


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


@dataclass(frozen=True)
class Variant:
    id: str                   # "S-k": seed and 1-based index
    data: dict[str, Any]      # the variant as a spec file's content
    walkthrough: Walkthrough
    asked: tuple[str, ...]    # the values the exercise asks for
    tries: int = 1            # draws it took (the others were redrawn)
    base_title: str | None = None  # the exercise's own title

    @property
    def trace(self) -> Trace:
        return self.walkthrough.trace

    @property
    def spec(self) -> Spec:
        return self.walkthrough.spec

    def key(self) -> dict[str, float]:
        """The asked values, full precision, in the order asked."""
        return {name: self.trace.value(name) for name in self.asked}


def variant_id(seed: int, index: int) -> str:
    return f"{seed}-{index}"


def parse_variant_id(text: str) -> tuple[int, int]:
    """`42-7` -> (42, 7); a ValueError says what a variant id looks like."""
    match = _VARIANT_ID.match(text)
    if not match or int(match.group(2)) < 1:
        raise ValueError(f"{text!r} is not a variant id (expected SEED-NUMBER, e.g. 42-7)")
    return int(match.group(1)), int(match.group(2))


def resolve_variant(text: str, seed: int | None) -> tuple[int, int]:
    """`check --variant`: `S-k` alone, or `k` with `--seed S`."""
    if text.strip().isdigit():
        if seed is None:
            raise ValueError(f"--variant {text.strip()} needs --seed S (or write the id as S-{text.strip()})")
        index = int(text)
        if index < 1:
            raise ValueError("--variant: variants are numbered from 1")
        return seed, index
    found_seed, index = parse_variant_id(text)
    if seed is not None and seed != found_seed:
        raise ValueError(f"--variant {text.strip()} is of seed {found_seed}, but --seed says {seed}")
    return found_seed, index


# -- the [variants] table ------------------------------------------------------------
def read_rules(spec: Spec) -> Rules:
    """Validate `spec.variants`; every refusal names its field (`variants.weights.range`)."""
    table = spec.variants
    graph = isinstance(spec, GraphSpec)
    limits = ("ask", "max_tries", "min_gradient") + (() if graph else ("min_activation_derivative",))
    known = (("inputs",) if graph else PARAMETERS) + limits
    for key in table:
        if key not in known:
            raise _fail(spec, f"variants.{key}", f"unknown key (known keys: {', '.join(known)})")
    draws = _graph_draws(spec, table) if graph else _network_draws(spec, table)  # type: ignore[arg-type]
    ask = None
    if "ask" in table:
        raw = table["ask"]
        if not isinstance(raw, list) or not raw or not all(isinstance(name, str) for name in raw):
            raise _fail(spec, "variants.ask", "expected a list of value names, e.g. [\"E_total\", \"w5+\"]")
        ask = tuple(raw)
    return Rules(
        draws=draws,
        ask=ask,
        max_tries=_whole(spec, table, "max_tries", DEFAULT_MAX_TRIES, 1, 10_000),
        min_activation_derivative=_threshold(spec, table, "min_activation_derivative", DEFAULT_MIN_ACTIVATION_DERIVATIVE),
        min_gradient=_threshold(spec, table, "min_gradient", DEFAULT_MIN_GRADIENT),
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
        raise _fail(spec, "variants.learning_rate.range", "expected two numbers 0 < low < high (the learning rate must be above 0)")
    targets = draws.get("targets")
    if targets is not None and spec.loss == "cross_entropy":
        raise _fail(spec, "variants.targets", "cross_entropy targets must sum to 1 and cannot be drawn one by one; set targets = false")
    if targets is not None and spec.loss == "bce" and not (0 <= targets.low and targets.high <= 1):
        raise _fail(spec, "variants.targets.range", "bce targets must lie from 0 to 1")
    return draws


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
            raise _fail(spec, f"variants.inputs.{name}", f"not an input of the graph (inputs: {', '.join(names)})")
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
        raise _fail(spec, path, "expected true, false or a table {range = [low, high], decimals = N}")
    for key in value:
        if key not in ("range", "decimals"):
            raise _fail(spec, f"{path}.{key}", "unknown key (known keys: range, decimals)")
    low, high = default.low, default.high
    if "range" in value:
        bounds = value["range"]
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) for b in bounds)
                or not bounds[0] < bounds[1]):
            raise _fail(spec, f"{path}.range", "expected two numbers low < high")
        low, high = float(bounds[0]), float(bounds[1])
    decimals = value.get("decimals", default.decimals)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_DECIMALS:
        raise _fail(spec, f"{path}.decimals", f"expected a whole number from 0 to {MAX_DECIMALS}")
    draw = Draw(low, high, decimals)
    first, last = draw.grid()
    if first > last:
        raise _fail(spec, f"{path}.range", f"no number with {decimals} decimals lies from {low:g} to {high:g}")
    return draw


def _whole(spec: Spec, table: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(spec, f"variants.{key}", f"expected a whole number from {low} to {high}")
    return value


def _threshold(spec: Spec, table: dict[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise _fail(spec, f"variants.{key}", "expected a number from 0 up")
    return float(value)


def _fail(spec: Spec, path: str, message: str) -> SpecError:
    return SpecError(spec.source, path, message)


# -- drawing ---------------------------------------------------------------------------
def make_variants(spec: Spec, count: int, seed: int) -> list[Variant]:
    """Variants 1..count of `seed` (each also reachable alone by make_variant)."""
    return list(iter_variants(spec, count, seed))


def iter_variants(spec: Spec, count: int, seed: int) -> Iterator[Variant]:
    """The same, one at a time: a caller that keeps only what it writes stays
    fast (holding a thousand traces at once costs more than building them)."""
    rules = read_rules(spec)
    asked = asked_names(spec, rules)
    for index in range(1, count + 1):
        yield _make(spec, rules, asked, seed, index)


def make_variant(spec: Spec, seed: int, index: int) -> Variant:
    rules = read_rules(spec)
    return _make(spec, rules, asked_names(spec, rules), seed, index)


def _make(spec: Spec, rules: Rules, asked: tuple[str, ...], seed: int, index: int) -> Variant:
    ident = variant_id(seed, index)
    rng = random.Random(f"stepbystep-variant:{seed}:{index}")  # str seeds are hashed with SHA-512: stable
    reasons: Counter[str] = Counter()
    for tries in range(1, rules.max_tries + 1):
        data = draw_spec(spec, rules, rng, ident)
        try:
            drawn = parse_spec(data, spec.source)
        except SpecError as error:
            raise _fail(spec, "variants", f"variant {ident}: the drawn values are refused ({error.path}: {error.message}); "
                                          "narrow the ranges in [variants]") from None
        try:
            walkthrough = build(drawn)
        except (GraphError, ArithmeticError) as error:
            reasons[f"the arithmetic failed ({error})"] += 1
            continue
        problem = rejection(walkthrough.trace, drawn, rules)
        if problem is None:
            return Variant(ident, data, walkthrough, asked, tries, spec.title)
        reasons[problem] += 1
    reason, times = reasons.most_common(1)[0]
    raise _fail(spec, "variants", f"variant {ident}: no usable draw in {rules.max_tries} tries ({times} times: {reason}); "
                                  "widen or move the ranges, or raise variants.max_tries")


def draw_spec(spec: Spec, rules: Rules, rng: random.Random, ident: str) -> dict[str, Any]:
    """A copy of the spec's content with the varying numbers drawn anew.

    Notes are dropped (they explain the original numbers) and the title says
    which variant this is.
    """
    data = copy.deepcopy({key: value for key, value in spec.raw.items() if key not in ("variants", "notes")})
    data["title"] = f"{spec.title} (variant {ident})" if spec.title else f"Variant {ident}"
    draws = rules.draws
    if isinstance(spec, GraphSpec):
        data["inputs"] = {name: draws[name].sample(rng) if name in draws else value
                          for name, value in data["inputs"].items()}
        return data
    if "learning_rate" in draws:
        data["learning_rate"] = draws["learning_rate"].sample(rng)
    for layer in data["layers"][1:]:
        if "weights" in draws:
            layer["weights"] = [[draws["weights"].sample(rng) for _ in row] for row in layer["weights"]]
        if "biases" in draws and "bias" in layer:
            bias = layer["bias"]
            layer["bias"] = ([draws["biases"].sample(rng) for _ in bias] if isinstance(bias, list)
                             else draws["biases"].sample(rng))
    for sample in data["samples"]:
        for kind in ("inputs", "targets"):
            if kind in draws:
                sample[kind] = [draws[kind].sample(rng) for _ in sample[kind]]
    return data


def rejection(trace: Trace, spec: Spec, rules: Rules) -> str | None:
    """Why this draw makes a poor exercise, or None when it is a good one."""
    largest: dict[str, float] = {}
    layer_of = _layer_of_weight(spec) if isinstance(spec, NetworkSpec) else {}
    for step in trace.steps():
        if not math.isfinite(step.value):
            return f"{step.name} is not a finite number"
        if (step.kind == "dout_dnet" and step.context.get("activation") in ("sigmoid", "tanh")
                and step.context.get("diagonal", True) and abs(step.value) < rules.min_activation_derivative):
            return f"a {step.context['activation']} neuron saturated ({step.name} below {rules.min_activation_derivative:g})"
        if step.kind == "grad_w":
            layer = layer_of.get(str(step.context.get("weight")), "?")
            largest[layer] = max(largest.get(layer, 0.0), abs(step.value))
    if isinstance(spec, GraphSpec):
        answers = trace.graph.values
        gradients = [answers[name] for name in (f"d{spec.output}/d{x}" for x, _ in spec.inputs) if name in answers]
        if gradients and max(abs(value) for value in gradients) < rules.min_gradient:
            return f"every gradient of {spec.output} vanished (below {rules.min_gradient:g})"
    for layer, value in largest.items():
        if value < rules.min_gradient:
            return f"every weight gradient of layer {layer} vanished (below {rules.min_gradient:g})"
    return None


def _layer_of_weight(spec: NetworkSpec) -> dict[str, str]:
    from .nn import parameter_names

    names = parameter_names(spec)
    return {weight: spec.layers[l].name for l in range(1, len(spec.layers))
            for row in names.weights[l] for weight in row}


# -- what the exercise asks for ----------------------------------------------------------------
def asked_names(spec: Spec, rules: Rules) -> tuple[str, ...]:
    """`variants.ask`, checked against the spec's own trace, or the default:
    the loss, every update of the first step and the loss after training
    (a graph: its output and its gradient for every input)."""
    trace = build(spec).trace
    known = trace.graph.values
    if rules.ask is None:
        return default_questions(trace, spec)
    names = []
    for index, name in enumerate(rules.ask):
        canonical = trace.aliases.get(name, name)
        if canonical not in known:
            close = difflib.get_close_matches(name, list(known) + list(trace.aliases), n=3)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise _fail(spec, f"variants.ask[{index}]", f"unknown value name {name!r}{hint}")
        names.append(canonical)
    return tuple(dict.fromkeys(names))


def default_questions(trace: Trace, spec: Spec) -> tuple[str, ...]:
    names = trace.answers()
    if isinstance(spec, GraphSpec):
        wanted = [spec.output] + [f"d{spec.output}/d{x}" for x, _ in spec.inputs]
        return tuple(name for name in wanted if name in names) or tuple(names)
    prefix = "" if trace.facts.get("bare") else "step1."
    updates = [step.name for step in trace.steps() if step.kind == "update" and step.name.startswith(prefix)
               and (prefix or "." not in step.name)]
    wanted = [prefix + "E_total", *updates, f"after{trace.facts['steps']}.E_total"]
    return tuple(name for name in dict.fromkeys(wanted) if name in names)


# -- output --------------------------------------------------------------------------------------
def variants_json(variants: Iterable[Variant]) -> str:
    """`[{"id", "spec", "questions", "answers"}]` (questions: the names asked),
    one variant a line; same variants, same bytes (no sets, no clocks,
    insertion order). No `indent`: it would switch json to its slow encoder."""
    lines = [json.dumps({"id": v.id, "spec": v.data, "questions": list(v.asked), "answers": v.trace.answers()})
             for v in variants]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def solutions_path(output: str) -> str:
    """`class.md` -> `class-solutions.md` (the solution sheet beside the problems)."""
    stem, dot, suffix = output.rpartition(".")
    if not dot or "/" in suffix or "\\" in suffix:
        return output + "-solutions.md"
    return f"{stem}-solutions.{suffix}"


def export(variants: Iterable[Variant], fmt: str, output: str | None) -> list[tuple[str | None, str]]:
    """(path, or None for standard output; text) for each file to write. All
    are rendered before any is written, so a failure leaves no file behind."""
    if fmt == "json":
        return [(output, variants_json(variants))]
    if fmt == "moodle-xml":
        from .moodle import moodle_xml

        return [(output, moodle_xml(variants))]
    if fmt == "md":
        from .sheets import PAGE_BREAK, sheets

        problems, solutions = sheets(variants)
        if output is None:
            return [(None, problems + "\n" + PAGE_BREAK + "\n\n" + solutions)]
        return [(output, problems), (solutions_path(output), solutions)]
    raise ValueError(f"unknown variants format {fmt!r}")
