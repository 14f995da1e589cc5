"""Known mistakes, found by re-running the walkthrough with the mistake made.

A diagnosis is never a special formula for one value: the whole trace is
built again with one mistake switched on (a `Mistakes` flag, a changed
convention, or hand rounding), and a wrong answer that matches the same-named
value of such a run — recomputed from the student's own earlier numbers, so
that a slip upstream does not hide the mistake — gets its code and sentence.
That way every diagnosis works on any network, at any depth.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterator

from ..engine.graph import GraphError
from ..engine.nn import build_trace
from ..engine.ops import ACTIVATIONS
from ..engine.parameters import NO_MISTAKES, Mistakes
from ..engine.replay import TraceCache
from ..engine.trace import Trace
from ..numbers import format_number
from ..spec.model import GraphSpec, NetworkSpec, Spec

ROUNDING_DECIMALS = (4, 3, 2)  # a student with a calculator rounds to 2-4 decimals


@dataclass(frozen=True)
class Diagnosis:
    code: str
    message: str


@dataclass(frozen=True)
class Mistake:
    """One known mistake and how to re-run the walkthrough making it."""

    diagnosis: Diagnosis
    build: Callable[[], Trace]
    round_to: int | None = None   # a rounding mistake: only a number with at most these decimals can be it


class Diagnoser:
    """The mistaken re-runs of one spec, each built once, when first needed
    (a class where everyone is right never pays for them)."""

    def __init__(self, mistakes: list[Mistake]) -> None:
        self.mistakes = mistakes
        self._built: dict[int, Trace | None] = {}

    def run(self, index: int) -> Trace | None:
        """The mistaken trace of mistake `index` (None: the mistake cannot be run here)."""
        if index not in self._built:
            try:
                self._built[index] = self.mistakes[index].build()
            except GraphError:
                self._built[index] = None  # e.g. learning rate 1 diverges: no such run
        return self._built[index]

    def runs(self) -> Iterator[tuple[Diagnosis, Trace]]:
        """(diagnosis, mistaken trace) in order of preference."""
        for index, mistake in enumerate(self.mistakes):
            trace = self.run(index)
            if trace is not None:
                yield mistake.diagnosis, trace


def diagnoser_for(spec: Spec | None, decimals: int | None = None, traces: TraceCache | None = None) -> Diagnoser | None:
    """Every mistake that can happen in this spec (None: no spec known);
    `decimals`, the precision the policy asks for, is one more rounding to try.
    `traces`: shared by the graders of a spec's variants, whose mistaken
    re-runs have one shape per mistake (engine/replay.py)."""
    rounding = tuple(dict.fromkeys(((decimals,) if decimals is not None and decimals <= 8 else ()) + ROUNDING_DECIMALS))
    if isinstance(spec, NetworkSpec):
        return Diagnoser(network_mistakes(spec, traces) + _optimizer(spec) + _rounding(_network_builder(spec, traces), rounding))
    if isinstance(spec, GraphSpec):
        return Diagnoser(_optimizer(spec) + _rounding(_graph_builder(spec), rounding))
    return None


def _optimizer(spec: Spec) -> list[Mistake]:
    """The optimizer's mistakes (grading/optimizer_mistakes.py): networks, and graphs that descend."""
    from .optimizer_mistakes import descent_mistakes, network_optimizer_mistakes

    if isinstance(spec, NetworkSpec):
        found = network_optimizer_mistakes(spec)
    elif isinstance(spec, GraphSpec) and spec.training is not None:
        found = descent_mistakes(spec)
    else:
        return []
    return [Mistake(Diagnosis(code, message), build) for code, message, build in found]


def hand_values(spec: Spec | None, decimals: int) -> dict[str, float] | None:
    """Every value of the `--round decimals` chain (a student rounding each
    step as they go), for a policy with hand_rounding; None when it cannot be built."""
    if isinstance(spec, NetworkSpec):
        build = _network_builder(spec)
    elif isinstance(spec, GraphSpec):
        build = _graph_builder(spec)
    else:
        return None
    try:
        return dict(build(decimals).graph.values)
    except (GraphError, ArithmeticError):
        return None


def arithmetic_slip(working: float) -> Diagnosis:
    """The working shown evaluates to an accepted value, the final number does not."""
    return Diagnosis("arithmetic_slip", f"Your working gives {format_number(working, 6)}; the slip is in the last step.")


def too_few_digits_diagnosis(advice: str) -> Diagnosis:
    """Right to the digits given, but fewer digits than the policy asks for."""
    return Diagnosis("too_few_digits", f"Right as far as it goes, but too few digits: {advice}.")


def network_mistakes(spec: NetworkSpec, traces: TraceCache | None = None) -> list[Mistake]:
    """The conceptual mistakes that apply to this network (a mistake that
    changes nothing here, like dropping a learning rate of 1, is left out)."""
    build = traces.build if traces is not None else _built

    def flagged(**flags: bool) -> Callable[[], Trace]:
        return lambda: build(spec, mistakes=Mistakes(**flags))

    def changed(**changes: object) -> Callable[[], Trace]:
        return lambda: build(replace(spec, **changes))  # type: ignore[arg-type]

    activations = {layer.activation for layer in spec.layers[1:] if layer.activation is not None}
    dense = all(layer.kind == "dense" for layer in spec.layers[1:])
    hidden = len(spec.layers) > 2 and dense   # the updated-weights convention is Mazur's, for dense layers
    wide = any(layer.kind == "dense" and len(layer.weights[0]) > 1 for layer in spec.layers[1:])
    found: list[tuple[bool, str, str, Callable[[], Trace]]] = [
        (True, "wrong_sign",
         "The update went uphill: w+ = w + η·∂E/∂w instead of w − η·∂E/∂w." if spec.training.optimizer.name == "sgd"
         else "The update went uphill: w+ = w + η·(the optimizer's step) instead of w − η·(step).",
         flagged(wrong_sign=True)),
        (spec.loss == "half_sse", "half_forgotten",
         "The ½ of E = ½(target − out)² was left out, which doubles the error and its derivative.",
         changed(loss="sse")),
        (spec.loss == "half_sse", "half_doubled",
         "The ½ was applied twice (¼(target − out)²), which halves the error and its derivative.",
         flagged(half_twice=True)),
        (spec.loss == "sse", "half_added",
         "A ½ was put into the loss, which is (target − out)² here, without ½: the error and its derivative halve.",
         changed(loss="half_sse")),
        (hidden and spec.hidden_deltas_use == "original_weights", "updated_weights",
         "The hidden deltas went back through the already updated weights (w+) instead of the original ones.",
         changed(hidden_deltas_use="updated_weights")),
        (activations != {"linear"}, "no_activation_derivative",
         "The activation's derivative ∂out/∂net was left out of the chain rule (taken as 1).",
         flagged(no_activation_derivative=True)),
        (any(ACTIVATIONS.get(str(kind)).slope_from_out for kind in activations), "derivative_from_net",
         "The activation's derivative was computed from net instead of out (σ′ = net·(1 − net), not out·(1 − out)).",
         flagged(derivative_from_net=True)),
        (spec.learning_rate != 1.0, "no_learning_rate",
         "The learning rate was not applied: w+ = w − ∂E/∂w instead of w − η·∂E/∂w.", changed(learning_rate=1.0)),
        (wide, "wrong_input_neuron",
         "∂net/∂w was taken as the output of the wrong neuron, not the one the weight comes from.",
         flagged(wrong_input_neuron=True)),
    ] + layer_kind_mistakes(spec, flagged)
    return [Mistake(Diagnosis(code, message), build) for applies, code, message, build in found if applies]


def layer_kind_mistakes(spec: NetworkSpec, flagged: Callable[..., Callable[[], Trace]]
                        ) -> list[tuple[bool, str, str, Callable[[], Trace]]]:
    """The mistakes of convolution, pooling and recurrent layers (SPEC §8)."""
    kinds = {layer.kind for layer in spec.layers[1:]}
    convs = [layer for layer in spec.layers[1:] if layer.kind == "conv2d"]
    steps = spec.samples[0].steps if spec.sequence else 0
    return [
        (any(layer.window != (1, 1) for layer in convs), "kernel_flipped",
         "The kernel was turned 180° (a true convolution); the layer slides it unflipped, a cross-correlation "
         "as in PyTorch's conv2d.", flagged(kernel_flipped=True)),
        (any(layer.shape is not None and layer.shape[1] * layer.shape[2] > 1 for layer in convs),
         "gradient_not_summed_over_positions",
         "A kernel weight's gradient was taken at one position only; the weight is used at every position, so its "
         "gradient is the sum of delta times input over all of them.", flagged(no_sum_over_positions=True)),
        ("maxpool2d" in kinds, "max_pool_gradient_spread",
         "Max pooling's gradient was spread evenly over its window; it goes to the window's largest value only "
         "(0 to the others).", flagged(pool_gradient_spread=True)),
        ("maxpool2d" in kinds, "max_pool_gradient_spread",
         "Max pooling's gradient was passed whole to every value of its window; it goes to the window's largest "
         "value only (0 to the others).", flagged(pool_gradient_copied=True)),
        (steps > 1, "gradient_not_summed_over_time",
         "A weight's gradient was taken from the last time step only; it is used at every step, so its gradient "
         "is the sum of its contributions over all of them.", flagged(no_sum_over_time=True)),
        (steps > 1 and "rnn" in kinds, "recurrent_path_forgotten",
         "∂E/∂out_h(t) was taken through the output at step t only; the path through the recurrent layer at "
         "step t + 1 was forgotten.", flagged(no_recurrent_path=True)),
    ]


def _rounding(build: Callable[[int], Trace], decimals_tried: tuple[int, ...]) -> list[Mistake]:
    return [Mistake(Diagnosis("rounded_early",
                              f"Rounded too early: each value rounded to {decimals} decimals as it was computed, "
                              "and the rounding errors added up (the walkthrough keeps full precision)."),
                    _bind(build, decimals), decimals)
            for decimals in decimals_tried]


def _bind(build: Callable[[int], Trace], decimals: int) -> Callable[[], Trace]:
    return lambda: build(decimals)


def _network_builder(spec: NetworkSpec, traces: TraceCache | None = None) -> Callable[[int], Trace]:
    build = traces.build if traces is not None else _built
    return lambda decimals: build(spec, round_to=decimals)


def _built(spec: NetworkSpec, round_to: int | None = None, mistakes: Mistakes = NO_MISTAKES) -> Trace:
    """A run built in full (one spec's grader: each mistake is run once)."""
    return build_trace(spec, round_to, mistakes)


def _graph_builder(spec: GraphSpec) -> Callable[[int], Trace]:
    def build(decimals: int) -> Trace:
        from ..engine.build import build_trace

        return build_trace(spec, round_to=decimals, compare=False)

    return build
