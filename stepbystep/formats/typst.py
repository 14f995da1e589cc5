"""Typst source: text made inert, math converted, and the page set-up of a printed document.

Typst is the typesetter behind the PDFs (formats/pdf.py says why). Untrusted
text (a title, a note, a layer name) never becomes Typst markup: it is
written as a Typst string, `#"…";`, which Typst prints verbatim. Math is our
own LaTeX converted by typst_math.py.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .templates import template_environment
from .typst_math import latex_to_typst

PAPERS = {"a4": "a4", "letter": "us-letter"}
_LINE_BREAKS = re.compile("[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def typst_string(text: str) -> str:
    """A Typst string literal (code mode) holding `text` exactly, on one line."""
    text = _LINE_BREAKS.sub(" ", str(text))
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def typst_text(text: str) -> str:
    """Plain text in Typst markup: an embedded string, ended by `;` so that
    whatever follows (`.net`, `(1)`) cannot continue the expression."""
    return f"#{typst_string(text)};" if text else ""


def typst_math(latex: str, display: bool = False) -> str:
    """`$…$` inline, `$ … $` (spaces inside) for a display equation."""
    body = latex_to_typst(latex)
    return f"$ {body} $" if display else f"${body}$"


_DOLLAR_MATH = re.compile(r"(?<!\\)\$([^$\n]+?)(?<!\\)\$")


def typst_mixed(text: str) -> str:
    """A sentence with `$…$` math (the conventions and problem records are
    written so): its text as Typst strings, its math as Typst math."""
    parts = []
    for index, piece in enumerate(_DOLLAR_MATH.split(text)):
        parts.append(typst_math(piece) if index % 2 else typst_text(piece.replace("\\$", "$")))
    return "".join(parts)


def paper_name(paper: str) -> str:
    try:
        return PAPERS[paper]
    except KeyError:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}") from None


@lru_cache(maxsize=None)
def typst_environment() -> Any:
    """The Jinja set-up of templates/typst/: no HTML escaping (Typst is not
    HTML); the filters `typ_text` and `typ_math` make every hole safe."""
    environment = template_environment("typst")
    environment.filters["typ_text"] = typst_text
    environment.filters["typ_string"] = typst_string
    environment.filters["typ_math"] = typst_math
    environment.filters["typ_mixed"] = typst_mixed
    return environment


def preamble(title: str, paper: str = "a4") -> str:
    """Page, fonts, headings and tables of every printed document."""
    template = typst_environment().get_template("preamble.typ.j2")
    return template.render(title=title, paper=paper_name(paper))
