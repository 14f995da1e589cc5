"""A grading report as text (for the instructor's terminal) or JSON (SPEC §4).

One sheet: `{"file", "summary", "answers"}`. Several sheets: a list of such
objects, and because SPEC §4 fixes that list shape, the class summary rides
along as a `"class"` field that is the same in every element.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..numbers import format_number
from .records import (
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

MARKS = {CORRECT: "✓", WRONG: "✗", CARRIED: "carried", UNKNOWN: "?", UNPARSED: "unparsed", NO_VARIANT: "–"}


@dataclass
class ValueStat:
    """How the class did on one value."""

    name: str
    answered: int = 0
    right: int = 0
    diagnoses: Counter = field(default_factory=Counter)

    @property
    def share(self) -> float:
        return self.right / self.answered if self.answered else 0.0


def value_stats(report: ClassReport) -> list[ValueStat]:
    """Per value answered by anyone: how many answered it and how many got it
    right (correct or carried), in trace order."""
    stats = {name: ValueStat(name) for name in report.names}
    for sheet in report.files:
        for answer in sheet.answers:
            if not answer.scored or answer.name not in stats:
                continue
            stat = stats[answer.name]
            stat.answered += 1
            stat.right += answer.status in (CORRECT, CARRIED)
            if answer.diagnosis is not None:
                stat.diagnoses[answer.diagnosis.code] += 1
    return [stat for stat in stats.values() if stat.answered]


def diagnosis_counts(report: ClassReport) -> Counter:
    """Per diagnosis code, the number of sheets where it was found."""
    found: Counter = Counter()
    for sheet in report.files:
        found.update({answer.diagnosis.code for answer in sheet.answers if answer.diagnosis is not None})
    return found


# -- JSON --------------------------------------------------------------------------
def report_json(report: ClassReport, hide_expected: bool = False) -> str:
    """One sheet: an indented object. Several: a list with one object per
    line, the class summary serialized once and spliced into each (the C
    encoder; `indent` would fall back to the pure-Python one).
    `hide_expected`: the student's self-check, no expected value anywhere."""
    if len(report.files) == 1:
        return json.dumps(file_object(report.files[0], report, hide_expected), indent=2, ensure_ascii=False) + "\n"
    summary = json.dumps(class_object(report), ensure_ascii=False)
    pieces = ["["]
    for sheet in report.files:
        pieces += ["\n", json.dumps(file_object(sheet, report, hide_expected), ensure_ascii=False)[:-1],
                   ', "class": ', summary, "},"]
    pieces[-1] = "}\n]\n"
    return "".join(pieces)


def file_object(sheet: FileReport, report: ClassReport, hide_expected: bool = False) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "points": sheet.points, "out_of": sheet.out_of, "score": round(sheet.score, 4), "passed": sheet.passed,
        **{status: sheet.count(status) for status in STATUSES},
        "diagnoses": dict(Counter(answer.diagnosis.code for answer in sheet.answers if answer.diagnosis)),
        **report.policy.summary(),
    }
    found: dict[str, Any] = {"file": sheet.source, "summary": summary,
                             "answers": [answer_object(answer, sheet.keyed, hide_expected) for answer in sheet.answers]}
    if sheet.variant is not None:
        found["variant"] = sheet.variant
    if sheet.status is not None:
        found["status"] = sheet.status
    if sheet.error is not None:
        found["error"] = sheet.error
    if sheet.header:
        found["header"] = sheet.header
    if sheet.notes:
        found["notes"] = list(sheet.notes)
    return found


def answer_object(answer: Graded, keyed: bool = False, hide_expected: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"name": answer.name, "given": answer.given, "expected": answer.expected,
                             "status": answer.status, "line": answer.line, "written": answer.written}
    if hide_expected:
        del found["expected"]
    if keyed:
        found["key"] = answer.written
    if answer.given is None:
        found["text"] = answer.text
    if answer.recomputed is not None and not hide_expected:
        found["recomputed"] = answer.recomputed
    if answer.stems_from:
        found["from"] = list(answer.stems_from)
    if answer.diagnosis is not None:
        found["diagnosis"] = {"code": answer.diagnosis.code, "message": diagnosis_message(answer, hide_expected)}
        if answer.also:
            found["also"] = list(answer.also)
    if answer.note:
        found["note"] = answer.note
    if answer.suggestions:
        found["suggestions"] = list(answer.suggestions)
    return found


def class_object(report: ClassReport) -> dict[str, Any]:
    """The same in every element of the JSON list; `mean_score` over the files that could be
    read and graded (not unreadable, not held for want of a variant)."""
    files = report.files
    readable = [sheet for sheet in files if not sheet.unreadable and sheet.status != NO_VARIANT]
    return {
        "files": len(files),
        "passed": sum(sheet.passed for sheet in files),
        "unreadable": sum(sheet.unreadable for sheet in files),
        "no_variant": sum(sheet.status == NO_VARIANT for sheet in files),
        "mean_score": round(sum(sheet.score for sheet in readable) / len(readable), 4) if readable else 0.0,
        "values": [{"name": stat.name, "answered": stat.answered, "right": stat.right,
                    "share": round(stat.share, 4), **({"diagnoses": dict(stat.diagnoses)} if stat.diagnoses else {})}
                   for stat in value_stats(report)],
        "diagnoses": dict(diagnosis_counts(report).most_common()),
    }


# -- text --------------------------------------------------------------------------
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def report_text(report: ClassReport, hide_expected: bool = False) -> str:
    """The report for a terminal; a student's control characters (an escape
    sequence in a name) are shown as � instead of reaching the terminal.
    `hide_expected`: the student's self-check, no expected value anywhere."""
    return _CONTROL.sub("\ufffd", _report_text(report, hide_expected))


def _report_text(report: ClassReport, hide_expected: bool) -> str:
    parts = [file_text(sheet, hide_expected) for sheet in report.files]
    parts.append(f"Grading: {report.policy.describe()}\n")
    if len(report.files) > 1:
        parts.append(class_text(report))
    return "\n".join(parts)


def file_text(sheet: FileReport, hide_expected: bool = False) -> str:
    lines = [f"{sheet.source}" + (f" (variant {sheet.variant})" if sheet.variant else "")]
    lines.extend(f"  {key}: {_short(value)}" for key, value in sheet.header.items()
                 if not (sheet.variant and key == "Variant"))  # the title line says which variant
    lines.extend(f"  note: {note}" for note in sheet.notes)
    if sheet.error is not None:
        lines.append(f"  {'not graded' if sheet.status == NO_VARIANT else 'cannot grade'}: {sheet.error}")
        return "\n".join(lines) + "\n"
    name_width = min(max((len(answer.name) for answer in sheet.answers), default=4), 28)
    given_width = min(max((len(answer.text) for answer in sheet.answers), default=4), 14)
    where_width = 8 if not sheet.keyed else min(max((len(answer.written) for answer in sheet.answers), default=0) + 6, 24)
    for answer in sheet.answers:
        where = (f"line {answer.line}" if answer.line is not None
                 else f"key {answer.written}" if sheet.keyed else "")
        name, text = answer.name, answer.text
        if len(name) > 60 or len(text) > 60 or len(where) > 60:  # a pasted paragraph stays one line
            where, name, text = _short(where), _short(name), _short(text)
        lines.append(f"  {where:>{where_width}}  {MARKS[answer.status]:<8} {name:<{name_width}}  "
                     f"{text:<{given_width}}  {_detail(answer, hide_expected)}".rstrip())
    lines.append(f"  Score: {sheet.points}/{sheet.out_of} ({sheet.score:.0%}): " + _counts(sheet))
    return "\n".join(lines) + "\n"


def _short(text: str, limit: int = 60) -> str:
    """A student's text cut for a terminal line (a pasted paragraph stays one line)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def diagnosis_message(answer: Graded, hide_expected: bool) -> str:
    """The diagnosis sentence; in a self-check without numbers that would
    give the answer away (the working's value is the expected one)."""
    assert answer.diagnosis is not None
    if hide_expected and answer.diagnosis.code == "arithmetic_slip":
        return "Your working is right; the slip is in the last step."
    return answer.diagnosis.message


def _detail(answer: Graded, hide_expected: bool = False) -> str:
    if answer.status == CORRECT:
        return f"({answer.note})" if answer.note else ""
    expected = (f"expected {format_number(answer.expected)}"
                if answer.expected is not None and not hide_expected else "")
    if answer.status == CARRIED:
        own = f" from your {', '.join(answer.stems_from)}" if answer.stems_from else ""
        return f"{expected}; right{own} (error carried forward)".lstrip("; ")
    if answer.status == WRONG:
        text = expected
        if answer.recomputed is not None and not hide_expected:
            text += f" ({format_number(answer.recomputed)} from your {', '.join(answer.stems_from)})"
        elif answer.stems_from:
            text += f" (after your wrong {', '.join(answer.stems_from)})"
        if answer.diagnosis is not None:
            text += f" · {answer.diagnosis.code}: {diagnosis_message(answer, hide_expected)}"
            if answer.also:
                text += f" (the same number also comes from: {', '.join(answer.also)})"
        return text.lstrip(" ·")
    if answer.status == NO_VARIANT:
        return "not graded (no variant)"
    hint = f"; did you mean {', '.join(answer.suggestions)}?" if answer.suggestions else ""
    if answer.status == UNKNOWN:
        return answer.note if answer.note else f"unknown name{hint}"
    return f"{answer.note or 'not a number'}{hint}"


def _counts(sheet: FileReport) -> str:
    return ", ".join(f"{sheet.count(status)} {status}" for status in STATUSES if sheet.count(status)) or "nothing graded"


def class_text(report: ClassReport) -> str:
    files = report.files
    summary = class_object(report)
    width = min(max(len(sheet.source) for sheet in files), 40)
    held = f", {summary['no_variant']} not graded (no variant)" if summary["no_variant"] else ""
    lines = [f"Class summary: {len(files)} files, {summary['passed']} all correct{held}, "
             f"mean score {summary['mean_score']:.0%}"]
    fraction_width = max((len(f"{sheet.points}/{sheet.out_of}") for sheet in files if not sheet.unreadable), default=0)
    for sheet in files:  # the scores in aligned columns
        fraction = f"{sheet.points}/{sheet.out_of}"
        score = ("unreadable" if sheet.unreadable else "not graded (no variant)" if sheet.status == NO_VARIANT
                 else f"{fraction:>{fraction_width}}  {sheet.score:>4.0%}")
        lines.append(f"  {sheet.source:<{width}}  {score}")
    stats = value_stats(report)
    struggling = sorted((stat for stat in stats if stat.right < stat.answered), key=lambda stat: stat.share)
    if struggling:
        lines.append("Where the class struggles (right = correct or carried; hardest first):")
        name_width = min(max(len(stat.name) for stat in struggling), 28)
        right_width = max(len(f"{stat.right}/{stat.answered}") for stat in struggling)
        for stat in struggling:
            mistakes = ", ".join(f"{code} ×{count}" for code, count in stat.diagnoses.most_common())
            right = f"{stat.right}/{stat.answered}"
            lines.append(f"  {stat.name:<{name_width}}  {right:>{right_width}} right  {stat.share:>4.0%}"
                         + (f"  {mistakes}" if mistakes else ""))
    if len(struggling) < len(stats):
        lines.append(f"Everyone who answered got the other {len(stats) - len(struggling)} values right.")
    counts = diagnosis_counts(report)
    if counts:
        lines.append("Mistakes found: " + ", ".join(f"{code} ({count} {'sheet' if count == 1 else 'sheets'})"
                                                    for code, count in counts.most_common()))
    return "\n".join(lines) + "\n"
