"""Spec files (TOML or JSON) checked field by field into frozen records.

Every refusal names the file and the field path, e.g.
`mazur.toml: layers[2].weights[1]: expected 2 numbers, got 3`, because the
person reading it is an instructor fixing a hand-written file, not a
programmer reading a traceback.

This module holds the records, the limits and the reading of a file; the
field-by-field checks are in validate.py (parse_spec calls it).
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax")
LOSSES = ("half_sse", "sse", "mse", "bce", "cross_entropy")
REDUCTIONS = ("sum", "mean")
HIDDEN_DELTAS = ("original_weights", "updated_weights")
MODES = ("batch", "online", "minibatch")

# Documented limits (README): beyond these a walkthrough is unreadable and
# building it would take minutes, so the spec is refused instead.
MAX_LAYER_SIZE = 1024
MAX_LAYERS = 32
MAX_SAMPLES = 100_000
MAX_EPOCHS = 1_000_000
MAX_DETAIL_WEIGHTS = 20_000  # weights x samples, summed over the recorded steps
MAX_RECORDED_STEPS = 50
MAX_TRAINING_WORK = 2_000_000_000  # weights x samples x epochs for a whole run


class SpecError(ValueError):
    """A refused spec: `str()` is the one line the user sees."""

    def __init__(self, source: str, path: str, message: str) -> None:
        location = f"{source}: {path}: " if path else f"{source}: "
        super().__init__(location + message)
        self.source = source
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Layer:
    name: str
    size: int
    activation: str | None = None  # None for the input layer
    weights: tuple[tuple[float, ...], ...] = ()
    bias: float | tuple[float, ...] | None = None
    negative_slope: float = 0.01

    def neuron(self, index: int) -> str:
        """Neuron name, 0-based index in: `h1`, or `h2_3` after a digit."""
        joiner = "_" if self.name[-1].isdigit() else ""
        return f"{self.name}{joiner}{index + 1}"


@dataclass(frozen=True)
class Sample:
    inputs: tuple[float, ...]
    targets: tuple[float, ...]


@dataclass(frozen=True)
class Training:
    mode: str = "batch"
    batch_size: int | None = None
    epochs: int = 1
    record: tuple[int, ...] = (1,)
    shuffle_seed: int | None = None
    given: bool = False  # was a [training] table in the spec


@dataclass(frozen=True)
class NetworkSpec:
    source: str
    title: str | None
    learning_rate: float
    loss: str
    reduction: str
    update_biases: bool
    hidden_deltas_use: str
    layers: tuple[Layer, ...]
    samples: tuple[Sample, ...]
    training: Training
    notes: dict[str, str] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def weight_count(self) -> int:
        return sum(layer.size * len(layer.weights[0]) for layer in self.layers[1:])

    @property
    def samples_per_step(self) -> int:
        """Samples in one training step (a full mini-batch): the work of a step
        scales with it, for the limits and for the fast path's engine choice."""
        count = len(self.samples)
        return {"batch": count, "online": 1, "minibatch": min(self.training.batch_size or 1, count)}[self.training.mode]


@dataclass(frozen=True)
class GraphSpec:
    """A computation-graph spec: inputs and expression nodes (SPEC.md §2)."""

    source: str
    title: str | None
    inputs: tuple[tuple[str, float], ...]
    nodes: tuple[tuple[str, str], ...]
    output: str
    notes: dict[str, str] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


Spec = NetworkSpec | GraphSpec


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; every failure is a SpecError."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SpecError(source, "", "no such file") from None
    except IsADirectoryError:
        raise SpecError(source, "", "is a directory, not a spec file") from None
    except UnicodeDecodeError as error:
        raise SpecError(source, "", f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise SpecError(source, "", f"cannot read ({error.strerror})") from None
    return parse_spec(decode(text, source), source)


def decode(text: str, source: str) -> dict[str, Any]:
    """TOML, or JSON when the file says .json or starts with `{`."""
    if source.endswith(".json") or text.lstrip().startswith("{"):
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            raise SpecError(source, "", f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
        except ValueError as error:
            raise SpecError(source, "", f"not valid JSON: {error}") from None
    else:
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError) as error:  # ValueError: an integer of > 4300 digits
            raise SpecError(source, "", f"not valid TOML: {error}") from None
    if not isinstance(data, dict):
        raise SpecError(source, "", "expected a table (a JSON object) at the top level")
    return data


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> Spec:
    """Validate an already-decoded spec (a dict in the file's structure)."""
    from .validate import validate  # validate.py builds this module's records

    return validate(data, source)


def steps_per_epoch(mode: str, batch_size: int | None, sample_count: int) -> int:
    """Online: one step a sample; batch: one; minibatch: ceil(n / size), the last batch may be smaller."""
    if mode == "online":
        return sample_count
    if mode == "minibatch":
        return -(-sample_count // (batch_size or 1))
    return 1
