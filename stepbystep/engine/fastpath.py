"""Training steps that are not shown in full, computed without the traced graph.

A 10,000-step run cannot afford a named node per number, yet every step must
give the same numbers the traced graph would. Two engines, chosen by size:

- small nets (and any run in hand-calculation mode or with a student mistake
  switched on): the graph of ONE sample, built by backprop.py exactly as for a
  recorded step, is compiled into a straight-line Python function (straightline.py) over plain
  floats. Same expressions, same order of operations (`math.fsum` for sums,
  the same rounding after every node), so the numbers are bit-for-bit those
  of the graph; the reduction and the update follow backprop.py's formulas;
- larger nets without rounding or mistakes: numpy, vectorized over the
  samples of a step (columns = samples), the same conventions written as
  matrices. Equal to the graph up to the order of additions (~1e-15).

Any non-finite number (overflow, log of 0, NaN) stops the run with
`FastPathFailure`; nn.py then replays that step in the traced graph, which
names the value that failed. numpy is imported only when it is used.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from .fastpath_update import CompiledOptimizer
from .straightline import SampleTemplate, compile_sample, namespace_for_compiled, python_source

if TYPE_CHECKING:
    from .update import UpdateRule

# numpy costs about 80 µs a step whatever the size, plus ~0.15 s to import;
# compiled scalars about 1 µs per weight and sample. So numpy from this many
# weights x samples per step on, and only for runs long enough (x 1,000 in
# total) to repay the import (measured: tests/benchmarks/test_bench_training.py).
NUMPY_FROM_WORK = 128


class FastPathFailure(Exception):
    """A step produced a number that is not finite; replay it in the graph."""

    def __init__(self, offset: int, values: dict[str, float]) -> None:
        super().__init__(f"step {offset + 1} of the run is not finite")
        self.offset = offset      # index into the batches given to run()
        self.values = values      # the parameters at the start of that step


@dataclass(frozen=True)
class Conventions:
    """What the reduction and the update need to know about the spec."""

    learning_rate: float
    reduction: str                # sum | mean
    updated: tuple[bool, ...]     # per parameter: is it updated?
    wrong_sign: bool              # the `wrong_sign` mistake: w + eta * grad
    round_to: int | None
    rule: "UpdateRule | None" = None   # the optimizer (update.py); None: plain gradient descent


LossWanted = Optional[Callable[[int], bool]]


class Trainer:
    """Runs training steps on plain values: `run` for a stretch of steps,
    `loss` for the total loss over all samples (after{N}.E_total)."""

    names: tuple[str, ...]

    def run(self, values: dict[str, float], batches: Sequence[tuple[int, ...]],
            first_step: int = 1, keep_loss: LossWanted = None) -> tuple[dict[str, float], list[float | None]]:
        """The parameters after the steps, and the loss after each step.
        `values` and the result also hold the optimizer's carried buffers
        (`m_w5`) where it has any; `first_step` is the number of the first batch.
        `keep_loss(offset)`: whether the loss after that step is wanted when it
        costs a pass over every sample (online and mini-batch steps); an unwanted
        one is None. A full-batch step's loss is free and always kept."""
        raise NotImplementedError

    def loss(self, values: dict[str, float]) -> float:
        raise NotImplementedError


# -- compiled scalars ------------------------------------------------------------
class ScalarTrainer(Trainer):
    """The sample graph compiled to Python over floats: bit-for-bit the graph's
    numbers, including rounding and mistakes, at about 1 µs a weight and sample."""

    def __init__(self, spec: Any, conventions: Conventions, template: SampleTemplate,
                 template_for: Callable[[int], SampleTemplate] | None = None) -> None:
        """`template_for(index)`: sample `index`'s own graph, for a loss whose
        expressions depend on the sample's class (multiclass_hinge)."""
        self.names = template.parameters
        self.conventions = conventions
        self.samples = [(tuple(s.inputs), tuple(s.targets)) for s in spec.samples]
        if template_for is None:
            self.sample_step = compile_sample(template, conventions.round_to)
            self.sample_loss = compile_sample(template, conventions.round_to, loss_only=True)
        else:
            self.sample_step, self.sample_loss = _by_targets(spec, template_for, conventions.round_to)
        self.rounder = _rounder(conventions.round_to)
        self.update = compile_update(conventions)
        rule = conventions.rule
        self.optimizer = None if rule is None or rule.plain else \
            compile_optimizer(rule, self.names, conventions.updated, conventions.round_to)

    def loss(self, values: dict[str, float]) -> float:
        params = [values[name] for name in self.names]
        try:  # the reduction too: fsum raises OverflowError on 1e308 + 1e308
            losses = [self.sample_loss(params, x, t) for x, t in self.samples]
            total = self._reduce(losses)
        except (OverflowError, ZeroDivisionError, ValueError):
            raise FastPathFailure(0, values) from None
        if not math.isfinite(total):
            raise FastPathFailure(0, values)
        return total

    def _reduce(self, values: list[float]) -> float:
        """As backprop.StepBuilder._reduce: one value alone under sum is itself; else fsum (/ n)."""
        if len(values) == 1 and self.conventions.reduction == "sum":
            return self.rounder(values[0])
        total = math.fsum(values) if len(values) > 1 else values[0]
        if self.conventions.reduction == "mean":
            total = total / float(len(values))
        return self.rounder(total)

    def run(self, values: dict[str, float], batches: Sequence[tuple[int, ...]],
            first_step: int = 1, keep_loss: LossWanted = None) -> tuple[dict[str, float], list[float | None]]:
        if self.optimizer is not None:
            return self._run_optimizer(values, batches, first_step, keep_loss)
        reduce_, step, update = self._reduce, self.sample_step, self.update
        samples = self.samples
        count = len(samples)
        params = [values[name] for name in self.names]
        losses: list[float | None] = []
        pending = False  # the previous step's after-loss waits for this step's forward pass
        for offset, batch in enumerate(batches):
            try:
                if len(batch) == 1:
                    # one sample: its own loss and gradients (x / 1.0 and re-rounding change nothing)
                    step_loss, gradients = step(params, *samples[batch[0]])
                else:
                    outcomes = [step(params, *samples[index]) for index in batch]
                    step_loss = reduce_([outcome[0] for outcome in outcomes])
                    gradients = [reduce_(list(column)) for column in zip(*[outcome[1] for outcome in outcomes])]
            except (OverflowError, ZeroDivisionError, ValueError):
                raise FastPathFailure(offset, dict(zip(self.names, params))) from None
            if pending:
                if len(batch) == count:
                    losses.append(step_loss)   # the same numbers: every sample, same parameters
                elif keep_loss is not None and not keep_loss(offset - 1):
                    losses.append(None)
                else:
                    try:
                        losses.append(self.loss(dict(zip(self.names, params))))
                    except FastPathFailure:
                        raise FastPathFailure(offset, dict(zip(self.names, params))) from None
            new = update(params, gradients)
            if not math.isfinite(step_loss + sum(new)):
                raise FastPathFailure(offset, dict(zip(self.names, params)))
            params = new
            pending = True
        result = dict(zip(self.names, params))
        if pending:
            losses.append(self.loss(result) if keep_loss is None or keep_loss(len(batches) - 1) else None)
        return result, losses

    def _gradients(self, params: list[float], batch: tuple[int, ...]) -> tuple[float, Sequence[float]]:
        """One step's reduced loss and gradients (as `run` computes them)."""
        if len(batch) == 1:
            return self.sample_step(params, *self.samples[batch[0]])  # type: ignore[no-any-return]
        outcomes = [self.sample_step(params, *self.samples[index]) for index in batch]
        return (self._reduce([outcome[0] for outcome in outcomes]),
                [self._reduce(list(column)) for column in zip(*[outcome[1] for outcome in outcomes])])

    def _run_optimizer(self, values: dict[str, float], batches: Sequence[tuple[int, ...]],
                       first_step: int, keep_loss: LossWanted = None) -> tuple[dict[str, float], list[float | None]]:
        """`run` with an optimizer's buffers carried from step to step (fastpath_update.py)."""
        optimizer = self.optimizer
        assert optimizer is not None
        params = [values[name] for name in self.names]
        state = optimizer.state_from(values)
        losses: list[float | None] = []
        count = len(self.samples)

        def current() -> dict[str, float]:
            return {**dict(zip(self.names, params)), **dict(zip(optimizer.state_names, state or ()))}

        for offset, batch in enumerate(batches):
            try:
                step_loss, gradients = self._gradients(params, batch)
                if offset:   # the loss after the step before: every sample's, with these parameters
                    losses.append(step_loss if len(batch) == count else None
                                  if keep_loss is not None and not keep_loss(offset - 1)
                                  else self.loss(dict(zip(self.names, params))))
                new, new_state = optimizer.step(params, gradients, state, first_step + offset)
            except (OverflowError, ZeroDivisionError, ValueError, FastPathFailure):
                raise FastPathFailure(offset, current()) from None
            if not math.isfinite(step_loss + sum(new) + sum(new_state)):
                raise FastPathFailure(offset, current())
            params, state = new, new_state
        result = current()
        if batches:
            losses.append(self.loss(result) if keep_loss is None or keep_loss(len(batches) - 1) else None)
        return result, losses


def _by_targets(spec: Any, template_for: Callable[[int], SampleTemplate],
                round_to: int | None) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """One compiled sample per distinct target vector, chosen by the targets passed in."""
    steps: dict[tuple[float, ...], Callable[..., Any]] = {}
    losses: dict[tuple[float, ...], Callable[..., Any]] = {}
    for index, sample in enumerate(spec.samples):
        key = tuple(sample.targets)
        if key not in steps:
            template = template_for(index)
            steps[key] = compile_sample(template, round_to)
            losses[key] = compile_sample(template, round_to, loss_only=True)
    return (lambda P, X, T: steps[T](P, X, T)), (lambda P, X, T: losses[T](P, X, T))


def compile_optimizer(rule: "UpdateRule", names: Sequence[str], updated: Sequence[bool],
                      round_to: int | None, weights: Sequence[bool] | None = None) -> CompiledOptimizer:
    """The optimizer's step over plain floats, written by this module's compiler (fastpath_update.py)."""
    return CompiledOptimizer(rule, names, updated, round_to, python_source, namespace_for_compiled(), weights)


def compile_update(conventions: Conventions) -> Callable[[list[float], Sequence[float]], list[float]]:
    """`update(params, gradients)`: w - eta * g (w + eta * g with the wrong-sign
    mistake) for the parameters that move, rounded as the graph rounds."""
    eta = repr(float(conventions.learning_rate))
    sign = "+" if conventions.wrong_sign else "-"
    items = []
    for position, moves in enumerate(conventions.updated):
        if not moves:
            items.append(f"P[{position}]")
            continue
        item = f"P[{position}] {sign} {eta} * G[{position}]"
        items.append(item if conventions.round_to is None else f"round({item}, {conventions.round_to}) + 0.0")
    namespace: dict[str, Any] = {}
    exec(compile("def update(P, G):\n    return [" + ", ".join(items) + "]", "<stepbystep.fastpath>", "exec"), namespace)
    return namespace["update"]


def _rounder(round_to: int | None) -> Callable[[float], float]:
    if round_to is None:
        return lambda value: value
    return lambda value: round(value, round_to) + 0.0
