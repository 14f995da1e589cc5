"""The walkthrough of convolution and pooling layers (SPEC §8).

A convolution computes the same few products at every position, so writing
every position out would bury the idea. Each section shows the first row of
the first output channel in full (formula, numbers, value), then the other
positions as a table of values, and draws the grids: the image, the kernel
and the output with the window of the worked position marked. The kernel's
gradient is shown in full for one entry (the sum over the positions) and as
a correlation grid for all; the input's gradient and the routed gradient of
max pooling likewise.
"""
from __future__ import annotations

import re
from typing import Callable

from ..engine.facts import NetworkFacts
from ..engine.trace import Section as TraceSection
from ..engine.trace import Step, Trace
from ..spec import names
from ..spec.model import Layer
from .blocks import Figure, Table
from .figures import Grid, GridsDrawing
from .formatter import Formatter
from .outline import Outline, paragraph, prose
from .prose import before_step

POOLING = ("maxpool2d", "avgpool2d")
SPATIAL_SECTIONS = ("conv_forward", "pool_forward", "conv_layer", "pool_layer")
_SAMPLE = re.compile(r"sample\d+\.$")


def handles(section: TraceSection, facts: NetworkFacts) -> bool:
    return section.kind in SPATIAL_SECTIONS or (section.kind == "inputs" and facts.spec.layers[0].shape is not None)


def unit_of(bare: str) -> str:
    """The unit a backward step is about: the last out_/net_ in its name."""
    tail = bare.rpartition("/d")[2] if "/d" in bare else bare
    return tail.partition("_")[2] if tail.startswith(("out_", "net_")) else tail


class SpatialWriter:
    """Writes the spatial sections of one walkthrough; draws each kind of grid once."""

    def __init__(self, outline: Outline, trace: Trace, facts: NetworkFacts, formatter: Formatter) -> None:
        self.outline = outline
        self.trace = trace
        self.facts = facts
        self.formatter = formatter
        self.drawn: set[str] = set()

    # -- helpers ---------------------------------------------------------------------
    def layer(self, name: str) -> tuple[int, Layer]:
        return next((l, layer) for l, layer in enumerate(self.facts.spec.layers) if layer.name == name)

    def value(self, name: str) -> float:
        return self.formatter.shown(name)

    def text(self, name: str) -> str:
        return self.formatter.text(self.value(name))

    def equations(self, steps: list[Step], sentence: Callable[[Step], str] | None = None) -> None:
        """Steps in full, each kind's sentence before its first one."""
        seen: set[str] = set()
        for step in steps:
            if step.kind not in seen:
                seen.add(step.kind)
                said = sentence(step) if sentence is not None else ""
                if said:
                    self.outline.add(paragraph(said))
            self.outline.add(*self.formatter.blocks(step))

    def first_row(self, layer: Layer) -> set[str]:
        """The units of the worked row: output channel 1, row 1."""
        assert layer.shape is not None
        return {layer.neuron(column) for column in range(layer.shape[2])}

    def grid_of(self, layer: Layer, channel: int, name: Callable[[str], str]) -> tuple[tuple[float, ...], ...]:
        assert layer.shape is not None
        _, rows, columns = layer.shape
        first = channel * rows * columns
        return tuple(tuple(self.value(name(layer.neuron(first + r * columns + c))) for c in range(columns))
                     for r in range(rows))

    def table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
        return Table(tuple(prose(cell) for cell in header), tuple(tuple(prose(cell) for cell in row) for row in rows))

    def section(self, section: TraceSection) -> None:
        {"conv_forward": self.conv_forward, "pool_forward": self.pool_forward, "conv_layer": self.conv_backward,
         "pool_layer": self.pool_backward, "inputs": self.inputs}[section.kind](section)

    # -- forward -----------------------------------------------------------------------
    def conv_forward(self, section: TraceSection) -> None:
        l, layer = self.layer(section.context["layer"])
        below = self.facts.spec.layers[l - 1]
        prefix = names.split_prefix(section.steps[0].name)[0]
        padding = f"{layer.padding} ring{'s' if layer.padding > 1 else ''} of zeros around it" if layer.padding \
            else "no padding"
        if section.context.get("after"):
            self.outline.add(paragraph("The same convolution with the updated kernel:"))
        else:
            self.outline.add(paragraph(
                f"The convolution slides each {layer.window[0]}×{layer.window[1]} kernel over {below.name} (stride "
                f"{layer.stride}, {padding}). At each position the net input is the sum of every kernel weight times "
                "the input under it, over all input channels"
                + (", plus the channel's bias times 1" if layer.bias is not None else "") + " — a cross-correlation, "
                "as PyTorch's conv2d computes it: the kernel is not flipped. The output squashes the net input with "
                f"the layer's activation, {layer.activation}."))
        if "conv_forward" not in self.drawn:
            self.drawn.add("conv_forward")
            self.outline.add(self.conv_figure(l, layer, below, prefix))
        worked = self.first_row(layer)
        full = [step for step in section.steps if unit_of(step.name.rpartition(".")[2]) in worked]
        self.outline.add(paragraph("Position by position, the first row of output channel 1 in full:"))
        self.equations(full, lambda step: before_step(step, section, self.facts, self.formatter.symbol,
                                                       self.formatter.number) if step.kind == "out" else "")
        rest = [unit for unit in (layer.neuron(j) for j in range(layer.size)) if unit not in worked]
        if rest:
            self.outline.add(paragraph("The other positions, computed the same way:"))
            self.outline.add(self.table(("unit", "net input", "output"), [
                (f"${self.formatter.symbol(unit)}$", self.text(prefix + names.net(unit)),
                 self.text(prefix + names.out(unit))) for unit in rest]))

    def conv_figure(self, l: int, layer: Layer, below: Layer, prefix: str) -> Figure:
        """The image channels, the first kernel and the first output channel, the first position marked."""
        from ..engine.layers.windows import windows

        assert below.shape is not None and layer.shape is not None
        found = windows(layer, below)
        read = found.reads[0]
        rows, columns = layer.window
        params = _SAMPLE.sub("", prefix)
        kernel = self.facts.parameters.weights[l][0]
        grids: list[Grid] = []
        operators: list[str] = []
        below_name = (lambda unit: prefix + unit) if l == 1 else (lambda unit: prefix + names.out(unit))
        for channel in range(below.shape[0]):
            size = below.shape[1] * below.shape[2]
            marked = tuple(divmod(index - channel * size, below.shape[2]) for index, _ in read
                           if channel * size <= index < (channel + 1) * size)
            if channel:
                operators.append("+")
            grids.append(Grid(f"{below.name}, channel {channel + 1}", self.grid_of(below, channel, below_name), marked))
            operators.append("⋆")
            first = channel * rows * columns
            grids.append(Grid(f"kernel {layer.channel(0)}, channel {channel + 1}",
                              tuple(tuple(self.value(params + kernel[first + r * columns + c]) for c in range(columns))
                                    for r in range(rows))))
        operators.append("=")
        grids.append(Grid(f"net {layer.channel(0)}" + (" (+ bias)" if layer.bias is not None else ""),
                          self.grid_of(layer, 0, lambda unit: prefix + names.net(unit)), ((0, 0),)))
        drawing = GridsDrawing(tuple(grids), tuple(operators), self.formatter.precision,
                               f"The convolution of {below.name}: the window of the first position marked")
        return Figure(f"convolution-{layer.name}", drawing.title, drawing, self.grid_tables(grids))

    def grid_tables(self, grids: list[Grid]) -> tuple[Table, ...]:
        """What a format without pictures shows instead of the grids: one table each."""
        tables = []
        for grid in grids:
            columns = len(grid.values[0])
            header = (grid.title,) + tuple(f"column {c + 1}" for c in range(columns))
            tables.append(self.table(header, [(f"row {r + 1}",) + tuple(self.formatter.text(value) for value in row)
                                              for r, row in enumerate(grid.values)]))
        return tuple(tables)

    def pool_forward(self, section: TraceSection) -> None:
        l, layer = self.layer(section.context["layer"])
        below = self.facts.spec.layers[l - 1]
        prefix = names.split_prefix(section.steps[0].name)[0]
        what = "keeps the largest value" if layer.kind == "maxpool2d" else "takes the mean"
        self.outline.add(paragraph(
            f"{'Max' if layer.kind == 'maxpool2d' else 'Average'} pooling {what} of each {layer.window[0]}×"
            f"{layer.window[1]} window of a channel of {below.name} (stride {layer.stride}). It has no weights and no "
            "activation."))
        if "pool_forward" not in self.drawn:
            self.drawn.add("pool_forward")
            self.outline.add(self.pool_figure(l, layer, below, prefix))
        worked = self.first_row(layer)
        self.outline.add(paragraph("The first row of channel 1 in full:"))
        self.equations([step for step in section.steps if unit_of(step.name.rpartition(".")[2]) in worked])
        rest = [unit for unit in (layer.neuron(j) for j in range(layer.size)) if unit not in worked]
        if rest:
            self.outline.add(paragraph("The other windows, computed the same way:"))
            self.outline.add(self.table(("unit", "output"), [
                (f"${self.formatter.symbol(unit)}$", self.text(prefix + names.out(unit))) for unit in rest]))

    def pool_figure(self, l: int, layer: Layer, below: Layer, prefix: str) -> Figure:
        from ..engine.layers.windows import windows

        assert below.shape is not None
        read = windows(layer, below).reads[0]
        marked = tuple(divmod(index, below.shape[2]) for index, _ in read)
        grids = [Grid(f"out {below.channel(0)}", self.grid_of(below, 0, lambda unit: prefix + names.out(unit)), marked),
                 Grid(f"out {layer.channel(0)}", self.grid_of(layer, 0, lambda unit: prefix + names.out(unit)),
                      ((0, 0),))]
        drawing = GridsDrawing(tuple(grids), ("→",), self.formatter.precision,
                               f"{'Max' if layer.kind == 'maxpool2d' else 'Average'} pooling: the first window marked")
        return Figure(f"pooling-{layer.name}", drawing.title, drawing, self.grid_tables(grids))

    # -- backward ----------------------------------------------------------------------
    def pool_backward(self, section: TraceSection) -> None:
        self.outline.add(paragraph(
            "The pooling layer has nothing to learn. We only need the gradient of the error at each of its outputs; "
            "the layer above sends it back as to any layer below it:"))
        self.equations(list(section.steps), lambda step: before_step(step, section, self.facts, self.formatter.symbol,
                                                                      self.formatter.number))

    def conv_backward(self, section: TraceSection) -> None:
        l, layer = self.layer(section.context["layer"])
        spec = self.facts.spec
        above = spec.layers[l + 1] if l + 1 < len(spec.layers) else None
        prefix = names.split_prefix(next(step.name for step in section.steps if step.kind == "delta"))[0]
        self.outline.add(paragraph(self.backward_intro(layer, above)))
        worked = self.first_row(layer)
        per_unit = [step for step in section.steps if step.kind not in ("grad_kernel", "grad_b", "update")]
        full = [step for step in per_unit if unit_of(step.name.rpartition(".")[2]) in worked]
        self.outline.add(paragraph("The first row of output channel 1 in full:"))
        self.equations(full, lambda step: self.backward_sentence(step, section))
        rest = [unit for unit in (layer.neuron(j) for j in range(layer.size)) if unit not in worked]
        if rest:
            self.outline.add(paragraph("The other positions, computed the same way:"))
            self.outline.add(self.table(("unit", "∂E/∂out", "∂out/∂net", "delta"), [
                (f"${self.formatter.symbol(unit)}$", self.text(prefix + names.total_gradient(names.out(unit))),
                 self.text(prefix + names.gradient(names.out(unit), names.net(unit))),
                 self.text(prefix + names.total_gradient(names.net(unit)))) for unit in rest]))
        self.kernel_gradients(section, l, layer, prefix)

    def backward_intro(self, layer: Layer, above: Layer | None) -> str:
        if above is None:
            return "Now the backward pass, position by position: each output's delta, as for any output neuron."
        if above.kind == "maxpool2d":
            return ("Back through the max pooling: a window's output is its largest value, so the gradient goes back "
                    "to that one position of the window (1 for the largest, 0 for the others: "
                    r"$\frac{\partial out_p}{\partial out_c}$ below); a position in several windows collects each one's "
                    "part. Then, as for any neuron, the slope of the activation and the delta.")
        if above.kind == "avgpool2d":
            return ("Back through the average pooling: each window's output is the mean of its n values, so each of "
                    "them gets 1/n of the window's gradient; a position in several windows collects each one's part. "
                    "Then, as for any neuron, the slope of the activation and the delta.")
        if above.kind == "conv2d":
            return ("Each output of this layer is read by the convolution above at every position whose window "
                    "covers it, so its gradient is the sum of delta times weight over those positions. Then the "
                    "slope of the activation and the delta.")
        return (f"Each output of this layer feeds every neuron of {above.name} (flattened), so its gradient is the sum "
                "over those paths of delta times weight. Then the slope of the activation and the delta.")

    def backward_sentence(self, step: Step, section: TraceSection) -> str:
        if step.kind == "dpool_dout":
            return ("Which of the window's values was the largest? The derivative of the max is 1 for it and 0 for "
                    "the others (the first one on a tie):" if step.context.get("pool") == "maxpool2d"
                    else "Each value of the window counts 1/n in the mean:")
        if step.kind == "dE_dout_pool":
            return "The window's gradient times that derivative, summed over the windows that hold this position:"
        if step.kind == "dE_dout_conv":
            return "Delta times weight, over every position of the layer above whose window covers this one:"
        return before_step(step, section, self.facts, self.formatter.symbol, self.formatter.number)

    def kernel_gradients(self, section: TraceSection, l: int, layer: Layer, prefix: str) -> None:
        kernels = [step for step in section.steps if step.kind == "grad_kernel"]
        updates = {step.context.get("parameter"): step for step in section.steps if step.kind == "update"}
        first = kernels[0]
        self.outline.add(paragraph(
            "A kernel weight is used at every position, so its gradient is the sum over the positions of the delta "
            "there times the input the weight multiplied there. In full for the first kernel entry:"))
        self.outline.add(*self.formatter.blocks(first))
        weight = first.context["weight"]
        if weight in updates:
            self.outline.add(paragraph("and its update,"))
            self.outline.add(*self.formatter.blocks(updates[weight]))
        if "kernel" not in self.drawn:
            self.drawn.add("kernel")
            self.outline.add(self.kernel_figure(l, layer, prefix))
        params = _SAMPLE.sub("", prefix)
        self.outline.add(paragraph("Every kernel entry the same way: the input correlated with the deltas."))
        self.outline.add(self.table(("weight", "kernel entry", "gradient", "updated"), [
            (f"${self.formatter.symbol(step.context['weight'])}$", self.entry_text(l, layer, step),
             self.formatter.text(step.value),
             self.text(params + names.updated(step.context["weight"])) if step.context["weight"] in updates else "—")
            for step in kernels]))
        biases = [step for step in section.steps if step.kind == "grad_b"]
        if biases:
            shared = biases[0].context.get("shared")
            self.outline.add(paragraph(
                "A bias adds $b \\cdot 1$ at every position of its channel, so its gradient is the sum of the "
                + ("deltas of every position and channel (one bias for the layer):" if shared
                   else "channel's deltas:")))
            for step in biases:
                self.outline.add(*self.formatter.blocks(step))
                if step.context.get("parameter") in updates:
                    self.outline.add(*self.formatter.blocks(updates[step.context["parameter"]]))

    def entry_text(self, l: int, layer: Layer, step: Step) -> str:
        rows, columns = layer.window
        channel, rest = divmod(step.context["entry"], rows * columns)
        row, column = divmod(rest, columns)
        return f"kernel {layer.channel(step.context['channel'])}, channel {channel + 1}, row {row + 1}, column {column + 1}"

    def kernel_figure(self, l: int, layer: Layer, prefix: str) -> Figure:
        """Input channel 1 ⋆ the deltas of output channel 1 = the kernel's gradient;
        marked: the inputs that the first kernel entry multiplied."""
        from ..engine.layers.windows import windows

        below = self.facts.spec.layers[l - 1]
        assert below.shape is not None and layer.shape is not None
        found = windows(layer, below)
        size = layer.shape[1] * layer.shape[2]
        marked = tuple(divmod(index, below.shape[2]) for _, index in found.touches(0, size, 0)
                       if index < below.shape[1] * below.shape[2])
        below_name = (lambda unit: prefix + unit) if l == 1 else (lambda unit: prefix + names.out(unit))
        rows, columns = layer.window
        gradients = tuple(tuple(self.value(prefix + names.total_gradient(self.facts.parameters.weights[l][0][r * columns + c]))
                                for c in range(columns)) for r in range(rows))
        grids = [Grid(f"{below.name}, channel 1", self.grid_of(below, 0, below_name), marked),
                 Grid(f"deltas {layer.channel(0)}", self.grid_of(layer, 0, lambda u: prefix + names.total_gradient(names.net(u)))),
                 Grid(f"gradient of kernel {layer.channel(0)}, channel 1", gradients, ((0, 0),))]
        drawing = GridsDrawing(tuple(grids), ("⋆", "="), self.formatter.precision,
                               "The kernel's gradient: the input correlated with the deltas (the first entry's inputs marked)")
        return Figure(f"kernel-gradient-{layer.name}", drawing.title, drawing, self.grid_tables(grids))

    # -- the inputs --------------------------------------------------------------------------
    def inputs(self, section: TraceSection) -> None:
        spec = self.facts.spec
        first = spec.layers[1]
        if first.kind == "conv2d":
            self.outline.add(paragraph(
                "The inputs are data and are never updated, but the same rule gives the error's gradient with respect "
                "to each pixel: the sum, over the positions whose window covers it, of delta times the kernel weight "
                "that multiplied it — the deltas, padded with zeros, cross-correlated with the kernel turned 180° "
                "(the \"full\" convolution of backpropagation)."))
        else:
            self.outline.add(paragraph(
                "The inputs are data and are never updated, but the same rule gives the error's gradient with respect "
                f"to each pixel, back through {first.name}."))
        layer = spec.layers[0]
        worked = self.first_row(layer)
        steps = [step for step in section.steps if step.kind == "grad_input"]
        self.equations([step for step in steps if step.name.rpartition("/d")[2] in worked])
        rest = [step for step in steps if step.name.rpartition("/d")[2] not in worked]
        if rest:
            self.outline.add(paragraph("The other pixels, computed the same way:"))
            self.outline.add(self.table(("input", "gradient"), [
                (f"${self.formatter.symbol(step.name.rpartition('/d')[2])}$", self.formatter.text(self.formatter.shown(step.name)))
                for step in rest]))

