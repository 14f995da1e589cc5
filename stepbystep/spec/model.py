"""Spec files (TOML or JSON) checked field by field into frozen records.

Every refusal names the file and the field path, e.g.
`mazur.toml: layers[2].weights[1]: expected 2 numbers, got 3`, because the
person reading it is an instructor fixing a hand-written file, not a
programmer reading a traceback.

This module holds the records and the limits; reading a file is load.py,
the field-by-field checks validate.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import choices, names
from .choices import Options
from .optimizers import OptimizerSettings

ACTIVATIONS = tuple(choices.ACTIVATIONS)   # the names a spec may use (choices.py has their parameters)
LOSSES = tuple(choices.LOSSES)
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
MAX_STEPS = 1_000_000              # updates in a run (epochs x steps an epoch): one after{N}.E_total each
MAX_FINAL_PASS = 200_000           # weights x samples: the forward pass over every sample after the last update
# Checked on the file before it is parsed (spec/limits.py): Python's TOML reader needs
# gigabytes for a few hundred kilobytes of dotted keys, and deep nesting exhausts its stack.
MAX_SPEC_BYTES = 32_000_000        # bytes of a spec file
MAX_SPEC_NESTING = 32              # tables, arrays and dotted keys inside each other
MAX_TITLE_CHARS = 1_000            # characters of the title
MAX_NOTE_CHARS = 10_000            # characters of one note
MAX_NOTES = 1_000                  # notes in one spec
MAX_NAME_CHARS = 32                # characters of a layer, input or node name


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
    options: Options = ()  # the activation's parameters by spec key, defaults filled in
    kind: str = "dense"    # the spec's `type`: choices.LAYER_KINDS; engine/layers/ has its record

    def option(self, key: str) -> float:
        """An activation parameter (`negative_slope`, `alpha`) of this layer."""
        for name, value in self.options:
            if name == key:
                return value
        raise KeyError(f"layer {self.name} ({self.activation}) has no parameter {key!r}")

    def neuron(self, index: int) -> str:
        """Neuron name, 0-based index in: `h1`, or `h2_3` after a digit."""
        return names.neuron(self.name, index)


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
    optimizer: OptimizerSettings = OptimizerSettings()  # sgd unless the spec says otherwise (SPEC.md §6)


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
    loss_options: Options = ()  # the loss's parameters by spec key (`loss_delta`), defaults filled in

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
class Descent:
    """A computation graph's [training] table (SPEC.md §6): descend on some inputs."""

    parameters: tuple[str, ...]         # the inputs that move
    learning_rate: float
    epochs: int = 1                     # steps
    record: tuple[int, ...] = (1,)      # the steps shown in full
    optimizer: OptimizerSettings = OptimizerSettings()


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
    training: Descent | None = None     # None: one forward and backward pass


Spec = NetworkSpec | GraphSpec


def steps_per_epoch(mode: str, batch_size: int | None, sample_count: int) -> int:
    """Online: one step a sample; batch: one; minibatch: ceil(n / size), the last batch may be smaller."""
    if mode == "online":
        return sample_count
    if mode == "minibatch":
        return -(-sample_count // (batch_size or 1))
    return 1
