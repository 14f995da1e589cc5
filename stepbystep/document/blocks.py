"""The walkthrough as a tree of typed, frozen blocks: what a document says,
not how any format writes it.

Built once from a trace (document/build.py) and rendered by one renderer per
format (formats/). Text and math are kept apart in inline runs, so a user's
title or note is always a `Text` run that every renderer escapes for its
format: it can never become markup. A figure holds the data of a picture
(what to draw), never SVG; formats/ draws it.

Block kinds (the `kind` of each class names the renderer method that lays it out):

    section    a heading (runs: math allowed), its level, a stable id, and its blocks
    paragraph  inline runs: Text, UserText (a user's), Math, Strong, Code
    equation   symbol = formula = substituted numbers = value, with the node's
               name and kind, a user's note, and `aligned` for the long ones
    table      a header row and rows of cells; a cell is inline runs
    figure     an id, a title, the drawing's data, and blocks to show instead
               where a format draws no pictures
    note       a labelled remark (a user's note, a warning)
    bullets    a list; an item is inline runs plus nested blocks
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterator, Union

if TYPE_CHECKING:
    from .figures import Drawing


# -- inline runs -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Text:
    """Plain text, escaped by every renderer. A line break in it is a soft
    one (our own prose keeps its line breaks; a user's text has none)."""

    text: str
    kind = "text"


@dataclass(frozen=True, slots=True)
class UserText:
    """A user's text (a title, a note), on one line: escaped like Text, and
    in formats whose readers run a math typesetter, marked for it to skip."""

    text: str
    kind = "user_text"


@dataclass(frozen=True, slots=True)
class Math:
    """Inline LaTeX made by the document builder (symbols, numbers)."""

    latex: str
    kind = "math"


@dataclass(frozen=True, slots=True)
class Strong:
    text: str
    kind = "strong"


@dataclass(frozen=True, slots=True)
class Code:
    """A value name or a literal a reader may type (`after{N}.E_total`)."""

    text: str
    kind = "code"


Inline = Union[Text, UserText, Math, Strong, Code]
Runs = tuple[Inline, ...]


def plain_text(runs: Runs) -> str:
    """The runs as plain text, math as its LaTeX (for a <title>, an alt text)."""
    return "".join(run.latex if isinstance(run, Math) else run.text for run in runs)


# -- blocks ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Paragraph:
    runs: Runs
    kind = "paragraph"


_EQUALS = " = "


@dataclass(frozen=True, slots=True)
class Equation:
    """One displayed equation. For a node of the trace: `symbol` = `formula`
    (with symbols) = `substituted` (with numbers) = `value`; empty parts are
    left out. `name` is the node's name (None for a display that is not one
    node, e.g. a matrix product), `kind` its kind of step (update, delta…)."""

    symbol: str
    formula: str = ""
    substituted: str = ""
    value: str = ""
    text: str = ""              # the value as plain text ('' without a value)
    name: str | None = None
    step_kind: str = ""
    note: str | None = None     # a user's note: plain text
    aligned: bool = False       # long: one side a line, aligned on =
    kind = "equation"

    @property
    def sides(self) -> tuple[str, ...]:
        """The right-hand sides in order: formula, numbers, value (each once)."""
        parts = [part for part in (self.formula, self.substituted) if part and part != self.value]
        return tuple(parts + ([self.value] if self.value else []))

    @property
    def latex(self) -> str:
        """The whole equation as one LaTeX display (an `aligned` block when long);
        `sides` written out (every equation of every document is printed so)."""
        value = self.value
        parts = [self.symbol]
        if self.formula and self.formula != value:
            parts.append(self.formula)
        if self.substituted and self.substituted != value:
            parts.append(self.substituted)
        if value:
            parts.append(value)
        if not self.aligned:
            return _EQUALS.join(parts)
        return "\\begin{aligned}\n" + f"{self.symbol} &= " + " \\\\\n&= ".join(parts[1:]) + "\n\\end{aligned}"

    @property
    def bare(self) -> str:
        """The node's name without its step/sample prefix ('' for no node)."""
        return (self.name or "").rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[Runs, ...]
    rows: tuple[tuple[Runs, ...], ...]
    kind = "table"


@dataclass(frozen=True, slots=True)
class Figure:
    """A picture: `drawing` says what to draw (document/figures.py);
    `fallback` is what a format without pictures shows instead (may be empty)."""

    id: str
    title: str
    drawing: "Drawing"
    fallback: tuple["Block", ...] = ()
    kind = "figure"


@dataclass(frozen=True, slots=True)
class Note:
    """A remark set apart: `label` is its bold lead ("Note", "Note (after update 3)")."""

    runs: Runs
    label: str = "Note"
    kind = "note"


@dataclass(frozen=True, slots=True)
class Item:
    runs: Runs
    blocks: tuple["Block", ...] = ()


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[Item, ...]
    kind = "bullets"


@dataclass(frozen=True, slots=True)
class Section:
    title: Runs
    level: int
    id: str                     # stable across runs: sbs-the-total-error, sbs-the-total-error-2
    blocks: tuple["Block", ...]
    kind = "section"

    # -- views for user templates (formats/usertemplate.py) ---------------------
    @property
    def equations(self) -> tuple[Equation, ...]:
        """The equations of this section itself (not of its subsections)."""
        return tuple(block for block in self.blocks if isinstance(block, Equation))

    @property
    def computed(self) -> tuple[Equation, ...]:
        """The equations of the section's nodes (the older template name)."""
        return tuple(block for block in self.equations if block.name is not None)

    @property
    def title_text(self) -> str:
        return plain_text(self.title)


Block = Union[Section, Paragraph, Equation, Table, Figure, Note, Bullets]


@dataclass(frozen=True, slots=True)
class Document:
    """A whole walkthrough: its title (plain text, a user's) and its blocks;
    the first block is the level-1 section that holds everything else."""

    title: str
    blocks: tuple[Block, ...]
    notation: str = "scalar"    # scalar | matrix | graph

    def walk(self) -> Iterator[Block]:
        """Every block, depth first, in document order (nested ones too)."""
        yield from walk(self.blocks)

    def sections(self) -> list[Section]:
        return [block for block in self.walk() if isinstance(block, Section)]

    def figures(self) -> list[Figure]:
        return [block for block in self.walk() if isinstance(block, Figure)]

    def equations(self) -> list[Equation]:
        return [block for block in self.walk() if isinstance(block, Equation)]


def walk(blocks: tuple[Block, ...]) -> Iterator[Block]:
    for block in blocks:
        yield block
        if isinstance(block, Section):
            yield from walk(block.blocks)
        elif isinstance(block, Bullets):
            for item in block.items:
                yield from walk(item.blocks)


# -- stable ids --------------------------------------------------------------------
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_COMMAND = re.compile(r"\\[a-zA-Z]+")


def slug_words(runs: Runs) -> str:
    """What a heading's id is made of: its text, math with its commands dropped
    (`At $\\mathit{q}$` -> `At  {q}`), as the HTML ids have always been."""
    words = []
    for run in runs:
        if isinstance(run, Math):
            words.append(_COMMAND.sub(" ", run.latex))
        else:
            words.append(run.text.replace("&", "").replace("<", "").replace(">", ""))
    return "".join(words)


class Ids:
    """`sbs-` + a slug of the heading, `-2`, `-3` on repeats: a course page can
    link to a step, and the prefix keeps clear of the host page's ids."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, runs: Runs) -> str:
        slug = _slug(runs)
        self.seen[slug] = self.seen.get(slug, 0) + 1
        return slug if self.seen[slug] == 1 else f"{slug}-{self.seen[slug]}"


@lru_cache(maxsize=4096)
def _slug(runs: Runs) -> str:
    """A heading's slug (the headings of a bank's variants are the same runs: kept)."""
    return "sbs-" + (_NOT_SLUG.sub("-", slug_words(runs).lower()).strip("-") or "section")
