"""One sheet's answers graded in order: right, right from the student's own
earlier numbers (error carried forward), or wrong, and then why.

Apart from check.py, which reads sheets, matches names and reports: this is
the judgement on each number. A wrong answer blames itself; an answer that is
right from the student's own wrong inputs is carried and blames what it was
computed from; a wrong one is explained by a slip in its shown working, a
known mistake (the spec re-run with it, diagnose.py) or too few digits.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping, Protocol, Sequence

from .answerfile import Entry, final_number_text
from .ecf import PreparedGraph, StudentWorld
from .guard import Deadline
from .policy import GradingPolicy, too_few_digits
from .records import CARRIED, CORRECT, WRONG, Graded
from .working import working_values

if TYPE_CHECKING:
    from .diagnose import Diagnosis

_EMPTY: frozenset[str] = frozenset()


class Grader(Protocol):
    """What of check.Grader one sheet's grading reads (no import: check imports this module)."""

    policy: GradingPolicy
    net: PreparedGraph
    hand: Mapping[str, float]
    build_seconds: float

    def mistaken_runs(self, given: float) -> Iterable[tuple[int, "Diagnosis", PreparedGraph]]: ...


class SheetGrading:
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
