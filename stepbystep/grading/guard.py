"""One sheet's trouble stays that sheet's: a time limit per sheet, and every
failure while reading or grading it turned into a report line for it.

The time limit is cooperative: the parser and the grader ask the deadline
between lines and answers (every step between two asks is bounded: lines
have a length limit, the parser does not backtrack), so it needs no
signals or threads and works inside a web server's worker too.
"""
from __future__ import annotations

import time

DEFAULT_TIME_LIMIT = 10.0  # seconds per sheet; a real sheet takes about a millisecond


class SheetTimeout(Exception):
    """A sheet took longer than its time limit."""


class Deadline:
    """A per-sheet time budget; `None` seconds means no limit."""

    __slots__ = ("limit", "end")

    def __init__(self, seconds: float | None) -> None:
        self.limit = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        """Raise SheetTimeout once the budget is spent. (Callers in tight loops
        ask every few dozen items: each ask reads the clock.)"""
        if self.end is not None and time.monotonic() > self.end:
            raise SheetTimeout(f"took longer than the time limit of {self.limit:g} s per sheet")

    def extend(self, seconds: float) -> None:
        """Give back time spent on work that serves every sheet (e.g. building a re-run)."""
        if self.end is not None:
            self.end += seconds


NO_DEADLINE = Deadline(None)


def failure_message(error: BaseException) -> str:
    """A sheet-level failure in one line, for the report."""
    if isinstance(error, SheetTimeout):
        return str(error)
    if isinstance(error, RecursionError):
        return "nested too deeply to read (not an answer sheet)"
    if isinstance(error, MemoryError):
        return "too large to grade (out of memory)"
    if isinstance(error, UnicodeError):
        return "not text in a known encoding"
    return f"could not be graded: internal error ({type(error).__name__}: {error}); please report this sheet"
