"""Grading answer sheets against a trace: the policy, error carried forward,
diagnoses.

Everything here reads the trace's graph only (names, expressions, values),
so a network walkthrough, a computation graph or a student's own variant
are graded by the same code. Per call the trace and its mistaken re-runs are
prepared once; per sheet the work is a dictionary lookup and a comparison per
answer, plus a recomputation of the few values upstream of a wrong answer.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..engine.trace import Trace
from .answerfile import AnswerSheet, Entry, parse_sheet, read_sheet
from .ecf import PreparedGraph
from .guard import NO_DEADLINE, Deadline, failure_message
from .names import NameIndex, name_keys, one_step_aliases
from .policy import (  # noqa: F401  (re-exported: the grading API in one place)
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    GradingPolicy,
    check_table,
    policy_for,
    too_few_digits,
)
from .records import (  # noqa: F401
    CARRIED,
    CORRECT,
    NO_VARIANT,
    STATUSES,
    UNKNOWN,
    UNPARSED,
    WRONG,
    ClassReport,
    FileReport,
    Graded,
)
from .sheet_grading import SheetGrading

if TYPE_CHECKING:
    from ..engine.replay import TraceCache
    from .diagnose import Diagnoser, Diagnosis

HEADER_FIELDS = frozenset({"name", "student", "studentname", "id", "studentid", "email", "date", "class",
                           "course", "section", "group", "assignment", "homework", "variant"})


class Grader:
    """Grades sheets against one trace; build once, grade many."""

    def __init__(self, trace: Trace, policy: GradingPolicy = GradingPolicy(),
                 diagnoser: Diagnoser | None = None, *, hand: Mapping[str, float] | None = None,
                 names: NameIndex | None = None) -> None:
        self.trace = trace
        self.policy = policy
        self.diagnoser = diagnoser
        self.hand = hand or {}  # the --round chain's values, accepted under hand_rounding
        self.net = PreparedGraph(trace.graph)
        canonical = trace.names()
        self.names = names or NameIndex(canonical, {**one_step_aliases(canonical), **trace.aliases})
        self._prepared: dict[int, PreparedGraph | None] = {}
        self.build_seconds = 0.0  # spent building mistaken re-runs (shared by every sheet)

    @property
    def tolerance(self) -> GradingPolicy:
        return self.policy

    def grade_all(self, paths: Iterable[str | Path], time_limit: float | None = None) -> ClassReport:
        return self._class(self.grade_file(path, time_limit) for path in paths)

    def grade_texts(self, texts: Mapping[str, str | bytes], time_limit: float | None = None) -> ClassReport:
        """Sheets given as {source: text}, e.g. from a notebook or a web form."""
        return self._class(self.grade_text(text, source, time_limit) for source, text in texts.items())

    def _class(self, reports: Iterable[FileReport]) -> ClassReport:
        return ClassReport(tuple(reports), self.policy, tuple(self.trace.names()))

    def grade_file(self, path: str | Path, time_limit: float | None = None) -> FileReport:
        deadline = Deadline(time_limit)
        return self.guarded(str(path), lambda: self.grade(read_sheet(path, deadline), deadline))

    def grade_text(self, text: str | bytes, source: str = "<answers>", time_limit: float | None = None) -> FileReport:
        deadline = Deadline(time_limit)
        return self.guarded(source, lambda: self.grade(parse_sheet(text, source, deadline), deadline))

    @staticmethod
    def guarded(source: str, work: Any) -> FileReport:
        """The report of `work()`, or one saying why this sheet could not be graded."""
        try:
            return work()
        except Exception as error:  # noqa: BLE001  one sheet's failure is that sheet's, never the class's
            return FileReport(source, (), failure_message(error))

    def grade(self, sheet: AnswerSheet, deadline: Deadline = NO_DEADLINE, variant: str | None = None,
              notes: tuple[str, ...] = ()) -> FileReport:
        header = self._header(sheet)
        notes = sheet.notes + notes
        if sheet.error is not None:
            return FileReport(sheet.source, (), sheet.error, sheet.unreadable, header, variant, notes=notes)
        lines: list[Graded | None] = []
        first_seen: dict[str, Entry] = {}
        given: dict[str, float] = {}
        to_grade: list[tuple[int, int, str, Entry]] = []
        for number, entry in enumerate(sheet.entries):
            if not number & 31:
                deadline.check()
            canonical = self.names.match(entry.written) if entry.written else None
            if canonical is None and _is_header(entry.written):
                header[entry.written.strip()] = entry.text
                continue
            if canonical is None:
                lines.append(self._unknown(entry))
            elif canonical in first_seen:
                first = first_seen[canonical]
                where = f"on line {first.line}" if first.line is not None else f"as {first.written!r}"
                lines.append(Graded(canonical, entry.written, entry.line, entry.text, entry.value, UNPARSED,
                                    note=f"given twice (first {where}); only the first is graded", scored=False))
            else:
                first_seen[canonical] = entry
                if entry.value is None:
                    lines.append(Graded(canonical, entry.written, entry.line, entry.text, None, UNPARSED,
                                        self.net.values[canonical], note=entry.problem))
                    continue
                given[canonical] = entry.value
                to_grade.append((self.net.index[canonical], len(lines), canonical, entry))
                lines.append(None)
        if to_grade:
            SheetGrading(self, given, deadline).grade(sorted(to_grade), lines)
        if not lines:
            return FileReport(sheet.source, (), "no answers found (expected lines like `w5+ = 0.3589`)", header=header,
                              variant=variant, notes=notes, keyed=sheet.keyed)
        return FileReport(sheet.source, tuple(line for line in lines if line is not None), header=header,
                          variant=variant, notes=notes, keyed=sheet.keyed)

    def hold(self, sheet: AnswerSheet, message: str, notes: tuple[str, ...] = ()) -> FileReport:
        """A sheet that is not graded (its variant cannot be told, SPEC §5): each
        answer listed with status no_variant and no expected value."""
        answers = tuple(Graded(self.names.match(entry.written) or entry.written, entry.written, entry.line,
                               entry.text, entry.value, NO_VARIANT, scored=False)
                        for entry in sheet.entries if entry.written and not _is_header(entry.written))
        error = sheet.error if sheet.error is not None else message
        return FileReport(sheet.source, answers, error, sheet.unreadable, self._header(sheet),
                          status=None if sheet.error is not None else NO_VARIANT, notes=sheet.notes + notes,
                          keyed=sheet.keyed)

    @staticmethod
    def _header(sheet: AnswerSheet) -> dict[str, str]:
        header = {"Variant": sheet.variant.written} if sheet.variant is not None else {}
        header.update(sheet.fields)
        return header

    def _unknown(self, entry: Entry) -> Graded:
        """A line whose name is not a value of this trace (or that has no name)."""
        suggestions = self.names.suggest(entry.written) if entry.written else ()
        if entry.value is None:
            return Graded(entry.written, entry.written, entry.line, entry.text, None, UNPARSED,
                          note=entry.problem, suggestions=suggestions, scored=False)
        note = self._not_updated(entry.written)
        return Graded(entry.written, entry.written, entry.line, entry.text, entry.value, UNKNOWN,
                      note=note, suggestions=() if note else suggestions, scored=False)

    def _not_updated(self, written: str) -> str | None:
        """`b2+` where biases are not updated (or `i1+`): say so, not "unknown name"."""
        text = name_keys(written)[0]
        if not text.endswith("+") or len(text) > 100:
            return None
        base = self.names.match(text[:-1])
        node = self.net.nodes.get(base) if base is not None else None
        if base is None or node is None or node.expr is not None:
            return None
        short = base.rsplit(".", 1)[-1]
        parameters = getattr(self.trace.facts, "parameters", None)  # a network's; a graph has none
        biases = {name for group in getattr(parameters, "biases", ()) or () if group
                  for name in ([group] if isinstance(group, str) else group)}
        if short in biases:
            return f"biases are not updated in this exercise (update_biases = false): {short} keeps its value"
        return f"{short} is a given value and is never updated"

    def mistaken_runs(self, given: float) -> Iterable[tuple[int, Diagnosis, PreparedGraph]]:
        """(index, diagnosis, prepared re-run) of each mistake that could give
        `given`, each re-run built and prepared the first time it is needed (a
        rounding to K decimals is not even built for a number with more)."""
        if self.diagnoser is None:
            return
        for index, mistake in enumerate(self.diagnoser.mistakes):
            if mistake.round_to is not None and abs(given - round(given, mistake.round_to)) > 1e-12 * max(1.0, abs(given)):
                continue  # a number with more decimals than that rounding keeps
            if index not in self._prepared:
                started = time.monotonic()
                trace = self.diagnoser.run(index)
                self._prepared[index] = None if trace is None else PreparedGraph(trace.graph, reference=self.net)
                self.build_seconds += time.monotonic() - started
            prepared = self._prepared[index]
            if prepared is not None:
                yield index, mistake.diagnosis, prepared


def _is_header(written: str) -> bool:
    return "".join(written.casefold().replace("_", "").replace("-", "").split()) in HEADER_FIELDS


# -- the library entry points ------------------------------------------------------
def check_files(trace: Trace, paths: Iterable[str | Path], rtol: float | None = None, atol: float | None = None,
                *, diagnose: bool = True, policy: GradingPolicy | None = None,
                time_limit: float | None = None) -> ClassReport:
    """Grade answer files against a trace (a spec's, or a student's own
    variant's). A policy not given comes from --rtol/--atol, then the spec's
    [check] table, then the defaults; diagnoses come from re-running the
    trace's spec."""
    return grader_for(trace, rtol, atol, diagnose=diagnose, policy=policy).grade_all(paths, time_limit)


def grader_for(trace: Trace, rtol: float | None = None, atol: float | None = None, *, diagnose: bool = True,
               policy: GradingPolicy | None = None, names: NameIndex | None = None,
               traces: TraceCache | None = None) -> Grader:
    """A grader with the policy and the mistakes of the trace's own spec
    (`traces`: shared by the graders of one spec's variants, diagnose.py)."""
    from .diagnose import diagnoser_for, hand_values

    spec = trace.facts.spec
    chosen = policy_for(spec, rtol, atol, policy)
    diagnoser = diagnoser_for(spec, chosen.decimals, traces) if diagnose else None
    hand = hand_values(spec, chosen.decimals) if chosen.hand_rounding and chosen.decimals is not None else None
    return Grader(trace, chosen, diagnoser, hand=hand, names=names)
