"""A layer kind as a registry record, and the one sample's pass it writes into.

A record says how a layer of its kind writes its nodes into a training step:
its forward nodes (net input, output, …), its backward nodes (the factors of
the chain rule, the delta, each weight's gradient), how the gradient goes
back to the layer below it, and the gradient of the inputs when it is the
first layer. The step builder (backprop.py) only walks the layers and asks
each record in turn, so a new kind plugs in beside dense without touching
the others. The spec-level facts (the kind's name, its keys) are its
`choice`, from spec/choices.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from ...spec import names
from ...spec.choices import LayerChoice
from ..expressions import Expr, Ref
from ..trace import TraceBuilder

if TYPE_CHECKING:
    from ...spec.model import Layer, NetworkSpec
    from ..parameters import Mistakes, Parameters


class Builder(Protocol):
    """What a layer record may ask of the step builder (backprop.StepBuilder)."""

    spec: "NetworkSpec"
    names: "Parameters"
    mistakes: "Mistakes"
    bare: bool

    def depth(self, ctx: dict) -> int: ...

    def path_weight(self, weight: str, run: "SamplePass") -> Expr: ...

    def write_bare_update(self, trace: TraceBuilder, name: str, params: dict[str, Ref], gradient: Ref) -> None: ...

    def loss_term_expr(self, trace: TraceBuilder, targets: list[Ref], outs: list[Ref], k: int) -> Expr: ...

    def loss_gradient_expr(self, trace: TraceBuilder, targets: list[Ref], outs: list[Ref], k: int) -> Expr: ...


@dataclass
class SamplePass:
    """One sample's pass inside one step: where its nodes go and what they read.

    `prefix` is the sample's name prefix (`step1.sample2.`, or '' in Mazur's
    bare step); `context` (sample, step, after) goes on every node and section;
    `gradients` collects each parameter's gradient node as the backward pass
    writes it (the hidden-delta convention `updated_weights` reads them);
    `outs` each layer's outputs (inputs first), as the forward pass wrote them."""

    builder: Builder
    trace: TraceBuilder
    prefix: str
    params: dict[str, Ref]
    context: dict[str, Any]
    gradients: dict[str, Ref] = field(default_factory=dict)
    outs: list[list[Ref]] = field(default_factory=list)   # each layer's outputs, once the forward pass is written

    @property
    def spec(self) -> "NetworkSpec":
        return self.builder.spec

    @property
    def names(self) -> "Parameters":
        return self.builder.names

    @property
    def mistakes(self) -> "Mistakes":
        return self.builder.mistakes

    def layer(self, l: int) -> "Layer":
        return self.builder.spec.layers[l]

    def depth(self) -> int:
        """The heading level of this pass's sections."""
        return self.builder.depth(self.context)

    def define(self, name: str, expr: Expr, kind: str, aliases: tuple[str, ...] = (), **context: Any) -> Ref:
        """A node of this sample: its prefix and context added."""
        prefix = self.prefix
        if aliases:
            aliases = tuple(prefix + a for a in aliases)
        return self.trace.define(prefix + name, expr, kind, aliases, **context, **self.context)

    def gradient(self, name: str, expr: Expr, kind: str, **context: Any) -> Ref:
        """dE_total/d<name> of this sample's parameter, kept for the conventions that read it."""
        ref = self.define(names.total_gradient(name), expr, kind, **context)
        self.gradients[name] = ref
        return ref


# The gradient of the error with respect to unit j's output, written on demand:
# at the top from the loss, below from the layer above (its record's send_back).
GradientSource = Callable[[int], Ref]


@dataclass(frozen=True)
class LayerRecord:
    """Everything about one kind of layer.

    forward(run, l, below, heading): writes layer l's forward nodes from the
    outputs `below` of layer l - 1; returns the layer's outputs, one per unit.
    backward(run, l, outs, source, is_output): writes layer l's backward nodes,
    asking `source(j)` for dE_total/dout of unit j; returns what the layer
    sends back through (its deltas; a pooling layer: its output gradients).
    send_back(run, l, j, upstream): the node dE_total/dout of unit j of layer
    l - 1, from layer l's `upstream` (written in the lower layer's section).
    input_terms(run, i, upstream): the terms of dE_total/d<input i> when this
    is the first layer (always through the original weights).
    in_sequences: the kind acts at every time step of a sequence network
    (sequence.py unrolls it; an rnn layer also reads its own step before).
    """

    choice: LayerChoice
    forward: Callable[[SamplePass, int, list[Ref], str], list[Ref]]
    backward: Callable[[SamplePass, int, list[list[Ref]], GradientSource, bool], list[Ref]]
    send_back: Callable[[SamplePass, int, int, list[Ref]], Ref]
    input_terms: Callable[[SamplePass, int, list[Ref]], list[Expr]]
    in_sequences: bool = False

    @property
    def name(self) -> str:
        return self.choice.name
