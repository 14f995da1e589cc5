"""Variants as a Moodle XML question bank: one Cloze question per variant.

Why Cloze (Moodle's "Embedded answers", `type="cloze"`) and not Numerical:
a Numerical question holds one number, but a walkthrough asks for several
(the loss, every updated weight, the loss after the update). Cloze puts all
of them into one question as NUMERICAL blanks `{1:NUMERICAL:=0.3589:0.00036}`,
each with its own tolerance and each graded on its own, so one variant is one
question, and "a random question from this category" gives every student
their own variant. The whole worked solution is the general feedback.

Moodle's tolerance is absolute (±); the grader's rule is relative plus
a floor, so each blank gets `max(atol, rtol·|key|)` — the same acceptance
interval as `stepbystep check` (the spec's [check] table, then its defaults).
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from html import escape
from typing import Any, Iterable

from ..document.build import build_document
from ..formats.markdown import render_markdown
from .variants import Variant

# Used only in an installation without the grader (stepbystep.check); its defaults.
FALLBACK_RTOL = 7e-4
FALLBACK_ATOL = 1e-9
PENALTY = "0.3333333"  # Moodle's default penalty for each wrong try
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MATH = re.compile(r"\\[\\$]|\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)  # as html.py: $$…$$, $…$, \\ and \$
_INLINE_TEX = re.compile(r"(?<!\\)\$([^$\n]+?)(?<!\\)\$")


def default_tolerances(spec: Any = None) -> tuple[float, float]:
    """(rtol, atol) as `stepbystep check` would use them for this spec: its
    [check] table, then the grader's defaults — so Moodle and `check` agree."""
    try:
        from ..grading.check import tolerance_for
    except ImportError:
        return FALLBACK_RTOL, FALLBACK_ATOL
    found = tolerance_for(spec)
    return found.rtol, found.atol


def tolerance(value: float, rtol: float, atol: float) -> float:
    """Moodle's ± for one key: the grader's |given - key| <= max(atol, rtol·|key|)."""
    return max(atol, rtol * abs(value))


def moodle_number(value: float) -> str:
    """A number as Moodle's Cloze parser reads it (`-?d.d[e±d]`), 10 significant digits."""
    return format(value, ".10g")


def tolerance_text(value: float) -> str:
    """A tolerance with 3 significant digits, rounded up (never stricter than the grader)."""
    if value <= 0:
        return "0"
    step = 10.0 ** (math.floor(math.log10(value)) - 2)
    return format(math.ceil(value / step * (1 - 1e-12)) * step, ".3g")


def cloze_blank(value: float, rtol: float, atol: float) -> str:
    """One blank worth 1 mark (the leading 1), right within the tolerance."""
    return f"{{1:NUMERICAL:={moodle_number(value)}:{tolerance_text(tolerance(value, rtol, atol))}}}"


def moodle_xml(variants: Iterable[Variant], rtol: float | None = None, atol: float | None = None,
               feedback: bool = True) -> str:
    """The question bank: a category named after the exercise and seed, then
    one Cloze question per variant."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for number, variant in enumerate(variants):
        if number == 0:
            parts.append(_category(variant))
        spec_rtol, spec_atol = default_tolerances(variant.spec)
        parts.append(question_xml(variant, spec_rtol if rtol is None else rtol, spec_atol if atol is None else atol, feedback))
    parts.append("</quiz>")
    return _INVALID_XML.sub("\ufffd", "\n".join(parts)) + "\n"


def _category(variant: Variant) -> str:
    seed = variant.id.split("-")[0]
    title = (variant.base_title or "stepbystep").replace("/", "//")  # a single / separates categories
    return ("  <question type=\"category\">\n"
            f"    <category><text>{escape(f'$course$/top/{title} (variants, seed {seed})', quote=False)}</text></category>\n"
            "  </question>")


def question_xml(variant: Variant, rtol: float, atol: float, feedback: bool = True) -> str:
    from .sheets import problem

    view = problem(variant)
    blanks = [cloze_blank(q.value, rtol, atol) for q in view.questions]
    text = question_html(view, blanks, rtol, atol)
    lines = [
        '  <question type="cloze">',
        f"    <name><text>{escape(_name(variant), quote=False)}</text></name>",
        f'    <questiontext format="html"><text>{cdata(text)}</text></questiontext>',
    ]
    if feedback:
        lines.append(f'    <generalfeedback format="html"><text>{cdata(feedback_html(variant))}</text></generalfeedback>')
    lines += [f"    <penalty>{PENALTY}</penalty>", "    <hidden>0</hidden>", "  </question>"]
    return "\n".join(lines)


def _name(variant: Variant) -> str:
    return f"{variant.base_title or 'stepbystep'} (variant {variant.id})"


def question_html(view: Any, blanks: list[str], rtol: float, atol: float) -> str:
    from markupsafe import Markup

    template = _environment().get_template("question.html.j2")
    return template.render(problem=view, blanks=[Markup(blank) for blank in blanks],
                           rtol=f"{rtol:g}", atol=f"{atol:g}", percent=f"{rtol * 100:g}",
                           digits=digits_needed(rtol)).strip()


def digits_needed(rtol: float) -> int:
    """Significant digits that always land within `rtol`: rounding to d digits
    is off by at most 5·10^-d relative (4 for the grader's default 7e-4)."""
    return max(1, math.ceil(math.log10(5 / rtol))) if rtol > 0 else 17


def feedback_html(variant: Variant) -> str:
    """The worked solution as HTML with LaTeX for Moodle's MathJax filter (on
    by default; Moodle's HTML cleaning may drop MathML), rendered from the
    document tree. No stylesheet and no inline SVG pictures: Moodle's HTML
    cleaning removes both (its purifier knows no <svg>), and 1,000 copies
    add up; a figure shows what a format without pictures shows (the
    circuit's table of numbers; the network's numbers are in its tables)."""
    document = build_document(variant.trace)
    try:
        from ..formats.html import HtmlRenderer
    except ImportError:  # an installation without the HTML renderer
        return markdown_fallback(render_markdown(document))
    return '<div class="stepbystep">\n' + HtmlRenderer(math="mathjax", pictures=False).document(document) + "\n</div>"


def markdown_fallback(text: str) -> str:
    """The walkthrough Markdown as HTML by python-markdown, its math kept out
    of Markdown's reach and handed back escaped as \\( \\) / \\[ \\] for MathJax.
    (Untrusted text in the walkthrough is already inert: the md_text filter.)"""
    import markdown

    formulas: list[str] = []

    def keep(match: re.Match[str]) -> str:
        display, inline = match.group(1), match.group(2)
        if display is None and inline is None:
            return "&#36;" if match.group(0) == "\\$" else match.group(0)
        formulas.append(f"\\[{display.strip()}\\]" if display is not None else f"\\({inline.strip()}\\)")
        return f"SBSMATH{len(formulas) - 1}X"

    html = markdown.markdown(_MATH.sub(keep, text), extensions=["tables"])
    for number in reversed(range(len(formulas))):
        html = html.replace(f"SBSMATH{number}X", escape(formulas[number], quote=False))
    return html


def cdata(text: str) -> str:
    """A CDATA section that survives a `]]>` inside the text."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def cloze_text(text: Any) -> Any:
    """Untrusted text in a Cloze question: HTML-escaped, and braces as
    entities so a title such as `{1:NUMERICAL:=1}` cannot become a blank."""
    from markupsafe import Markup
    from markupsafe import escape as markup_escape

    return Markup(str(markup_escape(str(text))).replace("{", "&#123;").replace("}", "&#125;"))


def tex_inline(text: Any) -> Any:
    """`$x$` -> `\\(x\\)`: the delimiters of Moodle's MathJax filter."""
    from markupsafe import Markup
    from markupsafe import escape as markup_escape

    return Markup(_INLINE_TEX.sub(r"\\(\1\\)", str(markup_escape(str(text)))))


@lru_cache(maxsize=1)
def _environment() -> Any:
    from ..formats.templates import template_environment

    environment = template_environment("variants", autoescape=True)
    environment.filters["cloze_text"] = cloze_text
    environment.filters["tex_inline"] = tex_inline
    return environment
