"""One training step of a dense network as named nodes, in Mazur's order.

nn.py runs the training (which steps are shown, the fast path between
them); this module writes the nodes of one shown step into a trace: per
sample the forward pass, the error and the backward pass, then the samples
combined and the updates, and the forward pass again after the updates.

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

from ..spec.model import Layer, NetworkSpec
from .graph import Add, Div, Expr, Mul, Num, Ref, Sub, sum_of
from .ops import ACTIVATIONS, LOSSES
from .trace import TraceBuilder
from .update import UpdateRule, node_name

if TYPE_CHECKING:
    from .parameters import Mistakes, Parameters

ETA = r"\eta"


@dataclass(frozen=True)
class SampleOutcome:
    """A sample's loss node and the node of its gradient of each parameter."""

    loss: Ref
    gradients: dict[str, Ref]


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
        step_prefix = "" if self.bare else f"step{number}."
        trace.section("network", "The network" if self.bare else f"Step {number}: the starting values",
                      2, step=number, batch=[index + 1 for index in batch])
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
            sample_prefix = "" if self.bare else f"step{number}.sample{index + 1}."
            outcome = self.sample(trace, sample_prefix, index, params, number)
            sample_losses.append(outcome.loss)
            for name, ref in outcome.gradients.items():
                sample_grads[name].append(ref)
        if self.bare:
            return {name: Ref(name + "+") if self.updates(name) else params[name] for name in params}
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
                found[name] = {key: trace.given(f"step{number - 1}.{node_name(key, name)}", values[node_name(key, name)],
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
        return [params[name] for layer in self.names.weights for row in layer for name in row]

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
        loss = trace.define(prefix + "E_total", self._reduce(sample_losses), "step_loss", samples=samples)
        if self.rule.regularized:
            trace.define(prefix + "E_reg", self.rule.regularized_loss(loss, self._weights(params)), "regularized_loss")
        updated = dict(params)
        for name, refs in sample_grads.items():
            gradient = trace.define(f"{prefix}dE_total/d{name}", self._reduce(refs), "step_gradient", parameter=name,
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
        inputs = [trace.given(f"{p}{spec.layers[0].neuron(i)}", x, "given", role="input", **ctx)
                  for i, x in enumerate(sample.inputs)]
        output_layer = spec.layers[-1]
        targets = [trace.given(f"{p}target_{output_layer.neuron(k)}", t, "given", role="target", **ctx)
                   for k, t in enumerate(sample.targets)]
        outs = self._forward(trace, p, inputs, params, ctx, heading="The forward pass")
        loss = self._error(trace, p, outs[-1], targets, ctx)
        if self.bare and self.rule.regularized:
            trace.define("E_reg", self.rule.regularized_loss(loss, self._weights(params)), "regularized_loss", **ctx)
        gradients = self._backward(trace, p, outs, targets, params, ctx)
        return SampleOutcome(loss, gradients)

    def _forward(self, trace: TraceBuilder, p: str, inputs: list[Ref], params: dict[str, Ref],
                 ctx: dict, heading: str) -> list[list[Ref]]:
        layers = self.spec.layers
        outs = [inputs]
        for l, layer in enumerate(layers[1:], start=1):
            trace.section("forward", f"{heading}: layer {layer.name}", self._depth(ctx), layer=layer.name,
                          activation=layer.activation, first=l == 1, **ctx)
            nets = []
            for j in range(layer.size):
                terms: list[Expr] = [Mul((params[w], out)) for w, out in zip(self.names.weights[l][j], outs[-1])]
                bias = self._bias_name(l, j)
                if bias is not None:
                    terms.append(Mul((params[bias], Num(1.0))))
                nets.append(trace.define(f"{p}net_{layer.neuron(j)}", Add(tuple(terms)), "net",
                                         layer=layer.name, **ctx))
            outs.append([trace.define(f"{p}out_{layer.neuron(j)}", _activation(layer, nets, j), "out",
                                      layer=layer.name, activation=layer.activation, **ctx)
                         for j in range(layer.size)])
        return outs

    def _depth(self, ctx: dict) -> int:
        """Heading level: the top level for Mazur's one step on one sample,
        under "After …" one deeper, under a sample's own heading deeper still."""
        if ctx.get("sample") is not None:
            return 4
        return 3 if ctx.get("after") or not self.bare else 2

    def _bias_name(self, l: int, j: int) -> str | None:
        bias = self.names.biases[l]
        return bias if isinstance(bias, str) or bias is None else bias[j]

    def _error(self, trace: TraceBuilder, p: str, outs: list[Ref], targets: list[Ref], ctx: dict) -> Ref:
        trace.section("error", "The total error", self._depth(ctx), loss=self.spec.loss, **ctx)
        layer = self.spec.layers[-1]
        terms = [trace.define(f"{p}E_{layer.neuron(k)}", self._halved(_loss_term(self.spec, t, o, len(outs))), "loss_term",
                              loss=self.spec.loss, **ctx)
                 for k, (t, o) in enumerate(zip(targets, outs))]
        return trace.define(f"{p}E_total", sum_of(terms), "loss_total", **ctx)

    def _backward(self, trace: TraceBuilder, p: str, outs: list[list[Ref]], targets: list[Ref],
                  params: dict[str, Ref], ctx: dict) -> dict[str, Ref]:
        layers = self.spec.layers
        gradients: dict[str, Ref] = {}
        upstream: list[Ref] | None = None  # deltas of the layer above
        for l in range(len(layers) - 1, 0, -1):
            layer = layers[l]
            is_output = l == len(layers) - 1
            trace.section("output_layer" if is_output else "hidden_layer",
                          f"The backward pass: {'output' if is_output else 'hidden'} layer {layer.name}", self._depth(ctx),
                          layer=layer.name, activation=layer.activation, loss=self.spec.loss,
                          hidden_deltas_use=self.spec.hidden_deltas_use,
                          above_size=None if is_output else layers[l + 1].size, **ctx)
            elementwise = ACTIVATIONS.get(str(layer.activation)).elementwise
            groups = [[j] for j in range(layer.size)] if elementwise else [list(range(layer.size))]
            deltas: list[Ref] = [Ref("")] * layer.size
            for group in groups:
                dE_dout = {j: (self._loss_gradient(trace, p, layer, j, targets[j], outs[l][j], len(outs[l]), ctx)
                               if is_output else self._hidden_gradient(trace, p, l, j, upstream, params, gradients, ctx))
                           for j in group}
                dout_dnet = self._activation_gradients(trace, p, layer, group, outs[l], ctx)
                for j in group:
                    deltas[j] = self._delta(trace, p, layer, j, group, dE_dout, dout_dnet, is_output, ctx)
                    chain = (dE_dout[j], dout_dnet[(j, j)]) if elementwise else (deltas[j],)
                    self._weight_gradients(trace, p, l, j, chain, outs[l - 1], params, gradients, ctx)
            self._bias_gradients(trace, p, l, deltas, params, gradients, ctx)
            upstream = deltas
        self._input_gradients(trace, p, upstream or [], params, ctx)
        return gradients

    def _loss_gradient(self, trace: TraceBuilder, p: str, layer: Layer, k: int, target: Ref, out: Ref,
                       count: int, ctx: dict) -> Ref:
        return trace.define(f"{p}dE_total/dout_{layer.neuron(k)}",
                            self._halved(_loss_derivative(self.spec, target, out, count)),
                            "dE_dout", loss=self.spec.loss, **ctx)

    def _halved(self, expr: Expr) -> Expr:
        """The mistake `half_twice`: 1/2 applied again (E = 1/4 (t - o)^2)."""
        return Mul((Num(0.5), expr)) if self.mistakes.half_twice else expr

    def _hidden_gradient(self, trace: TraceBuilder, p: str, l: int, j: int, upstream: list[Ref] | None,
                         params: dict[str, Ref], gradients: dict[str, Ref], ctx: dict) -> Ref:
        layer, above = self.spec.layers[l], self.spec.layers[l + 1]
        parts = []
        for k in range(above.size):
            weight = self.names.weights[l + 1][k][j]
            path = trace.define(f"{p}dnet_{above.neuron(k)}/dout_{layer.neuron(j)}", self._path_weight(p, weight, params, gradients),
                                "dnet_dout", weight=weight, convention=self.spec.hidden_deltas_use,
                                neuron=layer.neuron(j), above=above.neuron(k), **ctx)
            parts.append(trace.define(f"{p}dE_{above.neuron(k)}/dout_{layer.neuron(j)}",
                                      Mul((upstream[k], path)), "dE_part", neuron=layer.neuron(j),
                                      above=above.neuron(k), **ctx))  # type: ignore[index]
        return trace.define(f"{p}dE_total/dout_{layer.neuron(j)}", sum_of(parts),
                            "dE_dout_hidden", neuron=layer.neuron(j), **ctx)

    def _path_weight(self, p: str, weight: str, params: dict[str, Ref], gradients: dict[str, Ref]) -> Expr:
        """The weight a hidden delta goes back through: the original one, or
        (the older Mazur code) the one already moved by this sample's gradient."""
        if self.spec.hidden_deltas_use == "original_weights":
            return params[weight]
        if self.bare:
            return Ref(weight + "+")
        return self._update_expr(params[weight], gradients[weight])

    def _activation_gradients(self, trace: TraceBuilder, p: str, layer: Layer, group: list[int],
                              outs: list[Ref], ctx: dict) -> dict[tuple[int, int], Ref]:
        found = {}
        columns = None if ACTIVATIONS.get(str(layer.activation)).elementwise else group
        for k in group:
            for j in (columns if columns is not None else [k]):
                expr = _activation_derivative(layer, k, j, outs, self.mistakes)
                found[(k, j)] = trace.define(f"{p}dout_{layer.neuron(k)}/dnet_{layer.neuron(j)}", expr, "dout_dnet",
                                             activation=layer.activation, diagonal=k == j, **ctx)
        return found

    def _delta(self, trace: TraceBuilder, p: str, layer: Layer, j: int, group: list[int],
               dE_dout: dict[int, Ref], dout_dnet: dict[tuple[int, int], Ref], is_output: bool, ctx: dict) -> Ref:
        neuron = layer.neuron(j)
        if ACTIVATIONS.get(str(layer.activation)).elementwise:
            expr: Expr = Mul((dE_dout[j], dout_dnet[(j, j)]))
        else:  # every output of the layer moves with this net input
            expr = Add(tuple(Mul((dE_dout[k], dout_dnet[(k, j)])) for k in group))
        aliases = [f"{p}delta_{neuron}"] + ([f"{p}dE_{neuron}/dnet_{neuron}"] if is_output else [])
        return trace.define(f"{p}dE_total/dnet_{neuron}", expr, "delta", aliases=tuple(aliases),
                            activation=layer.activation, **ctx)

    def _weight_gradients(self, trace: TraceBuilder, p: str, l: int, j: int, chain: tuple[Ref, ...],
                          below: list[Ref], params: dict[str, Ref], gradients: dict[str, Ref], ctx: dict) -> None:
        layer = self.spec.layers[l]
        for i, weight in enumerate(self.names.weights[l][j]):
            source = below[(i + 1) % len(below)] if self.mistakes.wrong_input_neuron and len(below) > 1 else below[i]
            local = trace.define(f"{p}dnet_{layer.neuron(j)}/d{weight}", source, "dnet_dw", weight=weight,
                                 neuron=layer.neuron(j), source=source.name, **ctx)
            gradients[weight] = trace.define(f"{p}dE_total/d{weight}", Mul((*chain, local)), "grad_w", weight=weight,
                                             neuron=layer.neuron(j), **ctx)
            if self.bare:
                self._write_update(trace, "", 1, weight, params, gradients[weight], {})

    def _bias_gradients(self, trace: TraceBuilder, p: str, l: int, deltas: list[Ref], params: dict[str, Ref],
                        gradients: dict[str, Ref], ctx: dict) -> None:
        bias = self.names.biases[l]
        if bias is None:
            return
        pairs = [(bias, sum_of(deltas))] if isinstance(bias, str) \
            else [(name, Mul((delta, Num(1.0)))) for name, delta in zip(bias, deltas)]
        for name, expr in pairs:
            gradients[name] = trace.define(f"{p}dE_total/d{name}", expr, "grad_b", shared=isinstance(bias, str), parameter=name, **ctx)
            if self.bare and self.spec.update_biases:
                self._write_update(trace, "", 1, name, params, gradients[name], {})

    def _input_gradients(self, trace: TraceBuilder, p: str, deltas: list[Ref], params: dict[str, Ref], ctx: dict) -> None:
        """dE_total/di: reported for the curious, always through the original weights."""
        trace.section("inputs", "The gradient with respect to the inputs", self._depth(ctx), **ctx)
        first = self.spec.layers[1]
        for i in range(self.spec.layers[0].size):
            terms = tuple(Mul((deltas[j], params[self.names.weights[1][j][i]])) for j in range(first.size))
            trace.define(f"{p}dE_total/d{self.spec.layers[0].neuron(i)}", sum_of(terms),
                         "grad_input", **ctx)

    # -- after the updates ---------------------------------------------------------
    def after(self, trace: TraceBuilder, number: int, values: dict[str, float],
              params: dict[str, Ref] | None) -> Ref:
        """The forward pass over all samples with the updated parameters."""
        prefix = f"after{number}."
        trace.section("after", f"After {updates_text(number)}", 2, step=number)
        after_params = {}
        for name in self.names.all_names():
            after_params[name] = (trace.define(prefix + name, params[name], "given", parameter=True) if params is not None
                                  else trace.given(prefix + name, values[name], "given", parameter=True))
        losses = []
        several = len(self.spec.samples) > 1
        for index, sample in enumerate(self.spec.samples):
            p = f"{prefix}sample{index + 1}." if several else prefix
            ctx = {"sample": index + 1 if several else None, "step": number, "after": True}
            if several:
                trace.section("sample", f"Sample {index + 1} with the updated parameters", 3, **ctx)
            inputs = [trace.given(f"{p}{self.spec.layers[0].neuron(i)}", x, "given", role="input", **ctx)
                      for i, x in enumerate(sample.inputs)]
            targets = [trace.given(f"{p}target_{self.spec.layers[-1].neuron(k)}", t, "given", role="target", **ctx)
                       for k, t in enumerate(sample.targets)]
            outs = self._forward(trace, p, inputs, after_params, ctx, heading="The forward pass again")
            losses.append(self._error(trace, p, outs[-1], targets, ctx))
        if several:
            trace.section("after_total", f"The total error after {updates_text(number)}", 3, step=number)
        total = trace.define(prefix + "E_total", self._reduce(losses), "after_total") if several else losses[0]
        if self.rule.regularized:
            trace.define(prefix + "E_reg", self.rule.regularized_loss(total, self._weights(after_params)),
                         "regularized_loss", step=number, after=True)
        return total


def updates_text(number: int) -> str:
    return "one update" if number == 1 else f"{number:,} updates"


def _activation(layer: Layer, nets: list[Ref], j: int) -> Expr:
    return ACTIVATIONS.get(str(layer.activation)).output(nets, j, dict(layer.options))


def _activation_derivative(layer: Layer, k: int, j: int, outs: list[Ref], mistakes: Mistakes) -> Expr:
    """d out_k / d net_j, written in terms of the outputs as the post does."""
    if mistakes.no_activation_derivative:
        return Num(1.0 if k == j else 0.0)
    record = ACTIVATIONS.get(str(layer.activation))
    nets = [Ref(_swap_last(ref.name, "out_", "net_")) for ref in outs]
    if mistakes.derivative_from_net and record.slope_from_out:
        outs = nets
    return record.slope(k, j, outs, nets, dict(layer.options))


def _swap_last(name: str, old: str, new: str) -> str:
    """`step1.sample2.out_h1` -> `step1.sample2.net_h1` (only the bare part)."""
    head, dot, tail = name.rpartition(".")
    return head + dot + tail.replace(old, new, 1)


def _loss_term(spec: NetworkSpec, t: Ref, o: Ref, count: int) -> Expr:
    return LOSSES.get(spec.loss).term(t, o, count, dict(spec.loss_options))


def _loss_derivative(spec: NetworkSpec, t: Ref, o: Ref, count: int) -> Expr:
    return LOSSES.get(spec.loss).derivative(t, o, count, dict(spec.loss_options))
