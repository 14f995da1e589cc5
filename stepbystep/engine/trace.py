"""The trace: the graph's nodes in the order a person would compute them.

A Step is one node plus what a reader needs to present it (what kind of
quantity it is, which section it belongs to, its aliases and notes). The
Markdown, HTML, answer key and grader all read this one record.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from .facts import Facts
from .expressions import Expr, Ref
from .graph import Graph, Node


@dataclass(frozen=True)
class Step:
    name: str                 # canonical name, with its step/sample prefix
    kind: str                 # given, net, out, loss_term, loss_total, dE_dout, ...
    expr: Expr | None
    value: float
    inputs: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    note: str | None = None
    context: dict[str, Any] = field(default_factory=dict, compare=False)

    def revalued(self, value: float, note: str | None) -> "Step":
        """The same step with another value and note, sharing the rest (a
        context is never changed once made). engine/replay.py makes about 100
        of these per variant; the frozen dataclass's own __init__ costs five
        times as much, so the copy is made field by field."""
        copy = object.__new__(Step)
        fields = copy.__dict__
        fields.update(self.__dict__)
        fields["value"] = value
        fields["note"] = note
        return copy


@dataclass(frozen=True)
class Section:
    kind: str                 # network, forward, error, output_layer, hidden_layer, ...
    title: str
    level: int
    steps: tuple[Step, ...]
    context: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Trace:
    """The finished walkthrough: sections of steps over one graph, plus the
    facts (conventions, run data) the prose needs. Read-only for every reader."""

    title: str
    graph: Graph
    sections: tuple[Section, ...]
    facts: Facts              # what the prose and figures need besides the numbers
    aliases: dict[str, str]   # alias -> canonical name

    def steps(self) -> Iterator[Step]:
        for section in self.sections:
            yield from section.steps

    def names(self) -> list[str]:
        """Canonical names of every named value, in trace order."""
        return [step.name for step in self.steps()]

    def value(self, name: str) -> float:
        return self.graph.values[self.aliases.get(name, name)]

    def node(self, name: str) -> Node:
        return self.graph.nodes[self.aliases.get(name, name)]

    def answers(self) -> dict[str, float]:
        """Every named value in trace order (SPEC.md §2), full precision."""
        return {name: self.graph.values[name] for name in self.names()}


class TraceBuilder:
    """Collects nodes into sections as the network or graph builder goes."""

    def __init__(self, graph: Graph, notes: dict[str, str] | None = None) -> None:
        self.graph = graph
        self.notes = dict(notes or {})
        self.sections: list[Section] = []
        self.aliases: dict[str, str] = {}
        self._open: tuple[str, str, int, dict[str, Any]] | None = None
        self._steps: list[Step] = []

    def section(self, kind: str, title: str, level: int = 2, **context: Any) -> None:
        self._close()
        self._open = (kind, title, level, context)

    def given(self, name: str, value: float, kind: str = "given", **context: Any) -> Ref:
        ref = self.graph.given(name, value)
        self._record(name, kind, context, ())
        return ref

    def define(self, name: str, expr: Expr, kind: str, aliases: tuple[str, ...] = (), **context: Any) -> Ref:
        ref = self.graph.define(name, expr)
        self._record(name, kind, context, aliases)
        return ref

    def _record(self, name: str, kind: str, context: dict[str, Any], aliases: tuple[str, ...]) -> None:
        node = self.graph.nodes[name]
        if aliases:
            for alias in aliases:
                self.aliases[alias] = name
        self._steps.append(Step(name, kind, node.expr, node.value, node.inputs, aliases,
                                self.notes.get(name) if self.notes else None, context))

    def _close(self) -> None:
        if self._open is not None:
            kind, title, level, context = self._open
            self.sections.append(Section(kind, title, level, tuple(self._steps), context))
        self._steps = []

    def finish(self, title: str, facts: Facts) -> Trace:
        self._close()
        self._open = None
        return Trace(title, self.graph, tuple(self.sections), facts, dict(self.aliases))
