"""The library API: load a spec, then ask for the walkthrough in any form.

    >>> import stepbystep
    >>> walk = stepbystep.load("examples/mazur.toml")
    >>> round(walk.value("w5+"), 8)
    0.35891648

Everything is computed once, when the walkthrough is built; the documents
and the answer key are views of the same trace.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

from .engine.graph import GraphError
from .engine.trace import Trace
from .formats.errors import UserTemplateError
from .numbers import DEFAULT_PRECISION
from .spec.load import load_spec, parse_spec
from .spec.model import GraphSpec, NetworkSpec, Spec, SpecError

if TYPE_CHECKING:
    from .document.blocks import Document
    from .exercises.variants import Variant
    from .formats.figures import DrawnFigure
    from .formats.templates import Templates
    from .grading.policy import GradingPolicy
    from .grading.records import ClassReport

__all__ = ["GraphError", "GraphSpec", "NetworkSpec", "Spec", "SpecError", "UserTemplateError", "Walkthrough", "build",
           "from_dict", "load", "load_spec", "loads", "parse_spec", "check", "check_report", "grading_policy",
           "variants", "variant", "export_variants", "with_compare"]

_Result = TypeVar("_Result")


def _gc_paused(function: Callable[..., _Result]) -> Callable[..., _Result]:
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

    @_gc_paused
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

    @_gc_paused
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

    @_gc_paused
    def latex(self, fragment: bool = False, precision: int | None = None, notation: str = "scalar",
              paper: str = "a4") -> str:
        """A standalone LaTeX document (needs amsmath only; pdflatex or lualatex),
        or with `fragment` a piece to `\\input`; `paper`: a4 or letter."""
        from .formats.latex import render_latex

        return render_latex(self.document(precision, notation), fragment=fragment, paper=paper)

    @_gc_paused
    def pdf(self, precision: int | None = None, notation: str = "scalar", paper: str = "a4") -> bytes:
        """The walkthrough printed as PDF (Typst; needs the `pdf` extra)."""
        from .formats.pdf import compile_pdf
        from .formats.typst_walkthrough import typst_document

        return compile_pdf(typst_document(self.document(precision, notation), paper))

    @_gc_paused
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


@_gc_paused
def build(spec: Spec, round_to: int | None = None, *, mode: str = "reverse", wrt: str | None = None,
          gradient_check: bool = False) -> Walkthrough:
    """The walkthrough of an already-validated spec. For a computation graph:
    mode "reverse" (the backward pass) or "forward" (the tangents with respect
    to the input `wrt`), and `gradient_check` (each gradient against a central
    difference); a ValueError for these on a network spec."""
    if mode == "reverse" and wrt is None and not gradient_check:
        from .engine.build import build_trace

        return Walkthrough(spec, build_trace(spec, round_to), round_to)
    if not isinstance(spec, GraphSpec):
        raise ValueError("mode, wrt and gradient_check are for computation-graph specs (inputs and nodes)")
    from .engine.expr import build_graph_trace

    return Walkthrough(spec, build_graph_trace(spec, round_to, mode=mode, wrt=wrt, gradient_check=gradient_check),
                       round_to)


def with_compare(spec: Spec, optimizers: Sequence[str]) -> Spec:
    """The spec with `compare` set to these optimizers (`render --compare`): the
    same run trained with each, for the overlaid loss curves. A SpecError names
    an unknown optimizer, or a spec that trains nothing."""
    from dataclasses import replace

    from .spec.optimizers import OPTIMIZERS

    for name in optimizers:
        if name not in OPTIMIZERS:
            raise SpecError(spec.source, "--compare", f"unknown optimizer {name!r} (expected some of: "
                                                      f"{', '.join(OPTIMIZERS)})")
    training = spec.training
    if training is None:
        raise SpecError(spec.source, "--compare", "a computation graph compares optimizers only when it descends "
                                                  "(a [training] table)")
    settings = training.optimizer
    chosen = tuple(dict.fromkeys(name for name in optimizers if name != settings.name))
    return replace(spec, training=replace(training, optimizer=replace(settings, compare=chosen)))  # type: ignore[arg-type]


def load(path: str | Path, round_to: int | None = None, **graph_options: Any) -> Walkthrough:
    """Read, validate and build a spec file (TOML or JSON); `graph_options`
    as for build()."""
    return build(load_spec(path), round_to, **graph_options)


def loads(text: str, source: str = "<spec>", round_to: int | None = None, **graph_options: Any) -> Walkthrough:
    """A spec given as text (TOML, or JSON when it starts with `{`), e.g. inline
    in a course page; `source` names it in error messages."""
    from .spec.load import decode

    return build(parse_spec(decode(text, source), source), round_to, **graph_options)


def from_dict(data: dict[str, Any], round_to: int | None = None, source: str = "<spec>",
              **graph_options: Any) -> Walkthrough:
    """The same from a dict in the spec file's structure (e.g. in a notebook)."""
    return build(parse_spec(data, source), round_to, **graph_options)


# -- grading (SPEC.md §4-§5) ------------------------------------------------------
def check(spec: str | Path | Spec | Walkthrough, answers: Iterable[str | Path] = (), *,
          texts: Mapping[str, str | bytes] | None = None, variant: str | None = None, seed: int | None = None,
          rtol: float | None = None, atol: float | None = None, policy: "GradingPolicy | None" = None,
          time_limit: float | None = None, diagnose: bool = True) -> "ClassReport":
    """Grade answer sheets (files, and/or `texts` as {source: text}) against a
    spec: a path, a Spec, or a Walkthrough (its spec).

    On a spec with [variants] each sheet is graded against the variant its
    `Variant: S-k` line names; a sheet without one gets status `no_variant`.
    `variant` ("S-k", or "k" with `seed`) grades every sheet against that one.
    The policy is `policy`, else --rtol/--atol, else the spec's [check] table,
    else rtol 7e-4 / atol 1e-9. `time_limit` (seconds, default 10) bounds each
    sheet; one sheet's failure is reported on that sheet, the rest are graded.
    Returns a ClassReport (`.files`, `.exit_code`); format it with `check_report`.
    Raises SpecError for a bad spec (or answer files given in its place) and
    ValueError for a `variant` that does not exist."""
    from .exercises.classcheck import grade_class, sheet_loaders
    from .grading.guard import DEFAULT_TIME_LIMIT

    answers = list(answers)
    loaded = spec.spec if isinstance(spec, Walkthrough) else spec if not isinstance(spec, (str, Path)) \
        else _load_check_spec(spec, answers)
    return grade_class(loaded, sheet_loaders(answers, texts), rtol=rtol, atol=atol, policy=policy, variant=variant,
                       seed=seed, time_limit=DEFAULT_TIME_LIMIT if time_limit is None else time_limit,
                       diagnose=diagnose)


def _load_check_spec(path: str | Path, answers: list[str | Path]) -> Spec:
    """The spec of `check`; when it cannot be read but looks like an answer
    file while an answer file reads as a spec, say the arguments are swapped."""
    from .spec.model import SpecError

    try:
        return load_spec(path)
    except SpecError as error:
        swapped = _spec_among(answers) if _looks_like_answers(path) else None
        if swapped is None:
            raise
        raise SpecError(str(path), "", f"this is an answer file, and {swapped} is a spec: the spec comes first "
                                       f"(stepbystep check {swapped} {path} …)") from error


def _looks_like_answers(path: str | Path) -> bool:
    from .grading.answerfile import read_sheet

    sheet = read_sheet(path)
    return sheet.error is None and any(entry.value is not None for entry in sheet.entries) or sheet.variant is not None


def _spec_among(paths: list[str | Path]) -> str | None:
    from .spec.model import SpecError

    for candidate in paths[:20]:
        if str(candidate).endswith((".toml", ".json")):
            try:
                load_spec(candidate)
            except (SpecError, OSError):
                continue
            return str(candidate)
    return None


def check_report(report: "ClassReport", *, as_json: bool = False, hide_expected: bool = False) -> str:
    """A grading report as text for a terminal, or SPEC §4's JSON. With
    `hide_expected` (the student's self-check) no expected value appears
    anywhere: statuses, carried errors and diagnoses only."""
    from .grading.checkreport import report_json, report_text

    return report_json(report, hide_expected) if as_json else report_text(report, hide_expected)


def grading_policy(spec: str | Path | Spec | None = None, *, rtol: float | None = None, atol: float | None = None
                   ) -> "GradingPolicy":
    """The policy a spec grades by (its [check] table; --rtol/--atol win), with
    `.describe()` in words and `.allows(given, expected)`."""
    from .grading.policy import policy_for

    loaded = load_spec(spec) if isinstance(spec, (str, Path)) else spec
    return policy_for(loaded, rtol, atol)


# -- variants -----------------------------------------------------------------------
def variants(spec: str | Path | Spec, count: int | None = None, seed: int | None = None) -> Iterator["Variant"]:
    """Variants 1..count of `seed`, one at a time (each: `.id`, `.data`, `.trace`,
    `.asked`, `.key()`). `count` and `seed` default to the spec's [variants]
    `count` and `seed` when it records them."""
    from .exercises.variants import iter_variants

    loaded = load_spec(spec) if isinstance(spec, (str, Path)) else spec
    count, seed = _count_and_seed(loaded, count, seed)
    return iter_variants(loaded, count, seed)


def variant(spec: str | Path | Spec, variant_id: str, seed: int | None = None) -> "Variant":
    """One variant by its id ("S-k", or "k" with `seed`); a ValueError says
    why an id does not exist (refused at once, never drawn towards)."""
    from .exercises.variants import make_variant, resolve_variant

    loaded = load_spec(spec) if isinstance(spec, (str, Path)) else spec
    found_seed, index = resolve_variant(variant_id, seed)
    return make_variant(loaded, found_seed, index)


def export_variants(spec: str | Path | Spec, count: int | None = None, seed: int | None = None,
                    fmt: str = "json", output: str | None = None, *, solutions: bool = False,
                    paper: str = "a4") -> list[tuple[str | None, str | bytes]]:
    """Variants written out (json, md, moodle-xml, pdf, qti): (path or None
    for standard output, text or bytes) per file, all rendered before any is
    written. `solutions` and `paper` are for pdf."""
    from itertools import chain

    from .exercises.export import export, refuse_oversized
    from .exercises.variants import iter_variants

    loaded = load_spec(spec) if isinstance(spec, (str, Path)) else spec
    count, seed = _count_and_seed(loaded, count, seed)
    drawn = iter_variants(loaded, count, seed)
    first = next(drawn)
    refuse_oversized(first, count, fmt, loaded.source, solutions=solutions, paper=paper)  # before the other variants
    return export(chain([first], drawn), fmt, output, solutions=solutions, paper=paper)


def _count_and_seed(spec: Spec, count: int | None, seed: int | None) -> tuple[int, int]:
    from .exercises.variant_rules import read_rules

    rules = read_rules(spec)
    count = count if count is not None else rules.count
    seed = seed if seed is not None else rules.seed
    if count is None or seed is None:
        missing = " and ".join(name for name, value in (("count", count), ("seed", seed)) if value is None)
        raise ValueError(f"variants: give the {missing} (--count N --seed S, or count/seed in the spec's [variants])")
    return count, seed
