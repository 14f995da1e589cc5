"""Writing a document: our own sentences as inline runs, and sections that
nest by level as the builder goes.

`prose()` reads a light markup ($math$, **strong**, `code`) in sentences
written in this package, with numbers and value names it formatted itself.
A user's text (a title, a note) never goes through it: `user_text()` makes
it one Text run, so it stays text in every format.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .mathwords import words_set_apart
from .blocks import Block, Code, Ids, Inline, Math, Paragraph, Runs, Section, Strong, Text, UserText

_MARKUP = re.compile(r"\$([^$]+)\$|\*\*(.+?)\*\*|`([^`]+)`", re.S)


@lru_cache(maxsize=4096)
def prose(text: str) -> Runs:
    """Our own sentence as runs: `$…$` math, `**…**` strong, `` `…` `` code.
    Only for text this package writes: never for a user's text."""
    if "$" not in text and "*" not in text and "`" not in text:
        return (Text(text),)
    runs: list[Inline] = []
    start = 0
    for match in _MARKUP.finditer(text):
        if match.start() > start:
            runs.append(Text(text[start:match.start()]))
        math, strong, code = match.groups()
        runs.append(Math(words_set_apart(math)) if math is not None
                    else Strong(strong) if strong is not None else Code(code))
        start = match.end()
    if start < len(text):
        runs.append(Text(text[start:]))
    return tuple(runs)


def number_runs(text: str) -> Runs:
    """A number as format_number printed it, as runs: one text run (it holds
    no markup, and is new in every document: not worth keeping in prose())."""
    return (Text(text),)


def paragraph(text: str) -> Paragraph:
    return Paragraph(prose(text))


def user_text(text: str) -> UserText:
    """A user's text as one run on one line: every line break (\\r, \\u2028, …)
    becomes a space, so it cannot start a heading or a list in any format."""
    return UserText(one_line(text))


def rounding_clause(round_to: int | None) -> str:
    """How a walkthrough computes, for its opening paragraph: exactly, or rounded as by hand."""
    if round_to is None:
        return "every computation uses the full value"
    return f"every value is rounded to {round_to} decimals as it is computed, as by hand"


def one_line(text: str) -> str:
    return " ".join(str(text).splitlines())


class Outline:
    """Blocks collected into sections: a section holds everything up to the
    next heading of its level or above."""

    def __init__(self) -> None:
        self.ids = Ids()
        self._open: list[tuple[Runs, int, str, list[Block]]] = [((), 0, "", [])]

    def section(self, title: Runs | str, level: int) -> None:
        runs = prose(title) if isinstance(title, str) else title
        while self._open[-1][1] >= level:
            self._close()
        self._open.append((runs, level, self.ids(runs), []))

    def add(self, *blocks: Block | None) -> None:
        target = self._open[-1][3]
        for block in blocks:
            if block is not None:
                target.append(block)

    @property
    def last(self) -> Block | None:
        blocks = self._open[-1][3]
        return blocks[-1] if blocks else None

    def replace_last(self, block: Block) -> None:
        self._open[-1][3][-1] = block

    def _close(self) -> None:
        title, level, id_, blocks = self._open.pop()
        self._open[-1][3].append(Section(title, level, id_, tuple(blocks)))

    def finish(self) -> tuple[Block, ...]:
        while len(self._open) > 1:
            self._close()
        return tuple(self._open[0][3])
