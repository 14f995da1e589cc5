"""Gradient descent on a computation graph's inputs, step by step (SPEC.md §6).

A graph spec with a [training] table moves some of its inputs (the
`parameters`) against the output's gradient with any optimizer. A recorded
step is the graph's own walkthrough under the prefix `step2.`: the inputs
it starts from, the forward pass, the backward pass (the same plan as
expr.py's, written once and renamed per step) and each parameter's update
with the optimizer's buffers (update.py: `step2.m_theta`, `step2.theta+`).
Steps not recorded run on the fast path: the forward and backward nodes
compiled to straight-line Python (straightline.compile_sample) and the update
compiled from the same expressions (fastpath_update.py), so their numbers
are the traced graph's bit for bit, rounding included. `after{N}.f` is the
output after N steps, for every N.
"""
from __future__ import annotations

import math
from dataclasses import fields, replace
from typing import Any, Callable

from ..spec import names
from ..spec.model import GraphSpec
from .autodiff import Planned, reverse_mode
from .facts import DescentFacts, frozen_mapping
from .expressions import Expr, Ref
from .graph import Graph, GraphError
from .parameters import NO_MISTAKES, Mistakes
from .trace import Trace, TraceBuilder
from .update import UpdateRule, node_name


def renamed(expr: Expr, prefix: str) -> Expr:
    """The expression over `prefix + name` instead of every name it reads."""
    if isinstance(expr, Ref):
        return Ref(prefix + expr.name)
    changes: dict[str, Any] = {}
    for item in fields(expr):
        value = getattr(expr, item.name)
        if isinstance(value, Expr):
            changes[item.name] = renamed(value, prefix)
        elif isinstance(value, tuple) and any(isinstance(part, Expr) for part in value):
            changes[item.name] = tuple(renamed(part, prefix) if isinstance(part, Expr) else part for part in value)
    return replace(expr, **changes) if changes else expr   # type: ignore[type-var]


def build_descent_trace(spec: GraphSpec, round_to: int | None = None, mistakes: Mistakes = NO_MISTAKES) -> Trace:
    """The whole descent as one ordered trace."""
    return _Descender(spec, round_to, mistakes).build()


class _Descender:
    def __init__(self, spec: GraphSpec, round_to: int | None, mistakes: Mistakes) -> None:
        from .expr import parse_graph

        assert spec.training is not None
        self.spec = spec
        self.training = spec.training
        self.round_to = round_to
        self.parsed = parse_graph(spec)
        self.inputs = tuple(name for name, _ in spec.inputs)
        self.parameters = self.training.parameters
        self.rule = UpdateRule.of(self.training.optimizer, self.training.learning_rate, mistakes)
        self.graph = Graph(round_to)
        self.trace = TraceBuilder(self.graph, spec.notes)
        self.scratch, self.plan = self._backward_plan()
        self._fast: _FastDescent | None = None

    def _backward_plan(self) -> tuple[Graph, list[Planned]]:
        """The graph's nodes and its backward pass with bare names, once: each
        recorded step writes them again under its prefix."""
        scratch = Graph(self.round_to)
        for name, value in self.spec.inputs:
            scratch.given(name, value)
        try:
            for name, expr in self.parsed:
                scratch.define(name, expr)
            plan = reverse_mode(scratch, self.spec.output)
            for item in plan:
                scratch.define(item.name, item.expr)
        except GraphError as error:   # the starting point itself fails: name it as step 1 would
            raise GraphError(names.step_prefix(1) + error.name, error.message) from None
        return scratch, plan

    # -- the whole run -----------------------------------------------------------------
    def build(self) -> Trace:
        values: dict[str, float] = dict(self.spec.inputs)
        previous: dict[str, Ref] | None = None
        recorded, total, number = set(self.training.record), self.training.epochs, 1
        while number <= total:
            if number in recorded:
                previous = self._step(self.trace, number, values, previous)
                values.update({name: self.graph.values[ref.name] for name, ref in previous.items()})
                if number < total:
                    self.trace.section("after", f"After {_steps_text(number)}", 2, step=number)
                    self.trace.given(names.after_prefix(number) + self.spec.output, self._fast_path().output(values),
                                     "after_total", summary=True)
                number += 1
                continue
            end = min([step for step in recorded if step > number] + [total + 1])
            values, outputs = self._fast_path().run(values, number, end, self)
            title = f"Step {number:,}" if end - 1 == number else f"Steps {number:,} to {end - 1:,}"
            self.trace.section("losses", title, 2, first=number, last=end - 1)
            for offset, value in enumerate(outputs):
                if number + offset < total:
                    self.trace.given(names.after_prefix(number + offset) + self.spec.output, value, "after_total",
                                     summary=True)
            previous, number = None, end
        self._after(total, values, previous)
        facts = DescentFacts(self.spec, self.spec.output, self.inputs, tuple(name for name, _ in self.parsed),
                             self.parameters, total, frozen_mapping(dict(self.spec.inputs)), self.round_to)
        return self.trace.finish(self.spec.title or "Gradient descent, step by step", facts)

    def _fast_path(self) -> "_FastDescent":
        if self._fast is None:
            self._fast = _FastDescent(self)
        return self._fast

    # -- one recorded step ----------------------------------------------------------------
    def _step(self, trace: TraceBuilder, number: int, values: dict[str, float],
              previous: dict[str, Ref] | None) -> dict[str, Ref]:
        """Step `number` as named nodes; returns each parameter's node after it
        and the optimizer's carried buffers (`m_theta`)."""
        prefix = names.step_prefix(number)
        carried = tuple(ref.name for key, ref in (previous or {}).items() if key not in self.parameters)
        trace.section("descent_start", f"Step {number}: the starting values", 2, step=number, carried=carried)
        for name in self.inputs:
            moving = name in self.parameters
            if previous is not None and moving:
                trace.define(prefix + name, previous[name], "given", parameter=True)
            else:
                trace.given(prefix + name, values[name], "given", parameter=moving)
        buffers = self._starting_buffers(trace, number, values, previous)
        trace.section("descent_forward", f"Step {number}: the forward pass", 3, step=number)
        sources = dict(self.spec.nodes)
        for name, expr in self.parsed:
            trace.define(prefix + name, renamed(expr, prefix), "node", source=sources[name],
                         output=name == self.spec.output, step=number)
        trace.section("descent_backward", f"Step {number}: the gradients", 3, step=number)
        for item in self.plan:
            trace.define(prefix + item.name, renamed(item.expr, prefix), item.role, node=item.node,
                         argument=item.argument, terms=item.terms, step=number)
        trace.section("descent_update", f"Step {number}: the update", 3, step=number,
                      optimizer=self.rule.record.name)
        updated: dict[str, Ref] = {}
        for name in self.parameters:
            gradient = Ref(prefix + names.gradient(self.spec.output, name))
            new, carried = self.rule.write(trace, prefix, name, Ref(prefix + name), gradient, buffers.get(name),
                                           number, self.rule.decays(True))   # every parameter of a graph decays
            updated[name] = new
            updated.update({node_name(key, name): ref for key, ref in carried.items()})
        return updated

    def _starting_buffers(self, trace: TraceBuilder, number: int, values: dict[str, float],
                          previous: dict[str, Ref] | None) -> dict[str, dict[str, Ref]]:
        """As backprop.StepBuilder's: the step before's nodes, or given nodes
        `step1.m_theta` from the fast path; nothing on the first step."""
        carried = self.rule.record.carried
        found: dict[str, dict[str, Ref]] = {}
        for name in self.parameters:
            keys = [node_name(key, name) for key in carried]
            source = previous if previous is not None else values
            if not keys or not all(key in source for key in keys):
                continue
            if previous is not None:
                found[name] = {key: previous[node_name(key, name)] for key in carried}
            else:
                found[name] = {key: trace.given(names.step_prefix(number - 1) + node_name(key, name),
                                                values[node_name(key, name)], "given", buffer=key, parameter=name,
                                                carried=True)
                               for key in carried}
        return found

    def _after(self, number: int, values: dict[str, float], previous: dict[str, Ref] | None) -> None:
        """The inputs after the last step and the forward pass with them: `after{N}.f`."""
        prefix = names.after_prefix(number)
        self.trace.section("descent_after", f"After {_steps_text(number)}", 2, step=number)
        for name in self.inputs:
            if previous is not None and name in self.parameters:
                self.trace.define(prefix + name, previous[name], "given", parameter=True)
            else:
                self.trace.given(prefix + name, values[name], "given", parameter=name in self.parameters)
        for name, expr in self.parsed:
            self.trace.define(prefix + name, renamed(expr, prefix), "node", output=name == self.spec.output,
                              after=True)

    def replay(self, number: int, values: dict[str, float]) -> None:
        """A step the fast path found not finite, in a scratch trace: the graph names the value."""
        self._step(TraceBuilder(Graph(self.round_to)), number, values, None)


def _steps_text(number: int) -> str:
    return "one step" if number == 1 else f"{number:,} steps"


class _FastDescent:
    """Steps not recorded: the scratch graph compiled (straightline.compile_sample),
    the update compiled from the same expressions (fastpath_update.py)."""

    def __init__(self, descender: _Descender) -> None:
        from .fastpath import compile_optimizer
        from .straightline import SampleTemplate, compile_sample

        self.inputs = descender.inputs
        self.parameters = descender.parameters
        self.positions = [self.inputs.index(name) for name in self.parameters]
        output = descender.spec.output
        template = SampleTemplate(descender.scratch, self.inputs, (), (), output,
                                  tuple(names.gradient(output, name) for name in self.parameters))
        self.pass_ = compile_sample(template, descender.round_to)
        self.forward: Callable[..., float] = compile_sample(template, descender.round_to, loss_only=True)
        moving = [True] * len(self.parameters)
        self.optimizer = compile_optimizer(descender.rule, self.parameters, moving, descender.round_to, moving)

    def output(self, values: dict[str, float]) -> float:
        return float(self.forward([values[name] for name in self.inputs], (), ()))

    def run(self, values: dict[str, float], first: int, end: int,
            descender: _Descender) -> tuple[dict[str, float], list[float]]:
        """Steps first..end-1; the output after each. A step that is not finite
        is replayed in a scratch trace, which names the value."""
        point = [values[name] for name in self.inputs]
        state = self.optimizer.state_from(values)
        outputs: list[float] = []
        for number in range(first, end):
            start = {**dict(zip(self.inputs, point)), **dict(zip(self.optimizer.state_names, state or ()))}
            try:
                value, gradients = self.pass_(point, (), ())
                if number > first:
                    outputs.append(value)
                moved, state = self.optimizer.step([point[i] for i in self.positions], gradients, state, number)
                if not all(math.isfinite(x) for x in (value, *moved, *state)):
                    raise OverflowError
            except (OverflowError, ZeroDivisionError, ValueError):
                descender.replay(number, start)
                raise GraphError(names.step(number), "a value is not finite (overflow or NaN); "
                                                      "the learning rate may be too high") from None
            for position, x in zip(self.positions, moved):
                point[position] = x
        result = {**values, **dict(zip(self.inputs, point)), **dict(zip(self.optimizer.state_names, state or ()))}
        if end > first:
            try:
                outputs.append(self.output(result))
            except (OverflowError, ZeroDivisionError, ValueError):
                raise GraphError(names.after_prefix(end - 1) + descender.spec.output, "a value is not finite") from None
        return result, outputs
