"""Variants on paper: one PDF with a problem sheet per variant, each
optionally followed by its key and worked solution, every sheet on new pages."""
from __future__ import annotations

from typing import Iterable

from ..formats.pdf import compile_pdf
from ..formats.typst import preamble, typst_environment
from .sheets import problem
from .variants import Variant

PAGE_BREAK = "#pagebreak(weak: true)"


def sheets_typst(variants: Iterable[Variant], solutions: bool = False, paper: str = "a4") -> str:
    """The Typst source of the whole print run (one pass: variants may be a generator)."""
    environment = typst_environment()
    problem_page = environment.get_template("problem.typ.j2")
    solution_page = environment.get_template("solution.typ.j2")
    parts: list[str] = []
    title = "stepbystep"
    for variant in variants:
        view = problem(variant)
        title = variant.base_title or title
        parts += [PAGE_BREAK, problem_page.render(problem=view)]
        if solutions:
            parts += [PAGE_BREAK, solution_page.render(problem=view, walkthrough=worked_solution(variant))]
    if not parts:
        raise ValueError("no variants to print")
    return "\n".join([preamble(f"{title} (variants)", paper)] + parts) + "\n"


def worked_solution(variant: Variant) -> str:
    """The variant's walkthrough as Typst, its headings moved down two levels,
    no page breaks of its own (the solution follows its key)."""
    from ..document.build import build_document
    from ..formats.typst_walkthrough import TypstRenderer

    return TypstRenderer(heading_offset=2, page_breaks=False, pictures=False).document(build_document(variant.trace))


def sheets_pdf(variants: Iterable[Variant], solutions: bool = False, paper: str = "a4") -> bytes:
    return compile_pdf(sheets_typst(variants, solutions, paper), tagged=False)
