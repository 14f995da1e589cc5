"""Dense networks built on the named graph, in the order of Mazur's post.

This module runs the training: the parameter names, which samples each
step takes, the steps shown in full (their nodes are written by
backprop.StepBuilder) and the stretches between them, which run on the
fast path (fastpath.py) and leave only their losses in the trace.
`Mistakes` switches on a known student mistake, so that a diagnosis can
re-run the whole walkthrough wrongly instead of guessing with special formulas.
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING, Callable

from ..spec import names
from ..spec.model import MAX_DETAIL_WEIGHTS, NetworkSpec, steps_per_epoch
from .backprop import StepBuilder, updates_text
from .facts import ExactRun, NetworkFacts, frozen_mapping
from .expressions import Ref
from .graph import Graph, GraphError
from .ops import LOSSES
from .parameters import NO_MISTAKES, Mistakes, initial_values, parameter_names
from .trace import Trace, TraceBuilder

if TYPE_CHECKING:
    from .fastpath import Conventions, Trainer
    from .straightline import SampleTemplate

# The loss over every sample after every update costs steps x samples sample passes: free in
# batch mode (the next step's forward pass), quadratic in online and mini-batch mode. Up to
# this many, after{N}.E_total is given for every N; beyond, where it is shown or asked for
# (loss_steps). README: "Training runs".
EVERY_LOSS_UP_TO = 1_000_000
CURVE_POINTS = 200  # a one-epoch run's loss curve: at most this many steps, within EVERY_LOSS_UP_TO


def loss_steps(spec: NetworkSpec, total: int) -> frozenset[int] | None:
    """The steps N whose after{N}.E_total is computed; None: every step. Beyond
    EVERY_LOSS_UP_TO: every epoch's last step, the recorded steps, the last
    step, for a one-epoch run's curve up to CURVE_POINTS steps spread evenly
    (fewer with more samples: EVERY_LOSS_UP_TO sample passes in all), and any
    step a note names (`after500.E_total`)."""
    training = spec.training
    per_epoch = steps_per_epoch(training.mode, training.batch_size, len(spec.samples))
    if per_epoch == 1 or total * len(spec.samples) <= EVERY_LOSS_UP_TO:
        return None
    wanted = {epoch * per_epoch for epoch in range(1, training.epochs + 1)} | set(training.record) | {total}
    if training.epochs == 1:
        points = max(1, min(CURVE_POINTS, EVERY_LOSS_UP_TO // len(spec.samples)))
        wanted |= {max(1, round(point * total / points)) for point in range(1, points + 1)}
    for name in spec.notes:
        head, dot, tail = name.partition(".")
        if dot and tail == "E_total" and head.startswith("after") and head[5:].isdigit():
            wanted.add(int(head[5:]))
    return frozenset(step for step in wanted if 1 <= step <= total)


def training_plan(spec: NetworkSpec) -> list[tuple[int, ...]]:
    """The samples (0-based, in spec order) of each step, step 1 first.

    Mini-batches shuffle once per epoch with `random.Random(shuffle_seed)`
    when a seed is given; the last batch of an epoch may be smaller.
    """
    training = spec.training
    count = len(spec.samples)
    rng = random.Random(training.shuffle_seed) if training.shuffle_seed is not None else None
    plan: list[tuple[int, ...]] = []
    for _ in range(training.epochs):
        order = list(range(count))
        if rng is not None:
            rng.shuffle(order)
        if training.mode == "batch":
            plan.append(tuple(order))
        elif training.mode == "online":
            plan.extend((index,) for index in order)
        else:
            size = training.batch_size or 1
            plan.extend(tuple(order[start:start + size]) for start in range(0, count, size))
    assert len(plan) == training.epochs * steps_per_epoch(training.mode, training.batch_size, count)
    return plan


def build_trace(spec: NetworkSpec, round_to: int | None = None, mistakes: Mistakes = NO_MISTAKES) -> Trace:
    """The whole walkthrough of a network spec as one ordered trace."""
    return _NetworkBuilder(spec, round_to, mistakes).build()


def trace_title(spec: NetworkSpec) -> str:
    return spec.title or "A step by step backpropagation example"


def run_facts(spec: NetworkSpec, round_to: int | None = None, mistakes: Mistakes = NO_MISTAKES) -> NetworkFacts:
    """The facts of a run, as its build records them, without building its
    trace (replay.py evaluates an already built one with this spec's numbers)."""
    return _NetworkBuilder(spec, round_to, mistakes)._facts()


class _NetworkBuilder:
    def __init__(self, spec: NetworkSpec, round_to: int | None, mistakes: Mistakes) -> None:
        self.spec = spec
        self.round_to = round_to
        self.mistakes = mistakes
        self.names = parameter_names(spec)
        self.initial = initial_values(spec, self.names)  # the state before step 1
        self.graph = Graph(round_to)
        self.trace = TraceBuilder(self.graph, spec.notes)
        self.plan = training_plan(spec)
        self.bare = len(self.plan) == 1 and len(self.plan[0]) == 1
        self.steps = StepBuilder(spec, self.names, mistakes, self.bare)
        self.loss_steps = loss_steps(spec, len(self.plan))
        self._fast: Trainer | None = None

    # -- the whole run ------------------------------------------------------
    def build(self) -> Trace:
        """Recorded steps go into the traced graph; every stretch of steps in
        between runs on the fast path (fastpath.py), proven equal by a test.
        after{N}.E_total of every step (or of `loss_steps`) is a given node, one section per stretch."""
        spec = self.spec
        values = dict(self.initial)
        params: dict[str, Ref] | None = None
        recorded = set(spec.training.record)
        total = len(self.plan)
        number = 1
        while number <= total:
            if number in recorded:
                updated = self.steps.step(self.trace, number, self.plan[number - 1], values, params)
                values = {name: self.graph.values[ref.name] for name, ref in updated.items()}
                params = updated
                if number < total:
                    loss = self._fast_loss(number, values)
                    self.trace.section("after", f"After {updates_text(number)}", 2, step=number)
                    self.trace.given(names.after_total(number), loss, "after_total", summary=True)
                number += 1
                continue
            end = min([step for step in recorded if step > number] + [total + 1])
            values, losses = self._run_fast(number, end, values)
            title = f"Step {number:,}" if end - 1 == number else f"Steps {number:,} to {end - 1:,}"
            self.trace.section("losses", title, 2, first=number, last=end - 1)
            for offset, loss in enumerate(losses):
                if number + offset < total and loss is not None:
                    self.trace.given(names.after_total(number + offset), loss, "after_total", summary=True)
            params = None
            number = end
        self.steps.after(self.trace, total, values, params)
        return self.trace.finish(trace_title(spec), self._facts())

    # -- the fast path -------------------------------------------------------------
    def _fast_loss(self, number: int, values: dict[str, float]) -> float:
        from .fastpath import FastPathFailure

        try:
            return self._trainer().loss(values)
        except FastPathFailure:
            return self._graph_loss(number, values)  # raises the GraphError that names the value

    def _trainer(self) -> "Trainer":
        if self._fast is None:
            from .fastpath import Conventions

            names = tuple(self.names.all_names())
            conventions = Conventions(self.spec.learning_rate, self.spec.reduction,
                                      tuple(self.steps.updates(name) for name in names),
                                      self.mistakes.wrong_sign, self.round_to, self.steps.rule)
            self._fast = make_trainer(self.spec, names, conventions,
                                      self.round_to is None and self.mistakes == NO_MISTAKES, self._sample_template)
        return self._fast

    def _sample_template(self, index: int = 0) -> "SampleTemplate":
        """One sample's graph, built exactly as in a recorded step, for compiling
        (sample `index`: a loss written for each sample's class needs its own)."""
        from .straightline import SampleTemplate

        steps = StepBuilder(self.spec, self.names, self.mistakes, bare=False)  # prefixes as in a step of a run
        trace = TraceBuilder(Graph(self.round_to))
        parameters = self.names.all_names()
        # Any values that evaluate will do: the template only provides the expressions.
        try:
            params = {name: trace.given(name, 0.0) for name in parameters}
            outcome = steps.sample(trace, "", index, params, 1)
        except GraphError:
            trace = TraceBuilder(Graph(self.round_to))
            params = {name: trace.given(name, self.initial[name]) for name in parameters}
            outcome = steps.sample(trace, "", index, params, 1)
        return SampleTemplate(trace.graph, tuple(parameters), outcome.inputs, outcome.targets, outcome.loss.name,
                              tuple(outcome.gradients[name].name for name in parameters))

    def _run_fast(self, first: int, end: int, values: dict[str, float]) -> tuple[dict[str, float], list[float | None]]:
        """Steps first..end-1 on the fast path; a step that is not finite is
        replayed in the graph, which names the value that failed. The loss
        after a step not in `loss_steps` is None."""
        from .fastpath import FastPathFailure

        batches = self.plan[first - 1:end - 1]
        wanted = self.loss_steps
        keep = None if wanted is None else (lambda offset: first + offset in wanted)
        try:
            return self._trainer().run(values, batches, first, keep_loss=keep)
        except FastPathFailure as failure:
            number = first + failure.offset
            batch = self.plan[number - 1]
            if self.spec.weight_count * max(len(batch), len(self.spec.samples)) <= MAX_DETAIL_WEIGHTS:
                scratch = TraceBuilder(Graph(self.round_to))   # small enough to replay: name the value
                updated = self.steps.step(scratch, number, batch, failure.values, None)
                after = {name: scratch.graph.values[ref.name] for name, ref in updated.items()}
                self._graph_loss(number, after)
            raise GraphError(names.step(number), "a value is not finite (overflow or NaN); "
                                              "the learning rate may be too high") from None

    def _graph_loss(self, number: int, values: dict[str, float]) -> float:
        scratch = TraceBuilder(Graph(self.round_to))
        return scratch.graph.values[self.steps.after(scratch, number, values, None).name]

    def _facts(self) -> NetworkFacts:
        return NetworkFacts(self.spec, self.bare, len(self.plan), self.names, frozen_mapping(self.initial),
                            self.round_to, self._exact_run() if self.round_to is not None else None)

    def _exact_run(self) -> ExactRun:
        """Hand-calculation mode: the same run without rounding (fast path),
        for the table of how far the rounded weights drift."""
        exact = _NetworkBuilder(self.spec, None, self.mistakes)
        values, losses = exact._run_fast(1, len(self.plan) + 1, dict(self.initial))
        return ExactRun(frozen_mapping(values), losses[-1])


def make_trainer(spec: NetworkSpec, names: tuple[str, ...], conventions: "Conventions", plain: bool,
                 template: Callable[..., "SampleTemplate"]) -> "Trainer":
    """numpy for larger nets when no rounding or mistake asks for exact
    replay of the graph's arithmetic; compiled scalars otherwise. numpy is
    imported only when it is used (start-up time)."""
    from .fastpath import NUMPY_FROM_WORK, ScalarTrainer

    training = spec.training
    work = spec.weight_count * spec.samples_per_step
    dense = all(layer.kind == "dense" for layer in spec.layers[1:])   # the numpy engine knows dense layers only
    if plain and dense and work >= NUMPY_FROM_WORK and spec.weight_count * len(spec.samples) * training.epochs >= NUMPY_FROM_WORK * 1000:
        from .fastpath_numpy import NumpyTrainer

        return NumpyTrainer(spec, names, conventions)
    per_class = LOSSES.get(spec.loss).layer_term is not None   # its expressions name each sample's class
    return ScalarTrainer(spec, conventions, template(), template if per_class else None)
