"""Grading answer sheets against a trace: tolerance, error carried forward,
diagnoses.

Everything here reads the trace's graph only (names, expressions, values),
so a network walkthrough, a computation graph or a student's own variant
are graded by the same code. Per call the trace and its mistaken re-runs are
prepared once; per sheet the work is a dictionary lookup and a comparison per
answer, plus a recomputation of the few values upstream of a wrong answer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, NamedTuple, Sequence

from ..engine.trace import Trace
from ..spec.model import SpecError
from .answerfile import AnswerSheet, Entry, NameIndex, parse_sheet, read_sheet
from .ecf import PreparedGraph, StudentWorld

if TYPE_CHECKING:
    from .diagnose import Diagnoser, Diagnosis

# 4 significant figures are off by at most 5.0e-4 relative (rounding 1.0005);
# one unit in the 3rd significant figure is at least 1.0e-3 relative (9.99 vs
# 9.98). 7e-4 sits between them with room on both sides. The floor of 1e-9
# (one unit in the 9th decimal, what the walkthrough prints) lets an answer of
# 0 pass where the exact value is 0 up to float noise.
DEFAULT_RTOL = 7e-4
DEFAULT_ATOL = 1e-9

CORRECT, WRONG, CARRIED, UNKNOWN, UNPARSED = "correct", "wrong", "carried", "unknown", "unparsed"
STATUSES = (CORRECT, CARRIED, WRONG, UNPARSED, UNKNOWN)
HEADER_FIELDS = frozenset({"name", "student", "studentname", "id", "studentid", "email", "date", "class",
                           "course", "section", "group", "assignment", "homework",
                           "variant"})  # the problem sheets print "Variant 2024-7"
_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Tolerance:
    """|given - expected| <= max(atol, rtol * |expected|)."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL

    def allows(self, given: float, expected: float) -> bool:
        difference = abs(given - expected)
        return difference <= self.atol or difference <= self.rtol * abs(expected)


def tolerance_for(spec: Any, rtol: float | None = None, atol: float | None = None) -> Tolerance:
    """Command-line values first, then the spec's [check] table, then the defaults."""
    table = check_table(getattr(spec, "check", None) or {}, getattr(spec, "source", "<spec>"))
    return Tolerance(rtol if rtol is not None else table.get("rtol", DEFAULT_RTOL),
                     atol if atol is not None else table.get("atol", DEFAULT_ATOL))


def check_table(table: Mapping[str, Any], source: str) -> dict[str, float]:
    """Validate a spec's raw [check] table: `rtol` and `atol`, numbers >= 0."""
    found: dict[str, float] = {}
    for key, value in table.items():
        if key not in ("rtol", "atol"):
            raise SpecError(source, f"check.{key}", "unknown field (expected rtol or atol)")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(source, f"check.{key}", f"expected a number, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise SpecError(source, f"check.{key}", f"expected a finite number >= 0, got {value!r}")
        if key == "rtol" and value >= 1:
            raise SpecError(source, "check.rtol", f"expected a relative tolerance below 1, got {value!r}")
        found[key] = float(value)
    return found


# -- records ---------------------------------------------------------------------
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

    def count(self, status: str) -> int:
        return self._tally[status]

    @cached_property
    def _tally(self) -> dict[str, int]:
        """Per status the number of lines; `points` and `out_of` as well."""
        tally = dict.fromkeys((*STATUSES, "points", "out_of"), 0)
        for answer in self.answers:
            tally[answer.status] += 1
            if answer.scored and answer.status != UNKNOWN:
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
    tolerance: Tolerance
    names: tuple[str, ...]          # the trace's canonical names, in order

    @property
    def exit_code(self) -> int:
        """SPEC §3: 0 all correct, 1 wrong answers, 2 a file could not be read."""
        if any(report.unreadable for report in self.files):
            return 2
        return 0 if all(report.passed for report in self.files) else 1


# -- grading ---------------------------------------------------------------------
class Grader:
    """Grades sheets against one trace; build once, grade many."""

    def __init__(self, trace: Trace, tolerance: Tolerance = Tolerance(),
                 diagnoser: Diagnoser | None = None) -> None:
        self.trace = trace
        self.tolerance = tolerance
        self.diagnoser = diagnoser
        self.net = PreparedGraph(trace.graph)
        self.names = NameIndex(trace.names(), trace.aliases)
        self._mistaken: list[tuple[Diagnosis, PreparedGraph]] = []
        self._runs = diagnoser.runs() if diagnoser is not None else iter(())

    def grade_all(self, paths: Iterable[str | Path]) -> ClassReport:
        return self._class(self.grade_file(path) for path in paths)

    def grade_texts(self, texts: Mapping[str, str | bytes]) -> ClassReport:
        """Sheets given as {source: text}, e.g. from a notebook or a web form."""
        return self._class(self.grade_text(text, source) for source, text in texts.items())

    def _class(self, reports: Iterable[FileReport]) -> ClassReport:
        return ClassReport(tuple(reports), self.tolerance, tuple(self.trace.names()))

    def grade_file(self, path: str | Path) -> FileReport:
        return self.grade(read_sheet(path))

    def grade_text(self, text: str | bytes, source: str = "<answers>") -> FileReport:
        return self.grade(parse_sheet(text, source))

    def grade(self, sheet: AnswerSheet) -> FileReport:
        if sheet.error is not None:
            return FileReport(sheet.source, (), sheet.error, sheet.unreadable)
        lines: list[Graded | None] = []
        first_line: dict[str, int | None] = {}
        given: dict[str, float] = {}
        to_grade: list[tuple[int, int, str, Entry]] = []
        header: dict[str, str] = {}
        for entry in sheet.entries:
            canonical = self.names.match(entry.written) if entry.written else None
            if canonical is None and _is_header(entry.written):
                header[entry.written.strip()] = entry.text
                continue
            if canonical is None:
                lines.append(self._unknown(entry))
            elif canonical in first_line:
                lines.append(Graded(canonical, entry.written, entry.line, entry.text, entry.value, UNPARSED,
                                    note=f"given twice (first on line {first_line[canonical]}); only the first is graded",
                                    scored=False))
            elif entry.value is None:
                first_line[canonical] = entry.line
                lines.append(Graded(canonical, entry.written, entry.line, entry.text, None, UNPARSED,
                                    self.net.values[canonical], note=entry.problem))
            else:
                first_line[canonical] = entry.line
                given[canonical] = entry.value
                to_grade.append((self.net.index[canonical], len(lines), canonical, entry))
                lines.append(None)
        if to_grade:
            _Sheet(self, given).grade(sorted(to_grade), lines)
        if not lines:
            return FileReport(sheet.source, (), "no answers found (expected lines like `w5+ = 0.3589`)", header=header)
        return FileReport(sheet.source, tuple(line for line in lines if line is not None), header=header)

    def _unknown(self, entry: Entry) -> Graded:
        """A line whose name is not a value of this trace (or that has no name)."""
        suggestions = self.names.suggest(entry.written) if entry.written else ()
        if entry.value is None:
            return Graded(entry.written, entry.written, entry.line, entry.text, None, UNPARSED,
                          note=entry.problem, suggestions=suggestions, scored=False)
        return Graded(entry.written, entry.written, entry.line, entry.text, entry.value, UNKNOWN,
                      suggestions=suggestions, scored=False)

    def mistaken_runs(self) -> Iterable[tuple[Diagnosis, PreparedGraph]]:
        """The compiled mistaken re-runs, built the first time they are asked for."""
        yield from self._mistaken
        for diagnosis, trace in self._runs:
            compiled = (diagnosis, PreparedGraph(trace.graph, reference=self.net))
            self._mistaken.append(compiled)
            yield compiled


class _Sheet:
    """The grading of one sheet: its worlds and who is to blame for what."""

    def __init__(self, grader: Grader, given: dict[str, float]) -> None:
        self.grader = grader
        self.given = given
        self.blame: dict[str, frozenset[str]] = {}
        self.world: StudentWorld | None = None
        self.masks: dict[int, int] = {}
        self.mistaken_worlds: dict[int, StudentWorld] = {}
        self.seen: set[str] = set()  # diagnoses made on this sheet so far

    def _mask(self, net: PreparedGraph) -> int:
        key = id(net.index)
        if key not in self.masks:
            self.masks[key] = net.mask(self.given)
        return self.masks[key]

    def grade(self, ordered: Sequence[tuple[int, int, str, Entry]], lines: list[Graded | None]) -> None:
        tolerance = self.grader.tolerance
        values = self.grader.net.values
        for _, slot, name, entry in ordered:
            given, expected = entry.value, values[name]
            assert given is not None
            if tolerance.allows(given, expected):
                lines[slot] = Graded(name, entry.written, entry.line, entry.text, given, CORRECT, expected)
                continue
            if self.world is None:
                self.world = StudentWorld(self.grader.net, self.given, self._mask(self.grader.net), self.blame)
            recomputed = self.world.recompute(name)
            behind = self.world.blame_of(name) if recomputed is not None else _EMPTY
            if recomputed is not None and tolerance.allows(given, recomputed):
                self.blame[name] = behind
                status, note = (CARRIED, None) if behind else (CORRECT, "right from your own rounded earlier values")
                lines[slot] = Graded(name, entry.written, entry.line, entry.text, given, status, expected,
                                     recomputed, _ordered(behind, self.grader.net), note=note)
                continue
            self.blame[name] = frozenset((name,))
            shown = recomputed if behind else None
            diagnoses = self._diagnose(name, given)
            lines[slot] = Graded(name, entry.written, entry.line, entry.text, given, WRONG, expected, shown,
                                 _ordered(behind, self.grader.net), diagnoses[0] if diagnoses else None,
                                 also=tuple(diagnosis.code for diagnosis in diagnoses[1:]))

    def _diagnose(self, name: str, given: float) -> tuple[Diagnosis, ...]:
        """Every known mistake that gives this answer; the first one is the
        diagnosis. The mistake made on the student's own earlier numbers is the
        stronger evidence; only when none fits that way does the mistaken
        run's own number count (the student may have slipped upstream too)."""
        from_own: list[Diagnosis] = []
        from_run: list[Diagnosis] = []
        allows = self.grader.tolerance.allows
        for number, (diagnosis, net) in enumerate(self.grader.mistaken_runs()):
            if name not in net.affected:
                continue  # the mistake does not reach this value
            if net.round_to is not None and abs(given - round(given, net.round_to)) > 1e-12 * max(1.0, abs(given)):
                continue  # a number with more decimals than that rounding keeps
            world = self.mistaken_worlds.get(number)
            if world is None:
                world = self.mistaken_worlds[number] = StudentWorld(net, self.given, self._mask(net))
            value = world.recompute(name)
            if value is not None and allows(given, value):
                from_own.append(diagnosis)
            elif allows(given, net.values[name]):
                from_run.append(diagnosis)
        found: dict[str, Diagnosis] = {}
        for diagnosis in from_own or from_run:
            found.setdefault(diagnosis.code, diagnosis)
        # Where two mistakes give the same number, the one this student has
        # already made on this sheet comes first: people repeat their mistakes.
        ranked = sorted(found.values(), key=lambda diagnosis: diagnosis.code not in self.seen)
        if ranked:
            self.seen.add(ranked[0].code)
        return tuple(ranked)


def _ordered(names: frozenset[str], net: PreparedGraph) -> tuple[str, ...]:
    return tuple(sorted(names, key=net.index.__getitem__))


def _is_header(written: str) -> bool:
    return "".join(written.casefold().replace("_", "").replace("-", "").split()) in HEADER_FIELDS


# -- the library entry points ------------------------------------------------------
def check_files(trace: Trace, paths: Iterable[str | Path], rtol: float | None = None, atol: float | None = None,
                *, diagnose: bool = True) -> ClassReport:
    """Grade answer files against a trace (a spec's, or a student's own
    variant's). Tolerances not given come from the spec's [check] table,
    then the defaults; diagnoses come from re-running the trace's spec."""
    return grader_for(trace, rtol, atol, diagnose=diagnose).grade_all(paths)


def grader_for(trace: Trace, rtol: float | None = None, atol: float | None = None,
               *, diagnose: bool = True) -> Grader:
    """A grader with the tolerance and the mistakes of the trace's own spec."""
    spec = trace.facts.spec
    diagnoser = None
    if diagnose:
        from .diagnose import diagnoser_for

        diagnoser = diagnoser_for(spec)
    return Grader(trace, tolerance_for(spec, rtol, atol), diagnoser)
