"""One parameter's update as named nodes: weight decay, the optimizer's buffers, p+.

Shared by the networks' steps (backprop.py), gradient descent on a
computation graph (descent.py) and the compiled fast path (fastpath.py), so
that all three write the same expressions in the same order: `plan` gives
them over any references (named nodes in a trace, variables in compiled
code), `write` turns them into named nodes (SPEC.md §6): `g_w5`,
`decayed_w5`, the buffers `m_w5`, `v_w5`, … and `w5+`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from ..spec.optimizers import OptimizerSettings
from .expressions import Add, Expr, Mul, Num, Pow, Ref, Sub, sum_of
from .ops import OPTIMIZERS, OptimizerRecord, UpdateInputs

if TYPE_CHECKING:
    from .parameters import Mistakes
    from .trace import TraceBuilder

ETA = r"\eta"
LAMBDA = r"\lambda"
ONE, TWO, HALF = Num(1.0), Num(2.0), Num(0.5, r"\frac{1}{2}")
UPDATED = "+"   # the plan's label of the updated parameter


def node_name(label: str, parameter: str) -> str:
    """The bare name of a plan entry: g_w5, decayed_w5, m_w5, w5+."""
    return parameter + UPDATED if label == UPDATED else f"{label}_{parameter}"


@dataclass(frozen=True)
class UpdateRule:
    """The optimizer of one run, ready to write updates (mistakes included)."""

    record: OptimizerRecord
    options: Mapping[str, float]
    learning_rate: float
    wrong_sign: bool = False           # p+ = p + eta*d
    bias_correction: bool = True       # False: Adam's mhat = m
    carry: bool = True                 # False: every step starts its buffers from 0
    decay_biases: bool = False         # weight decay on the biases too
    decay_forgotten: bool = False      # lambda taken as 0 (the decay's nodes kept, without effect)
    eta: Num = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", Num(self.learning_rate, ETA))

    @classmethod
    def of(cls, settings: OptimizerSettings, learning_rate: float, mistakes: "Mistakes | None" = None) -> "UpdateRule":
        if mistakes is None:
            return cls(OPTIMIZERS.get(settings.name), dict(settings.options), learning_rate)
        return cls(OPTIMIZERS.get(settings.name), dict(settings.options), learning_rate, mistakes.wrong_sign,
                   not mistakes.no_bias_correction, not mistakes.buffers_reset, mistakes.decay_biases,
                   mistakes.no_weight_decay)

    @property
    def weight_decay(self) -> float:
        return self.options["weight_decay"]

    @property
    def decay_lambda(self) -> float:
        """The lambda the updates use: the spec's, or 0 when the decay is forgotten."""
        return 0.0 if self.decay_forgotten else self.weight_decay

    @property
    def lam(self) -> Num:
        return Num(self.decay_lambda, LAMBDA)

    @property
    def plain(self) -> bool:
        """Plain gradient descent without decay: p+ = p - eta*g, nothing carried."""
        return self.record.name == "sgd" and not self.weight_decay

    def decays(self, is_weight: bool) -> bool:
        return self.weight_decay > 0 and (is_weight or self.decay_biases)

    @property
    def regularized(self) -> bool:
        """Is E_reg = E_total + lambda/2 * sum w^2 shown (weight decay, not adamw)?"""
        return self.weight_decay > 0 and not self.record.decoupled_decay

    def plan(self, parameter: Expr, gradient: Expr, previous: Callable[[str], Expr] | None, t: Expr,
             decays: bool, own: Callable[[str], Expr]) -> list[tuple[str, Expr]]:
        """(label, expression) in node order: `g` (decay added to the gradient)
        or `decayed` (adamw), the buffers, and `+` the updated parameter;
        `own(label)` refers to an earlier entry of the same plan."""
        entries: list[tuple[str, Expr]] = []
        if decays and not self.record.decoupled_decay:
            entries.append(("g", Add((gradient, Mul((self.lam, parameter))))))
            gradient = own("g")
        elif decays:
            entries.append(("decayed", Mul((Sub(ONE, Mul((self.eta, self.lam))), parameter))))
            parameter = own("decayed")
        inputs = UpdateInputs(gradient, previous if self.carry else None, own, t, self.options, self.bias_correction)
        entries.extend(self.record.buffers(inputs))
        step = Mul((self.eta, self.record.direction(inputs)))
        entries.append((UPDATED, Add((parameter, step)) if self.wrong_sign else Sub(parameter, step)))
        return entries

    def write(self, trace: "TraceBuilder", prefix: str, name: str, parameter: Ref, gradient: Ref,
              previous: Mapping[str, Ref] | None, t: int, decays: bool, **context: object) -> tuple[Ref, dict[str, Ref]]:
        """The update of parameter `name` at step t as named nodes; returns p+
        and this step's carried buffers (what the next step starts from)."""
        written: dict[str, Ref] = {}
        before = None if previous is None else previous.__getitem__
        first = previous is None or not self.carry
        def own(label: str) -> Ref:
            return Ref(prefix + node_name(label, name))

        for label, expr in self.plan(parameter, gradient, before, Num(float(t), "t"), decays, own):
            kind = {"g": "decay_gradient", "decayed": "decayed", UPDATED: "update"}.get(label, "buffer")
            written[label] = trace.define(prefix + node_name(label, name), expr, kind, parameter=name, buffer=label,
                                          optimizer=self.record.name, first=first, t=t, **context)
        return written[UPDATED], {key: written[key] for key in self.record.carried}

    def regularized_loss(self, loss: Ref, weights: Sequence[Ref]) -> Expr:
        """E_reg = E_total + 1/2 * lambda * (w1^2 + w2^2 + ...)."""
        return Add((loss, Mul((HALF, self.lam, sum_of([Pow(weight, TWO) for weight in weights])))))
