"""The network as an inline SVG picture, drawn by our own code (no graphviz).

Layers are columns from left to right, neurons circles labelled with their
names (i1, h1, o1), every connection a line labelled with its weight, and a
shared bias a small node feeding its layer (a per-neuron bias is written under
its neuron). Above MAX_LABELLED_WEIGHTS connections (a 3-4-2 net has 20) the
labels would be too many to read, and the picture so wide that a phone shrinks
it to a blur: the connections are drawn unlabelled and close together, and a
line under the picture points to the table of weights beside it. The picture uses `currentColor` and CSS classes, so it follows the
page's colours (dark mode) and still looks right with no stylesheet at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Mapping

from ..document.figures import NetworkDrawing
from ..numbers import format_number

COLUMN_GAP = 230      # at least; wider when the weight labels are long
CHAR_WIDTH = 6.9      # of a 12px label character, roughly
ROW_GAP = 100
RADIUS = 22
MARGIN_X = 70
TOP = 58              # room for the layer captions
# Where along a connection its weight label sits: near the start for even
# source neurons, near the end for odd ones, so labels never share a spot.
LABEL_NEAR, LABEL_FAR = 0.3, 0.7
SPREADS = (1.0, 1.2, 1.45, 1.75, 2.1, 2.5)          # tried in turn until the labels fit
SPOTS = tuple(step / 20 for step in range(3, 18))   # where else a label may go
MAX_LABELLED_WEIGHTS = 24
UNLABELLED_GAP, UNLABELLED_ROW_GAP = 160, 72   # compact: no label needs room (a bias label still fits)
UNLABELLED_NOTE = "Too many connections to label: the weights are in the table."


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def network_svg(drawing: NetworkDrawing) -> str:
    """One picture of the network, a number on every weight and bias (the
    sample's inputs and targets beside the layers when there is one sample).
    Spread out further until every label has a place of its own."""
    values = {name: format_number(value, drawing.precision) for name, value in drawing.values.items()}
    sample = None
    if drawing.inputs is not None and drawing.targets is not None:
        sample = ([format_number(value, drawing.precision) for value in drawing.inputs],
                  [format_number(value, drawing.precision) for value in drawing.targets])
    if not labelled(drawing):
        return _draw(drawing, values, sample, 1.0, labels=False)[0]
    for spread in SPREADS:
        svg, tidy = _draw(drawing, values, sample, spread)
        if tidy:
            break
    return svg


def labelled(drawing: NetworkDrawing) -> bool:
    """Whether every connection carries its weight's label (small enough nets)."""
    return sum(len(row) for layer in drawing.layers for row in layer.weights) <= MAX_LABELLED_WEIGHTS


@dataclass(frozen=True)
class _Layout:
    """Where things go: the picture's size and the columns and rows of the neurons."""

    neurons: tuple[int, ...]   # per layer
    tallest: int
    row_gap: float
    gap: float                 # between the columns
    left: float
    width: float
    height: float

    def centre(self, l: int, j: int) -> Point:
        offset = (self.tallest - self.neurons[l]) * self.row_gap / 2
        return Point(self.left + l * self.gap, TOP + offset + self.row_gap * (j + 0.5))

    def bias_point(self, l: int) -> Point:
        return Point(self.left + (l - 1) * self.gap, TOP + self.tallest * self.row_gap + self.row_gap * 0.45)


def _layout(drawing: NetworkDrawing, values: Mapping[str, str], sample: tuple[list[str], list[str]] | None,
            spread: float, labels: bool) -> _Layout:
    """Room for every label: a weight's between the two circles it sits between,
    a bias's under its node, the sample's beside the first and last layers."""
    layers = drawing.layers
    row_gap = ROW_GAP * spread if labels else UNLABELLED_ROW_GAP
    tallest = max(len(layer.neurons) for layer in layers)
    has_shared_bias = any(isinstance(layer.bias, str) for layer in layers[1:])
    height = TOP + tallest * row_gap + (row_gap if has_shared_bias else 10) + 10 + (0 if labels else 26)
    longest = max((len(name) + len(values[name]) + 4 for layer in layers for row in layer.weights
                   for name in row), default=0)
    # a label must fit between the two circles it sits between
    label = longest * CHAR_WIDTH + 8
    gap = spread * max(COLUMN_GAP, (RADIUS + 6 + label / 2) / LABEL_NEAR, (label + 6) / (LABEL_FAR - LABEL_NEAR))
    if not labels:
        gap = UNLABELLED_GAP
    biases = [name for layer in layers if layer.bias
              for name in ([layer.bias] if isinstance(layer.bias, str) else layer.bias)]
    bias_half = max((len(name) + len(values[name]) + 4 for name in biases), default=0) * CHAR_WIDTH / 2 + 12
    left = max(MARGIN_X, bias_half)
    right = max(MARGIN_X, bias_half)
    if sample:
        left = max(left, RADIUS + 16 + max(len(text) for text in sample[0]) * CHAR_WIDTH)
        right = max(right, RADIUS + 16 + (7 + max(len(text) for text in sample[1])) * CHAR_WIDTH)
    width = left + gap * (len(layers) - 1) + right
    return _Layout(tuple(len(layer.neurons) for layer in layers), tallest, row_gap, gap, left, width, height)


def _draw(drawing: NetworkDrawing, values: Mapping[str, str], sample: tuple[list[str], list[str]] | None,
          spread: float, labels: bool = True) -> tuple[str, bool]:
    """The picture at one spread, and whether every label found a place of its own."""
    layers = drawing.layers
    layout = _layout(drawing, values, sample, spread, labels)
    centre = layout.centre
    mark = "⁺" if drawing.updated else ""
    bias_mark = mark if drawing.biases_updated else ""
    edges: list[str] = []
    wanted: list[tuple[Point, Point, float, str]] = []   # weight labels, placed last
    fixed: list[tuple[float, float, str]] = []            # per-neuron bias labels
    nodes: list[str] = []
    for l, layer in enumerate(layers):
        caption = "input" if l == 0 else ("output" if l == len(layers) - 1 else "hidden")
        if layer.activation:
            caption += f" · {layer.activation}"
        x = centre(l, 0).x
        nodes.append(_text(x, 22, f"layer {layer.name}", "sbs-layer"))
        nodes.append(_text(x, 40, caption, "sbs-caption"))
        for j, neuron in enumerate(layer.neurons):
            nodes.append(_neuron(centre(l, j), neuron))
        if l == 0:
            continue
        for j, row in enumerate(layer.weights):
            for i, weight in enumerate(row):
                edges.append(_line(centre(l - 1, i), centre(l, j), "sbs-edge"))
                if not labels:
                    continue
                at = LABEL_NEAR if i % 2 == 0 else LABEL_FAR
                wanted.append((centre(l - 1, i), centre(l, j), at, f"{weight}{mark} = {values[weight]}"))
        bias = layer.bias
        if isinstance(bias, str):
            point = layout.bias_point(l)
            for j in range(len(layer.neurons)):
                edges.append(_line(point, centre(l, j), "sbs-edge sbs-bias-edge", dashed=True))
            nodes.append(_bias_node(point, bias))
            nodes.append(_text(point.x, point.y + RADIUS + 16, f"{bias}{bias_mark} = {values[bias]}", "sbs-value"))
        elif bias:
            for j, name in enumerate(bias):
                point = centre(l, j)
                fixed.append((point.x, point.y - RADIUS - 12, f"{name}{bias_mark} = {values[name]}"))
    if sample is not None:
        nodes += _sample_labels(layout, sample)
    circles = [centre(l, j) for l, layer in enumerate(layers) for j in range(len(layer.neurons))]
    placed, tidy = _place_labels(wanted, fixed, circles)
    width, height = layout.width, layout.height
    if not labels:
        nodes.append(_text(width / 2, height - 12, UNLABELLED_NOTE, "sbs-caption"))
    body = "".join(edges + nodes + placed)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="sbs-diagram" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="currentColor">'
            f"<title>{escape(drawing.title)}</title>{body}</svg>"), tidy


def _sample_labels(layout: _Layout, sample: tuple[list[str], list[str]]) -> list[str]:
    """The inputs left of the first layer, the targets right of the last."""
    inputs, targets = sample
    labels = []
    for i, value in enumerate(inputs):
        point = layout.centre(0, i)
        labels.append(_text(point.x - RADIUS - 8, point.y + 4, value, "sbs-value", anchor="end"))
    last = len(layout.neurons) - 1
    for k, value in enumerate(targets):
        point = layout.centre(last, k)
        labels.append(_text(point.x + RADIUS + 8, point.y + 4, f"target {value}", "sbs-value", anchor="start"))
    return labels


def _neuron(point: Point, name: str) -> str:
    return (f'<circle class="sbs-neuron" cx="{point.x:.1f}" cy="{point.y:.1f}" r="{RADIUS}" '
            f'fill="none" stroke="currentColor" stroke-width="1.6"/>'
            + _text(point.x, point.y + 5, name, "sbs-neuron-name"))


def _bias_node(point: Point, name: str) -> str:
    r = RADIUS * 0.75
    return (f'<rect class="sbs-bias" x="{point.x - r:.1f}" y="{point.y - r:.1f}" width="{2 * r:.1f}" '
            f'height="{2 * r:.1f}" rx="4" fill="none" stroke="currentColor" stroke-width="1.4"/>'
            + _text(point.x, point.y + 5, name, "sbs-neuron-name"))


def _line(start: Point, end: Point, css: str, dashed: bool = False) -> str:
    """A connection from circle edge to circle edge."""
    dx, dy = end.x - start.x, end.y - start.y
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    a = Point(start.x + ux * RADIUS, start.y + uy * RADIUS)
    b = Point(end.x - ux * RADIUS, end.y - uy * RADIUS)
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    return (f'<line class="{css}" x1="{a.x:.1f}" y1="{a.y:.1f}" x2="{b.x:.1f}" y2="{b.y:.1f}" '
            f'stroke="currentColor" stroke-opacity="0.55" stroke-width="1.2"{dash}/>')


Box = tuple[float, float, float, float]   # x, y, width, height


def _place_labels(wanted: list[tuple[Point, Point, float, str]], fixed: list[tuple[float, float, str]],
                  circles: list[Point]) -> tuple[list[str], bool]:
    """Each weight label on its own connection, at the first spot along it
    (starting from where it is wanted) that covers no other label and no
    neuron; the bias labels are placed first where they belong."""
    placed: list[Box] = []
    out = []
    tidy = True
    for x, y, text in fixed:
        placed.append(_box(x, y, text))
        out.append(_boxed(x, y, text, "sbs-value"))
    for start, end, at, text in wanted:
        spots = [at] + sorted(SPOTS, key=lambda spot: abs(spot - at))
        for spot in spots:
            x, y = start.x + (end.x - start.x) * spot, start.y + (end.y - start.y) * spot
            box = _box(x, y, text)
            if not any(_overlap(box, other) for other in placed) and not any(_covers(box, c) for c in circles):
                break
        else:
            x, y = start.x + (end.x - start.x) * at, start.y + (end.y - start.y) * at
            box = _box(x, y, text)
            tidy = False
        placed.append(box)
        out.append(_boxed(x, y, text, "sbs-weight"))
    return out, tidy


def _box(x: float, y: float, text: str) -> Box:
    width = len(text) * CHAR_WIDTH + 8
    return (x - width / 2, y - 9, width, 18)


def _overlap(a: Box, b: Box) -> bool:
    return not (a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1])


def _covers(box: Box, centre: Point) -> bool:
    nearest_x = min(max(centre.x, box[0]), box[0] + box[2])
    nearest_y = min(max(centre.y, box[1]), box[1] + box[3])
    return (nearest_x - centre.x) ** 2 + (nearest_y - centre.y) ** 2 < (RADIUS + 2) ** 2


def _boxed(x: float, y: float, text: str, css: str) -> str:
    """Text on a patch of background colour."""
    width = len(text) * CHAR_WIDTH + 8
    return (f'<rect class="sbs-label" x="{x - width / 2:.1f}" y="{y - 9:.1f}" width="{width:.1f}" height="18" '
            f'rx="4" fill="#fff" fill-opacity="0.92"/>' + _text(x, y + 4, text, css))


def _text(x: float, y: float, text: str, css: str, anchor: str = "middle") -> str:
    return (f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">'
            f"{escape(text)}</text>")
