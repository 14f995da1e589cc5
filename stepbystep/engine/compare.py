"""The same run with other optimizers, for the loss-curve overlay (`compare`).

A spec's `[training] compare = ["sgd", "momentum", "adam"]` (or `render
--compare`) trains the same net, from the same start, with each optimizer
named (its hyperparameters from the same table, learning rate shared) on the
fast path, and keeps the loss after every step. Nothing of these runs is a
named value: they are facts for the summary's table and curve.
"""
from __future__ import annotations

from dataclasses import replace

from ..spec.model import GraphSpec, NetworkSpec, Spec
from .facts import ComparedRun
from .graph import GraphError
from .trace import Trace


def with_comparison(trace: Trace, spec: Spec) -> Trace:
    """The trace with the runs of `compare` in its facts (unchanged when there are none)."""
    training = spec.training
    if training is None or not training.optimizer.compare:
        return trace
    runs = compared_runs(spec) if isinstance(spec, NetworkSpec) else compared_descents(spec)
    return replace(trace, facts=replace(trace.facts, comparison=runs))  # type: ignore[arg-type]


def compared_runs(spec: NetworkSpec) -> tuple[ComparedRun, ...]:
    """Each optimizer of `compare`, trained on the fast path from the spec's start."""
    from .nn import NO_MISTAKES, _NetworkBuilder

    settings = spec.training.optimizer
    found = []
    for name in settings.compare:
        other = replace(spec, training=replace(spec.training, optimizer=settings.but(name)))
        builder = _NetworkBuilder(other, None, NO_MISTAKES)
        try:
            _, losses = builder._run_fast(1, len(builder.plan) + 1, dict(builder.initial))
            found.append(ComparedRun(name, tuple(losses)))
        except GraphError as error:
            found.append(ComparedRun(name, (), str(error)))
    return tuple(found)


def compared_descents(spec: GraphSpec) -> tuple[ComparedRun, ...]:
    """Each optimizer of `compare` descending on the same graph from the same start."""
    from .descent import _Descender
    from .parameters import NO_MISTAKES

    assert spec.training is not None
    settings = spec.training.optimizer
    found = []
    for name in settings.compare:
        other = replace(spec, training=replace(spec.training, optimizer=settings.but(name)))
        try:
            descender = _Descender(other, None, NO_MISTAKES)
            _, outputs = descender._fast_path().run(dict(other.inputs), 1, other.training.epochs + 1, descender)
            found.append(ComparedRun(name, tuple(outputs)))
        except GraphError as error:
            found.append(ComparedRun(name, (), str(error)))
    return tuple(found)
