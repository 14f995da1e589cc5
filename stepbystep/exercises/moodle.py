"""Variants as a Moodle XML question bank: one Cloze question per variant.

Why Cloze (Moodle's "Embedded answers", `type="cloze"`) and not Numerical:
a Numerical question holds one number, but a walkthrough asks for several
(the loss, every updated weight, the loss after the update). Cloze puts all
of them into one question as NUMERICAL blanks `{1:NUMERICAL:=0.3589:0.00036}`,
each with its own tolerance and each graded on its own, so one variant is one
question, and "a random question from this category" gives every student
their own variant. The whole worked solution is the general feedback.

Moodle's tolerance is absolute (±), so each blank gets the acceptance
interval of `stepbystep check` under the spec's policy (grading/policy.py):
`max(atol, rtol·|key|)` around the key, or under `decimals`/`significant`
1.5 units of the last asked digit around the correctly rounded key, plus the
hand-rounded chain's value as a second right answer under `hand_rounding`.
"""
from __future__ import annotations

import gc
import math
import re
from functools import lru_cache
from html import escape
from typing import Any, Iterable

from ..document.build import build_document
from ..formats.html import HtmlRenderer
from ..formats.text import tex_inert
from ..grading.diagnose import hand_values
from ..grading.policy import GradingPolicy, policy_for, significant_needed
from .variants import Variant

PENALTY = "0.3333333"  # Moodle's default penalty for each wrong try
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_INLINE_TEX = re.compile(r"(?<!\\)\$([^$\n]+?)(?<!\\)\$")


def default_tolerances(spec: Any = None) -> tuple[float, float]:
    """(rtol, atol) as `stepbystep check` would use them for this spec: its
    [check] table, then the grader's defaults — so Moodle and `check` agree."""
    found = policy_for(spec)
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


def cloze_blank(value: float, policy: GradingPolicy, hand: float | None = None) -> str:
    """One blank worth 1 mark (the leading 1): right within the policy's
    interval around the key (the correctly rounded key under `decimals` or
    `significant`), and with `hand` (the --round chain's value, under
    hand_rounding) a second full-mark answer around that."""
    centre, margin = policy.interval(value)
    blank = f"{{1:NUMERICAL:={moodle_number(centre)}:{tolerance_text(margin)}"
    if hand is not None:
        other, other_margin = policy.interval(hand)
        if abs(other - centre) > margin:
            blank += f"~%100%{moodle_number(other)}:{tolerance_text(other_margin)}"
    return blank + "}"


def moodle_xml(variants: Iterable[Variant], rtol: float | None = None, atol: float | None = None,
               feedback: bool = True) -> str:
    """The question bank: a category named after the exercise and seed, then
    one Cloze question per variant, graded by the spec's policy (its [check]
    table; `rtol`/`atol` given here win, as on `check`'s command line)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    # The cyclic collector paused while a variant is drawn, built and written,
    # and run on that variant's young objects after it: its passes over the
    # objects of a variant still being built were about 8% of a bank's time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for number, variant in enumerate(variants):
            if number == 0:
                parts.append(_category(variant))
            parts.append(question_xml(variant, policy_for(variant.spec, rtol, atol), feedback))
            del variant   # its trace is garbage now: the collector need not walk it
            if collecting:
                gc.collect(0)
    finally:
        if collecting:
            gc.enable()
    parts += ["</quiz>", ""]   # the last "" ends the file with a line break, without copying it once more
    return _INVALID_XML.sub("\ufffd", "\n".join(parts))


def _category(variant: Variant) -> str:
    seed = variant.id.split("-")[0]
    title = tex_inert(variant.base_title or "stepbystep").replace("/", "//")  # a single / separates categories
    return ("  <question type=\"category\">\n"
            f"    <category><text>{escape(f'$course$/top/{title} (variants, seed {seed})', quote=False)}</text></category>\n"
            "  </question>")


def question_xml(variant: Variant, policy: GradingPolicy, feedback: bool = True) -> str:
    from .sheets import problem

    view = problem(variant)
    hand = hand_values(variant.spec, policy.decimals) if policy.hand_rounding and policy.decimals is not None else None
    blanks = [cloze_blank(q.value, policy, (hand or {}).get(q.name)) for q in view.questions]
    text = question_html(view, blanks)
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
    """Moodle runs its filters (MathJax, TeX) on names too: the title is TeX-inert."""
    return f"{tex_inert(variant.base_title or 'stepbystep')} (variant {variant.id})"


def question_html(view: Any, blanks: list[str]) -> str:
    from markupsafe import Markup

    template = _question_template()
    return template.render(problem=view, blanks=[Markup(blank) for blank in blanks]).strip()


def digits_needed(rtol: float) -> int:
    """Significant digits that always land within `rtol`: rounding to d digits
    is off by at most 5·10^-d relative (4 for the grader's default 7e-4)."""
    return significant_needed(rtol)


def feedback_html(variant: Variant) -> str:
    """The worked solution as HTML with LaTeX for Moodle's MathJax filter (on
    by default; Moodle's HTML cleaning may drop MathML), rendered from the
    document tree. No stylesheet and no inline SVG pictures: Moodle's HTML
    cleaning removes both (its purifier knows no <svg>), and 1,000 copies
    add up; a figure shows what a format without pictures shows (the
    circuit's table of numbers; the network's numbers are in its tables)."""
    document = build_document(variant.trace)
    return '<div class="stepbystep">\n' + _feedback_renderer().document(document) + "\n</div>"


@lru_cache(maxsize=1)
def _feedback_renderer() -> HtmlRenderer:
    """One renderer for every variant (it keeps nothing of a document; a new
    one a variant was a cycle of bound methods for the collector to find)."""
    return HtmlRenderer(math="mathjax", pictures=False)


def cdata(text: str) -> str:
    """A CDATA section that survives a `]]>` inside the text."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def cloze_text(text: Any) -> Any:
    """Untrusted text in a Cloze question: HTML-escaped, braces as entities so
    a title such as `{1:NUMERICAL:=1}` cannot become a blank, and TeX-inert so
    Moodle's MathJax filter cannot typeset `\\(\\href{…}\\)` in it."""
    from markupsafe import Markup
    from markupsafe import escape as markup_escape

    return Markup(str(markup_escape(tex_inert(str(text)))).replace("{", "&#123;").replace("}", "&#125;"))


def tex_inline(text: Any) -> Any:
    """`$x$` -> `\\(x\\)`: the delimiters of Moodle's MathJax filter."""
    return _tex_inline(str(text))


@lru_cache(maxsize=4096)
def _tex_inline(text: str) -> Any:
    """tex_inline of a plain text (the conventions are the same sentences in every question: kept)."""
    from markupsafe import Markup
    from markupsafe import escape as markup_escape

    return Markup(_INLINE_TEX.sub(r"\\(\1\\)", str(markup_escape(text))))


@lru_cache(maxsize=1)
def _question_template() -> Any:
    """Loaded once a process (Jinja would look at the file's time on every question)."""
    return _environment().get_template("question.html.j2")


@lru_cache(maxsize=1)
def _environment() -> Any:
    from ..formats.templates import template_environment

    environment = template_environment("variants", autoescape=True)
    environment.filters["cloze_text"] = cloze_text
    environment.filters["tex_inline"] = tex_inline
    return environment
