"""A computation graph's [training] table: gradient descent on some of its inputs.

SPEC.md §6: `parameters` (the inputs that move), `learning_rate`, the
optimizer and its hyperparameters (spec/optimizers.py), `epochs` (steps)
and `record` (the steps shown in full). Apart from validate.py, which is
long enough; it calls `descent` with itself as the checker.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

from .model import MAX_RECORDED_STEPS, Descent
from .optimizers import DECAY_NAMES, HYPERPARAMETER_KEYS, OPTIMIZERS, optimizer_settings

MAX_DESCENT_STEPS = 100_000   # a graph of up to 300 nodes: about a second on the fast path
KEYS = ("parameters", "learning_rate", "epochs", "record", "optimizer", "compare") + HYPERPARAMETER_KEYS


class Checker(Protocol):
    def fail(self, path: str, message: str) -> Exception: ...
    def keys(self, table: dict[str, Any], path: str, known: tuple[str, ...]) -> None: ...
    def number(self, value: Any, path: str) -> float: ...
    def integer(self, value: Any, path: str, low: int, high: int) -> int: ...
    def text(self, value: Any, path: str) -> str: ...
    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str: ...


def descent(check: Checker, table: dict[str, Any], inputs: Sequence[str], names: Sequence[str]) -> Descent:
    """The [training] table of a graph spec whose inputs are `inputs` (all its names: `names`)."""
    check.keys(table, "training", KEYS)
    for required in ("parameters", "learning_rate"):
        if required not in table:
            raise check.fail(f"training.{required}", "missing (required)")
    parameters = _parameters(check, table["parameters"], inputs)
    learning_rate = check.number(table["learning_rate"], "training.learning_rate")
    if learning_rate <= 0:
        raise check.fail("training.learning_rate", f"must be greater than 0, got {table['learning_rate']!r}")
    epochs = check.integer(table.get("epochs", 1), "training.epochs", 1, MAX_DESCENT_STEPS)
    raw = table.get("record", [1])
    if not isinstance(raw, list):
        raise check.fail("training.record", "expected a list of step numbers")
    if len(raw) > MAX_RECORDED_STEPS:
        raise check.fail("training.record", f"at most {MAX_RECORDED_STEPS} steps can be shown in full, got {len(raw)}")
    record = tuple(check.integer(step, f"training.record[{index}]", 1, epochs) for index, step in enumerate(raw))
    if len(set(record)) != len(record):
        raise check.fail("training.record", "a step is listed twice")
    settings = optimizer_settings(check, table, "training")
    if settings.compare and epochs < 2:
        raise check.fail("training.compare", "this descent makes one step, so there are no curves to compare; "
                                             "take more steps (epochs)")
    _no_clash(check, settings.name, settings.compare, parameters, names)
    return Descent(parameters, learning_rate, epochs, tuple(sorted(record)), settings)


def _parameters(check: Checker, value: Any, inputs: Sequence[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise check.fail("training.parameters", "expected a list of the inputs that move, e.g. [\"theta\"]")
    found = []
    for index, item in enumerate(value):
        name = check.text(item, f"training.parameters[{index}]")
        if name not in inputs:
            raise check.fail(f"training.parameters[{index}]",
                             f"{name!r} is not an input (inputs: {', '.join(inputs)})")
        if name in found:
            raise check.fail("training.parameters", f"{name!r} is listed twice")
        found.append(name)
    return tuple(found)


def _no_clash(check: Checker, optimizer: str, compare: tuple[str, ...], parameters: Sequence[str],
              names: Sequence[str]) -> None:
    """An input or node may not be called like a value the descent writes (`m_theta`, `g_theta`)."""
    keys = set(DECAY_NAMES)
    for name in (optimizer, *compare):
        keys.update(OPTIMIZERS[name].buffers)
    written = {f"{key}_{parameter}" for key in keys for parameter in parameters}
    for name in names:
        if name in written:
            raise check.fail("training", f"{name!r} is the name of an optimizer value here; rename that input or node")
