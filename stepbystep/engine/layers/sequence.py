"""A sequence network unrolled in time: forward step by step, backward through time.

Every layer acts at every time step with the same weights; an rnn layer
also reads its own outputs of the step before (Elman: net_h(t) = W·x(t) +
U·out_h(t−1) + b, out_h(0) the spec's `initial`). Values at step t carry
`@t` (SPEC §8). The backward pass starts at the last step: at each step, for
each layer from the top, dE_total/dout collects its two paths — through the
layer above at the same step, and (rnn) through its own units at t + 1 — then
the slope, the delta and each weight's contribution at that step,
`dE_total/dw1@2`. Last, each weight's gradient is the sum of its
contributions over time, and the update.
"""
from __future__ import annotations

from ...spec import names
from ...spec.model import Sample
from ..expressions import Add, Expr, Mul, Num, Ref, sum_of
from .neurons import UnitNames, activation, activation_gradients, delta, is_elementwise
from .record import SamplePass

# (layer index, time step) -> that layer's outputs at that step; (0, t): the inputs,
# (l, 0): an rnn layer's initial state.
Timeline = dict[tuple[int, int], list[Ref]]


def givens(run: SamplePass, sample: Sample) -> tuple[Timeline, dict[int, list[Ref]], tuple[str, ...], tuple[str, ...]]:
    """The inputs at each step, the targets of the scored steps and the initial
    states; also the input and target names in the order of the sample's numbers."""
    layers = run.spec.layers
    width, outputs = layers[0].size, layers[-1].size
    timeline: Timeline = {}
    for t in range(1, sample.steps + 1):
        timeline[(0, t)] = [run.trace.given(run.prefix + names.at_time(layers[0].neuron(i), t), sample.inputs[(t - 1) * width + i],
                                            "given", role="input", time=t, **run.context) for i in range(width)]
    targets: dict[int, list[Ref]] = {}
    for position, t in enumerate(sample.scored()):
        targets[t] = [run.trace.given(run.prefix + names.at_time(names.target(layers[-1].neuron(k)), t),
                                      sample.targets[position * outputs + k], "given", role="target", time=t,
                                      **run.context) for k in range(outputs)]
    for l, layer in enumerate(layers):
        if layer.kind == "rnn":
            timeline[(l, 0)] = [run.define(names.at_time(names.out(layer.neuron(j)), 0), Num(value), "initial_state", layer=layer.name,
                                           time=0) for j, value in enumerate(layer.initial)]
    input_names = tuple(ref.name[len(run.prefix):] for t in range(1, sample.steps + 1) for ref in timeline[(0, t)])
    target_names = tuple(ref.name[len(run.prefix):] for t in sample.scored() for ref in targets[t])
    return timeline, targets, input_names, target_names


def forward(run: SamplePass, timeline: Timeline, steps: int, heading: str) -> None:
    """Every layer at step 1, then at step 2, …: one section per step."""
    for t in range(1, steps + 1):
        run.trace.section("time_forward", f"{heading}: time step {t}", run.depth(), time=t, first=t == 1,
                          steps=steps, **run.context)
        for l in range(1, len(run.spec.layers)):
            timeline[(l, t)] = forward_at(run, l, t, timeline)


def forward_at(run: SamplePass, l: int, t: int, timeline: Timeline) -> list[Ref]:
    layer = run.layer(l)
    unit = UnitNames(layer, t)
    below = timeline[(l - 1, t)]
    recurrent = run.names.recurrent_of(l)
    nets = []
    for j in range(layer.size):
        terms: list[Expr] = [Mul((run.params[w], x)) for w, x in zip(run.names.weights[l][j], below)]
        if recurrent:
            terms += [Mul((run.params[u], h)) for u, h in zip(recurrent[j], timeline[(l, t - 1)])]
        bias = _bias(run, l, j)
        if bias is not None:
            terms.append(Mul((run.params[bias], Num(1.0))))
        nets.append(run.define(names.net(unit(j)), Add(tuple(terms)), "net", layer=layer.name, time=t))
    return [run.define(names.out(unit(j)), activation(layer, nets, j), "out", layer=layer.name,
                       activation=layer.activation, time=t) for j in range(layer.size)]


def _bias(run: SamplePass, l: int, j: int) -> str | None:
    bias = run.names.biases[l]
    return bias if isinstance(bias, str) or bias is None else bias[j]


def error(run: SamplePass, timeline: Timeline, targets: dict[int, list[Ref]]) -> Ref:
    """E_o1@t for every output at every scored step; E_total their sum."""
    run.trace.section("error", "The total error", run.depth(), loss=run.spec.loss, **run.context)
    top = len(run.spec.layers) - 1
    layer = run.layer(top)
    terms = []
    for t, row in targets.items():
        outs = timeline[(top, t)]
        terms += [run.define(names.at_time(names.error(layer.neuron(k)), t),
                             run.builder.loss_term_expr(run.trace, row, outs, k), "loss_term", loss=run.spec.loss, time=t)
                  for k in range(len(row))]
    return run.define("E_total", sum_of(terms), "loss_total")


class _Backward:
    """Backpropagation through time over one sample's timeline."""

    def __init__(self, run: SamplePass, timeline: Timeline, targets: dict[int, list[Ref]], steps: int) -> None:
        self.run = run
        self.timeline = timeline
        self.targets = targets
        self.steps = steps
        self.top = len(run.spec.layers) - 1
        self.deltas: dict[tuple[int, int], list[Ref]] = {}
        self.contributions: dict[str, list[Ref]] = {name: [] for name in run.names.all_names()}

    def run_all(self) -> None:
        run = self.run
        for t in range(self.steps, 0, -1):
            run.trace.section("time_backward", f"The backward pass: time step {t}", run.depth(), time=t,
                              last=t == self.steps, steps=self.steps, loss=run.spec.loss, **run.context)
            for l in range(self.top, 0, -1):
                if self.reached(l, t):
                    self.layer_at(l, t)
            self.input_gradients(t)
        self.sums()

    def reached(self, l: int, t: int) -> bool:
        """Does the error depend on layer l's outputs at step t?"""
        if l == self.top:
            return t in self.targets
        through_time = (self.run.layer(l).kind == "rnn" and t < self.steps and (l, t + 1) in self.deltas
                        and not self.run.mistakes.no_recurrent_path)
        return (l + 1, t) in self.deltas or through_time

    def layer_at(self, l: int, t: int) -> None:
        run, layer = self.run, self.run.layer(l)
        unit = UnitNames(layer, t)
        outs = self.timeline[(l, t)]
        groups = [[j] for j in range(layer.size)] if is_elementwise(layer) else [list(range(layer.size))]
        deltas: list[Ref] = [Ref("")] * layer.size
        for group in groups:
            dE_dout = {j: self.gradient_at_output(l, t, j) for j in group}
            dout_dnet = activation_gradients(run, layer, group, outs, unit)
            for j in group:
                deltas[j] = delta(run, layer, j, group, dE_dout, dout_dnet, l == self.top, unit, time=t)
                self.contributions_at(l, t, j, deltas[j])
        self.deltas[(l, t)] = deltas

    def gradient_at_output(self, l: int, t: int, j: int) -> Ref:
        """dE_total/dout_j@t: from the loss at the top; below, the paths through
        the layer above at t and (rnn) through its own units at t + 1."""
        run, layer = self.run, self.run.layer(l)
        name = names.at_time(layer.neuron(j), t)
        if l == self.top:
            outs = self.timeline[(l, t)]
            expr = run.builder.loss_gradient_expr(run.trace, self.targets[t], outs, j)
            return run.define(names.total_gradient(names.out(name)), expr, "dE_dout", loss=run.spec.loss, time=t)
        parts = []
        if (l + 1, t) in self.deltas:
            above = run.layer(l + 1)
            for k, upstream in enumerate(self.deltas[(l + 1, t)]):
                weight = run.names.weights[l + 1][k][j]
                parts.append(run.define(names.part(names.at_time(above.neuron(k), t), names.out(name)), Mul((upstream, run.params[weight])),
                                        "dE_part", neuron=name, above=names.at_time(above.neuron(k), t), weight=weight, time=t))
        if self.reached_through_time(l, t):
            for m, upstream in enumerate(self.deltas[(l, t + 1)]):
                weight = run.names.recurrent_of(l)[m][j]
                parts.append(run.define(names.part(names.at_time(layer.neuron(m), t + 1), names.out(name)), Mul((upstream, run.params[weight])),
                                        "dE_part_time", neuron=name, above=names.at_time(layer.neuron(m), t + 1), weight=weight,
                                        time=t))
        return run.define(names.total_gradient(names.out(name)), sum_of(parts), "dE_dout_hidden", neuron=name, time=t,
                          paths=len(parts))

    def reached_through_time(self, l: int, t: int) -> bool:
        return (self.run.layer(l).kind == "rnn" and (l, t + 1) in self.deltas
                and not self.run.mistakes.no_recurrent_path)

    def contributions_at(self, l: int, t: int, j: int, unit_delta: Ref) -> None:
        """delta_j@t times each input it multiplies: each weight's part at step t."""
        run, layer = self.run, self.run.layer(l)
        name = names.at_time(layer.neuron(j), t)
        sources = list(zip(run.names.weights[l][j], self.timeline[(l - 1, t)]))
        if layer.kind == "rnn":
            sources += list(zip(run.names.recurrent_of(l)[j], self.timeline[(l, t - 1)]))
        for weight, source in sources:
            local = run.define(names.gradient(names.net(name), weight), source, "dnet_dw", weight=weight, neuron=name,
                               source=source.name, time=t)
            self.contributions[weight].append(run.define(names.at_time(names.total_gradient(weight), t), Mul((unit_delta, local)),
                                                         "grad_w_time", weight=weight, neuron=name, time=t))

    def input_gradients(self, t: int) -> None:
        run = self.run
        inputs = run.layer(0)
        for i in range(inputs.size):
            terms: list[Expr] = [Mul((upstream, run.params[run.names.weights[1][j][i]]))
                                 for j, upstream in enumerate(self.deltas.get((1, t), []))]
            run.define(names.total_gradient(names.at_time(inputs.neuron(i), t)), sum_of(terms) if terms else Num(0.0), "grad_input",
                       time=t)

    def sums(self) -> None:
        """Each weight's gradient: its contributions summed over time; each bias's: its deltas."""
        run = self.run
        title = "The sum over time and the update" if run.builder.bare else "The sum over time"
        run.trace.section("time_sum", title, run.depth(), steps=self.steps, **run.context)
        for weight in run.names.weight_names():
            found = self.contributions[weight]
            if run.mistakes.no_sum_over_time:
                found = found[:1]   # the latest step's part only
            gradient = run.gradient(weight, sum_of(list(reversed(found))) if found else Num(0.0), "grad_w",
                                    weight=weight, steps=len(found), summed=True)
            run.builder.write_bare_update(run.trace, weight, run.params, gradient)
        for l in range(1, len(run.spec.layers)):
            bias = run.names.biases[l]
            if bias is None:
                continue
            per_unit = [bias] if isinstance(bias, str) else list(bias)
            for j, name in enumerate(per_unit):
                terms = [d for t in range(1, self.steps + 1) for k, d in enumerate(self.deltas.get((l, t), []))
                         if isinstance(bias, str) or k == j]
                gradient = run.gradient(name, sum_of(terms) if terms else Num(0.0), "grad_b",
                                        shared=isinstance(bias, str), parameter=name, summed=True)
                if run.spec.update_biases:
                    run.builder.write_bare_update(run.trace, name, run.params, gradient)


def backward(run: SamplePass, timeline: Timeline, targets: dict[int, list[Ref]], steps: int) -> dict[str, Ref]:
    _Backward(run, timeline, targets, steps).run_all()
    return run.gradients

