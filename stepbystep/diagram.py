"""The network as an inline SVG picture, drawn by our own code (no graphviz).

Layers are columns from left to right, neurons circles labelled with their
names (i1, h1, o1), every connection a line labelled with its weight, and a
shared bias a small node feeding its layer (a per-neuron bias is written under
its neuron). The picture uses `currentColor` and CSS classes, so it follows the
page's colours (dark mode) and still looks right with no stylesheet at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Mapping

from .spec import NetworkSpec

if TYPE_CHECKING:
    from .nn import Parameters
    from .render import Figure, Formatter
    from .trace import Trace

COLUMN_GAP = 230      # at least; wider when the weight labels are long
CHAR_WIDTH = 7.4      # of a 13px label character, roughly
ROW_GAP = 92
RADIUS = 22
MARGIN_X = 70
TOP = 58              # room for the layer captions
LABEL_AT = 0.3        # where along a connection its weight label sits


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def network_figures(trace: "Trace", formatter: "Formatter") -> list["Figure"]:
    """The network before and after training, for a dense-network trace."""
    from .render import Figure

    facts = trace.facts
    spec = facts.get("spec")
    if not isinstance(spec, NetworkSpec) or "parameters" not in facts:
        return []
    steps = facts["steps"]
    before = {name: formatter.text(value) for name, value in facts["initial"].items()}
    values = trace.graph.values
    after = {name: formatter.text(values[f"after{steps}.{name}"]) for name in facts["initial"]}
    sample = None
    if len(spec.samples) == 1:
        sample = ([formatter.text(v) for v in spec.samples[0].inputs], [formatter.text(v) for v in spec.samples[0].targets])
    updates = f"{steps} update" + ("s" if steps > 1 else "")
    return [
        Figure("network", "The network with its starting weights",
               network_svg(spec, facts["parameters"], before, "The network with its starting weights", sample),
               place="network"),
        Figure("network-after", f"The network after {updates}",
               network_svg(spec, facts["parameters"], after, f"The network after {updates}", None, updated=True),
               place="end"),
    ]


def network_svg(spec: NetworkSpec, names: "Parameters", values: Mapping[str, str], title: str,
                sample: tuple[list[str], list[str]] | None = None, updated: bool = False) -> str:
    """One picture of the network; `values` maps parameter names to printed
    numbers; `sample` (inputs, targets as text) is written beside the layers."""
    layers = spec.layers
    tallest = max(layer.size for layer in layers)
    has_shared_bias = any(isinstance(layer.bias, (int, float)) and not isinstance(layer.bias, bool)
                          for layer in layers[1:])
    height = TOP + tallest * ROW_GAP + (ROW_GAP if has_shared_bias else 10) + 10
    longest = max((len(name) + len(values[name]) + 4 for row_names in names.weights for row in row_names
                   for name in row), default=0)
    # the label must end before the circle it points to
    gap = max(COLUMN_GAP, (1.6 * RADIUS + 6 + longest * CHAR_WIDTH) / (1 - LABEL_AT))
    width = 2 * MARGIN_X + gap * (len(layers) - 1) + (40 if sample else 0)
    left = MARGIN_X + (40 if sample else 0)

    def centre(l: int, j: int) -> Point:
        size = layers[l].size
        offset = (tallest - size) * ROW_GAP / 2
        return Point(left + l * gap, TOP + offset + ROW_GAP * (j + 0.5))

    def bias_point(l: int) -> Point:
        return Point(left + (l - 1) * gap, TOP + tallest * ROW_GAP + ROW_GAP * 0.45)

    mark = "⁺" if updated else ""
    bias_mark = mark if spec.update_biases else ""
    edges: list[str] = []
    labels: list[str] = []
    nodes: list[str] = []
    for l, layer in enumerate(layers):
        caption = "input" if l == 0 else ("output" if l == len(layers) - 1 else "hidden")
        if layer.activation:
            caption += f" · {layer.activation}"
        x = centre(l, 0).x
        nodes.append(_text(x, 22, f"layer {layer.name}", "sbs-layer"))
        nodes.append(_text(x, 40, caption, "sbs-caption"))
        for j in range(layer.size):
            nodes.append(_neuron(centre(l, j), layer.neuron(j)))
        if l == 0:
            continue
        for j, row in enumerate(names.weights[l]):
            for i, weight in enumerate(row):
                edges.append(_line(centre(l - 1, i), centre(l, j), "sbs-edge"))
                labels.append(_edge_label(centre(l - 1, i), centre(l, j), f"{weight}{mark} = {values[weight]}"))
        bias = names.biases[l]
        if isinstance(bias, str):
            point = bias_point(l)
            for j in range(layer.size):
                edges.append(_line(point, centre(l, j), "sbs-edge sbs-bias-edge", dashed=True))
            nodes.append(_bias_node(point, bias))
            nodes.append(_text(point.x, point.y + RADIUS + 16, f"{bias}{bias_mark} = {values[bias]}", "sbs-value"))
        elif bias:
            for j, name in enumerate(bias):
                point = centre(l, j)
                nodes.append(_text(point.x, point.y + RADIUS + 15, f"{name}{bias_mark} = {values[name]}", "sbs-value"))
    if sample is not None:
        inputs, targets = sample
        for i, value in enumerate(inputs):
            point = centre(0, i)
            nodes.append(_text(point.x - RADIUS - 8, point.y + 4, value, "sbs-value", anchor="end"))
        last = len(layers) - 1
        for k, value in enumerate(targets):
            point = centre(last, k)
            nodes.append(_text(point.x + RADIUS + 8, point.y + 4, f"target {value}", "sbs-value", anchor="start"))
        width += 60
    body = "".join(edges + nodes + labels)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="sbs-diagram" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'font-family="system-ui, sans-serif" font-size="13" fill="currentColor">'
            f"<title>{escape(title)}</title>{body}</svg>")


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


def _edge_label(start: Point, end: Point, text: str) -> str:
    x = start.x + (end.x - start.x) * LABEL_AT + RADIUS * 0.6
    y = start.y + (end.y - start.y) * LABEL_AT
    return _text(x, y + 4, text, "sbs-weight", anchor="start")


def _text(x: float, y: float, text: str, css: str, anchor: str = "middle") -> str:
    return (f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">'
            f"{escape(text)}</text>")
