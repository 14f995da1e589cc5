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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .answerfile import AnswerSheet, Entry, NameIndex, parse_sheet, read_sheet
from .graph import GraphError, evaluate
from .spec import SpecError
from .trace import Trace

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
                           "course", "section", "group", "assignment", "homework"})
MASK_LIMIT = 5000  # above this many nodes, ancestor bitsets would cost too much memory
_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Tolerance:
    """|given - expected| <= max(atol, rtol * |expected|)."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL

    def allows(self, given: float, expected: float) -> bool:
        return abs(given - expected) <= max(self.atol, self.rtol * abs(expected))


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
@dataclass(frozen=True)
class Graded:
    """One line of a sheet, graded."""

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
        return sum(1 for answer in self.answers if answer.status == status)

    @property
    def points(self) -> int:
        return sum(1 for answer in self.answers if answer.scored and answer.status in (CORRECT, CARRIED))

    @property
    def out_of(self) -> int:
        return sum(1 for answer in self.answers if answer.scored and answer.status != UNKNOWN)

    @property
    def score(self) -> float:
        return self.points / self.out_of if self.out_of else 0.0

    @property
    def passed(self) -> bool:
        """Every line a correct answer (and at least one)."""
        return self.error is None and all(answer.status == CORRECT for answer in self.answers)


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


# -- the compiled graph and a student's world ---------------------------------------
class _Compiled:
    """A trace's graph prepared for many sheets: node order and ancestor bitsets."""

    def __init__(self, trace: Trace, share_layout: "_Compiled | None" = None) -> None:
        graph = trace.graph
        self.nodes = graph.nodes
        self.values = graph.values
        self.round_to = graph.round_to
        names = list(graph.nodes)
        if share_layout is not None and share_layout.names == names:
            self.index = share_layout.index  # same layout: one given-mask serves both
        else:
            self.index = {name: position for position, name in enumerate(names)}
        self.names = names
        self._ancestors: list[int] | None = None

    def ancestors(self) -> list[int] | None:
        """Per node, a bitset of every node its value depends on."""
        if self._ancestors is None and len(self.names) <= MASK_LIMIT:
            masks: list[int] = []
            index = self.index
            for name in self.names:
                mask = 0
                for source in self.nodes[name].inputs:
                    position = index[source]
                    mask |= masks[position] | (1 << position)
                masks.append(mask)
            self._ancestors = masks
        return self._ancestors


class _World:
    """The values a student's own numbers imply: their value where they gave
    one, elsewhere each node recomputed from its inputs (error carried
    forward), lazily and only upstream of what is asked for."""

    def __init__(self, net: _Compiled, given: Mapping[str, float], mask: int,
                 blame: dict[str, frozenset[str]] | None = None) -> None:
        self.net = net
        self.given = given
        self.mask = mask
        self.masks = net.ancestors()
        self.memo: dict[str, float] = {}
        self.blame = blame          # given name -> the wrong answers behind it (None: not tracked)
        self.memo_blame: dict[str, frozenset[str]] = {}

    def _dirty(self, name: str) -> bool:
        return self.masks is None or bool(self.masks[self.net.index[name]] & self.mask)

    def value(self, name: str) -> float:
        if name in self.given:
            return self.given[name]
        if name in self.memo:
            return self.memo[name]
        if not self._dirty(name):
            return self.net.values[name]
        stack = [name]
        while stack:
            top = stack[-1]
            pending = [source for source in self.net.nodes[top].inputs
                       if source not in self.given and source not in self.memo and self._dirty(source)]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if top not in self.memo:
                self.memo[top] = self._compute(top)
        return self.memo[name]

    def _compute(self, name: str) -> float:
        node = self.net.nodes[name]
        if node.expr is None:
            return node.value
        env = {source: self.value(source) for source in node.inputs}
        if self.blame is not None:
            self.memo_blame[name] = self._blame_of(node.inputs)
        try:
            value = evaluate(name, node.expr, env)
        except GraphError:
            return math.nan
        return value if self.net.round_to is None else round(value, self.net.round_to) + 0.0

    def recompute(self, name: str) -> float | None:
        """The node from its inputs' values in this world; None for a given value."""
        node = self.net.nodes[name]
        if node.expr is None:
            return None
        value = self._compute(name)
        return None if math.isnan(value) else value

    def _blame_of(self, inputs: Iterable[str]) -> frozenset[str]:
        found: frozenset[str] = _EMPTY
        for source in inputs:
            if source in self.given:
                found |= self.blame.get(source, _EMPTY)  # type: ignore[union-attr]
            elif source in self.memo_blame:
                found |= self.memo_blame[source]
        return found

    def blame_of(self, name: str) -> frozenset[str]:
        """The wrong given answers the node's recomputed value depends on."""
        return self._blame_of(self.net.nodes[name].inputs)


# -- grading ---------------------------------------------------------------------
class Grader:
    """Grades sheets against one trace; build once, grade many."""

    def __init__(self, trace: Trace, tolerance: Tolerance = Tolerance(),
                 diagnoser: Diagnoser | None = None) -> None:
        self.trace = trace
        self.tolerance = tolerance
        self.diagnoser = diagnoser
        self.net = _Compiled(trace)
        self.names = NameIndex(trace.names(), trace.aliases)
        self._mistaken: list[tuple[Diagnosis, _Compiled]] = []
        self._runs = diagnoser.runs() if diagnoser is not None else iter(())

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

    def mistaken_runs(self) -> Iterable[tuple[Diagnosis, _Compiled]]:
        """The compiled mistaken re-runs, built the first time they are asked for."""
        yield from self._mistaken
        for diagnosis, trace in self._runs:
            compiled = (diagnosis, _Compiled(trace, share_layout=self.net))
            self._mistaken.append(compiled)
            yield compiled


class _Sheet:
    """The grading of one sheet: its worlds and who is to blame for what."""

    def __init__(self, grader: Grader, given: dict[str, float]) -> None:
        self.grader = grader
        self.given = given
        self.blame: dict[str, frozenset[str]] = {}
        self.world: _World | None = None
        self.masks: dict[int, int] = {}
        self.mistaken_worlds: dict[int, _World] = {}

    def _mask(self, net: _Compiled) -> int:
        key = id(net.index)
        if key not in self.masks:
            index = net.index
            self.masks[key] = sum(1 << index[name] for name in self.given if name in index)
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
                self.world = _World(self.grader.net, self.given, self._mask(self.grader.net), self.blame)
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
            if name not in net.index:
                continue
            world = self.mistaken_worlds.get(number)
            if world is None:
                world = self.mistaken_worlds[number] = _World(net, self.given, self._mask(net))
            value = world.recompute(name)
            if value is not None and allows(given, value):
                from_own.append(diagnosis)
            elif allows(given, net.values[name]):
                from_run.append(diagnosis)
        found: dict[str, Diagnosis] = {}
        for diagnosis in from_own or from_run:
            found.setdefault(diagnosis.code, diagnosis)
        return tuple(found.values())


def _ordered(names: frozenset[str], net: _Compiled) -> tuple[str, ...]:
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
               *, diagnose: bool = True) -> "ClassGrader":
    spec = trace.facts.get("spec")
    diagnoser = None
    if diagnose:
        from .diagnose import diagnoser_for

        diagnoser = diagnoser_for(spec)
    return ClassGrader(trace, tolerance_for(spec, rtol, atol), diagnoser)


class ClassGrader(Grader):
    def grade_all(self, paths: Iterable[str | Path]) -> ClassReport:
        return ClassReport(tuple(self.grade_file(path) for path in paths), self.tolerance, tuple(self.trace.names()))

    def grade_texts(self, texts: Mapping[str, str | bytes]) -> ClassReport:
        return ClassReport(tuple(self.grade_text(text, source) for source, text in texts.items()),
                           self.tolerance, tuple(self.trace.names()))
