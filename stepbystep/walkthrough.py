"""A built walkthrough and its views: the document in every format, the
answer key, the figures.

Apart from api.py (the entry points that load, build, grade and draw
variants) because this is what a loaded spec *is*: one trace, and the many
ways to show it. Each view imports its renderer when it is asked for, so
that `answers` or a Markdown render never pays for Jinja's HTML templates,
MathML or Typst (start-up time is most of a small command's time).
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from .engine.trace import Trace
from .numbers import DEFAULT_PRECISION
from .spec.model import GraphSpec, NetworkSpec, Spec

if TYPE_CHECKING:
    from .document.blocks import Document
    from .formats.figures import DrawnFigure
    from .formats.templates import Templates

_Result = TypeVar("_Result")


def gc_paused(function: Callable[..., _Result]) -> Callable[..., _Result]:
    """Building and rendering allocate many small acyclic objects; the cyclic
    collector's repeated passes over the growing trace made their cost grow
    faster than the network (12-24-24-12 to 24-48-48-24, 4x the weights:
    5-5.7x the time; ~4x with it paused). Reference counting still frees
    everything; the collector runs again afterwards."""
    @wraps(function)
    def paused(*args: Any, **kwargs: Any) -> _Result:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()
    return paused


@dataclass(frozen=True)
class Walkthrough:
    """A spec and its trace, built once: every method is a view of the same
    numbers, so the document, the answer key and the figures cannot disagree."""

    spec: Spec
    trace: Trace
    round_to: int | None = None

    @property
    def is_graph(self) -> bool:
        """A computation graph (inputs and nodes), not a network."""
        return isinstance(self.spec, GraphSpec)

    def value(self, name: str) -> float:
        """One named value (SPEC.md §2; aliases such as delta_o1 work too)."""
        try:
            return self.trace.value(name)
        except KeyError:
            import difflib

            close = difflib.get_close_matches(name, self.trace.graph.values, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"no value named {name!r}{hint}") from None

    def answers(self) -> dict[str, float]:
        """Every named value in trace order, at full precision."""
        return self.trace.answers()

    @gc_paused
    def markdown(self, precision: int | None = None, notation: str = "scalar",
                 figure_files: dict[str, str] | None = None, templates: str | Path | None = None) -> str:
        """notation: "scalar" (Mazur's one number at a time) or "matrix" (vectorized);
        figure_files: figure id -> image file beside the document, to link;
        templates: your template folder (`md/equation.md.j2` lays out every equation)."""
        from .formats.markdown import render_markdown

        return render_markdown(self.document(precision, notation), figure_files, _templates(templates))

    def document(self, precision: int | None = None, notation: str = "scalar") -> "Document":
        """The walkthrough as a tree of typed blocks (document/blocks.py), the
        one source of every format."""
        from .document.build import build_document

        return build_document(self.trace, self._precision(precision), _notation(notation))

    def figures(self, precision: int | None = None, notation: str = "scalar") -> list["DrawnFigure"]:
        """The pictures of the walkthrough, drawn: id, title, svg (inline SVG)
        and the figure block with its data (what is drawn)."""
        from .formats.figures import drawn

        return [drawn(figure) for figure in self.document(precision, notation).figures()]

    @gc_paused
    def html(self, fragment: bool = False, math: str = "mathml", precision: int | None = None,
             notation: str = "scalar", theme: str | None = None, templates: str | Path | None = None) -> str:
        """A standalone HTML page, or with `fragment` an embeddable piece whose
        CSS is scoped under `.stepbystep`; `math`: mathml, mathjax or katex;
        `theme`: host (the host page's colours and font; a fragment's default),
        auto (light or dark as the reader's system says; a page's default),
        light or dark; `templates`: your template folder (`html/note.html.j2`)."""
        from .formats.html import render_html

        return render_html(self.document(precision, notation), fragment=fragment, math=math, theme=theme,
                           templates=_templates(templates))

    @gc_paused
    def latex(self, fragment: bool = False, precision: int | None = None, notation: str = "scalar",
              paper: str = "a4") -> str:
        """A standalone LaTeX document (needs amsmath only; pdflatex or lualatex),
        or with `fragment` a piece to `\\input`; `paper`: a4 or letter."""
        from .formats.latex import render_latex

        return render_latex(self.document(precision, notation), fragment=fragment, paper=paper)

    @gc_paused
    def pdf(self, precision: int | None = None, notation: str = "scalar", paper: str = "a4") -> bytes:
        """The walkthrough printed as PDF (Typst; needs the `pdf` extra)."""
        from .formats.pdf import compile_pdf
        from .formats.typst_walkthrough import typst_document

        return compile_pdf(typst_document(self.document(precision, notation), paper))

    @gc_paused
    def notebook(self, precision: int | None = None, notation: str = "scalar") -> str:
        """A Jupyter notebook (nbformat 4, JSON): a Markdown cell per section, then
        a code cell that rebuilds this walkthrough from its spec and prints a value."""
        from .formats.notebook import notebook

        return notebook(self.document(precision, notation), self.spec.raw, self.shown_value())

    def shown_value(self) -> str:
        """The value a notebook's code cell prints: Mazur's w5+ where there is
        one, else the first updated parameter, else a graph's output."""
        answers = self.trace.answers()
        if "w5+" in answers:
            return "w5+"
        updated = next((name for name in answers if name.endswith("+")), None)
        if updated is not None:
            return updated
        return str(getattr(self.spec, "output", None) or next(reversed(answers)))

    def render_template(self, path: str | Path, math: str = "mathml", precision: int | None = None,
                        includes: tuple[str | Path, ...] = ()) -> str:
        """Your own Jinja template, sandboxed and bounded, with the walkthrough as
        context (also `answers`, name -> number, and `facts`, what the walkthrough
        is about); `includes`: the other files it may include, import or extend."""
        from .formats.html import render_user_template

        return render_user_template(self.document(precision), path, math,
                                    {"answers": self.trace.answers(), "facts": self.trace.facts}, includes)

    def _precision(self, precision: int | None) -> int:
        if precision is not None:
            if not isinstance(precision, int) or not 0 <= precision <= 15:  # the CLI's range
                raise ValueError(f"precision must be a whole number from 0 to 15, not {precision!r}")
            return precision
        if self.round_to is None:
            return DEFAULT_PRECISION
        # hand mode: K decimals, or more where the spec's own numbers have more (w1 = 0.15 at
        # --round 1 was printed 0.1 while 0.15 was used, so the substituted sums did not add up)
        return max(self.round_to, given_decimals(self.spec))

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        return self.html(fragment=True)


def _templates(folder: str | Path | None) -> "Templates | None":
    """A user's template folder, searched before the built-in templates."""
    if folder is None:
        return None
    from .formats.templates import Templates

    return Templates(folder)


def _notation(notation: str) -> str:
    """Refuse a misspelt notation (it used to give the scalar walkthrough without a word)."""
    if notation not in ("scalar", "matrix"):
        raise ValueError(f"notation must be 'scalar' or 'matrix', not {notation!r}")
    return notation


def given_decimals(spec: Spec) -> int:
    """The most decimals (at most DEFAULT_PRECISION) any number written in the spec has."""
    if isinstance(spec, NetworkSpec):
        numbers = [spec.learning_rate]
        for layer in spec.layers:
            numbers += [weight for row in layer.weights for weight in row]
            numbers += [] if layer.bias is None else [layer.bias] if isinstance(layer.bias, float) else list(layer.bias)
        for sample in spec.samples:
            numbers += list(sample.inputs) + list(sample.targets)
    else:
        numbers = [value for _, value in spec.inputs]
    return max((next((d for d in range(DEFAULT_PRECISION) if round(number, d) == number), DEFAULT_PRECISION)
                for number in numbers), default=0)
