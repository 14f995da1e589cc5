"""The optimizer's known mistakes (SPEC.md §6), as re-runs with the mistake made.

As every diagnosis (diagnose.py): the whole walkthrough is built again with
one `Mistakes` flag switched on, and a wrong answer that the mistaken run
explains (from the student's own earlier numbers) gets its code: Adam
without bias correction, buffers not carried over from step to step, weight
decay left out or applied to the biases, and (for a graph's descent) the
update's sign.
"""
from __future__ import annotations

from typing import Callable

from ..engine.ops import OPTIMIZERS
from ..engine.trace import Trace
from ..spec.model import GraphSpec, NetworkSpec
from ..spec.optimizers import OptimizerSettings

NO_BIAS_CORRECTION = ("no_bias_correction",
                      "Adam's bias correction was left out: m̂ = m and v̂ = v, instead of m/(1 − β₁ᵗ) and "
                      "v/(1 − β₂ᵗ). The step is then (1 − β₁ᵗ)/√(1 − β₂ᵗ) times the right one: with "
                      "β₁ = 0.9, β₂ = 0.999 the early steps come out several times too large (3.2 times the first).")
BUFFERS_RESET = ("buffers_not_carried",
                 "The optimizer's buffers were not carried over: the step started its {buffers} from 0 (as on the "
                 "first step) instead of from the values the step before left.")
DECAY_BIASES = ("decay_on_bias",
                "Weight decay was applied to a bias: λ·b was added to its gradient (or the bias shrunk), but weight "
                "decay applies to the weights only.")
DECAY_FORGOTTEN = ("weight_decay_forgotten",
                   "Weight decay was left out: the update used the data gradient alone, without λ·w (adamw: without "
                   "shrinking the weight by (1 − ηλ) first).")
WRONG_SIGN = ("wrong_sign", "The update went uphill: p+ = p + η·(step) instead of p − η·(step).")


def applicable(settings: OptimizerSettings, steps: int, decaying_biases: bool) -> list[tuple[str, str, dict[str, bool]]]:
    """(code, message, Mistakes flags) of the mistakes that can change a value of this run."""
    record = OPTIMIZERS.get(settings.name)
    found = []
    if settings.name in ("adam", "adamw"):
        found.append((*NO_BIAS_CORRECTION, {"no_bias_correction": True}))
    if record.carried and steps > 1:
        buffers = {"v": "velocity v", "G": "sum G", "s": "mean square s", "m": "means m and v"}[record.carried[0]]
        code, message = BUFFERS_RESET
        found.append((code, message.format(buffers=buffers), {"buffers_reset": True}))
    if settings.weight_decay:
        found.append((*DECAY_FORGOTTEN, {"no_weight_decay": True}))
    if decaying_biases and settings.weight_decay:
        found.append((*DECAY_BIASES, {"decay_biases": True}))
    return found


def network_optimizer_mistakes(spec: NetworkSpec) -> list[tuple[str, str, Callable[[], Trace]]]:
    from ..engine.nn import build_trace, training_plan
    from ..engine.parameters import Mistakes

    biases = spec.update_biases and any(layer.bias is not None for layer in spec.layers[1:])
    return [(code, message, _bound(lambda flags: build_trace(spec, mistakes=Mistakes(**flags)), flags))
            for code, message, flags in applicable(spec.training.optimizer, len(training_plan(spec)), biases)]


def descent_mistakes(spec: GraphSpec) -> list[tuple[str, str, Callable[[], Trace]]]:
    from ..engine.descent import build_descent_trace
    from ..engine.parameters import Mistakes

    assert spec.training is not None
    found = [(*WRONG_SIGN, {"wrong_sign": True})] + applicable(spec.training.optimizer, spec.training.epochs, False)
    return [(code, message, _bound(lambda flags: build_descent_trace(spec, mistakes=Mistakes(**flags)), flags))
            for code, message, flags in found]


def _bound(build: Callable[[dict[str, bool]], Trace], flags: dict[str, bool]) -> Callable[[], Trace]:
    return lambda: build(flags)
