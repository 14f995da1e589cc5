"""Grids of numbers as SVG: an image, a kernel, an output map side by side,
the cells of the worked position marked (document/figures.GridsDrawing).

For files and print, one picture; for an HTML page, one picture per grid with
the operators between them as text, laid out by the page (`grids_html`), so
on a phone the grids wrap onto lines of their own at full size instead of
shrinking the whole row to unreadable digits.

Each grid is a block of square cells with its number written in, its title
under it, and the operator between grids (⋆, +, =, →) centred between them.
Marked cells get a heavier outline and a light fill. `currentColor` keeps the
picture in the page's colours; the numbers are shortened to fit a cell.
"""
from __future__ import annotations

from html import escape

from ..document.figures import GridsDrawing
from ..numbers import format_number

CELL = 46.0          # px, one square cell
GAP = 40.0           # between a grid and the operator after it
TOP, BOTTOM, SIDE = 14.0, 40.0, 14.0
MAX_DECIMALS = 3     # a cell holds about six characters
CHAR = 6.6           # px, the width of a caption character (12px sans-serif)


def cell_text(value: float, precision: int) -> str:
    return format_number(value, min(precision, MAX_DECIMALS))


def grids_svg(drawing: GridsDrawing) -> str:
    widths = [max(len(grid.values[0]) * CELL, len(grid.title) * CHAR + 8) for grid in drawing.grids]
    tallest = max(len(grid.values) for grid in drawing.grids) * CELL
    width = SIDE * 2 + sum(widths) + GAP * 2 * len(drawing.operators)
    height = TOP + tallest + BOTTOM
    parts: list[str] = []
    x = SIDE
    for index, grid in enumerate(drawing.grids):
        rows, columns = len(grid.values), len(grid.values[0])
        y0 = TOP + (tallest - rows * CELL) / 2
        left = x + (widths[index] - columns * CELL) / 2
        marked = set(grid.marked)
        for r, row in enumerate(grid.values):
            for c, value in enumerate(row):
                cx, cy = left + c * CELL, y0 + r * CELL
                style = ('fill="currentColor" fill-opacity="0.12" stroke="currentColor" stroke-width="2.4"'
                         if (r, c) in marked else 'fill="none" stroke="currentColor" stroke-opacity="0.55"')
                parts.append(f'<rect class="sbs-cell{" sbs-marked" if (r, c) in marked else ""}" x="{cx:.1f}" '
                             f'y="{cy:.1f}" width="{CELL:.0f}" height="{CELL:.0f}" {style}/>')
                parts.append(_text(cx + CELL / 2, cy + CELL / 2 + 4, cell_text(value, drawing.precision), "sbs-value"))
        parts.append(_text(x + widths[index] / 2, TOP + tallest + 24, grid.title, "sbs-caption"))
        x += widths[index]
        if index < len(drawing.operators):
            parts.append(_text(x + GAP, TOP + tallest / 2 + 9, drawing.operators[index], "sbs-operator", size=26))
            x += 2 * GAP
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="sbs-diagram sbs-grids" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="currentColor">'
            f"<title>{escape(drawing.title)}</title>{''.join(parts)}</svg>")


def grids_html(drawing: GridsDrawing) -> str:
    """The grids as one <svg> each (drawn as grids_svg draws a row of one),
    with the operators between them, in a wrapping row (style.css:
    .sbs-grids-flow)."""
    parts = []
    for index, grid in enumerate(drawing.grids):
        parts.append(grids_svg(GridsDrawing((grid,), (), drawing.precision, grid.title)))
        if index < len(drawing.operators):
            parts.append(f'<span class="sbs-grid-operator" aria-hidden="true">{escape(drawing.operators[index])}</span>')
    return f'<div class="sbs-grids-flow" role="group" aria-label="{escape(drawing.title)}">{"".join(parts)}</div>'


def _text(x: float, y: float, text: str, css: str, size: int | None = None) -> str:
    font = f' font-size="{size}"' if size else ""
    return f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="middle"{font}>{escape(text)}</text>'
