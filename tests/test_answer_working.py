"""Answers written with their working, or a remark, are graded by the number
at the end; anything else that is not a number stays `unparsed`."""
from __future__ import annotations

from stepbystep.grading.answerfile import parse_sheet


def _values(text: str) -> list[tuple[str, float | None]]:
    return [(entry.written, entry.value) for entry in parse_sheet(text).entries]


def test_shown_working_gives_the_final_number() -> None:
    sheet = "E_total = 0.2748 + 0.0236 = 0.2984\nw5+ = 0.4 - 0.5 * 0.08217 ≈ 0.3589\nout_h1 = 0.5933 (rounded)\n"
    assert _values(sheet) == [("E_total", 0.2984), ("w5+", 0.3589), ("out_h1", 0.5933)]


def test_words_are_still_not_numbers() -> None:
    sheet = "w6+ = 0.45 - 0.5 * dE\nw7+ = (about half)\nw8+ = no idea\n"
    assert [value for _, value in _values(sheet)] == [None, None, None]
