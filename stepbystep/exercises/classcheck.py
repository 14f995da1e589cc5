"""Grading a whole class in one call, each sheet against its own variant.

SPEC.md §5: on a spec with `[variants]` every sheet is graded against the
variant its `Variant` line names; a sheet whose variant cannot be told is
not graded against anything (status `no_variant`, one line saying what to
add). On a spec without `[variants]` a Variant line is reported, not
ignored. One sheet's trouble — a variant that does not exist, a file that
is a pipe, a sheet that runs out of time — is that sheet's report line; the
rest of the class is graded.

Variants are drawn once each, per seed in increasing number (variant k
needs 1..k-1 drawn first), so a class of 40 variants of one seed costs 40
draws, and a sheet asking for an absurd number is refused before drawing.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable, Mapping

from ..engine.build import build_trace
from ..engine.replay import TraceCache
from ..grading.answerfile import AnswerSheet, parse_sheet, read_sheet
from ..grading.check import Grader, grader_for
from ..grading.guard import DEFAULT_TIME_LIMIT, Deadline, failure_message
from ..grading.policy import GradingPolicy, policy_for
from ..grading.records import ClassReport, FileReport
from ..spec.load import load_spec
from ..spec.model import Spec, SpecError
from .variant_rules import Rules, read_rules
from .variants import Variant, asked_names, iter_variants, missing_variant, resolve_variant

Loader = Callable[[Deadline], AnswerSheet]


def sheet_loaders(paths: Iterable[str | Path] = (), texts: Mapping[str, str | bytes] | None = None
                  ) -> list[tuple[str, Loader]]:
    """(source, read it) for answer files and for sheets given as text."""
    loaders: list[tuple[str, Loader]] = [(str(path), _file_loader(path)) for path in paths]
    loaders += [(source, _text_loader(text, source)) for source, text in (texts or {}).items()]
    return loaders


def _file_loader(path: str | Path) -> Loader:
    return lambda deadline: read_sheet(path, deadline)


def _text_loader(text: str | bytes, source: str) -> Loader:
    return lambda deadline: parse_sheet(text, source, deadline)


def load_check_spec(path: str | Path, answers: list[str | Path]) -> Spec:
    """The spec of `check`; when it cannot be read but looks like an answer
    file while an answer file reads as a spec, say the arguments are swapped."""
    try:
        return load_spec(path)
    except SpecError as error:
        swapped = _spec_among(answers) if _looks_like_answers(path) else None
        if swapped is None:
            raise
        raise SpecError(str(path), "", f"this is an answer file, and {swapped} is a spec: the spec comes first "
                                       f"(stepbystep check {swapped} {path} …)") from error


def _looks_like_answers(path: str | Path) -> bool:
    sheet = read_sheet(path)
    return sheet.error is None and any(entry.value is not None for entry in sheet.entries) or sheet.variant is not None


def _spec_among(paths: list[str | Path]) -> str | None:
    for candidate in paths[:20]:
        if str(candidate).endswith((".toml", ".json")):
            try:
                load_spec(candidate)
            except (SpecError, OSError):
                continue
            return str(candidate)
    return None


def grade_class(spec: Spec, sheets: list[tuple[str, Loader]], *, rtol: float | None = None,
                atol: float | None = None, policy: GradingPolicy | None = None, variant: str | None = None,
                seed: int | None = None, time_limit: float | None = DEFAULT_TIME_LIMIT,
                diagnose: bool = True) -> ClassReport:
    """Every sheet graded (or held, with the reason) in one call.

    `variant` ("S-k", or "k" with `seed`) grades every sheet against that one
    variant; otherwise a `[variants]` spec grades each sheet against its own.
    Raises ValueError for a `variant` that does not exist (the caller's
    mistake, not a student's)."""
    chosen = policy_for(spec, rtol, atol, policy)
    base = grader_for(build_trace(spec), policy=chosen, diagnose=diagnose)
    if variant is not None or seed is not None:
        return _against_one_variant(spec, sheets, base, variant, seed, time_limit, diagnose)
    if not spec.variants:
        return _report(base, [_graded(base, source, load, time_limit, _without_variants) for source, load in sheets])
    return _ClassOfVariants(spec, base, time_limit, diagnose).grade(sheets)


def _graded(grader: Grader, source: str, load: Loader, time_limit: float | None,
            remark: Callable[[AnswerSheet], tuple[str, ...]], variant: str | None = None) -> FileReport:
    deadline = Deadline(time_limit)

    def work() -> FileReport:
        sheet = load(deadline)
        return grader.grade(sheet, deadline, variant=variant, notes=remark(sheet))
    return grader.guarded(source, work)


def _without_variants(sheet: AnswerSheet) -> tuple[str, ...]:
    if sheet.variant is None:
        return ()
    return (f"this sheet names variant {sheet.variant.written!r} ({sheet.variant.where}), but the spec has no "
            "[variants] table: graded against the spec itself (for sheets made by `stepbystep variants`, add "
            "the [variants] table to the spec, or grade with --variant)",)


def _against_one_variant(spec: Spec, sheets: list[tuple[str, Loader]], base: Grader, variant: str | None,
                         seed: int | None, time_limit: float | None, diagnose: bool) -> ClassReport:
    if variant is None:
        raise ValueError("--seed goes with --variant")
    found_seed, index = resolve_variant(variant, seed)
    problem = missing_variant(spec, found_seed, index)
    if problem is not None:
        raise ValueError(problem)
    drawn = _Stream(spec, found_seed, read_rules(spec)).upto(index, Deadline(None))
    grader = grader_for(drawn.trace, policy=base.policy, diagnose=diagnose, names=base.names)

    def remark(sheet: AnswerSheet) -> tuple[str, ...]:
        mark = sheet.variant
        if mark is None or mark.id == drawn.id:
            return ()
        return (f"the sheet names variant {mark.written!r}; graded against {drawn.id} as asked (--variant)",)

    return _report(base, [_graded(grader, source, load, time_limit, remark, drawn.id) for source, load in sheets])


def _report(base: Grader, reports: list[FileReport]) -> ClassReport:
    return ClassReport(tuple(reports), base.policy, tuple(base.trace.names()))


class _Stream:
    """One seed's variants, drawn in order and only as far as asked."""

    def __init__(self, spec: Spec, seed: int, rules: Rules) -> None:
        self.seed = seed
        self.drawn = 0
        self.iterator = iter_variants(spec, rules.count or 10**9, seed)
        self.last: Variant | None = None
        self.broken: str | None = None

    def upto(self, index: int, deadline: Deadline) -> Variant:
        """Variant `index`, drawing on from where the stream is (never backwards)."""
        if self.broken is not None:
            raise ValueError(self.broken)
        while self.drawn < index:
            deadline.check()
            try:
                self.last = next(self.iterator)
            except SpecError as error:
                self.broken = f"variant {self.seed}-{self.drawn + 1} cannot be drawn ({error.message})"
                raise ValueError(self.broken) from None
            self.drawn += 1
        if self.drawn != index or self.last is None:
            raise ValueError(f"variant {self.seed}-{index} was passed by (drawn out of order)")
        return self.last


class _ClassOfVariants:
    """A class on a [variants] spec: each sheet against the variant it names."""

    def __init__(self, spec: Spec, base: Grader, time_limit: float | None, diagnose: bool) -> None:
        self.spec = spec
        self.base = base
        self.time_limit = time_limit
        self.diagnose = diagnose
        self.rules = read_rules(spec)
        self.traces = TraceCache()   # every variant's mistaken re-runs: one shape per mistake
        asked_names(spec, self.rules)  # an unknown `ask` name is the spec's error, raised before any sheet

    def grade(self, sheets: list[tuple[str, Loader]]) -> ClassReport:
        reports: list[FileReport | None] = [None] * len(sheets)
        wanted: dict[int, list[tuple[int, AnswerSheet]]] = defaultdict(list)
        for number, (source, load) in enumerate(sheets):
            deadline = Deadline(self.time_limit)
            sheet = _read(source, load, deadline)
            if isinstance(sheet, FileReport):
                reports[number] = sheet
                continue
            held = self._held(sheet)
            if held is not None:
                reports[number] = held
                continue
            assert sheet.variant is not None and sheet.variant.seed is not None
            wanted[sheet.variant.seed].append((number, sheet))
        for seed, requests in wanted.items():
            stream = _Stream(self.spec, seed, self.rules)
            graders: dict[int, Grader] = {}
            for number, sheet in sorted(requests, key=lambda request: request[1].variant.index):  # type: ignore[union-attr]
                reports[number] = self._grade_one(stream, graders, sheet)
        return _report(self.base, [report for report in reports if report is not None])

    def _held(self, sheet: AnswerSheet) -> FileReport | None:
        """The no_variant report of a sheet whose variant cannot be told or does not exist."""
        if sheet.error is not None:
            return self.base.grade(sheet)
        mark = sheet.variant
        if mark is None:
            return self.base.hold(sheet, "no Variant line: add the line `Variant: S-k` with your variant's id, "
                                         "as printed at the top of your problem sheet (e.g. `Variant: 2024-7`)")
        if mark.seed is None or mark.index is None:
            return self.base.hold(sheet, f"{mark.where}: {mark.written!r} is not a variant id: write it as printed "
                                         "at the top of your problem sheet, e.g. `Variant: 2024-7`")
        problem = missing_variant(self.spec, mark.seed, mark.index, self.rules)
        if problem is not None:
            return self.base.hold(sheet, f"{mark.where}: {problem}")
        return None

    def _grade_one(self, stream: _Stream, graders: dict[int, Grader], sheet: AnswerSheet) -> FileReport:
        mark = sheet.variant
        assert mark is not None and mark.index is not None
        deadline = Deadline(self.time_limit)
        try:
            if mark.index not in graders:
                variant = stream.upto(mark.index, deadline)
                graders[mark.index] = grader_for(variant.trace, policy=self.base.policy, diagnose=self.diagnose,
                                                 names=self.base.names, traces=self.traces)
            return graders[mark.index].grade(sheet, deadline, variant=mark.id)
        except ValueError as error:
            return self.base.hold(sheet, f"{mark.where}: {error}")
        except Exception as error:  # noqa: BLE001  (a timeout, or a failure on this sheet alone)
            return FileReport(sheet.source, (), failure_message(error), variant=mark.id)


def _read(source: str, load: Loader, deadline: Deadline) -> AnswerSheet | FileReport:
    try:
        return load(deadline)
    except Exception as error:  # noqa: BLE001
        return FileReport(source, (), failure_message(error))

