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
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Iterator

from ..engine.build import build_trace
from ..engine.facts import NetworkFacts
from ..engine.graph import GraphError
from ..engine.ops import ACTIVATIONS
from ..engine.replay import TraceCache
from ..engine.trace import Trace
from ..spec.load import parse_spec
from ..spec.model import GraphSpec, NetworkSpec, Spec, SpecError
from .variant_rules import (  # noqa: F401  (re-exported: the variants API in one place)
    DEFAULT_MIN_ACTIVATION_DERIVATIVE,
    DEFAULT_MIN_GRADIENT,
    MAX_SEED,
    MAX_VARIANTS,
    Draw,
    Rules,
    capacity,
    read_rules,
    spec_error,
)

_VARIANT_ID = re.compile(r"\s*(\d{1,40})\s*-\s*(\d{1,40})\s*")


@dataclass(frozen=True)
class Variant:
    id: str                   # "S-k": seed and 1-based index
    data: dict[str, Any]      # the variant as a spec file's content
    spec: Spec
    trace: Trace
    asked: tuple[str, ...]    # the values the exercise asks for
    tries: int = 1            # draws it took (the others were redrawn)
    base_title: str | None = None  # the exercise's own title

    def key(self) -> dict[str, float]:
        """The asked values, full precision, in the order asked."""
        return {name: self.trace.value(name) for name in self.asked}


def variant_id(seed: int, index: int) -> str:
    return f"{seed}-{index}"


def parse_variant_id(text: str) -> tuple[int, int]:
    """`42-7` -> (42, 7); a ValueError says what a variant id looks like."""
    match = _VARIANT_ID.fullmatch(text[:200])
    if not match or int(match.group(2)) < 1:
        raise ValueError(f"{text[:60]!r} is not a variant id (expected SEED-NUMBER, e.g. 42-7)")
    return int(match.group(1)), int(match.group(2))


def resolve_variant(text: str, seed: int | None) -> tuple[int, int]:
    """`check --variant`: `S-k` alone, or `k` with `--seed S`."""
    if text.strip().isdigit():
        if seed is None:
            raise ValueError(f"--variant {text.strip()[:40]} needs --seed S (or write the id as S-{text.strip()[:40]})")
        if len(text.strip()) > 40:
            raise ValueError(f"--variant: no variant has a number of {len(text.strip())} digits")
        index = int(text)
        if index < 1:
            raise ValueError("--variant: variants are numbered from 1")
        return seed, index
    found_seed, index = parse_variant_id(text)
    if seed is not None and seed != found_seed:
        raise ValueError(f"--variant {text.strip()} is of seed {found_seed}, but --seed says {seed}")
    return found_seed, index


# -- drawing ---------------------------------------------------------------------------
def make_variants(spec: Spec, count: int, seed: int) -> list[Variant]:
    """Variants 1..count of `seed` (each also reachable alone by make_variant)."""
    return list(iter_variants(spec, count, seed))


def iter_variants(spec: Spec, count: int, seed: int) -> Iterator[Variant]:
    """The same, one at a time: a caller that keeps only what it writes stays
    fast (holding a thousand traces at once costs more than building them)."""
    rules = read_rules(spec)
    asked = asked_names(spec, rules)
    seen: set[str] = set()
    traces = TraceCache()   # the variants share one shape: its nodes are built once (engine/replay.py)
    for index in range(1, count + 1):
        yield _make(spec, rules, asked, seed, index, seen, traces)


def make_variant(spec: Spec, seed: int, index: int) -> Variant:
    """Variant `seed-index` alone. No two variants of a seed are alike, so
    variants 1..index-1 are drawn first (a few ms each). An id this spec
    cannot produce is refused at once (ValueError), never drawn towards."""
    problem = missing_variant(spec, seed, index)
    if problem is not None:
        raise ValueError(problem)
    return deque(iter_variants(spec, index, seed), maxlen=1)[0]


def missing_variant(spec: Spec, seed: int, index: int, rules: Rules | None = None) -> str | None:
    """Why variant `seed-index` does not exist for this spec, or None when it
    can: a seed or number out of range, another seed than the spec records,
    a number above the spec's `count` or above what its ranges can give.
    Constant time (no drawing), so a hostile id costs nothing."""
    rules = rules or read_rules(spec)
    ident = f"{seed}-{index}" if max(seed, index) < 10**40 else "with so many digits"
    if index < 1:
        return f"variant {ident} does not exist: variants are numbered from 1"
    if seed > MAX_SEED:
        return f"variant {ident} does not exist: seeds go up to {MAX_SEED}"
    if rules.seed is not None and seed != rules.seed:
        handed = f"{rules.seed}-1 … {rules.seed}-{rules.count}" if rules.count else f"{rules.seed}-1, {rules.seed}-2, …"
        return f"variant {ident} does not exist for this spec: its [variants] seed is {rules.seed} ({handed})"
    if rules.count is not None and index > rules.count:
        return (f"variant {ident} does not exist for this spec: its [variants] count is {rules.count} "
                f"({seed}-1 … {seed}-{rules.count})")
    most = capacity(spec, rules)
    if index > most:
        if most >= MAX_VARIANTS:
            return f"variant {ident} does not exist: variants are numbered 1 to {MAX_VARIANTS}"
        return f"variant {ident} does not exist: the ranges in [variants] hold only {most} different variants"
    return None


def _make(spec: Spec, rules: Rules, asked: tuple[str, ...], seed: int, index: int, seen: set[str],
          traces: TraceCache) -> Variant:
    """Draw until the variant is a good exercise and unlike every earlier one
    (`seen`: the drawn numbers of variants 1..index-1, updated here)."""
    ident = variant_id(seed, index)
    rng = random.Random(f"stepbystep-variant:{seed}:{index}")  # str seeds are hashed with SHA-512: stable
    reasons: Counter[str] = Counter()
    for tries in range(1, rules.max_tries + 1):
        data = draw_spec(spec, rules, rng, ident)
        numbers = json.dumps({key: value for key, value in data.items() if key != "title"}, sort_keys=True)
        if numbers in seen:
            reasons["the same numbers as an earlier variant"] += 1
            continue
        try:
            drawn = parse_spec(data, spec.source)
        except SpecError as error:
            raise spec_error(spec, "variants", f"variant {ident}: the drawn values are refused ({error.path}: {error.message}); "
                                          "narrow the ranges in [variants]") from None
        try:
            trace = traces.build(drawn)
        except (GraphError, ArithmeticError) as error:
            reasons[f"the arithmetic failed ({error})"] += 1
            continue
        problem = rejection(trace, drawn, rules)
        if problem is None:
            seen.add(numbers)
            return Variant(ident, data, drawn, trace, asked, tries, spec.title)
        reasons[problem] += 1
    reason, times = reasons.most_common(1)[0]
    advice = ("the ranges hold too few different numbers for this many variants: widen them, give them more "
              "decimals, or ask for fewer variants") if reason == "the same numbers as an earlier variant" \
        else "widen or move the ranges, or raise variants.max_tries"
    raise spec_error(spec, "variants", f"variant {ident}: no usable draw in {rules.max_tries} tries ({times} times: {reason}); "
                                  + advice)


def draw_spec(spec: Spec, rules: Rules, rng: random.Random, ident: str) -> dict[str, Any]:
    """A copy of the spec's content with the varying numbers drawn anew.

    Notes are dropped (they explain the original numbers) and the title says
    which variant this is.
    """
    data = deep_copy({key: value for key, value in spec.raw.items() if key not in ("variants", "notes")})
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
            for key in ("weights", "kernels", "recurrent"):   # dense and rnn weights, conv2d kernels (SPEC §8)
                if key in layer:
                    layer[key] = _redrawn(layer[key], draws["weights"], rng)
        if "biases" in draws and "bias" in layer:
            bias = layer["bias"]
            layer["bias"] = ([draws["biases"].sample(rng) for _ in bias] if isinstance(bias, list)
                             else draws["biases"].sample(rng))
    for sample in data["samples"]:
        for kind in ("inputs", "targets"):
            if kind in draws:
                key = "targets_last" if kind == "targets" and "targets_last" in sample else kind
                sample[key] = _redrawn(sample[key], draws[kind], rng)
    return data


_ATOMS = (str, int, float, bool, type(None))   # what copy.deepcopy hands back as they are


class _NotPlain(Exception):
    pass


def deep_copy(data: Any) -> Any:
    """copy.deepcopy of a decoded spec: a table of tables, arrays and atoms,
    nothing in it twice, copied directly (deepcopy's general machinery was a
    fifth of drawing a variant); anything else goes to copy.deepcopy."""
    try:
        return _plain_copy(data, set())
    except _NotPlain:
        return copy.deepcopy(data)


def _plain_copy(value: Any, seen: set[int]) -> Any:
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is not dict and kind is not list or id(value) in seen:   # a table held twice stays shared in deepcopy
        raise _NotPlain
    seen.add(id(value))
    if kind is dict:
        return {_plain_copy(key, seen): _plain_copy(item, seen) for key, item in value.items()}
    return [_plain_copy(item, seen) for item in value]


def _saturates(activation: str) -> bool:
    """An element-wise activation whose tiny slope means a vanishing gradient (sigmoid, tanh)."""
    record = ACTIVATIONS.get(activation)
    return record.saturates and record.elementwise


def _redrawn(numbers: Any, draw: Draw, rng: random.Random) -> Any:
    """The same nesting (a row, an image [channel][row][column], a sequence of rows), every number drawn anew."""
    if isinstance(numbers, list):
        return [_redrawn(item, draw, rng) for item in numbers]
    return draw.sample(rng)


def rejection(trace: Trace, spec: Spec, rules: Rules) -> str | None:
    """Why this draw makes a poor exercise, or None when it is a good one."""
    largest: dict[str, float] = {}
    layer_of = _layer_of_weight(spec) if isinstance(spec, NetworkSpec) else {}
    for step in trace.steps():
        if not math.isfinite(step.value):
            return f"{step.name} is not a finite number"
        if (step.kind == "dout_dnet" and _saturates(str(step.context.get("activation")))
                and step.context.get("diagonal", True) and abs(step.value) < rules.min_activation_derivative):
            return f"a {step.context['activation']} neuron saturated ({step.name} below {rules.min_activation_derivative:g})"
        if step.kind in ("grad_w", "grad_kernel"):
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
    from ..engine.parameters import parameter_names

    names = parameter_names(spec)
    return {weight: spec.layers[l].name for l in range(1, len(spec.layers))
            for row in names.weights[l] + names.recurrent_of(l) for weight in row}


# -- what the exercise asks for ----------------------------------------------------------------
def asked_names(spec: Spec, rules: Rules) -> tuple[str, ...]:
    """`variants.ask`, checked against the spec's own trace, or the default:
    the loss, every update of the first step shown in full and the loss after training
    (a graph: its output and its gradient for every input)."""
    trace = build_trace(spec)
    known = trace.graph.values
    if rules.ask is None:
        return default_questions(trace, spec)
    names = []
    for index, name in enumerate(rules.ask):
        canonical = trace.aliases.get(name, name)
        if canonical not in known:
            close = difflib.get_close_matches(name, list(known) + list(trace.aliases), n=3)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise spec_error(spec, f"variants.ask[{index}]", f"unknown value name {name!r}{hint}")
        names.append(canonical)
    return tuple(dict.fromkeys(names))


HAND_STEPS = 5   # a run of up to this many updates is asked to its end
OPTIMIZER_KINDS = ("decay_gradient", "decayed", "buffer")   # an optimizer's values (engine/update.py)


def default_questions(trace: Trace, spec: Spec) -> tuple[str, ...]:
    names = trace.answers()
    if spec.training is not None and not spec.training.record:
        raise SpecError(spec.source, "training.record", "no step is shown in full (record = []), so a problem sheet "
                                                        "has nothing to ask by default: list a step in record, or "
                                                        "the values to ask in [variants] ask")
    if isinstance(spec, GraphSpec) and spec.training is not None:
        return _descent_questions(trace, spec)
    if isinstance(spec, GraphSpec):
        wanted = [spec.output] + [f"d{spec.output}/d{x}" for x, _ in spec.inputs]
        return tuple(name for name in wanted if name in names) or tuple(names)
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)  # a network spec has network facts
    prefix = "" if facts.bare else f"step{min(spec.training.record)}."   # the first step shown in full
    first_step = [step for step in trace.steps() if step.name.startswith(prefix) and (prefix or "." not in step.name)]
    updates = [step.name for step in first_step if step.kind == "update"]
    # an optimizer's buffers are asked for one weight, the first into the output layer (Mazur's w5)
    watched = facts.parameters.weights[-1][0][0]
    buffers = [step.name for step in first_step if step.kind in OPTIMIZER_KINDS and step.context.get("parameter") == watched]
    wanted = [prefix + "E_total", *buffers, *updates, f"after{_last_worked_step(spec, facts.steps)}.E_total"]
    return tuple(name for name in dict.fromkeys(wanted) if name in names)


def _last_worked_step(spec: Spec, steps: int) -> int:
    """The loss asked at the end: after training when a student can work the run
    to its end by hand (every step shown in full, or at most HAND_STEPS), else
    after the last step shown in full: 200 Adam steps are no exercise by hand."""
    assert spec.training is not None
    record = spec.training.record
    return steps if steps <= max((*record, HAND_STEPS)) else max(record)


def _descent_questions(trace: Trace, spec: GraphSpec) -> tuple[str, ...]:
    """A graph's descent: the output, the gradients of the moving inputs, the
    optimizer's values and the updates of the first step shown, and the output
    after the last step worked in full."""
    assert spec.training is not None
    computed = [step for step in trace.steps() if step.kind != "given"]
    first = next((step.context.get("step") for step in computed if step.context.get("step") is not None), None)
    prefix = f"step{first}." if first is not None else ""
    wanted = [prefix + spec.output] + [f"{prefix}d{spec.output}/d{name}" for name in spec.training.parameters]
    wanted += [step.name for step in computed if step.name.startswith(prefix) and prefix
               and step.kind in (*OPTIMIZER_KINDS, "update")]
    wanted.append(f"after{_last_worked_step(spec, spec.training.epochs)}.{spec.output}")
    names = trace.answers()
    return tuple(name for name in dict.fromkeys(wanted) if name in names)
