"""One training step of a network as named nodes, in Mazur's order.

nn.py runs the training (which steps are shown, the fast path between
them); this module writes the nodes of one shown step into a trace: per
sample the forward pass, the error and the backward pass, then the samples
combined and the updates, and the forward pass again after the updates.
Each layer's own nodes are written by the record of its kind
(engine/layers/: dense.py is Mazur's layer); this module walks the layers,
owns the loss, the reduction and the updates.

Each quantity a person computes by hand (net input, squashed output, the
factors of the chain rule, the delta, each weight's gradient and update) is
its own named node whose expression refers to the earlier named nodes. That
is what lets a grader recompute any one answer from a student's own earlier
answers, and what lets a diagnosis re-run the whole walkthrough with one
mistake switched on (`Mistakes`) instead of guessing with special formulas.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..spec import names
from ..spec.model import Layer, NetworkSpec
from .expressions import Add, Div, Expr, Mul, Num, Ref, Sub, sum_of
from .layers import sequence
from .layers.record import SamplePass
from .ops import LAYERS, LOSSES
from .trace import TraceBuilder
from .update import UpdateRule, node_name

if TYPE_CHECKING:
    from .parameters import Mistakes, Parameters

ETA = r"\eta"


@dataclass(frozen=True)
class SampleOutcome:
    """A sample's loss node and the node of its gradient of each parameter;
    the names (without prefix) of its inputs and targets, in the order of the
    sample's numbers (the fast path binds them)."""

    loss: Ref
    gradients: dict[str, Ref]
    inputs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()


class StepBuilder:
    """Writes the nodes of training steps into a trace. `bare`: Mazur's one
    step on one sample, whose names have no step or sample prefix."""

    def __init__(self, spec: NetworkSpec, names: Parameters, mistakes: Mistakes, bare: bool) -> None:
        self.spec = spec
        self.names = names
        self.mistakes = mistakes
        self.bare = bare
        self.eta = Num(spec.learning_rate, ETA)
        self.rule = UpdateRule.of(spec.training.optimizer, spec.learning_rate, mistakes)
        self._buffers: dict[str, dict[str, Ref]] = {}   # the carried buffers the current step starts from

    # -- one training step -----------------------------------------------------
    def step(self, trace: TraceBuilder, number: int, batch: tuple[int, ...],
             values: dict[str, float], previous: dict[str, Ref] | None) -> dict[str, Ref]:
        """Step `number` on the samples `batch`, starting from `values` (or,
        when the step before was shown too, from its nodes `previous`).
        Both hold the parameters by name and the optimizer's carried buffers
        (`m_w5`: the value after step number - 1). Returns each parameter's
        node after the step, and each carried buffer's."""
        step_prefix = "" if self.bare else names.step_prefix(number)
        carried = tuple(ref.name for key, ref in (previous or {}).items() if key not in self.names.all_names())
        trace.section("network", "The network" if self.bare else f"Step {number}: the starting values",
                      2, step=number, batch=[index + 1 for index in batch], carried=carried)
        params: dict[str, Ref] = {}
        for name in self.names.all_names():
            if previous is not None:
                params[name] = trace.define(step_prefix + name, previous[name], "given", parameter=True)
            else:
                params[name] = trace.given(step_prefix + name, values[name], "given", parameter=True)
        self._buffers = self._starting_buffers(trace, number, values, previous)
        sample_grads: dict[str, list[Ref]] = {name: [] for name in self.names.all_names()}
        sample_losses: list[Ref] = []
        for index in batch:
            sample_prefix = "" if self.bare else names.sample_prefix(number, index + 1)
            outcome = self.sample(trace, sample_prefix, index, params, number)
            sample_losses.append(outcome.loss)
            for name, ref in outcome.gradients.items():
                sample_grads[name].append(ref)
        if self.bare:
            return {name: Ref(names.updated(name)) if self.updates(name) else params[name] for name in params}
        return self._reduce_and_update(trace, step_prefix, number, params, sample_grads, sample_losses)

    def updates(self, name: str) -> bool:
        return name.startswith("w") or self.spec.update_biases

    def _starting_buffers(self, trace: TraceBuilder, number: int, values: dict[str, float],
                          previous: dict[str, Ref] | None) -> dict[str, dict[str, Ref]]:
        """Each parameter's carried buffers as step `number` finds them: the
        nodes of the step before when it was shown, else given nodes named as
        that step's (`step1.m_w5`, from the fast path). Empty on the first step."""
        carried = self.rule.record.carried
        found: dict[str, dict[str, Ref]] = {}
        for name in self.names.all_names():
            keys = [node_name(key, name) for key in carried]
            if not keys or not self.updates(name) or not all(key in (previous or values) for key in keys):
                continue
            if previous is not None:
                found[name] = {key: previous[node_name(key, name)] for key in carried}
            else:
                found[name] = {key: trace.given(names.step_prefix(number - 1) + node_name(key, name), values[node_name(key, name)],
                                                "given", buffer=key, parameter=name, carried=True)
                               for key in carried}
        return found

    def _write_update(self, trace: TraceBuilder, prefix: str, number: int, name: str, params: dict[str, Ref],
                      gradient: Ref, updated: dict[str, Ref]) -> None:
        """p+ (and the optimizer's nodes before it) into `updated`, with the carried buffers by their bare names."""
        decays = self.rule.decays(name.startswith("w"))
        new, buffers = self.rule.write(trace, prefix, name, params[name], gradient, self._buffers.get(name), number,
                                       decays)
        updated[name] = new
        for key, ref in buffers.items():
            updated[node_name(key, name)] = ref

    def _weights(self, params: dict[str, Ref]) -> list[Ref]:
        return [params[name] for name in self.names.weight_names()]

    def _reduce(self, refs: list[Ref]) -> Expr:
        if len(refs) == 1 and self.spec.reduction == "sum":
            return refs[0]
        total = sum_of(refs)
        return Div(total, Num(float(len(refs)))) if self.spec.reduction == "mean" else total

    def _reduce_and_update(self, trace: TraceBuilder, prefix: str, number: int, params: dict[str, Ref],
                           sample_grads: dict[str, list[Ref]], sample_losses: list[Ref]) -> dict[str, Ref]:
        samples = len(sample_losses)  # one (online, one-sample runs): nothing to combine, say so
        trace.section("reduce", f"Step {number}: the update" if samples == 1
                      else f"Step {number}: combining the samples ({self.spec.reduction})", 2, step=number)
        loss = trace.define(prefix + names.E_TOTAL, self._reduce(sample_losses), "step_loss", samples=samples)
        if self.rule.regularized:
            trace.define(prefix + "E_reg", self.rule.regularized_loss(loss, self._weights(params)), "regularized_loss")
        updated = dict(params)
        for name, refs in sample_grads.items():
            gradient = trace.define(prefix + names.total_gradient(name), self._reduce(refs), "step_gradient", parameter=name,
                                    samples=samples)
            if self.updates(name):
                self._write_update(trace, prefix, number, name, params, gradient, updated)
        return updated

    def _update_expr(self, parameter: Ref, gradient: Ref) -> Expr:
        step = Mul((self.eta, gradient))
        return Add((parameter, step)) if self.mistakes.wrong_sign else Sub(parameter, step)

    # -- one sample: forward, error, backward ------------------------------------
    def sample(self, trace: TraceBuilder, p: str, index: int, params: dict[str, Ref], number: int) -> SampleOutcome:
        spec = self.spec
        sample = spec.samples[index]
        sample_number = None if self.bare else index + 1
        ctx = {"sample": sample_number, "step": number}
        trace.section("sample", "The sample" if self.bare else f"Sample {index + 1}", 2 if self.bare else 3, **ctx)
        run = SamplePass(self, trace, p, params, ctx)
        if spec.sequence:
            timeline, targets_at, input_names, target_names = sequence.givens(run, sample)
            sequence.forward(run, timeline, sample.steps, heading="The forward pass")
            loss = sequence.error(run, timeline, targets_at)
            self._regularized(trace, loss, params, ctx)
            gradients = sequence.backward(run, timeline, targets_at, sample.steps)
            return SampleOutcome(loss, gradients, input_names, target_names)
        inputs = [trace.given(p + spec.layers[0].neuron(i), x, "given", role="input", **ctx)
                  for i, x in enumerate(sample.inputs)]
        output_layer = spec.layers[-1]
        targets = [trace.given(p + names.target(output_layer.neuron(k)), t, "given", role="target", **ctx)
                   for k, t in enumerate(sample.targets)]
        outs = self._forward(run, inputs, heading="The forward pass")
        loss = self._error(trace, p, outs[-1], targets, ctx)
        self._regularized(trace, loss, params, ctx)
        gradients = self._backward(run, outs, targets)
        return SampleOutcome(loss, gradients, tuple(ref.name[len(p):] for ref in inputs),
                             tuple(ref.name[len(p):] for ref in targets))

    def _regularized(self, trace: TraceBuilder, loss: Ref, params: dict[str, Ref], ctx: dict) -> None:
        if self.bare and self.rule.regularized:
            trace.define("E_reg", self.rule.regularized_loss(loss, self._weights(params)), "regularized_loss", **ctx)

    def _forward(self, run: SamplePass, inputs: list[Ref], heading: str) -> list[list[Ref]]:
        """Each layer's record writes its forward nodes from the outputs below it."""
        outs = run.outs
        outs.append(inputs)
        for l, layer in enumerate(self.spec.layers[1:], start=1):
            outs.append(LAYERS.get(layer.kind).forward(run, l, outs[-1], heading))
        return outs

    def depth(self, ctx: dict) -> int:
        """Heading level: the top level for Mazur's one step on one sample,
        under "After …" one deeper, under a sample's own heading deeper still."""
        if ctx.get("sample") is not None:
            return 4
        return 3 if ctx.get("after") or not self.bare else 2

    def _error(self, trace: TraceBuilder, p: str, outs: list[Ref], targets: list[Ref], ctx: dict) -> Ref:
        trace.section("error", "The total error", self.depth(ctx), loss=self.spec.loss, **ctx)
        layer = self.spec.layers[-1]
        terms = [trace.define(p + names.error(layer.neuron(k)), self.loss_term_expr(trace, targets, outs, k),
                              "loss_term", loss=self.spec.loss, **ctx)
                 for k in range(len(outs))]
        return trace.define(p + names.E_TOTAL, sum_of(terms), "loss_total", **ctx)

    def _backward(self, run: SamplePass, outs: list[list[Ref]], targets: list[Ref]) -> dict[str, Ref]:
        """From the top layer down, each layer's record writes its backward
        nodes; the gradient at a unit's output comes from the loss at the top
        and, below, from the layer above (its record's send_back)."""
        layers = self.spec.layers
        upstream: list[Ref] = []  # what the layer above sends back through
        for l in range(len(layers) - 1, 0, -1):
            is_output = l == len(layers) - 1
            if is_output:
                def source(j: int, l: int = l) -> Ref:
                    return self._loss_gradient(run.trace, run.prefix, layers[l], j, targets, outs[l], run.context)
            else:
                def source(j: int, above: int = l + 1, upstream: list[Ref] = upstream) -> Ref:
                    return LAYERS.get(layers[above].kind).send_back(run, above, j, upstream)
            upstream = LAYERS.get(layers[l].kind).backward(run, l, outs, source, is_output)
        self._input_gradients(run, upstream)
        return run.gradients

    def _loss_gradient(self, trace: TraceBuilder, p: str, layer: Layer, k: int, targets: list[Ref], outs: list[Ref],
                       ctx: dict) -> Ref:
        return trace.define(p + names.total_gradient(names.out(layer.neuron(k))),
                            self.loss_gradient_expr(trace, targets, outs, k),
                            "dE_dout", loss=self.spec.loss, **ctx)

    def loss_term_expr(self, trace: TraceBuilder, targets: list[Ref], outs: list[Ref], k: int) -> Expr:
        """E of output k, as the spec's loss and the mistakes make it."""
        values = [trace.graph.values[target.name] for target in targets]
        return self._halved(_loss_term(self.spec, targets, outs, values, k))

    def loss_gradient_expr(self, trace: TraceBuilder, targets: list[Ref], outs: list[Ref], k: int) -> Expr:
        """dE_total/dout_k, as the spec's loss and the mistakes make it."""
        values = [trace.graph.values[target.name] for target in targets]
        return self._halved(_loss_derivative(self.spec, targets, outs, values, k))

    def _halved(self, expr: Expr) -> Expr:
        """The mistake `half_twice`: 1/2 applied again (E = 1/4 (t - o)^2)."""
        return Mul((Num(0.5), expr)) if self.mistakes.half_twice else expr

    def path_weight(self, weight: str, run: SamplePass) -> Expr:
        """The weight a hidden delta goes back through: the original one, or
        (the older Mazur code) the one already moved by this sample's gradient."""
        if self.spec.hidden_deltas_use == "original_weights":
            return run.params[weight]
        if self.bare:
            return Ref(weight + "+")
        return self._update_expr(run.params[weight], run.gradients[weight])

    def write_bare_update(self, trace: TraceBuilder, name: str, params: dict[str, Ref], gradient: Ref) -> None:
        """Mazur's bare step updates each parameter right after its gradient;
        a step of a longer run updates after combining its samples (_reduce_and_update)."""
        if self.bare:
            self._write_update(trace, "", 1, name, params, gradient, {})

    def _input_gradients(self, run: SamplePass, deltas: list[Ref]) -> None:
        """dE_total/di: reported for the curious, always through the original weights."""
        run.trace.section("inputs", "The gradient with respect to the inputs", run.depth(), **run.context)
        first = LAYERS.get(self.spec.layers[1].kind)
        for i in range(self.spec.layers[0].size):
            run.define(names.total_gradient(self.spec.layers[0].neuron(i)), sum_of(first.input_terms(run, i, deltas)),
                       "grad_input")

    # -- after the updates ---------------------------------------------------------
    def after(self, trace: TraceBuilder, number: int, values: dict[str, float],
              params: dict[str, Ref] | None) -> Ref:
        """The forward pass over all samples with the updated parameters."""
        prefix = names.after_prefix(number)
        trace.section("after", f"After {updates_text(number)}", 2, step=number)
        after_params = {}
        for name in self.names.all_names():
            after_params[name] = (trace.define(prefix + name, params[name], "given", parameter=True) if params is not None
                                  else trace.given(prefix + name, values[name], "given", parameter=True))
        losses = []
        several = len(self.spec.samples) > 1
        for index, sample in enumerate(self.spec.samples):
            p = names.after_prefix(number, index + 1) if several else prefix
            ctx = {"sample": index + 1 if several else None, "step": number, "after": True}
            if several:
                trace.section("sample", f"Sample {index + 1} with the updated parameters", 3, **ctx)
            if self.spec.sequence:
                run = SamplePass(self, trace, p, after_params, ctx)
                timeline, targets_at, _, _ = sequence.givens(run, sample)
                sequence.forward(run, timeline, sample.steps, heading="The forward pass again")
                losses.append(sequence.error(run, timeline, targets_at))
                continue
            inputs = [trace.given(p + self.spec.layers[0].neuron(i), x, "given", role="input", **ctx)
                      for i, x in enumerate(sample.inputs)]
            targets = [trace.given(p + names.target(self.spec.layers[-1].neuron(k)), t, "given", role="target", **ctx)
                       for k, t in enumerate(sample.targets)]
            outs = self._forward(SamplePass(self, trace, p, after_params, ctx), inputs, heading="The forward pass again")
            losses.append(self._error(trace, p, outs[-1], targets, ctx))
        if several:
            trace.section("after_total", f"The total error after {updates_text(number)}", 3, step=number)
        total = trace.define(prefix + names.E_TOTAL, self._reduce(losses), "after_total") if several else losses[0]
        if self.rule.regularized:
            trace.define(prefix + "E_reg", self.rule.regularized_loss(total, self._weights(after_params)),
                         "regularized_loss", step=number, after=True)
        return total


def updates_text(number: int) -> str:
    return "one update" if number == 1 else f"{number:,} updates"


def _loss_term(spec: NetworkSpec, targets: list[Ref], outs: list[Ref], values: list[float], k: int) -> Expr:
    """E_ok: from its own target and output, or (multiclass_hinge) from the whole sample's."""
    record = LOSSES.get(spec.loss)
    if record.layer_term is not None:
        return record.layer_term(targets, outs, values, k, dict(spec.loss_options))
    return record.term(targets[k], outs[k], len(outs), dict(spec.loss_options))


def _loss_derivative(spec: NetworkSpec, targets: list[Ref], outs: list[Ref], values: list[float], k: int) -> Expr:
    """dE_total/dout_k; for a loss reading every output, summed over every E_oj it enters."""
    record = LOSSES.get(spec.loss)
    if record.layer_derivative is not None:
        return record.layer_derivative(targets, outs, values, k, dict(spec.loss_options))
    return record.derivative(targets[k], outs[k], len(outs), dict(spec.loss_options))
