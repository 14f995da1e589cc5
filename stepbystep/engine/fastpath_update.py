"""The optimizer's step on plain floats, compiled from the expressions the trace writes.

The scalar fast path (fastpath.py) must give the traced graph's numbers
bit for bit, buffers included, so the update is not written a second time:
update.UpdateRule.plan gives the same expressions over variables instead of
named nodes, and they are compiled to one straight-line Python function
(rounded after every node in hand-calculation mode, as the graph rounds).
Two functions: the first step (buffers start at zero) and every later one
(buffers carried in). The buffers travel between stretches of fast steps in
the values dict under their bare names (`m_w5`), as the trace names them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .expressions import Ref
from .update import UPDATED, UpdateRule, node_name

Step = Callable[..., tuple[list[float], list[float]]]


@dataclass(frozen=True)
class HandDivision:
    """Hand-calculation mode in compiled code: a division whose divisor reads a
    computed (rounded) variable is written as `_hand_divide(a, b, decimals)`,
    which refuses a divisor that is 0 at those decimals, as Graph does."""

    decimals: int
    computed: Callable[[str], bool]   # does this variable hold a computed, rounded value?


def _own_or_carried(variable: str) -> bool:
    """The optimizer's computed variables: its plan's entries (n0_m) and the carried buffers (s0_v)."""
    return variable[0] in "ns"


class _Same(dict):  # type: ignore[type-arg]
    """Variables named as the references themselves (they are Python identifiers)."""

    def __missing__(self, key: str) -> str:
        return key


class CompiledOptimizer:
    """`step(params, gradients, state, t)` -> (params after, state after)."""

    def __init__(self, rule: UpdateRule, names: Sequence[str], updated: Sequence[bool], round_to: int | None,
                 python: Callable[..., str], namespace: dict[str, Any],
                 weights: Sequence[bool] | None = None) -> None:
        """`python(expr, variables)` writes an expression as Python source and
        `namespace` is what that source may call (fastpath.py's, passed in;
        `python(expr, variables, hand)` checks divisions in hand-calculation mode).
        `weights`: which parameters weight decay applies to (default: the
        network's weights, w1, w2, …; a graph's descent decays every parameter)."""
        self.rule = rule
        self.weights = tuple(weights) if weights is not None else tuple(name.startswith("w") for name in names)
        self.python = python
        self.namespace = namespace
        self.names = tuple(names)
        self.updated = tuple(updated)
        self.round_to = round_to
        self.state_names = tuple(node_name(key, name) for name, moves in zip(names, updated) if moves
                                 for key in rule.record.carried)
        self._first = self._compile(first=True)
        self._later = self._compile(first=False) if self.state_names and rule.carry else self._first

    def state_from(self, values: dict[str, float]) -> list[float] | None:
        """The carried buffers in `values`, or None before the first step."""
        if not self.state_names or not all(name in values for name in self.state_names):
            return None
        return [values[name] for name in self.state_names]

    def step(self, params: list[float], gradients: Sequence[float], state: list[float] | None,
             t: int) -> tuple[list[float], list[float]]:
        if state is None or self._later is self._first:
            return self._first(params, gradients, float(t))  # type: ignore[no-any-return]
        return self._later(params, gradients, state, float(t))  # type: ignore[no-any-return]

    def _compile(self, first: bool) -> Step:
        lines = ["def step(P, G, S, t):" if not first else "def step(P, G, t):"]
        count = len(self.names)
        lines.append(f"    {', '.join(f'p{i}' for i in range(count))}, = P")
        lines.append(f"    {', '.join(f'g{i}' for i in range(count))}, = G")
        if not first:
            lines.append(f"    {', '.join(self._state_variables('s'))}, = S")
        variables = _Same()
        hand = None if self.round_to is None else HandDivision(self.round_to, _own_or_carried)
        results = []
        for i, moves in enumerate(self.updated):
            if not moves:
                results.append(f"p{i}")
                continue
            previous = None if first else (lambda key, i=i: Ref(f"s{i}_{key}"))
            decays = self.rule.decays(self.weights[i])
            plan = self.rule.plan(Ref(f"p{i}"), Ref(f"g{i}"), previous, Ref("t"), decays,
                                  lambda label, i=i: Ref(f"n{i}_{label}"))
            for label, expr in plan:
                source = self.python(expr, variables, hand)
                if self.round_to is not None:
                    source = f"round({source}, {self.round_to}) + 0.0"
                target = f"q{i}" if label == UPDATED else f"n{i}_{label}"
                lines.append(f"    {target} = {source}")
            results.append(f"q{i}")
        state = self._state_variables("n")
        lines.append(f"    return [{', '.join(results)}], [{', '.join(state)}]")
        namespace = dict(self.namespace)
        exec(compile("\n".join(lines), "<stepbystep.fastpath_update>", "exec"), namespace)  # our own generated code
        return namespace["step"]  # type: ignore[no-any-return]

    def _state_variables(self, letter: str) -> list[str]:
        return [f"{letter}{i}_{key}" for i, moves in enumerate(self.updated) if moves
                for key in self.rule.record.carried]


class ArrayOptimizer:
    """The same step on numpy arrays (the numpy fast path): weight decay as
    update.UpdateRule.plan writes it, then the record's `numpy_step`, one
    state (dict of buffers by key) per parameter array."""

    def __init__(self, rule: UpdateRule, np: Any) -> None:
        self.rule = rule
        self.np = np
        self.states: dict[Any, dict[str, Any]] = {}
        self.decay_factor = 1.0 - rule.learning_rate * rule.decay_lambda

    def apply(self, key: Any, parameter: Any, gradient: Any, t: int, is_weight: bool) -> Any:
        """The parameter array (or float) after one step; `key` names its state."""
        rule = self.rule
        if rule.decays(is_weight):
            if rule.record.decoupled_decay:
                parameter = parameter * self.decay_factor
            else:
                gradient = gradient + rule.decay_lambda * parameter
        state = self.states.setdefault(key, {}) if rule.carry else {}
        direction = rule.record.numpy_step(self.np, gradient, state, t, rule.options)
        step = rule.learning_rate * direction
        return parameter + step if rule.wrong_sign else parameter - step
