"""A sequence network unrolled in time, as SVG (document/figures.UnrolledDrawing).

One column per time step (column 0 holds the initial state), one row per
layer with the inputs at the bottom; each unit a box with its name and its
value at that step. Arrows go up from a layer to the next at the same step,
and right along a recurrent layer from one step to the next (with up to three
units also, faint, from each unit to the others: every unit feeds every unit
of the next step); the targets of
a scored step are written above its outputs.
"""
from __future__ import annotations

from html import escape

from ..document.figures import UnrolledDrawing
from ..numbers import format_number

COLUMN = 130.0       # px between time steps
BOX_W, BOX_H = 96.0, 34.0
UNIT_GAP = 8.0       # between the boxes of one layer at one step
LAYER_GAP = 46.0     # between layers
LEFT, TOP, BOTTOM = 70.0, 40.0, 24.0
MAX_DECIMALS = 4
MAX_CROSSED = 3      # up to this many units, the arrows between different units too (faint)


def unrolled_svg(drawing: UnrolledDrawing) -> str:
    layers = drawing.layers
    heights = [len(layer.units) * (BOX_H + UNIT_GAP) - UNIT_GAP for layer in layers]
    height = TOP + sum(heights) + LAYER_GAP * (len(layers) - 1) + BOTTOM + 18
    width = LEFT + COLUMN * (drawing.steps + 1) + 20
    parts = [_arrow_marker()]
    tops: list[float] = []
    y = height - BOTTOM
    for layer_height in heights:           # the inputs at the bottom
        y -= layer_height
        tops.append(y)
        y -= LAYER_GAP

    def box(l: int, j: int, t: int) -> tuple[float, float]:
        return LEFT + COLUMN * t, tops[l] + j * (BOX_H + UNIT_GAP)

    for t in range(drawing.steps + 1):
        parts.append(_text(LEFT + COLUMN * t + BOX_W / 2, 18, f"t = {t}", "sbs-caption"))
    for l, layer in enumerate(layers):
        parts.append(_text(LEFT - 12, tops[l] + heights[l] / 2 + 4, layer.name, "sbs-caption", anchor="end"))
        for t, row in enumerate(layer.values):
            for j, value in enumerate(row):
                if value is None:
                    continue
                x, top = box(l, j, t)
                label = f"{layer.units[j]} = {format_number(value, min(drawing.precision, MAX_DECIMALS))}"
                parts.append(f'<rect class="sbs-neuron" x="{x:.1f}" y="{top:.1f}" width="{BOX_W:.0f}" height="{BOX_H:.0f}" '
                             f'rx="6" fill="none" stroke="currentColor" stroke-width="1.4"/>')
                parts.append(_text(x + BOX_W / 2, top + BOX_H / 2 + 4, label, "sbs-value"))
                if layer.recurrent and t and layer.values[t - 1][j] is not None:
                    from_x, from_top = box(l, j, t - 1)
                    parts.append(_line(from_x + BOX_W, from_top + BOX_H / 2, x - 2, top + BOX_H / 2))
                    if len(layer.units) <= MAX_CROSSED:   # every unit feeds every unit of the next step
                        for i in range(len(layer.units)):
                            if i != j and layer.values[t - 1][i] is not None:
                                _, other_top = box(l, i, t - 1)
                                parts.append(_line(from_x + BOX_W, other_top + BOX_H / 2, x - 2, top + BOX_H / 2,
                                                   faint=True))
        if l:
            for t in range(1, drawing.steps + 1):   # one arrow up from the layer below at each step
                x = LEFT + COLUMN * t + BOX_W / 2
                parts.append(_line(x, tops[l - 1], x, tops[l] + heights[l] + 2))
    for t, targets in enumerate(drawing.targets):
        scored = [value for value in targets if value is not None]
        if scored:
            x, top = box(len(layers) - 1, 0, t)
            text = "target " + ", ".join(format_number(value, min(drawing.precision, MAX_DECIMALS)) for value in scored)
            parts.append(_text(x + BOX_W / 2, top - 8, text, "sbs-caption"))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="sbs-diagram sbs-unrolled" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="currentColor">'
            f"<title>{escape(drawing.title)}</title>{''.join(parts)}</svg>")


def _arrow_marker() -> str:
    return ('<defs><marker id="sbs-arrow-unrolled" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="currentColor"/></marker></defs>')


def _line(x1: float, y1: float, x2: float, y2: float, faint: bool = False) -> str:
    opacity = ' stroke-opacity="0.45"' if faint else ""
    return (f'<line class="sbs-edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="currentColor" '
            f'stroke-width="1.2"{opacity} marker-end="url(#sbs-arrow-unrolled)"/>')


def _text(x: float, y: float, text: str, css: str, anchor: str = "middle") -> str:
    return f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'
