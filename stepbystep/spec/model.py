"""Spec files (TOML or JSON) checked field by field into frozen records.

Every refusal names the file and the field path, e.g.
`mazur.toml: layers[2].weights[1]: expected 2 numbers, got 3`, because the
person reading it is an instructor fixing a hand-written file, not a
programmer reading a traceback.

This module holds the records and the limits; reading a file is load.py,
the field-by-field checks validate.py (with fields.py, validate_training.py and
validate_layers.py).
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
    """One layer. `size` counts its units (a spatial layer's: channels x rows x
    columns, in that order, as PyTorch's flatten). `weights` holds one row per
    unit the row feeds: dense and rnn, the weights into unit j; conv2d, output
    channel k's kernel flattened in [in channel][row][column] order, so that
    numbering the rows in turn gives SPEC §8's weight numbers."""

    name: str
    size: int
    activation: str | None = None  # None for the input layer and pooling
    weights: tuple[tuple[float, ...], ...] = ()
    bias: float | tuple[float, ...] | None = None   # conv2d: a tuple holds one bias per output channel
    options: Options = ()  # the activation's parameters by spec key, defaults filled in
    kind: str = "dense"    # the spec's `type`: choices.LAYER_KINDS; engine/layers/ has its record
    shape: tuple[int, int, int] | None = None   # image inputs and spatial layers: (channels, rows, columns) out
    window: tuple[int, int] = (0, 0)   # conv2d: the kernel's rows and columns; pooling: size x size
    stride: int = 1
    padding: int = 0
    recurrent: tuple[tuple[float, ...], ...] = ()   # rnn: row j holds the weights into unit j from step t - 1
    initial: tuple[float, ...] = ()    # rnn: its output at t = 0

    @property
    def connections(self) -> int:
        """Multiplications in one forward pass (one time step): the work the limits count."""
        if self.kind in ("maxpool2d", "avgpool2d"):
            return self.size * self.window[0] * self.window[1]
        recurrent = len(self.recurrent[0]) if self.recurrent else 0
        return self.size * (len(self.weights[0]) + recurrent) if self.weights else self.size

    @property
    def channels(self) -> int:
        return self.shape[0] if self.shape is not None else self.size

    def option(self, key: str) -> float:
        """An activation parameter (`negative_slope`, `alpha`) of this layer."""
        for name, value in self.options:
            if name == key:
                return value
        raise KeyError(f"layer {self.name} ({self.activation}) has no parameter {key!r}")

    def neuron(self, index: int) -> str:
        """Neuron name, 0-based index in: `h1`, or `h2_3` after a digit; a
        spatial unit by channel, row and column, `c1_2_3` (`c2_1_2_3`)."""
        if self.shape is None:
            return names.neuron(self.name, index)
        _, rows, columns = self.shape
        channel, rest = divmod(index, rows * columns)
        row, column = divmod(rest, columns)
        return names.spatial_neuron(self.name, channel, row, column)

    def channel(self, index: int) -> str:
        """Output channel k of a spatial layer (0-based in): `c1`, `c2_1` (a conv bias is `b_c1`)."""
        return names.neuron(self.name, index)


@dataclass(frozen=True)
class Sample:
    """One sample. An image's inputs are flattened in (channel, row, column)
    order; a sequence's inputs and per-step targets are flattened step by step
    (`steps` of them), and `targets_last` says only the last step is scored."""

    inputs: tuple[float, ...]
    targets: tuple[float, ...]
    steps: int = 0               # 0: not a sequence
    targets_last: bool = False

    def scored(self) -> tuple[int, ...]:
        """The time steps (1-based) whose outputs the loss scores."""
        if not self.steps:
            return ()
        return (self.steps,) if self.targets_last else tuple(range(1, self.steps + 1))


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
        """The work of one sample's pass, counted in multiplications: a dense
        layer's weights, a kernel at every position, a sequence at every step."""
        return sum(layer.connections for layer in self.layers[1:]) * max(1, self.samples[0].steps if self.samples else 1)

    def sample_values(self, sample: Sample) -> list[tuple[str, float, str]]:
        """A sample's numbers by value name (SPEC §2, §8), each with its role:
        `x1`, `x1_2_3` or `x1@2` inputs, then `target_o1` or `target_o1@3`."""
        first, last = self.layers[0], self.layers[-1]
        if not sample.steps:
            return ([(first.neuron(i), x, "input") for i, x in enumerate(sample.inputs)]
                    + [(names.target(last.neuron(k)), t, "target") for k, t in enumerate(sample.targets)])
        width, outputs = first.size, last.size
        found = [(names.at_time(first.neuron(i), t), sample.inputs[(t - 1) * width + i], "input")
                 for t in range(1, sample.steps + 1) for i in range(width)]
        return found + [(names.at_time(names.target(last.neuron(k)), t), sample.targets[position * outputs + k], "target")
                        for position, t in enumerate(sample.scored()) for k in range(outputs)]

    @property
    def sequence(self) -> bool:
        """Samples are sequences: an rnn layer steps through them."""
        return any(layer.kind == "rnn" for layer in self.layers)

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
