"""Checking the layers of SPEC §8: images, convolution, pooling, recurrence, sequences.

A mixin of validate._Checker (its primitives, fields.py: `fail`, `keys`, `integer`,
`number`, `vector`…), apart because the dense network's checks are most
readers' concern and these are many. Every refusal names its field:
`layers[1].kernels[0][0][1]: expected 2 numbers, got 3`,
`layers[1].stride: the output rows (5 + 2·0 − 2)/2 + 1 = 2.5 are not a whole number`.
"""
from __future__ import annotations

from typing import Any, Protocol

from . import choices
from .choices import MAX_CHANNELS, MAX_IMAGE, MAX_KERNEL, MAX_STEPS, MAX_STRIDE
from .model import Layer, Sample, SpecError


class _Primitives(Protocol):
    def fail(self, path: str, message: str) -> SpecError: ...
    def keys(self, table: dict[str, Any], path: str, known: tuple[str, ...]) -> None: ...
    def integer(self, value: Any, path: str, low: int, high: int) -> int: ...
    def number(self, value: Any, path: str) -> float: ...
    def vector(self, value: Any, path: str, length: int) -> tuple[float, ...]: ...
    def options(self, table: dict[str, Any], path: str, kind: str, chosen: str, catalogue: Any) -> Any: ...
    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str: ...
    def layer_name(self, table: dict[str, Any], path: str, default: str) -> str: ...
    def activation_of(self, table: dict[str, Any], path: str) -> str: ...
    def bias_of(self, table: dict[str, Any], path: str, count: int) -> float | tuple[float, ...] | None: ...


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def output_size(size: int, window: int, stride: int, padding: int) -> float:
    """(n + 2·padding − window)/stride + 1: PyTorch's output rows or columns."""
    return (size + 2 * padding - window) / stride + 1


class LayerChecks:
    """Checks of images, conv2d, pooling and rnn layers and of their samples."""

    # -- the input --------------------------------------------------------------
    def image_shape(self: _Primitives, value: Any, path: str) -> tuple[int, int, int]:
        if not isinstance(value, list) or len(value) != 3:
            raise self.fail(path, "expected [channels, rows, columns], three whole numbers")
        limits = (MAX_CHANNELS, MAX_IMAGE, MAX_IMAGE)
        return tuple(self.integer(item, f"{path}[{index}]", 1, limits[index])  # type: ignore[return-value]
                     for index, item in enumerate(value))

    # -- convolution ------------------------------------------------------------------
    def conv_layer(self: Any, table: dict[str, Any], path: str, default: str, below: Layer) -> Layer:
        self.keys(table, path, ("name", "type") + choices.LAYER_KINDS["conv2d"].keys + self.activation_keys())
        name = self.layer_name(table, path, default)
        self.needs_image(below, path, "conv2d")
        activation = self.activation_of(table, path)
        if activation == "softmax":
            raise self.fail(f"{path}.activation", "softmax is for a dense output layer, not a convolution")
        if "kernels" not in table:
            raise self.fail(f"{path}.kernels", "missing (required: [out channel][in channel][row][column])")
        rows, kernels = self.kernels(table["kernels"], f"{path}.kernels", below.channels)
        stride = self.integer(table.get("stride", 1), f"{path}.stride", 1, MAX_STRIDE)
        padding = self.integer(table.get("padding", 0), f"{path}.padding", 0, MAX_KERNEL - 1)
        if padding >= min(rows):
            raise self.fail(f"{path}.padding", f"must be less than the kernel's size ({min(rows)}), got {padding}")
        shape = (len(kernels), *self.spatial_output(below, rows, stride, padding, path, "kernel"))
        bias = self.bias_of(table, path, len(kernels))
        options = self.options(table, path, "activation", activation, choices.ACTIVATIONS)
        size = shape[0] * shape[1] * shape[2]
        return Layer(name, size, activation, kernels, bias, options, "conv2d", shape, rows, stride, padding)

    def kernels(self: Any, value: Any, path: str, channels: int) -> tuple[tuple[int, int], tuple[tuple[float, ...], ...]]:
        """[out][in][row][col] -> the kernel's (rows, columns) and one flat row per output channel."""
        if not isinstance(value, list) or not value:
            raise self.fail(path, "expected a list of kernels, one per output channel: [out][in][row][column]")
        if len(value) > MAX_CHANNELS:
            raise self.fail(path, f"at most {MAX_CHANNELS} output channels, got {len(value)}")
        first = value[0][0] if isinstance(value[0], list) and value[0] and isinstance(value[0][0], list) else None
        if not first or not isinstance(first[0], list):
            raise self.fail(f"{path}[0][0]", "expected a kernel: a list of rows of numbers")
        rows, columns = len(first), len(first[0])
        if not 1 <= rows <= MAX_KERNEL or not 1 <= columns <= MAX_KERNEL:
            raise self.fail(f"{path}[0][0]", f"a kernel has 1 to {MAX_KERNEL} rows and columns, got {rows} x {columns}")
        flat_rows = []
        for out, per_channel in enumerate(value):
            where = f"{path}[{out}]"
            if not isinstance(per_channel, list) or len(per_channel) != channels:
                got = f"{len(per_channel)}" if isinstance(per_channel, list) else "no list"
                raise self.fail(where, f"expected {_plural(channels, 'kernel')}, one per input channel "
                                       f"(the layer below has {_plural(channels, 'channel')}), got {got}")
            flat: list[float] = []
            for channel, kernel in enumerate(per_channel):
                here = f"{where}[{channel}]"
                if not isinstance(kernel, list) or len(kernel) != rows:
                    raise self.fail(here, f"expected {_plural(rows, 'row')} like {path}[0][0], "
                                          f"got {len(kernel) if isinstance(kernel, list) else 'no list'}")
                for row_index, row in enumerate(kernel):
                    flat.extend(self.vector(row, f"{here}[{row_index}]", columns))
            flat_rows.append(tuple(flat))
        return (rows, columns), tuple(flat_rows)

    def spatial_output(self: Any, below: Layer, window: tuple[int, int], stride: int, padding: int, path: str,
                       what: str) -> tuple[int, int]:
        """The output rows and columns; a size that is not a whole number (or
        is below 1) is refused, naming the stride."""
        assert below.shape is not None
        found = []
        for axis, (size, extent) in enumerate(zip(below.shape[1:], window)):
            result = output_size(size, extent, stride, padding)
            label = ("rows", "columns")[axis]
            if extent > size + 2 * padding:
                raise self.fail(path, f"the {what} ({extent} {label}) is larger than its input "
                                      f"({size} {label}{f' + 2·{padding} padding' if padding else ''})")
            if result != int(result):
                raise self.fail(f"{path}.stride", f"the output {label} ({size} + 2·{padding} − {extent})/{stride} + 1 = "
                                                  f"{result:g} are not a whole number; change the stride, the padding "
                                                  f"or the {what} size")
            found.append(int(result))
        return found[0], found[1]

    def needs_image(self: Any, below: Layer, path: str, kind: str) -> None:
        if below.shape is None:
            what = "the input layer has a size, not a shape" if below.kind == "dense" and not below.activation \
                else f"the layer below is {below.kind}"
            raise self.fail(f"{path}.type", f"{kind} needs an image below it, [channels, rows, columns] ({what})")

    # -- pooling ----------------------------------------------------------------------
    def pool_layer(self: Any, table: dict[str, Any], path: str, default: str, below: Layer, kind: str) -> Layer:
        self.keys(table, path, ("name", "type") + choices.LAYER_KINDS[kind].keys)
        name = self.layer_name(table, path, default)
        self.needs_image(below, path, kind)
        if "size" not in table:
            raise self.fail(f"{path}.size", "missing (required: the pooling window's rows and columns)")
        size = self.integer(table["size"], f"{path}.size", 1, MAX_KERNEL)
        stride = self.integer(table.get("stride", size), f"{path}.stride", 1, MAX_STRIDE)
        rows, columns = self.spatial_output(below, (size, size), stride, 0, path, "pooling window")
        assert below.shape is not None
        shape = (below.shape[0], rows, columns)
        return Layer(name, shape[0] * rows * columns, None, (), None, (), kind, shape, (size, size), stride, 0)

    # -- recurrence -------------------------------------------------------------------
    def rnn_layer(self: Any, table: dict[str, Any], path: str, default: str, below: Layer) -> Layer:
        self.keys(table, path, ("name", "type") + choices.LAYER_KINDS["rnn"].keys + self.activation_keys())
        name = self.layer_name(table, path, default)
        if below.shape is not None:
            raise self.fail(f"{path}.type", "rnn reads a sequence of vectors, not an image (the layer below has a shape)")
        activation = self.activation_of(table, path)
        if activation == "softmax":
            raise self.fail(f"{path}.activation", "softmax is for a dense output layer, not a recurrent one")
        if "weights" not in table:
            raise self.fail(f"{path}.weights", "missing (required: one row of input weights per unit)")
        rows = table["weights"]
        if not isinstance(rows, list) or not rows:
            raise self.fail(f"{path}.weights", "expected a list of rows (one per unit)")
        size = self.integer(table["size"], f"{path}.size", 1, MAX_CHANNELS) if "size" in table else len(rows)
        if len(rows) != size:
            raise self.fail(f"{path}.weights", f"expected {size} rows (size = {size}), got {len(rows)}")
        weights = tuple(self.vector(row, f"{path}.weights[{index}]", below.size) for index, row in enumerate(rows))
        if "recurrent" not in table:
            raise self.fail(f"{path}.recurrent", f"missing (required: {size} x {size} weights from step t − 1)")
        raw = table["recurrent"]
        if not isinstance(raw, list) or len(raw) != size:
            raise self.fail(f"{path}.recurrent", f"expected {_plural(size, 'row')} (one per unit), "
                                                 f"got {len(raw) if isinstance(raw, list) else 'no list'}")
        recurrent = tuple(self.vector(row, f"{path}.recurrent[{index}]", size) for index, row in enumerate(raw))
        initial = self.vector(table["initial"], f"{path}.initial", size) if "initial" in table else (0.0,) * size
        bias = self.bias_of(table, path, size)
        options = self.options(table, path, "activation", activation, choices.ACTIVATIONS)
        return Layer(name, size, activation, weights, bias, options, "rnn", recurrent=recurrent, initial=initial)

    # -- samples ----------------------------------------------------------------------
    def image(self: Any, value: Any, path: str, shape: tuple[int, int, int]) -> tuple[float, ...]:
        """[channel][row][column] numbers, flattened in that order."""
        channels, rows, columns = shape
        if not isinstance(value, list) or len(value) != channels or not all(isinstance(item, list) for item in value):
            got = f"a list of {len(value)}" if isinstance(value, list) else "no list"
            raise self.fail(path, f"expected {_plural(channels, 'channel')} of {rows} x {columns} numbers "
                                  f"([channel][row][column]), got {got}")
        flat: list[float] = []
        for channel, grid in enumerate(value):
            if len(grid) != rows:
                raise self.fail(f"{path}[{channel}]", f"expected {_plural(rows, 'row')}, got {len(grid)}")
            for row, numbers in enumerate(grid):
                flat.extend(self.vector(numbers, f"{path}[{channel}][{row}]", columns))
        return tuple(flat)

    def sequence_sample(self: Any, table: dict[str, Any], path: str, width: int, outputs: int,
                        first: Sample | None) -> Sample:
        """One row of `width` inputs per step; per-step targets or `targets_last`."""
        self.keys(table, path, ("inputs", "targets", "targets_last"))
        if "inputs" not in table:
            raise self.fail(f"{path}.inputs", "missing (required)")
        rows = table["inputs"]
        if not isinstance(rows, list) or not rows or not all(isinstance(row, list) for row in rows):
            raise self.fail(f"{path}.inputs", f"expected a sequence: one row of {_plural(width, 'number')} per time step")
        if len(rows) > MAX_STEPS:
            raise self.fail(f"{path}.inputs", f"at most {MAX_STEPS} time steps, got {len(rows)}")
        if first is not None and len(rows) != first.steps:
            raise self.fail(f"{path}.inputs", f"expected {first.steps} time steps like samples[0] "
                                              f"(every sequence has the same length), got {len(rows)}")
        inputs = tuple(x for index, row in enumerate(rows) for x in self.vector(row, f"{path}.inputs[{index}]", width))
        if ("targets" in table) == ("targets_last" in table):
            raise self.fail(f"{path}.targets", "give targets (one row per step) or targets_last (the last step only)"
                            + (", not both" if "targets" in table else ""))
        last = "targets_last" in table
        if first is not None and last != first.targets_last:
            key = "targets_last" if first.targets_last else "targets"
            raise self.fail(f"{path}.{'targets_last' if last else 'targets'}", f"use {key} like samples[0]")
        if last:
            return Sample(inputs, self.vector(table["targets_last"], f"{path}.targets_last", outputs), len(rows), True)
        raw = table["targets"]
        if not isinstance(raw, list) or len(raw) != len(rows) or not all(isinstance(row, list) for row in raw):
            raise self.fail(f"{path}.targets", f"expected {_plural(len(rows), 'row')} of {_plural(outputs, 'target')}, "
                                               "one per time step (or targets_last for the last step only)")
        targets = tuple(t for index, row in enumerate(raw) for t in self.vector(row, f"{path}.targets[{index}]", outputs))
        return Sample(inputs, targets, len(rows), False)
