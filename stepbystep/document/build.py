"""A trace as a document: the one entry point of the document layer."""
from __future__ import annotations

from ..engine.facts import DescentFacts, GraphFacts
from ..engine.trace import Trace
from ..numbers import DEFAULT_PRECISION
from .blocks import Document, Text
from .formatter import Formatter
from .outline import Outline, user_text

NOTATIONS = ("scalar", "matrix")


def build_document(trace: Trace, precision: int = DEFAULT_PRECISION, notation: str = "scalar") -> Document:
    """The walkthrough of a trace as a tree of blocks, at one precision.
    notation "matrix": each recorded step in vectorized form (networks only)."""
    if notation not in NOTATIONS:
        raise ValueError(f"notation must be 'scalar' or 'matrix', not {notation!r}")
    formatter = Formatter(trace, precision)
    outline = Outline()
    if isinstance(trace.facts, DescentFacts):
        from .descent import descent_blocks

        outline.section((user_text(trace.title),), 1)
        descent_blocks(outline, trace, formatter)
        return Document(trace.title, outline.finish(), "graph")
    if isinstance(trace.facts, GraphFacts):
        from .graph import graph_blocks

        outline.section((user_text(trace.title),), 1)
        graph_blocks(outline, trace, formatter)
        return Document(trace.title, outline.finish(), "graph")
    if notation == "matrix":
        from .matrix_walkthrough import matrix_blocks

        outline.section((user_text(trace.title), Text(" (matrix form)")), 1)
        matrix_blocks(outline, trace, formatter)
        return Document(trace.title, outline.finish(), "matrix")
    from .network import network_blocks

    outline.section((user_text(trace.title),), 1)
    network_blocks(outline, trace, formatter)
    return Document(trace.title, outline.finish(), "scalar")
