"""What grading produces: a graded line, a graded sheet, a graded class."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from .policy import GradingPolicy

if TYPE_CHECKING:
    from .diagnose import Diagnosis

CORRECT, WRONG, CARRIED, UNKNOWN, UNPARSED = "correct", "wrong", "carried", "unknown", "unparsed"
NO_VARIANT = "no_variant"  # SPEC §5: the sheet's variant cannot be told, so nothing is graded
STATUSES = (CORRECT, CARRIED, WRONG, UNPARSED, UNKNOWN, NO_VARIANT)


class Graded(NamedTuple):
    """One line of a sheet, graded. (An immutable record like the frozen
    dataclasses elsewhere, but a class of 1,000 sheets makes 35,000 of
    them and a NamedTuple is built four times faster.)"""

    name: str                      # canonical name; as written when unknown
    written: str                   # the name as written
    line: int | None
    text: str                      # the value as written
    given: float | None
    status: str
    expected: float | None = None
    recomputed: float | None = None       # from the student's own earlier values (ECF)
    stems_from: tuple[str, ...] = ()      # the earlier wrong answers a carried one follows from
    diagnosis: Diagnosis | None = None
    note: str | None = None
    suggestions: tuple[str, ...] = ()
    scored: bool = True                   # counts towards the score (not unknown, not a repeat)
    also: tuple[str, ...] = ()            # other mistakes that give the same number


@dataclass(frozen=True)
class FileReport:
    source: str
    answers: tuple[Graded, ...]
    error: str | None = None
    unreadable: bool = False
    header: dict[str, str] = field(default_factory=dict)
    variant: str | None = None      # the variant graded against ("2024-7"), when there are variants
    status: str | None = None       # NO_VARIANT: the sheet was not graded (see `error`)
    notes: tuple[str, ...] = ()     # sheet-level remarks (a Variant line on a spec without variants…)
    keyed: bool = False             # a JSON sheet: answers are named by their key, not a line

    def count(self, status: str) -> int:
        return self._tally[status]

    @cached_property
    def _tally(self) -> dict[str, int]:
        """Per status the number of lines; `points` and `out_of` as well."""
        tally = dict.fromkeys((*STATUSES, "points", "out_of"), 0)
        for answer in self.answers:
            tally[answer.status] += 1
            if answer.scored and answer.status not in (UNKNOWN, NO_VARIANT):
                tally["out_of"] += 1
                tally["points"] += answer.status in (CORRECT, CARRIED)
        return tally

    @property
    def points(self) -> int:
        """Correct and carried answers (scored lines only)."""
        return self._tally["points"]

    @property
    def out_of(self) -> int:
        """Answers to known names, each name once (not unknown names, not repeats)."""
        return self._tally["out_of"]

    @property
    def score(self) -> float:
        return self.points / self.out_of if self.out_of else 0.0

    @property
    def passed(self) -> bool:
        """Every line a correct answer (and at least one)."""
        return self.error is None and self._tally[CORRECT] == len(self.answers)


@dataclass(frozen=True)
class ClassReport:
    files: tuple[FileReport, ...]
    policy: GradingPolicy
    names: tuple[str, ...]          # the trace's canonical names, in order

    @property
    def tolerance(self) -> GradingPolicy:
        """The policy (its `rtol`/`atol`), under the name older callers use."""
        return self.policy

    @property
    def exit_code(self) -> int:
        """SPEC §3: 0 all correct, 1 wrong answers, 2 a file could not be read."""
        if any(report.unreadable for report in self.files):
            return 2
        return 0 if all(report.passed for report in self.files) else 1
