"""What a walkthrough is about, as typed frozen records (not a dict of strings).

The trace holds the numbers; these facts hold what the prose and the figures
need besides them: the spec, how the run went (steps, the starting values,
the exact run beside a hand-rounded one), and for a computation graph its
output, mode and gradient check. A reader asks `isinstance(facts,
NetworkFacts)` instead of `facts.get("kind")`, and a misspelt field is an
AttributeError at once instead of a silent None.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Mapping

from ..spec.model import GraphSpec, NetworkSpec
from .parameters import Parameters


def frozen_mapping(values: Mapping[str, float]) -> Mapping[str, float]:
    """A read-only view of a copy: a record's mapping cannot be changed by its reader."""
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class ExactRun:
    """Hand-calculation mode: the same run unrounded (for the drift table)."""

    parameters: Mapping[str, float]   # each parameter after the last update
    loss: float                       # the total loss after the last update


@dataclass(frozen=True)
class ComparedRun:
    """The same run with another optimizer (`compare`, SPEC.md §6 as the README
    extends it): the loss (a graph: the output) after each step, for the overlay."""

    optimizer: str
    losses: tuple[float, ...]         # after step 1, 2, …; shorter when the run failed
    failed: str | None = None         # why the run stopped (an overflow), or None


@dataclass(frozen=True)
class NetworkFacts:
    spec: NetworkSpec
    bare: bool                        # one step on one sample: names without prefixes
    steps: int                        # updates in the whole run
    parameters: Parameters
    initial: Mapping[str, float]      # each parameter before step 1
    round_to: int | None
    exact: ExactRun | None            # only in hand-calculation mode
    comparison: tuple[ComparedRun, ...] = ()   # the other optimizers of `compare`
    kind: Literal["network"] = "network"


@dataclass(frozen=True)
class GradientCheck:
    """One input's gradient against a central difference."""

    input: str
    gradient: str                     # the name of the gradient value
    analytic: float
    numeric: float | None             # None: the output could not be recomputed
    step: float                       # h
    difference: float | None
    agrees: bool | None
    problem: str | None               # why it could not be recomputed


@dataclass(frozen=True)
class GraphFacts:
    spec: GraphSpec
    output: str
    inputs: tuple[str, ...]
    nodes: tuple[str, ...]
    mode: str                         # "reverse" or "forward"
    wrt: str | None                   # forward mode: the input differentiated by
    round_to: int | None
    tie_rule: str                     # max/min on a tie: "first"
    gradients: tuple[str, ...]        # the names of the derivatives of the output checked
    functions: tuple[str, ...]        # the functions the nodes call, sorted
    gradient_check: tuple[GradientCheck, ...] | None
    kind: Literal["graph"] = "graph"


@dataclass(frozen=True)
class DescentFacts:
    """Gradient descent on some inputs of a computation graph (SPEC.md §6)."""

    spec: GraphSpec
    output: str
    inputs: tuple[str, ...]
    nodes: tuple[str, ...]
    parameters: tuple[str, ...]       # the inputs that move
    steps: int
    initial: Mapping[str, float]      # every input before step 1
    round_to: int | None
    comparison: tuple[ComparedRun, ...] = ()   # the other optimizers of `compare`
    kind: Literal["descent"] = "descent"


Facts = NetworkFacts | GraphFacts | DescentFacts
