"""The walkthrough as Typst, rendered from the document tree (and so as PDF).

One method per kind of block, as every renderer (formats/renderer.py).
Text is always a Typst string (typst.py), math is converted from the
document's LaTeX, tables get booktabs-like rules, a figure is its SVG
drawing placed as an image. Each part of the computation (a level-2 section
with equations) starts a new page; the set-up before it (conventions, the
network, the sample) flows on from the title. Black on white throughout:
readable from a photocopy.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..document.blocks import (Bullets, Code, Document, Equation, Figure, Math, Note, Paragraph, Section, Strong, Table,
                               Text, walk)
from .renderer import Renderer, equation_note
from .typst import preamble, typst_math, typst_string, typst_text

if TYPE_CHECKING:
    from ..document.blocks import UserText
    from .templates import Templates

FIGURE_WIDTH = "85%"


class TypstRenderer(Renderer):
    format = "typst"
    suffix = "typ.j2"

    def __init__(self, templates: "Templates | None" = None, heading_offset: int = 0, page_breaks: bool = True,
                 pictures: bool = True) -> None:
        super().__init__(templates)
        self.heading_offset = heading_offset  # a document inside another (a solution sheet)
        self.page_breaks = page_breaks
        self.pictures = pictures              # False: a figure's fallback (its table), much lighter to print

    def document(self, document: Document) -> str:
        return self.join(self.blocks(document.blocks)) + "\n"

    def join(self, parts: list[str]) -> str:
        return "\n\n".join(part for part in parts if part)

    def section(self, block: Section) -> str:
        level = min(6, block.level + self.heading_offset)
        label = f" <{block.id}>" if block.id and self.heading_offset == 0 else ""
        heading = "=" * level + " " + self.inline(block.title) + label
        if self.page_breaks and level == 2 and _has_equations(block):
            heading = "#pagebreak(weak: true)\n" + heading
        return self.join([heading] + self.blocks(block.blocks))

    def paragraph(self, block: Paragraph) -> str:
        return self.inline(block.runs)

    def equation(self, block: Equation) -> str:
        note = equation_note(block)
        shown = typst_math(block.latex, display=True)
        return shown if note is None else shown + "\n\n" + self.note(note)

    def table(self, block: Table) -> str:
        columns = len(block.header)
        cells = ["rule(1pt)"] + [f"[*{self.inline(cell)}*]" if cell else "[]" for cell in block.header] + ["rule(0.5pt)"]
        for row in block.rows:
            cells += [f"[{self.inline(cell)}]" for cell in row]
        cells.append("rule(1pt)")
        return f"#table(columns: {columns}, align: left,\n  " + ",\n  ".join(cells) + ")"

    def figure(self, block: Figure) -> str:
        if not self.pictures:
            return self.join(self.blocks(block.fallback))
        from .figures import svg

        picture = svg(block.drawing)
        return (f"#figure(image(bytes({typst_string(picture)}), format: \"svg\", width: {FIGURE_WIDTH}), "
                f"caption: [{typst_text(block.title)}])")

    def note(self, block: Note) -> str:
        return f"#note({typst_string(block.label)})[{self.inline(block.runs)}]"

    def bullets(self, block: Bullets) -> str:
        items = []
        for item in block.items:
            nested = self.join(self.blocks(item.blocks))
            items.append(f"- {self.inline(item.runs)}" + ("\n\n  " + nested.replace("\n", "\n  ") if nested else ""))
        return "\n".join(items)

    def text(self, run: Text) -> str:
        return typst_text(run.text)

    def user_text(self, run: "UserText") -> str:
        return typst_text(run.text)

    def math(self, run: Math) -> str:
        return typst_math(run.latex)

    def strong(self, run: Strong) -> str:
        return f"*{typst_text(run.text)}*"

    def code(self, run: Code) -> str:
        return f"#raw({typst_string(run.text)});"


def _has_equations(section: Section) -> bool:
    return any(isinstance(block, Equation) for block in walk(section.blocks))


def typst_document(document: Document, paper: str = "a4") -> str:
    """A whole printable walkthrough: the page set-up, then the tree."""
    return preamble(document.title, paper) + "\n" + TypstRenderer().document(document)
