"""Numbers as text: the one place that decides precision.

Every printed number in every format goes through `format_number`, so a
walkthrough, an answer key and a grader's report never disagree on a digit.
"""
from __future__ import annotations

import math

DEFAULT_PRECISION = 9
# Below this magnitude fixed decimals would hide the digits, so scientific.
SCIENTIFIC_BELOW = 1e-4
SCIENTIFIC_ABOVE = 1e12
# Below this even an exact value is scientific: 1e-8 as 0.00000001 makes a reader count zeros.
FIXED_AT_LEAST = 1e-6


def format_number(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """Round to `precision` decimals and strip trailing zeros (Mazur's style).

    Tiny non-zero values keep `precision` significant digits in scientific
    notation instead of collapsing to 0 or to one digit.
    """
    if SCIENTIFIC_BELOW <= abs(value) < SCIENTIFIC_ABOVE:  # the common case first (a document prints hundreds)
        text = f"{value:.{precision}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text not in ("-0", "0", ""):
            return text
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    tiny = value != 0 and abs(value) < SCIENTIFIC_BELOW and not _fixed_is_exact(value, precision)
    if tiny or abs(value) >= SCIENTIFIC_ABOVE:
        return _scientific(value, precision)
    text = f"{value:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0", ""):
        # a value that is not 0 is never printed as 0 (0.00044 at 2 decimals)
        return _scientific(value, precision) if value != 0 and precision else "0"
    return text


def _scientific(value: float, precision: int) -> str:
    mantissa, exponent = f"{value:.{max(precision - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _fixed_is_exact(value: float, precision: int) -> bool:
    """A tiny value such as 0.00005 loses nothing at `precision` decimals (and
    has few enough zeros to read: Adam's 1e-8 stays scientific)."""
    return abs(value) >= FIXED_AT_LEAST and round(value, precision) == value  # (1e-10 at 3 decimals is not 0)


def number_latex(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A number as LaTeX: scientific notation becomes `a \\times 10^{b}`."""
    return text_as_latex(format_number(value, precision))


def text_as_latex(text: str) -> str:
    """A number as `format_number` printed it, as LaTeX (a document that
    prints a value both ways formats it once)."""
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa} \\times 10^{{{exponent}}}"
    if text[-1].isdigit():  # the common case: digits, a sign, a point
        return text
    return text.replace("∞", "\\infty").replace("NaN", "\\mathrm{NaN}")
