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
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..engine.trace import Trace
from .answerfile import AnswerSheet, Entry, final_number_text, parse_sheet, read_sheet
from .ecf import PreparedGraph, StudentWorld
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
from .working import working_values

if TYPE_CHECKING:
    from ..engine.replay import TraceCache
    from .diagnose import Diagnoser, Diagnosis

Tolerance = GradingPolicy  # the older name: Tolerance(rtol, atol) is the tolerance policy
tolerance_for = policy_for
HEADER_FIELDS = frozenset({"name", "student", "studentname", "id", "studentid", "email", "date", "class",
                           "course", "section", "group", "assignment", "homework", "variant"})
_EMPTY: frozenset[str] = frozenset()


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
            _Sheet(self, given, deadline).grade(sorted(to_grade), lines)
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


class _Sheet:
    """The grading of one sheet: its worlds and who is to blame for what."""

    def __init__(self, grader: Grader, given: dict[str, float], deadline: Deadline) -> None:
        self.grader = grader
        self.given = given
        self.deadline = deadline
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
        grader = self.grader
        allows, values, hand = grader.policy.allows, grader.net.values, grader.hand
        for count, (_, slot, name, entry) in enumerate(ordered):
            if not count & 15:
                self.deadline.check()
            given, expected = entry.value, values[name]
            assert given is not None
            if allows(given, expected):
                lines[slot] = Graded(name, entry.written, entry.line, entry.text, given, CORRECT, expected)
                continue
            if name in hand and allows(given, hand[name]):
                lines[slot] = Graded(name, entry.written, entry.line, entry.text, given, CORRECT, expected,
                                     note=f"the value of rounding every step to {grader.policy.asked_digits()}")
                continue
            if self.world is None:
                self.world = StudentWorld(grader.net, self.given, self._mask(grader.net), self.blame)
            recomputed = self.world.recompute(name)
            behind = self.world.blame_of(name) if recomputed is not None else _EMPTY
            if recomputed is not None and allows(given, recomputed):
                self.blame[name] = behind
                status, note = (CARRIED, None) if behind else (CORRECT, "right from your own rounded earlier values")
                lines[slot] = Graded(name, entry.written, entry.line, entry.text, given, status, expected,
                                     recomputed, _ordered(behind, grader.net), note=note)
                continue
            self.blame[name] = frozenset((name,))
            shown = recomputed if behind else None
            diagnoses = self._explain(name, entry, expected, shown)
            lines[slot] = Graded(name, entry.written, entry.line, entry.text, given, WRONG, expected, shown,
                                 _ordered(behind, grader.net), diagnoses[0] if diagnoses else None,
                                 also=tuple(diagnosis.code for diagnosis in diagnoses[1:]))

    def _explain(self, name: str, entry: Entry, expected: float, recomputed: float | None) -> tuple[Diagnosis, ...]:
        """A slip in the last step of shown working, a known mistake, or too few digits."""
        from .diagnose import arithmetic_slip, too_few_digits_diagnosis

        given = entry.value
        assert given is not None
        policy = self.grader.policy
        if "=" in entry.text or "≈" in entry.text:
            for value in reversed(working_values(entry.text)):
                if policy.allows(value, expected) or (recomputed is not None and policy.allows(value, recomputed)):
                    return (arithmetic_slip(value),)
        started = self.grader.build_seconds
        try:
            found = self._diagnose(name, given)
        finally:
            self.deadline.extend(self.grader.build_seconds - started)
        final = final_number_text(entry.text)
        advice = too_few_digits(policy, given, expected, final)  # the exact value, correctly rounded to fewer digits
        if advice is not None:
            # a known mistake wins only where it explains the number far better than the right value does
            closer = [diagnosis for diagnosis, value in found if abs(given - value) <= 0.1 * abs(given - expected)]
            if not closer or "too_few_digits" in self.seen:
                self.seen.add("too_few_digits")
                return (too_few_digits_diagnosis(advice),)
            found = [(diagnosis, value) for diagnosis, value in found if diagnosis in closer]
        if not found:
            advice = too_few_digits(policy, given, expected, final, truncated=True)
            return (too_few_digits_diagnosis(advice),) if advice is not None else ()
        return self._rank([diagnosis for diagnosis, _ in found])

    def _diagnose(self, name: str, given: float) -> list[tuple[Diagnosis, float]]:
        """Every known mistake that gives this answer, with the value it gives.
        The mistake made on the student's own earlier numbers is the stronger
        evidence; only when none fits that way does the mistaken run's own
        number count (the student may have slipped upstream too)."""
        from_own: list[tuple[Diagnosis, float]] = []
        from_run: list[tuple[Diagnosis, float]] = []
        allows = self.grader.policy.allows
        values = self.grader.net.values
        for number, diagnosis, net in self.grader.mistaken_runs(given):
            self.deadline.check()
            if name not in net.affected:
                continue  # the mistake does not reach this value
            world = self.mistaken_worlds.get(number)
            if world is None:
                world = self.mistaken_worlds[number] = StudentWorld(net, self.given, self._mask(net))
            value = world.recompute(name)
            if value is not None and allows(given, value):
                into = from_own
            elif allows(given, net.values[name]):
                value, into = net.values[name], from_run
            else:
                continue
            if net.round_to is not None and round(value, net.round_to) == round(values[name], net.round_to):
                continue  # the exact value correctly rounded: rounding early changed nothing here
            into.append((diagnosis, value))
        return from_own or from_run

    def _rank(self, diagnoses: list[Diagnosis]) -> tuple[Diagnosis, ...]:
        """One per code; where two mistakes give the same number, the one this
        student has already made on this sheet comes first (people repeat
        their mistakes)."""
        found: dict[str, Diagnosis] = {}
        for diagnosis in diagnoses:
            found.setdefault(diagnosis.code, diagnosis)
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
