"""Variants written out: JSON with answer keys, Moodle XML, Markdown or PDF sheets, a Canvas QTI zip."""
from __future__ import annotations

import json
from typing import Iterable

from ..spec.model import SpecError
from .moodle import moodle_xml
from .sheets import PAGE_BREAK, sheets
from .variants import Variant

# One run's files are built in memory before any is written (all or none): a
# Moodle bank of 100,000 variants was 5-24 GB. README: "Randomized variants".
MAX_EXPORT_BYTES = 256_000_000


def variants_json(variants: Iterable[Variant]) -> str:
    """`[{"id", "spec", "questions", "answers"}]` (questions: the names asked),
    one variant a line; same variants, same bytes (no sets, no clocks,
    insertion order). No `indent`: it would switch json to its slow encoder."""
    lines = [json.dumps({"id": v.id, "spec": v.data, "questions": list(v.asked), "answers": v.trace.answers()})
             for v in variants]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def solutions_path(output: str) -> str:
    """`class.md` -> `class-solutions.md` (the solution sheet beside the problems)."""
    stem, dot, suffix = output.rpartition(".")
    if not dot or "/" in suffix or "\\" in suffix:
        return output + "-solutions.md"
    return f"{stem}-solutions.{suffix}"


BINARY_FORMATS = ("qti", "pdf")  # written to a file only (-o)


def export(variants: Iterable[Variant], fmt: str, output: str | None, *, solutions: bool = False,
           paper: str = "a4") -> list[tuple[str | None, str | bytes]]:
    """(path, or None for standard output; text, or bytes for a binary format)
    for each file to write. All are rendered before any is written, so a
    failure leaves no file behind."""
    if fmt == "json":
        return [(output, variants_json(variants))]
    if fmt == "moodle-xml":
        return [(output, moodle_xml(variants))]
    if fmt == "pdf":
        from .printed import sheets_pdf

        return [(output, sheets_pdf(variants, solutions, paper))]
    if fmt == "qti":
        from .canvas import qti_zip

        return [(output, qti_zip(variants))]
    if fmt == "md":
        problems, solutions = sheets(variants)
        if output is None:
            return [(None, problems + "\n" + PAGE_BREAK + "\n\n" + solutions)]
        return [(output, problems), (solutions_path(output), solutions)]
    raise ValueError(f"unknown variants format {fmt!r}")


def refuse_oversized(first: Variant, count: int, fmt: str, source: str, **options: object) -> None:
    """Before any other variant is drawn: the first one written alone, times
    `count`, must stay within MAX_EXPORT_BYTES (variants of a spec differ
    only in their numbers, so they are about the same size)."""
    if count <= 1:
        return
    one = sum(len(content) for _, content in export([first], fmt, None, **options))  # type: ignore[arg-type]
    if one * count > MAX_EXPORT_BYTES:
        raise SpecError(source, "--count", f"{count:,} variants x about {one:,} bytes a variant ({fmt}) = about "
                                           f"{one * count:,} bytes; at most {MAX_EXPORT_BYTES:,} in one run (the export "
                                           "size limit): ask for fewer variants, or write several files with other seeds")
