"""The walkthrough as HTML: a page, an embeddable fragment, or a user's template.

The walkthrough Markdown is the one text (DESIGN.md). Here its math is taken
out and kept safe from python-markdown, the Markdown becomes HTML with raw
HTML switched off (so a user's title or note can only ever be text), and the
math comes back as MathML (or as LaTeX for MathJax/KaTeX). Figures come back
as their inline SVG. The result is wrapped in templates/html/.
"""
from __future__ import annotations

import os
import re
from dataclasses import replace
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any, Callable

from ..document.context import document_context
from ..engine.trace import Trace
from ..numbers import DEFAULT_PRECISION
from .markdown import walkthrough_markdown
from .mathml import display_equation, latex_to_mathml
from .sandbox import UserTemplateError
from .templates import template_dir, template_environment

MATH_MODES = ("mathml", "mathjax", "katex")

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

# $$…$$ (may span lines), $…$ (one line), and the escapes \\ and \$ that the
# md_text filter leaves in untrusted text.
_MATH = re.compile(r"\\[\\$]|\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)


def render_html(trace: Trace, precision: int = DEFAULT_PRECISION, *, fragment: bool = False,
                math: str = "mathml", notation: str = "scalar") -> str:
    """A standalone HTML5 page (or, with `fragment`, an embeddable piece)."""
    context = document_context(trace, precision, notation)
    body = walkthrough_body(context, math)
    name = "fragment.html.j2" if fragment else "page.html.j2"
    template = _html_environment().get_template(name)
    return template.render(title=context["title"], body=body, css=stylesheet(), head=math_head(math), math=math)


def walkthrough_body(context: dict[str, Any], math: str = "mathml") -> Any:
    """The walkthrough Markdown of `context` as HTML (markupsafe.Markup)."""
    from markupsafe import Markup

    if math not in MATH_MODES:
        raise ValueError(f"math must be one of {', '.join(MATH_MODES)}, not {math!r}")
    nonce = os.urandom(6).hex()  # unguessable: text cannot fake a placeholder
    tokens: dict[str, tuple[str, str]] = {}   # token -> (kind, payload)

    def token(kind: str, payload: str) -> str:
        key = f"SBS{nonce}X{len(tokens)}X"
        tokens[key] = (kind, payload)
        return key

    figures = {}
    shown = []
    for figure in context.get("figures", []):
        key = token("figure", figure.id)
        figures[figure.id] = figure
        shown.append(replace(figure, markdown=key))
    text = walkthrough_markdown({**context, "figures": shown})

    def protect(match: re.Match[str]) -> str:
        whole, display, inline = match.group(0), match.group(1), match.group(2)
        if display is not None:
            return token("display", display.strip())
        if inline is not None:
            return token("inline", inline.strip())
        return "&#36;" if whole == "\\$" else whole

    def heading_words(inner: str) -> str:  # a token in a heading slugs as its LaTeX, commands dropped
        return re.sub(f"SBS{nonce}X\\d+X", lambda found: re.sub(r"\\[a-zA-Z]+", " ", tokens[found.group(0)][1]), inner)

    html = with_heading_ids(markdown_to_html(_MATH.sub(protect, text)), heading_words)

    def block(kind: str, payload: str) -> str:
        if kind == "figure":
            figure = figures[payload]
            return (f'<figure class="sbs-figure" id="sbs-figure-{escape(figure.id)}">{figure.svg}'
                    f"<figcaption>{escape(figure.title)}</figcaption></figure>")
        if math == "mathml":
            return display_equation(payload)
        return f'<div class="sbs-equation {MATH_PROCESS}">{math_html(payload, True, math)}</div>'

    def restore(match: re.Match[str]) -> str:
        kind, payload = tokens[match.group(1) or match.group(2)]
        return math_html(payload, False, math) if kind == "inline" else block(kind, payload)

    # a block (equation, figure) replaces its whole paragraph
    return Markup(re.sub(f"<p>(SBS{nonce}X\\d+X)</p>|(SBS{nonce}X\\d+X)", restore, html))


def with_heading_ids(html: str, words: Callable[[str], str] = lambda inner: inner) -> str:
    """Headings get ids (`sbs-the-total-error`, `-2` on repeats) so a course
    page can link to a step; the prefix keeps clear of the host page's ids.
    `words` turns placeholders in a heading into their text, so an id never
    carries a render's random placeholder and stays the same from run to run."""
    seen: dict[str, int] = {}

    def add_id(match: re.Match[str]) -> str:
        level, inner = match.group(1), match.group(2)
        text = re.sub(r"<[^>]+>|&[#\w]+;", "", words(inner))
        slug = "sbs-" + (re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section")
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            slug += f"-{seen[slug]}"
        return f'<h{level} id="{slug}">{inner}</h{level}>'

    return re.sub(r"<h([1-6])>(.*?)</h\1>", add_id, html)


def math_html(latex: str, display: bool, math: str = "mathml") -> str:
    """One formula for the chosen math mode (MathML, or LaTeX for a script)."""
    if math == "mathml":
        return latex_to_mathml(latex, display)
    if display:
        return f"\\[{escape(latex, quote=False)}\\]"
    return f'<span class="sbs-math {MATH_PROCESS}">\\({escape(latex, quote=False)}\\)</span>'


def markdown_to_html(text: str) -> str:
    """python-markdown with tables, raw HTML switched off: any `<` in the
    text (from wherever it came) ends up as `&lt;`, never as a tag."""
    return _markdown().reset().convert(text)


@lru_cache(maxsize=1)
def _markdown() -> Any:
    import markdown
    from markdown.extensions.tables import TableExtension

    converter = markdown.Markdown(extensions=[TableExtension()], output_format="html")
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    # Inline syntax the walkthrough never writes (reference links, images,
    # autolinks, hard line breaks): each pattern is tried on every text node,
    # and dropping them makes a page about a quarter faster (Moodle banks
    # render one page per variant). Untrusted text is escaped before this anyway.
    for unused in ("reference", "image_link", "image_reference", "short_reference",
                   "short_image_ref", "autolink", "automail", "linebreak"):
        converter.inlinePatterns.deregister(unused)
    return converter


def math_head(math: str) -> Any:
    """The loader tags of MathJax or KaTeX (nothing for MathML)."""
    from markupsafe import Markup

    if math == "mathjax":
        return Markup(f"<script>{MATHJAX_CONFIG}</script>\n"
                      f'<script id="MathJax-script" async src="{MATHJAX_URL}"></script>')
    if math == "katex":
        return Markup(f'<link rel="stylesheet" href="{KATEX_BASE}katex.min.css">\n'
                      f'<script defer src="{KATEX_BASE}katex.min.js"></script>\n'
                      f'<script defer src="{KATEX_BASE}contrib/auto-render.min.js"></script>\n'
                      f"<script>{KATEX_INIT}</script>")
    return Markup("")


def content_security_policy(math: str) -> str:
    """No network and no script for a MathML page. A MathJax/KaTeX page gets
    none: a policy we cannot test against their CDN could break the math
    (untrusted text is escaped either way)."""
    if math == "mathml":
        return "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return ""


@lru_cache(maxsize=1)
def stylesheet() -> Any:
    """The walkthrough's CSS, every rule scoped under `.stepbystep`."""
    from markupsafe import Markup

    return Markup((template_dir() / "html" / "style.css").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _html_environment() -> Any:
    environment = template_environment("html", autoescape=True)
    environment.globals["csp"] = content_security_policy
    return environment


def render_user_template(trace: Trace, path: str | Path, precision: int = DEFAULT_PRECISION,
                         math: str = "mathml", includes: tuple[str | Path, ...] = ()) -> str:
    """A user's own Jinja template, in the bounded sandbox (sandbox.py), with the walkthrough as context.

    Autoescaping is on for .html/.htm/.xml (also with a .j2 ending). Besides
    everything the walkthrough template sees, the context has `walkthrough`
    (the whole walkthrough as HTML), `markdown` (as Markdown), `css`,
    `math_head`, `answers` and the filters `math` and `display_math`.
    `includes`: the other files it may include, import or extend.
    """
    from markupsafe import Markup

    from .sandbox import render_user_template_file
    from .text import markdown_text

    path = Path(path)
    if not path.is_file():
        raise UserTemplateError(f"{path}: no such template file")
    context = document_context(trace, precision)
    extra = {
        "walkthrough": walkthrough_body(context, math),
        "markdown": walkthrough_markdown(context),
        "css": stylesheet(),
        "math_head": math_head(math),
        "answers": trace.answers(),
    }
    filters = {
        "md_text": markdown_text,
        "math": lambda latex: Markup(math_html(str(latex), False, math)),
        "display_math": lambda latex: Markup(
            display_equation(str(latex)) if math == "mathml" else math_html(str(latex), True, math)),
    }
    return render_user_template_file(path, {**context, **extra}, filters=filters, includes=includes,
                                     project_templates=template_dir())
