"""Numbers as students write them: 0.3589, −0.019, 0,3589, 4.386 × 10⁻⁴,
and a final number after shown working (`0.2748 + 0.0236 = 0.2984`).

Every pattern here is anchored and unambiguous (no nested or overlapping
repetition), so reading a number costs time linear in its length.
"""
from __future__ import annotations

import math
import re
import unicodedata

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_TIMES_TEN = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:x|×|\*|·|⋅|\\cdot|\\times)10\^?\{?([+-]?\d+)\}?")
MAX_NUMBER_CHARS = 400  # far longer than any number; a float has 17 digits


def parse_number(text: str) -> float | None:
    """A finite number as people write it: 0.3589, -1.9e-2, −0.019, 0,3589,
    4.386 × 10⁻⁴; anything else (words, NaN, 1_000) is None."""
    if len(text) > MAX_NUMBER_CHARS:
        return None
    if _NUMBER.fullmatch(text):
        value = float(text)
        return value if math.isfinite(value) else None
    cleaned = unicodedata.normalize("NFKC", text).replace("−", "-").replace("–", "-")
    cleaned = "".join(cleaned.split()).rstrip(",;").lstrip("≈~=").strip("\"'`$")
    if _NUMBER.fullmatch(cleaned):
        value = float(cleaned)
    elif _DECIMAL_COMMA.fullmatch(cleaned):
        value = float(cleaned.replace(",", "."))
    else:
        match = _TIMES_TEN.fullmatch(cleaned)
        if match is None:
            return None
        value = float(f"{match.group(1)}e{match.group(2)}")
    return value if math.isfinite(value) else None


def final_number_text(text: str) -> str:
    """The last piece of `a = b ≈ c (rounded)`: after the last `=` or `≈`,
    without a closing remark in brackets."""
    cut = max(text.rfind("="), text.rfind("≈"))
    final = text[cut + 1:].strip()
    if final.endswith(")"):
        opening = final.rfind("(")
        if opening >= 0 and ")" not in final[opening:-1]:
            final = final[:opening].strip()
    return final


def result_of_working(text: str) -> float | None:
    """Students show their working: `0.2748 + 0.0236 = 0.2984` or
    `0.5933 (rounded)`. The answer is the number at the end, after the last
    `=` or `≈` and before a closing remark in brackets."""
    final = final_number_text(text)
    return parse_number(final) if final and final != text.strip() else None
