"""The walkthrough as Markdown with $…$ / $$…$$ math, rendered from the document tree."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..document.blocks import (
    Bullets,
    Code,
    Document,
    Equation,
    Figure,
    Math,
    Note,
    Paragraph,
    Section,
    Strong,
    Table,
    Text,
    UserText,
)
from .renderer import Renderer, equation_note
from .text import markdown_text

if TYPE_CHECKING:
    from .templates import Templates

# Markdown's syntax characters, escaped in text; `_` only where it could start or
# end emphasis (inside a word, as in the neuron name h1_2, it never does).
_SYNTAX = re.compile(r"[\\`*\[\]#|$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def escape_text(text: str) -> str:
    """Plain text made inert in Markdown: HTML's special characters as entities,
    Markdown's syntax escaped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SYNTAX.sub(lambda match: "\\" + match.group(0), text)


class MarkdownRenderer(Renderer):
    """`figure_files` maps a figure id to an image file written beside the
    document (the CLI's -o): the Markdown links it instead of its fallback."""

    format = "md"
    suffix = "md.j2"

    def __init__(self, figure_files: dict[str, str] | None = None, templates: "Templates | None" = None,
                 heading_offset: int = 0) -> None:
        super().__init__(templates)
        self.figure_files = figure_files or {}
        self.heading_offset = heading_offset  # a document inside another: its headings moved down

    def document(self, document: Document) -> str:
        return tidy("\n\n".join(self.blocks(document.blocks)))

    def join(self, parts: list[str]) -> str:
        return "\n\n".join(parts)

    def section(self, block: Section) -> str:
        heading = "#" * min(6, block.level + self.heading_offset) + " " + self.inline(block.title)
        return "\n\n".join([heading] + self.blocks(block.blocks))

    def paragraph(self, block: Paragraph) -> str:
        return self.inline(block.runs)

    def equation(self, block: Equation) -> str:
        note = equation_note(block)
        return f"$${block.latex}$$" + ("" if note is None else "\n\n" + self.block(note))

    def table(self, block: Table) -> str:
        lines = [self._row(block.header), "|" + "---|" * len(block.header)]
        lines.extend(self._row(row) for row in block.rows)
        return "\n".join(lines)

    def _row(self, cells: tuple) -> str:
        return "|" + "|".join(f" {text} " if text else " " for text in map(self.inline, cells)) + "|"

    def figure(self, block: Figure) -> str:
        file = self.figure_files.get(block.id)
        if file is not None:
            return f"![{markdown_text(block.title)}]({quote(file)})"
        return "\n\n".join(self.blocks(block.fallback))

    def note(self, block: Note) -> str:
        return f"> **{escape_text(block.label)}.** {self.inline(block.runs)}"

    def bullets(self, block: Bullets) -> str:
        items = []
        for item in block.items:
            text = "- " + self.inline(item.runs).replace("\n", "\n  ")
            if item.blocks:
                nested = "\n\n".join(self.blocks(item.blocks))
                text += "\n\n" + "\n".join("  " + line if line else line for line in nested.split("\n")) + "\n"
            items.append(text)
        return "\n".join(items)

    def text(self, run: "Text | UserText") -> str:
        return escape_text(run.text)

    def user_text(self, run: UserText) -> str:
        return markdown_text(run.text)

    def math(self, run: Math) -> str:
        return f"${run.latex}$"

    def strong(self, run: Strong) -> str:
        return f"**{escape_text(run.text)}**"

    def code(self, run: Code) -> str:
        return f"`{run.text}`"


def tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, one newline at the end."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line and (not lines or not lines[-1]):
            continue
        lines.append(line)
    return "\n".join(lines).strip() + "\n"


def render_markdown(document: Document, figure_files: dict[str, str] | None = None,
                    templates: "Templates | None" = None, heading_offset: int = 0) -> str:
    """The document as Markdown; `heading_offset` moves every heading down
    (a worked solution inside a solution sheet)."""
    return MarkdownRenderer(figure_files, templates, heading_offset).document(document)
