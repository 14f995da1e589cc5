"""The walkthrough as LaTeX, rendered from the document tree.

A standalone document that needs amsmath and nothing else (pdflatex or
lualatex), or with `fragment` a piece to `\\input` into a course's own
document (which then brings amsmath). Every equation is the document's own
LaTeX, in `\\[ … \\]`, long ones as an `aligned` block broken at `=`; tables
have booktabs-like rules made of plain TeX rules (so booktabs is not needed);
figures are drawn in LaTeX's own picture environment (formats/latex_picture.py).
User text (a title, a note, a layer name) is escaped character by character:
it is always text, never TeX.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..document.blocks import Bullets, Code, Document, Equation, Figure, Math, Note, Paragraph, Section, Strong, Table, Text
from .latex_text import latex_text
from .renderer import Renderer, equation_note

if TYPE_CHECKING:
    from ..document.blocks import UserText
    from .templates import Templates

SECTIONS = ("section*", "subsection*", "subsubsection*", "paragraph*", "subparagraph*", "subparagraph*")


class LatexRenderer(Renderer):
    format = "latex"
    suffix = "tex.j2"

    def __init__(self, templates: "Templates | None" = None, heading_offset: int = 0) -> None:
        super().__init__(templates)
        self.heading_offset = heading_offset

    def document(self, document: Document) -> str:
        return self.join(self.blocks(document.blocks)) + "\n"

    def join(self, parts: list[str]) -> str:
        return "\n\n".join(part for part in parts if part)

    def section(self, block: Section) -> str:
        level = block.level + self.heading_offset
        if level == 1 and self.heading_offset == 0:
            heading = "\\begin{center}\n{\\LARGE\\bfseries " + self.inline(block.title) + "\\par}\n\\end{center}"
        else:
            heading = f"\\{SECTIONS[min(level - 2, len(SECTIONS) - 1)]}{{{self.inline(block.title)}}}"
        if block.id:
            heading += f"\\label{{{block.id}}}"
        return self.join([heading] + self.blocks(block.blocks))

    def paragraph(self, block: Paragraph) -> str:
        return self.inline(block.runs)

    def equation(self, block: Equation) -> str:
        note = equation_note(block)
        shown = "\\[\n" + block.latex + "\n\\]"
        return shown if note is None else shown + "\n" + self.note(note)

    def table(self, block: Table) -> str:
        columns = len(block.header)
        lines = [
            "\\begin{center}",
            f"\\begin{{tabular}}{{{'l' * columns}}}",
            "\\sbstoprule",
            " & ".join(f"\\textbf{{{self.inline(cell)}}}" if cell else "" for cell in block.header) + " \\\\",
            "\\sbsmidrule",
        ]
        lines += [" & ".join(self.inline(cell) for cell in row) + " \\\\" for row in block.rows]
        lines += ["\\sbsbottomrule", "\\end{tabular}", "\\end{center}"]
        return "\n".join(lines)

    def figure(self, block: Figure) -> str:
        from .latex_picture import picture

        drawn = picture(block.drawing)
        if drawn is None:  # a kind of drawing LaTeX does not draw: what the other text formats show
            return self.join(self.blocks(block.fallback))
        return ("\\begin{center}\n" + drawn + "\n\n\\smallskip{\\small " + latex_text(block.title) + "}\n\\end{center}")

    def note(self, block: Note) -> str:
        return f"\\begin{{quote}}\\textbf{{{latex_text(block.label)}.}} {self.inline(block.runs)}\\end{{quote}}"

    def bullets(self, block: Bullets) -> str:
        items = []
        for item in block.items:
            nested = self.join(self.blocks(item.blocks))
            items.append("\\item " + self.inline(item.runs) + ("\n\n" + nested if nested else ""))
        return "\\begin{itemize}\n" + "\n".join(items) + "\n\\end{itemize}"

    def text(self, run: Text) -> str:
        return latex_text(run.text)

    def user_text(self, run: "UserText") -> str:
        return latex_text(run.text)

    def math(self, run: Math) -> str:
        return f"\\({run.latex}\\)"

    def strong(self, run: Strong) -> str:
        return f"\\textbf{{{latex_text(run.text)}}}"

    def code(self, run: Code) -> str:
        return f"\\texttt{{{latex_text(run.text)}}}"


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath}
% Tables with booktabs-like rules, from plain TeX rules (no booktabs package needed).
\newcommand{\sbstoprule}{\noalign{\vskip 2pt\hrule height 0.8pt\vskip 3pt}}
\newcommand{\sbsmidrule}{\noalign{\vskip 2pt\hrule height 0.4pt\vskip 3pt}}
\newcommand{\sbsbottomrule}{\noalign{\vskip 2pt\hrule height 0.8pt\vskip 2pt}}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
% A 16 cm text column, centred, without the geometry package.
\setlength{\textwidth}{16cm}
\setlength{\oddsidemargin}{\dimexpr(\paperwidth-\textwidth)/2-1in\relax}
\setlength{\evensidemargin}{\oddsidemargin}
\setlength{\emergencystretch}{3em}
\allowdisplaybreaks
"""

FRAGMENT_MACROS = r"""% stepbystep walkthrough: \input this into a document that loads amsmath.
\providecommand{\sbstoprule}{\noalign{\vskip 2pt\hrule height 0.8pt\vskip 3pt}}
\providecommand{\sbsmidrule}{\noalign{\vskip 2pt\hrule height 0.4pt\vskip 3pt}}
\providecommand{\sbsbottomrule}{\noalign{\vskip 2pt\hrule height 0.8pt\vskip 2pt}}
"""


def render_latex(document: Document, fragment: bool = False, paper: str = "a4") -> str:
    """A standalone document (amsmath only), or with `fragment` a piece to `\\input`."""
    body = LatexRenderer().document(document)
    if fragment:
        return FRAGMENT_MACROS + "\n" + body
    size = {"a4": "a4paper", "letter": "letterpaper"}[paper]
    preamble = PREAMBLE.replace("\\documentclass[11pt]{article}", f"\\documentclass[11pt,{size}]{{article}}")
    return preamble + "\\begin{document}\n\n" + body + "\n\\end{document}\n"
