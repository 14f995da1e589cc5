"""The walkthrough as a Jupyter notebook (nbformat 4), rendered from the document tree.

One Markdown cell per section (the title and introduction first, then each
level-2 section with what it holds), math as `$…$` / `$$…$$` (the Markdown
renderer's), figures as SVG attachments of their cell. A last code cell
rebuilds the walkthrough with the library API from the spec itself (written
into the cell as a Python dict) and prints a value, so the notebook is a
starting point for experiments. Written as JSON directly: nbformat is needed
only to validate or run it.
"""
from __future__ import annotations

import base64
import json
import pprint
from typing import Any

from ..document.blocks import Document, Figure, Section
from .markdown import MarkdownRenderer, escape_text

NBFORMAT, NBFORMAT_MINOR = 4, 5


class _NotebookMarkdown(MarkdownRenderer):
    """Markdown whose figures are images attached to their cell."""

    def __init__(self) -> None:
        super().__init__()
        self.attachments: dict[str, dict[str, str]] = {}

    def figure(self, block: Figure) -> str:
        from .figures import svg

        name = f"{block.id}.svg"
        self.attachments[name] = {"image/svg+xml": base64.b64encode(svg(block.drawing).encode("utf-8")).decode("ascii")}
        return f"![{escape_text(block.title)}](attachment:{name})"


def notebook(document: Document, spec: dict[str, Any], shown: str) -> str:
    """The notebook as JSON text. `spec` is the spec file's content (a dict),
    `shown` the name of the value the code cell prints."""
    cells = [_markdown_cell(part) for part in _parts(document)]
    cells.append(_code_cell(spec, shown))
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"stepbystep-{number}"
    data = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "title": document.title,
        },
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _parts(document: Document) -> list[tuple[Any, ...]]:
    """The blocks of each cell: the top section's heading and the blocks
    before its first subsection, then each subsection whole."""
    parts: list[tuple[Any, ...]] = []
    for block in document.blocks:
        if isinstance(block, Section) and block.level == 1:
            head = tuple(child for child in block.blocks if not isinstance(child, Section))
            parts.append((Section(block.title, 1, block.id, head),))
            parts.extend((child,) for child in block.blocks if isinstance(child, Section))
        else:
            parts.append((block,))
    return parts


def _markdown_cell(blocks: tuple[Any, ...]) -> dict[str, Any]:
    renderer = _NotebookMarkdown()
    text = renderer.join(renderer.blocks(blocks)).strip() + "\n"
    cell: dict[str, Any] = {"cell_type": "markdown", "metadata": {}, "source": _lines(text)}
    if renderer.attachments:
        cell["attachments"] = renderer.attachments
    return cell


def _code_cell(spec: dict[str, Any], shown: str) -> dict[str, Any]:
    source = (
        "# The same walkthrough, rebuilt from its spec with the library API (pip install stepbystep).\n"
        "import stepbystep\n\n"
        f"spec = {pprint.pformat(spec, indent=1, width=100, sort_dicts=False)}\n\n"
        "walk = stepbystep.from_dict(spec)\n"
        f"print({shown!r}, '=', walk.value({shown!r}))"
    )
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": _lines(source)}


def _lines(text: str) -> list[str]:
    """A cell's source as nbformat writes it: lines, each keeping its newline."""
    return text.splitlines(keepends=True)
