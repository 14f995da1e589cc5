"""Which units of the layer below a spatial unit reads: the geometry of conv2d and pooling.

A convolution's output unit (k, r, c) reads, for every input channel and
kernel entry (a, b), the input at row r·stride + a − padding and column
c·stride + b − padding when that lies inside the image (outside is the zero
padding, which adds nothing). A pooling unit reads its window of the same
channel. Both directions are kept: `reads` drives the forward pass and the
kernel's gradient, `readers` the gradient sent back to the layer below.
Computed once per layer and cached.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ...spec.model import Layer

# (index of a unit of the layer below, kernel entry): for conv2d the entry is
# the position in the output channel's flattened [in][row][col] kernel, for
# pooling the position in the window (row-major).
Read = tuple[int, int]


@dataclass(frozen=True)
class Windows:
    reads: tuple[tuple[Read, ...], ...]      # per output unit: what it reads, in kernel order
    readers: tuple[tuple[Read, ...], ...]    # per unit below: (output unit, entry) that read it
    entries: int                             # kernel entries per output channel (pooling: window size)

    def touches(self, channel: int, channels_size: int, entry: int) -> list[tuple[int, int]]:
        """(output unit, unit below) pairs where output channel `channel` uses
        kernel entry `entry`, in output order: the terms of that weight's gradient."""
        first = channel * channels_size
        return [(unit, below) for unit in range(first, first + channels_size)
                for below, used in self.reads[unit] if used == entry]


def channel_of(layer: Layer, unit: int) -> int:
    assert layer.shape is not None
    return unit // (layer.shape[1] * layer.shape[2])


def channel_size(layer: Layer) -> int:
    assert layer.shape is not None
    return layer.shape[1] * layer.shape[2]


@lru_cache(maxsize=64)
def windows(layer: Layer, below: Layer, flipped: bool = False) -> Windows:
    """The reads of every unit of `layer` (conv2d or pooling) from `below`.
    `flipped`: the mistake of a true convolution, the kernel turned 180 degrees."""
    assert layer.shape is not None and below.shape is not None
    out_channels, rows, columns = layer.shape
    in_channels, height, width = below.shape
    kernel_rows, kernel_columns = layer.window
    pooling = layer.kind != "conv2d"
    reads: list[tuple[Read, ...]] = []
    for k in range(out_channels):
        for r in range(rows):
            for c in range(columns):
                found = []
                for ci in ((k,) if pooling else range(in_channels)):
                    for a in range(kernel_rows):
                        for b in range(kernel_columns):
                            y = r * layer.stride + a - layer.padding
                            x = c * layer.stride + b - layer.padding
                            if 0 <= y < height and 0 <= x < width:
                                ka, kb = (kernel_rows - 1 - a, kernel_columns - 1 - b) if flipped else (a, b)
                                entry = (ka * kernel_columns + kb) if pooling else \
                                    (ci * kernel_rows + ka) * kernel_columns + kb
                                found.append(((ci * height + y) * width + x, entry))
                reads.append(tuple(found))
    readers: list[list[Read]] = [[] for _ in range(below.size)]
    for unit, unit_reads in enumerate(reads):
        for index, entry in unit_reads:
            readers[index].append((unit, entry))
    entries = kernel_rows * kernel_columns * (1 if pooling else in_channels)
    return Windows(tuple(reads), tuple(tuple(found) for found in readers), entries)
