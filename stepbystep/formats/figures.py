"""Figures drawn: the data of a figure block (document/figures.py) as SVG.
Each kind of drawing has its own module; only the one needed is imported."""
from __future__ import annotations

from dataclasses import dataclass

from ..document.blocks import Figure
from ..document.figures import CircuitDrawing, Drawing, GridsDrawing, LossCurve, NetworkDrawing, UnrolledDrawing


@dataclass(frozen=True)
class DrawnFigure:
    """A figure with its picture: `svg` is our own markup (trusted)."""

    id: str
    title: str
    svg: str
    figure: Figure


def svg(drawing: Drawing) -> str:
    """The picture of one drawing as inline SVG."""
    if isinstance(drawing, NetworkDrawing):
        from .diagram import network_svg

        return network_svg(drawing)
    if isinstance(drawing, CircuitDrawing):
        from .circuit import circuit_svg

        return circuit_svg(drawing)
    if isinstance(drawing, LossCurve):
        from .plot import loss_curve_svg

        return loss_curve_svg(drawing.points, drawing.title, drawing.x_label, drawing.y_label,
                              drawing.label, drawing.others)
    if isinstance(drawing, GridsDrawing):
        from .grids import grids_svg

        return grids_svg(drawing)
    if isinstance(drawing, UnrolledDrawing):
        from .unrolled import unrolled_svg

        return unrolled_svg(drawing)
    raise ValueError(f"no drawing for figures of kind {type(drawing).__name__}")


def html_picture(drawing: Drawing) -> str:
    """The picture of one drawing for an HTML page: as `svg`, except grids,
    which the page lays out one by one (formats/grids.py)."""
    if isinstance(drawing, GridsDrawing):
        from .grids import grids_html

        return grids_html(drawing)
    return svg(drawing)


def drawn(figure: Figure) -> DrawnFigure:
    return DrawnFigure(figure.id, figure.title, svg(figure.drawing), figure)
