"""PDF, printed by the project itself: Typst source compiled by the `typst` package.

Why Typst, and not WeasyPrint from the HTML page: WeasyPrint does not lay out
MathML (½ came out as "12", subscripts inline), and it took about 6 s for
Mazur's page, where the goal is 2 s for the whole process and 20 s for 100
worked solutions. Typst sets math natively, carries its fonts inside its
wheel (no TeX installation, no system fonts: the same PDF on every machine),
is a single compiled library with no other dependency, and is actively kept.
"""
from __future__ import annotations


class PdfUnavailable(RuntimeError):
    """The optional typst package is not installed: one line says how to get it."""


def compile_pdf(source: str, tagged: bool = True) -> bytes:
    """The PDF of one Typst document (our own source: an error is a bug of ours).
    `tagged`: with the structure tags screen readers use (a print run of
    hundreds of sheets leaves them out: a quarter of the size, the same pages)."""
    try:
        import typst
    except ImportError:
        raise PdfUnavailable("PDF output needs the typst package: pip install 'stepbystep[pdf]'") from None
    try:
        return bytes(typst.compile(source.encode("utf-8"), format="pdf", ignore_system_fonts=True, pdf_tags=tagged))
    except typst.TypstError as error:
        raise RuntimeError(f"typst could not set the document: {error.message}") from None
