"""The header of a sheet: which variant it is for, and who wrote it.

The problem sheets print `Variant **2024-7** · Name: ______`; students copy
that, or write `Variant: 2024-7`, `variant 2024-7`, `Variant 2024-7 · Name:
Eve`, `Variant: 2024-7, Name: Eve`, or a `"variant"` key in a JSON sheet.
All of them name variant 2024-7. Read with plain string operations and one
anchored pattern, so a hostile line costs time linear in its length.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

VARIANT_WORDS = ("variant", "variante", "version")
_ID = re.compile(r"(\d{1,40})\s*[-‐‑–—−]\s*(\d{1,40})")  # digits, a dash, digits; at most 40 digits each
_DECORATION = "*_`#>|[]() \t"
_SEGMENTS = ("·", "•", "|", ";", ",", "\t")
_LEAD = ":=#№ \t"
_NUMBER_WORDS = ("no.", "nr.", "nr", "no", "number", "id")


@dataclass(frozen=True)
class VariantMark:
    """A variant line as written, and the id it names (None when it names none)."""

    written: str                # the id as written, e.g. "2024-7" or "abc"
    where: str                  # "line 3", or `key "variant"` in a JSON sheet
    seed: int | None = None
    index: int | None = None

    @property
    def id(self) -> str | None:
        return f"{self.seed}-{self.index}" if self.seed is not None else None


def is_variant_line(body: str) -> bool:
    """True when the line starts with the word Variant (after Markdown decoration)."""
    head = body.lstrip(_DECORATION)[:12].casefold()
    if head[:1] != "v":
        return False  # the common case, an answer line, decided at once
    return any(head.startswith(word) and (len(head) == len(word) or not head[len(word)].isalnum())
               for word in VARIANT_WORDS)


def read_variant_line(body: str, where: str) -> tuple[VariantMark, list[tuple[str, str]]]:
    """`Variant **2024-7** · Name: Eve` -> the mark, and the other header
    fields on the line ([("Name", "Eve")]; a blank `Name: ____` is left out)."""
    first, rest = _split_segments(body)
    text = first.lstrip(_DECORATION)
    word = next(word for word in VARIANT_WORDS if text[:len(word)].casefold() == word)
    written = _strip_decoration(text[len(word):].lstrip(_LEAD + "*_"))
    for number_word in _NUMBER_WORDS:
        if written.casefold().startswith(number_word + " "):
            written = written[len(number_word):].lstrip(_LEAD)
    match = _ID.match(written)
    if match is not None and ":" in written[match.end():]:  # `Variant 2024-7 Name: Eve`, no separator
        rest.insert(0, written[match.end():])
        written = match.group(0)
    fields = []
    for segment in rest:
        name, found, value = segment.partition(":")
        name, value = _strip_decoration(name), _strip_decoration(value)
        if found and name and value.strip("_. "):
            fields.append((name, value))
    return mark_from_text(written, where), fields


def mark_from_text(written: str, where: str) -> VariantMark:
    """The mark for an id as written (`2024-7`, `2024 – 7`, `**2024-7**`)."""
    written = _strip_decoration(written)[:80]
    match = _ID.fullmatch(written)
    if match is None:
        return VariantMark(written, where)
    return VariantMark(written, where, int(match.group(1)), int(match.group(2)))


def _split_segments(body: str) -> tuple[str, list[str]]:
    """The line cut at the separators the sheets and students use between fields."""
    pieces = [body]
    for separator in _SEGMENTS:
        pieces = [part for piece in pieces for part in piece.split(separator)]
    return pieces[0], pieces[1:]


def _strip_decoration(text: str) -> str:
    return text.strip().strip("*_`").strip()
