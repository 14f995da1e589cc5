"""Compile once, evaluate many: traces of networks that differ only in their numbers.

The variants of one exercise differ only in the numbers a spec gives
(weights, biases, inputs, targets), and a grader re-runs every variant with
each known mistake. In a run of one step on one batch of a dense network
whose loss is written per output, the builder (nn.py, backprop.py) reads
those numbers only to make given nodes: every other node is the same
expression of earlier nodes whatever the numbers are. So its nodes are built
once per shape, and each spec of that shape gets its own graph: the shape's
nodes compiled once to straight-line Python (straightline.py, Expr.evaluate's
float operations in the same order) and evaluated for the spec's numbers; in
hand-rounding mode, or where a value fails, by `Graph.given` and
`Graph.define` node by node, which round as a build does and name the value
that fails. Either way the same values and errors as a build of its own.

That is checked, not assumed, once per shape: the template is built from
the spec with every number replaced by a distinct probe value (and another
title), and must equal the spec's own build in everything but the values;
each given node's probe value says which number of the spec it holds. A
shape that fails a check, or that the rule above does not cover, is built
in full every time. tests/test_replay.py compares replayed and built traces.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Sequence

from ..spec.model import NetworkSpec, Spec
from .graph import Graph
from .nn import build_trace, run_facts, trace_title, training_plan
from .ops import LOSSES
from .parameters import NO_MISTAKES, Mistakes
from .straightline import compile_graph
from .trace import Section, Step, Trace

PROBE_STEP = 2.0 ** -7   # probe numbers 1/128, 2/128, …: exact, distinct, and small


def spec_numbers(spec: NetworkSpec) -> list[float]:
    """The numbers a spec gives, in a fixed order: each layer's weights and
    bias, then each sample's inputs and targets."""
    numbers: list[float] = []
    for layer in spec.layers[1:]:
        for row in layer.weights:
            numbers.extend(row)
        if isinstance(layer.bias, tuple):
            numbers.extend(layer.bias)
        elif layer.bias is not None:
            numbers.append(layer.bias)
    for sample in spec.samples:
        numbers.extend(sample.inputs)
        numbers.extend(sample.targets)
    return numbers


def with_numbers(spec: NetworkSpec, numbers: list[float]) -> NetworkSpec:
    """The spec with its numbers (in spec_numbers' order) replaced."""
    stream = iter(numbers)
    layers = [spec.layers[0]]
    for layer in spec.layers[1:]:
        weights = tuple(tuple(next(stream) for _ in row) for row in layer.weights)
        bias: Any = layer.bias
        if isinstance(bias, tuple):
            bias = tuple(next(stream) for _ in bias)
        elif bias is not None:
            bias = next(stream)
        layers.append(replace(layer, weights=weights, bias=bias))
    samples = tuple(replace(sample, inputs=tuple(next(stream) for _ in sample.inputs),
                            targets=tuple(next(stream) for _ in sample.targets)) for sample in spec.samples)
    return replace(spec, layers=tuple(layers), samples=samples)


def covered(spec: Spec, round_to: int | None, mistakes: Mistakes) -> bool:
    """The runs whose builder reads the spec's numbers only into given nodes:
    one training step (no fast path, no carried values), dense layers only,
    and a loss written per output (a loss over the whole layer reads the
    targets' values). Hand rounding is covered: Graph.define rounds, and the
    facts (with the exact run beside it) are the build's own (run_facts)."""
    if not isinstance(spec, NetworkSpec):
        return False
    if len(training_plan(spec)) != 1 or 1 not in spec.training.record:
        return False
    if any(layer.kind != "dense" or layer.recurrent or layer.initial for layer in spec.layers[1:]):
        return False
    loss = LOSSES.get(spec.loss)
    return loss.layer_term is None and loss.layer_derivative is None


def shape_key(spec: NetworkSpec, round_to: int | None, mistakes: Mistakes) -> str:
    """Everything a build reads but the numbers and the title."""
    blank = replace(with_numbers(spec, [0.0] * len(spec_numbers(spec))), title=None, source="")
    return repr((blank, round_to, mistakes))


class _Template:
    """One shape's nodes, and which of a spec's numbers each given node holds."""

    def __init__(self, trace: Trace, positions: dict[str, int]) -> None:
        self.trace = trace
        self.positions = positions
        self._compiled: Callable[[Sequence[float]], tuple[float, ...]] | None = None

    def replay(self, spec: NetworkSpec, round_to: int | None, mistakes: Mistakes) -> Trace:
        numbers = spec_numbers(spec)
        graph = self._compiled_graph(numbers) if round_to is None else None
        if graph is None:
            graph = self._graph_node_by_node(numbers, round_to)
        values, notes = graph.values, spec.notes
        sections = tuple(
            Section(section.kind, section.title, section.level,
                    tuple(step.revalued(values[step.name], notes.get(step.name)) for step in section.steps),
                    dict(section.context))
            for section in self.trace.sections)
        return Trace(trace_title(spec), graph, sections, run_facts(spec, round_to, mistakes), dict(self.trace.aliases))

    def _compiled_graph(self, numbers: list[float]) -> Graph | None:
        """The shape's nodes evaluated at once by their compiled form
        (straightline.py); None where a value fails, for the node-by-node
        build to name it."""
        if self._compiled is None:
            self._compiled = compile_graph(self.trace.graph, self.positions)
        try:
            values = self._compiled(numbers)
        except (ArithmeticError, ValueError):
            return None
        if not all(map(math.isfinite, values)):
            return None
        graph = Graph()
        graph.adopt(self.trace.graph, values)
        return graph

    def _graph_node_by_node(self, numbers: list[float], round_to: int | None) -> Graph:
        """Graph.given and Graph.define_again in the shape's order: the same
        arithmetic, rounding and errors as a build of its own."""
        graph = Graph(round_to)
        for node in self.trace.graph.nodes.values():
            if node.expr is None:
                graph.given(node.name, numbers[self.positions[node.name]])
            else:
                graph.define_again(node)
        return graph


def _template(spec: NetworkSpec, built: Trace, round_to: int | None, mistakes: Mistakes) -> _Template | None:
    """The shape's template, checked against the spec's own build; None when a check fails."""
    count = len(spec_numbers(spec))
    probe = [PROBE_STEP * (index + 1) for index in range(count)]
    try:
        trace = build_trace(replace(with_numbers(spec, probe), title=f"{spec.title} (probe)"), round_to, mistakes)
    except (ArithmeticError, ValueError):
        return None
    position_of = {value: index for index, value in enumerate(probe)}
    positions = {}
    for node in trace.graph.nodes.values():
        if node.expr is None:
            if node.value not in position_of:
                return None   # a given value that is not one of the spec's numbers: computed
            positions[node.name] = position_of[node.value]
    if not _same_shape(trace, built):
        return None
    return _Template(trace, positions)


def _same_shape(one: Trace, other: Trace) -> bool:
    """Everything but the values (and the title) alike."""
    if one.aliases != other.aliases or len(one.sections) != len(other.sections):
        return False
    if [(node.name, node.expr, node.inputs) for node in one.graph.nodes.values()] != \
            [(node.name, node.expr, node.inputs) for node in other.graph.nodes.values()]:
        return False
    for mine, theirs in zip(one.sections, other.sections):
        if (mine.kind, mine.title, mine.level, mine.context) != (theirs.kind, theirs.title, theirs.level, theirs.context):
            return False
        if [_without_value(step) for step in mine.steps] != [_without_value(step) for step in theirs.steps]:
            return False
    return True


def _without_value(step: Step) -> tuple[Any, ...]:
    return (step.name, step.kind, step.expr, step.inputs, step.aliases, step.note, step.context)


class TraceCache:
    """Network traces by shape: the first spec of a shape is built in full;
    when a second one comes, the probe build is checked against the first
    and, passing, replayed for it and every later one (a shape asked for once
    costs one build, as without the cache). Any other spec is built as always."""

    def __init__(self) -> None:
        self._first: dict[str, tuple[NetworkSpec, Trace]] = {}
        self._templates: dict[str, _Template | None] = {}

    def build(self, spec: Spec, round_to: int | None = None, mistakes: Mistakes = NO_MISTAKES) -> Trace:
        if not covered(spec, round_to, mistakes):
            return _build(spec, round_to, mistakes)
        assert isinstance(spec, NetworkSpec)
        key = shape_key(spec, round_to, mistakes)
        if key not in self._templates:
            if key not in self._first:
                built = build_trace(spec, round_to, mistakes)
                self._first[key] = (spec, built)
                return built
            first, built = self._first.pop(key)
            self._templates[key] = _template(first, built, round_to, mistakes)
        template = self._templates[key]
        if template is None:
            return build_trace(spec, round_to, mistakes)
        return template.replay(spec, round_to, mistakes)


def _build(spec: Spec, round_to: int | None, mistakes: Mistakes) -> Trace:
    if isinstance(spec, NetworkSpec):
        return build_trace(spec, round_to, mistakes)
    from .build import build_trace as any_trace

    return any_trace(spec, round_to)
