"""The walkthrough as HTML, rendered from the document tree: a page, an
embeddable fragment, or a user's template.

Every text run is escaped here, so a user's title or note can only ever be
text; math becomes MathML (or stays LaTeX for MathJax/KaTeX); figures are
drawn as inline SVG by our own code. The body is wrapped in templates/html/.
"""
from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..document.blocks import (
    Bullets,
    Code,
    Document,
    Equation,
    Figure,
    Math,
    Note,
    Paragraph,
    Runs,
    Section,
    Strong,
    Table,
    Text,
    UserText,
)
from .figures import html_picture
from .mathml import display_equation, latex_to_mathml
from .renderer import Renderer, equation_note
from .errors import UserTemplateError
from .templates import template_dir, template_environment
from .text import tex_inert

_NUMBER = re.compile(r"[-−]?\d[\d.,]*(?:e[-+]?\d+)?")   # a number as numbers.py prints it

if TYPE_CHECKING:
    from .templates import Templates

MATH_MODES = ("mathml", "mathjax", "katex")
THEMES = ("host", "auto", "light", "dark")

MATHJAX_URL = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
KATEX_BASE = "https://cdn.jsdelivr.net/npm/katex@0.16.11/dist/"
# MathJax typesets only our formulas (every element ignored but those of class tex2jax_process /
# mathjax_process, MkDocs Material's idiom) and loads its `safe` extension: no javascript: links,
# ids, classes or styles from TeX, whatever reaches it. KaTeX renders only our formulas, with
# trust off (\href, \url, \htmlClass … inert). User text is also TeX-inert itself (text.tex_inert).
MATHJAX_CONFIG = ('window.MathJax={loader:{load:["ui/safe"]},options:{ignoreHtmlClass:".*|",'
                  'processHtmlClass:"tex2jax_process|mathjax_process"}};')
KATEX_INIT = ('document.addEventListener("DOMContentLoaded",function(){'
              'document.querySelectorAll(".sbs-math, .sbs-equation").forEach(function(e){'
              'renderMathInElement(e,{delimiters:[{left:"\\\\[",right:"\\\\]",display:true},'
              '{left:"\\\\(",right:"\\\\)",display:false}],trust:false});});});')
MATH_PROCESS = "tex2jax_process mathjax_process"  # MathJax 3's and 4's class for "typeset this"


class HtmlRenderer(Renderer):
    """The body of the walkthrough as HTML; `math`: mathml, mathjax or katex;
    `pictures` False: a figure shows its fallback (where SVG would be cleaned out)."""

    format = "html"
    suffix = "html.j2"

    def __init__(self, math: str = "mathml", templates: "Templates | None" = None, pictures: bool = True) -> None:
        if math not in MATH_MODES:
            raise ValueError(f"math must be one of {', '.join(MATH_MODES)}, not {math!r}")
        super().__init__(templates)
        self.math_mode = math
        self.pictures = pictures

    def document(self, document: Document) -> str:
        return "\n".join(self.blocks(document.blocks))

    def inline(self, runs: Runs) -> str:
        """Runs as HTML, kept by the runs object itself: a document's sentences
        and symbols are the same objects in every document (prose() keeps
        them), so a bank of variants renders each once. The entry holds the
        runs, so an id is never mistaken for another's."""
        if len(runs) == 1 and type(runs[0]) is Text:   # a cell or a number: nothing worth keeping
            return self.text(runs[0])
        key = (id(runs), type(self), self.math_mode)
        kept = _INLINE.get(key)
        if kept is not None and kept[0] is runs:
            return kept[1]
        text = super().inline(runs)
        if len(_INLINE) >= 8192:
            _INLINE.clear()
        _INLINE[key] = (runs, text)
        return text

    def trusted(self, text: str) -> Any:
        from markupsafe import Markup

        return Markup(text)

    def section(self, block: Section) -> str:
        level = min(block.level, 6)
        heading = f'<h{level} id="{block.id}">{self.inline(block.title)}</h{level}>'
        return "\n".join([heading] + self.blocks(block.blocks))

    def paragraph(self, block: Paragraph) -> str:
        return f"<p>{self.inline(block.runs)}</p>"

    def equation(self, block: Equation) -> str:
        latex = block.latex
        if self.math_mode == "mathml":
            shown = display_equation(latex)
        else:
            shown = f'<div class="sbs-equation {MATH_PROCESS}">\\[{escape(latex, quote=False)}\\]</div>'
        note = equation_note(block)
        return shown if note is None else shown + "\n" + self.block(note)

    def table(self, block: Table) -> str:
        inline = self.inline
        head = "".join([f"<th>{inline(cell)}</th>" for cell in block.header])
        rows = "\n".join(["<tr>" + "".join([self._cell(cell) for cell in row]) + "</tr>"
                           for row in block.rows])
        return f"<table>\n<thead>\n<tr>{head}</tr>\n</thead>\n<tbody>\n{rows}\n</tbody>\n</table>"

    def _cell(self, cell: Runs) -> str:
        """A cell that is one number is never broken across lines (a phone broke
        4.11376139e-6 after its minus sign); the table scrolls sideways instead."""
        if len(cell) == 1 and type(cell[0]) is Text and _NUMBER.fullmatch(cell[0].text):
            return f'<td class="sbs-num">{self.text(cell[0])}</td>'
        return f"<td>{self.inline(cell)}</td>"

    def figure(self, block: Figure) -> str:
        if not self.pictures:
            return "\n".join(self.blocks(block.fallback))
        return (f'<figure class="sbs-figure" id="sbs-figure-{escape(block.id)}">{html_picture(block.drawing)}'
                f"<figcaption>{escape(block.title)}</figcaption></figure>")

    def note(self, block: Note) -> str:
        return f"<blockquote>\n<p><strong>{escape(block.label)}.</strong> {self.inline(block.runs)}</p>\n</blockquote>"

    def bullets(self, block: Bullets) -> str:
        items = []
        for item in block.items:
            nested = "".join("\n" + part for part in self.blocks(item.blocks))
            items.append(f"<li>{self.inline(item.runs)}{nested}</li>")
        return "<ul>\n" + "\n".join(items) + "\n</ul>"

    def text(self, run: "Text | UserText") -> str:
        text = run.text
        if "&" not in text and "<" not in text and ">" not in text:
            return text   # what escape() gives back: a number, most sentences (and not kept: new in every document)
        return _escaped(text)

    def user_text(self, run: UserText) -> str:
        """The spec's own text (title, notes): TeX-inert, and marked for MathJax to ignore."""
        return f'<span class="sbs-user tex2jax_ignore mathjax_ignore">{escape(tex_inert(run.text), quote=False)}</span>'

    def math(self, run: Math) -> str:
        return math_html(run.latex, False, self.math_mode)

    def strong(self, run: Strong) -> str:
        return f"<strong>{escape(run.text, quote=False)}</strong>"

    def code(self, run: Code) -> str:
        return f"<code>{escape(run.text, quote=False)}</code>"


_INLINE: dict[tuple[int, type, str], tuple[Runs, str]] = {}


@lru_cache(maxsize=16384)
def _escaped(text: str) -> str:
    """Text as HTML (our sentences recur in every document: kept)."""
    return escape(text, quote=False)


@lru_cache(maxsize=16384)
def math_html(latex: str, display: bool, math: str = "mathml") -> str:
    """One formula for the chosen math mode (MathML, or LaTeX for a script);
    the symbols and sentences of a walkthrough recur in every document: kept."""
    if math == "mathml":
        return latex_to_mathml(latex, display)
    if display:
        return f"\\[{escape(latex, quote=False)}\\]"
    return f'<span class="sbs-math {MATH_PROCESS}">\\({escape(latex, quote=False)}\\)</span>'


def render_html(document: Document, *, fragment: bool = False, math: str = "mathml", theme: str | None = None,
                templates: "Templates | None" = None) -> str:
    """A standalone HTML5 page (or, with `fragment`, an embeddable piece).
    theme: "host" (the host page's colours and font: a fragment's default),
    "auto" (light or dark as the reader's system says: a page's default),
    "light" or "dark"."""
    theme = theme or ("host" if fragment else "auto")
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {theme!r}")
    body = HtmlRenderer(math, templates).document(document)
    if math == "mathml":
        from .mathml_store import STORE

        STORE.save()  # the formulas converted for the first time, for the next render
    name = "fragment.html.j2" if fragment else "page.html.j2"
    values = {"title": document.title, "body": body, "css": _stylesheet_text(), "head": _head_text(math)}
    settings = {"math": math, "theme": theme}
    if templates is not None:
        return templates.render(templates.template("html", name), csp=content_security_policy,
                                **_trusted(values), **settings)

    def render(slots: dict[str, object]) -> str:
        return str(_html_environment().get_template(name).render({**_trusted(slots), **settings}))

    from .skeleton import filled

    return filled(name, theme, math, values, render)


def _trusted(values: dict[str, object]) -> dict[str, object]:
    """The slots as the templates take them: the title as text, the rest as our HTML."""
    from markupsafe import Markup

    return {key: value if key == "title" else Markup(value) for key, value in values.items()}


def math_head(math: str) -> Any:
    """The loader tags of MathJax or KaTeX (nothing for MathML), as markupsafe.Markup."""
    from markupsafe import Markup

    return Markup(_head_text(math))


def _head_text(math: str) -> str:
    if math == "mathjax":
        return (f"<script>{MATHJAX_CONFIG}</script>\n"
                f'<script id="MathJax-script" async src="{MATHJAX_URL}"></script>')
    if math == "katex":
        return (f'<link rel="stylesheet" href="{KATEX_BASE}katex.min.css">\n'
                f'<script defer src="{KATEX_BASE}katex.min.js"></script>\n'
                f'<script defer src="{KATEX_BASE}contrib/auto-render.min.js"></script>\n'
                f"<script>{KATEX_INIT}</script>")
    return ""


def content_security_policy(math: str) -> str:
    """No network and no script for a MathML page. A MathJax/KaTeX page gets
    none: a policy we cannot test against their CDN could break the math
    (untrusted text is escaped either way)."""
    if math == "mathml":
        return "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return ""


def stylesheet() -> Any:
    """The walkthrough's CSS, every rule scoped under `.stepbystep` (markupsafe.Markup)."""
    from markupsafe import Markup

    return Markup(_stylesheet_text())


@lru_cache(maxsize=1)
def _stylesheet_text() -> str:
    return (template_dir() / "html" / "style.css").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _html_environment() -> Any:
    environment = template_environment("html", autoescape=True)
    environment.globals["csp"] = content_security_policy
    return environment


def render_user_template(document: Document, path: str | Path, math: str = "mathml",
                         extra: Mapping[str, Any] | None = None, includes: tuple[str | Path, ...] = ()) -> str:
    """A user's own Jinja template, in the bounded sandbox (sandbox.py), with the walkthrough as context.

    Autoescaping is on for .html/.htm/.xml (also with a .j2 ending). The
    context: `title`, `document` (the tree), `sections` (every section, in
    order; `section.computed` its equations with symbol, formula, substituted,
    value, text, latex, name, bare, step_kind, note), `walkthrough` (the whole
    walkthrough as HTML), `markdown`, `css`, `math_head`, the filters `math`
    and `display_math`, and whatever the caller adds in `extra` (the library
    adds `answers` and `facts`). `includes`: the other files it may include,
    import or extend.
    """
    from markupsafe import Markup

    from .sandbox import render_user_template_file
    from .text import markdown_text

    path = Path(path)
    if not path.is_file():
        raise UserTemplateError(f"{path}: no such template file")
    from .markdown import render_markdown

    context = {
        "title": document.title,
        "document": document,
        "sections": document.sections(),
        "walkthrough": Markup(HtmlRenderer(math).document(document)),
        "markdown": render_markdown(document),
        "css": stylesheet(),
        "math_head": math_head(math),
        **(extra or {}),
    }
    filters = {
        "md_text": markdown_text,
        "math": lambda latex: Markup(math_html(str(latex), False, math)),
        "display_math": lambda latex: Markup(
            display_equation(str(latex)) if math == "mathml" else math_html(str(latex), True, math)),
    }
    return render_user_template_file(path, context, filters=filters, includes=includes,
                                     project_templates=template_dir())
