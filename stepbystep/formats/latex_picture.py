"""The network drawn for LaTeX in its own `picture` environment (no TikZ, no
pict2e): the standalone document keeps needing amsmath only.

Base LaTeX's picture mode draws circles of a few fixed sizes and lines of a
few slopes, but `\\qbezier` draws any straight segment (a curve whose
control point is its midpoint), so every connection is one `\\qbezier`.
Neurons are circles with their names, a shared bias a framed box under the
layer it comes from; each weight's label sits on its own connection, near
the source for even and near the target for odd source neurons (the same
rule as the SVG picture), so labels of one neuron's fan-out are apart.
Other drawings (circuits, loss curves) return None: the document then shows
its table instead.
"""
from __future__ import annotations

from typing import Any

from ..numbers import format_number
from .diagram import labelled
from .latex_text import latex_text

WIDTH = 280.0          # pt, first to last layer: with MARGIN on both sides, an article's text width at 11pt
MARGIN = 30.0          # room for the bias captions and the outer labels
ROW_GAP = 46.0
DIAMETER = 20          # a size base LaTeX has a circle for
TOP = 18.0
NEAR, FAR = 0.3, 0.7


def picture(drawing: Any) -> str | None:
    """The drawing in picture mode, or None where the table says it better: other
    kinds, and nets too big to label (base LaTeX draws each line as dots, and
    a few hundred lines exhaust TeX's memory)."""
    if getattr(drawing, "kind", None) != "network" or not labelled(drawing):
        return None
    return network_picture(drawing)


def network_picture(drawing: Any) -> str:
    layers = drawing.layers
    values = {name: format_number(value, drawing.precision) for name, value in drawing.values.items()}
    tallest = max(len(layer.neurons) for layer in layers)
    has_bias = any(isinstance(layer.bias, str) for layer in layers[1:])
    height = TOP + tallest * ROW_GAP + (ROW_GAP if has_bias else 0)
    gap = WIDTH / max(1, len(layers) - 1) if len(layers) > 1 else 0.0

    def centre(l: int, j: int) -> tuple[float, float]:
        size = len(layers[l].neurons)
        offset = (tallest - size) * ROW_GAP / 2
        return l * gap, height - TOP - offset - ROW_GAP * (j + 0.5)

    def bias_point(l: int) -> tuple[float, float]:
        return (l - 1) * gap, ROW_GAP * 0.45

    parts = [f"\\setlength{{\\unitlength}}{{1pt}}\\begin{{picture}}({WIDTH + 2 * MARGIN:.0f},{height:.0f})"
             f"({-MARGIN:.0f},0)\\scriptsize"]
    for l, layer in enumerate(layers):
        x = l * gap
        caption = f"layer {layer.name}" + (f" ({layer.activation})" if layer.activation else "")
        parts.append(f"\\put({x:.1f},{height - 4:.1f}){{\\makebox(0,0){{{latex_text(caption)}}}}}")
        for j, neuron in enumerate(layer.neurons):
            cx, cy = centre(l, j)
            parts.append(f"\\put({cx:.1f},{cy:.1f}){{\\circle{{{DIAMETER}}}}}")
            parts.append(f"\\put({cx:.1f},{cy:.1f}){{\\makebox(0,0){{{latex_text(neuron)}}}}}")
        if not l:
            continue
        for j, row in enumerate(layer.weights):
            for i, weight in enumerate(row):
                parts += _edge(centre(l - 1, i), centre(l, j), f"{weight} = {values[weight]}",
                               NEAR if i % 2 == 0 else FAR)
        if isinstance(layer.bias, str):
            bx, by = bias_point(l)
            parts.append(f"\\put({bx - 9:.1f},{by - 7:.1f}){{\\framebox(18,14){{{latex_text(layer.bias)}}}}}")
            parts.append(f"\\put({bx:.1f},{by - 14:.1f}){{\\makebox(0,0){{{latex_text(layer.bias)} = "
                         f"{latex_text(values[layer.bias])}}}}}")
            for j in range(len(layer.neurons)):
                parts += _segment((bx, by + 7), centre(l, j), shorten_end=DIAMETER / 2)
    parts.append("\\end{picture}")
    return "\n".join(parts)


def _edge(start: tuple[float, float], end: tuple[float, float], label: str, where: float) -> list[str]:
    lines = _segment(start, end, shorten_start=DIAMETER / 2, shorten_end=DIAMETER / 2)
    x = start[0] + (end[0] - start[0]) * where
    y = start[1] + (end[1] - start[1]) * where
    lines.append(f"\\put({x:.1f},{y + 5:.1f}){{\\makebox(0,0){{{latex_text(label)}}}}}")
    return lines


def _segment(start: tuple[float, float], end: tuple[float, float], shorten_start: float = 0.0,
             shorten_end: float = 0.0) -> list[str]:
    (x1, y1), (x2, y2) = start, end
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    x1, y1 = x1 + ux * shorten_start, y1 + uy * shorten_start
    x2, y2 = x2 - ux * shorten_end, y2 - uy * shorten_end
    return [f"\\qbezier({x1:.1f},{y1:.1f})({(x1 + x2) / 2:.1f},{(y1 + y2) / 2:.1f})({x2:.1f},{y2:.1f})"]
