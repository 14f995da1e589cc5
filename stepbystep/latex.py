"""Numbers and value names as text: the one place that decides precision.

Every printed number in every format goes through `format_number`, so a
walkthrough, an answer key and a grader's report never disagree on a digit.
Symbols follow Mazur's notation: `net_h1` prints as net_{h1}, `w5+` as w_5^+.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache

DEFAULT_PRECISION = 9
# Below this magnitude fixed decimals would hide the digits, so scientific.
SCIENTIFIC_BELOW = 1e-4
SCIENTIFIC_ABOVE = 1e12

_NEURON = re.compile(r"^([A-Za-z]+[A-Za-z0-9]*?)(\d+)$")


def format_number(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """Round to `precision` decimals and strip trailing zeros (Mazur's style).

    Tiny non-zero values keep `precision` significant digits in scientific
    notation instead of collapsing to 0 or to one digit.
    """
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
    """A tiny value such as 0.00005 loses nothing at `precision` decimals."""
    return round(value, precision) == value  # (1e-10 at 3 decimals is not 0)


def number_latex(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A number as LaTeX: scientific notation becomes `a \\times 10^{b}`."""
    text = format_number(value, precision)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa} \\times 10^{{{exponent}}}"
    return text.replace("∞", "\\infty").replace("NaN", "\\mathrm{NaN}")


def _atom_symbol(name: str) -> str:
    """`net_h1` -> net_{h1}, `w5` -> w_5, `i1` -> i_1, `h2_3` stays readable."""
    if "_" in name:
        head, _, tail = name.partition("_")
        return f"{_word(head)}_{{{_escape(tail)}}}"
    match = _NEURON.match(name)
    if match:
        return f"{_word(match.group(1))}_{{{match.group(2)}}}"
    return _word(name)


def _word(text: str) -> str:
    text = _escape(text)
    return text if len(text) == 1 else f"\\mathit{{{text}}}"


def _escape(text: str) -> str:
    return re.sub(r"([\\{}_&%$#^~])", r"\\\1", text)


@lru_cache(maxsize=65536)
def symbol(name: str, sample: int | None = None) -> str:
    """The LaTeX symbol of a bare value name (no step/sample prefix).

    `sample` adds Mazur-style sample superscripts (n) to per-sample values.
    """
    updated = name.endswith("+")
    base = name[:-1] if updated else name
    if base.startswith("d") and "/d" in base:
        numerator, _, denominator = base[1:].partition("/d")
        top = _with_sample(_atom_symbol(numerator), sample)
        bottom = _atom_symbol(denominator)
        if sample is not None and not _is_parameter(denominator):
            bottom = _with_sample(bottom, sample)
        return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"
    text = _atom_symbol(base)
    if updated:
        text = f"{text}^{{+}}"
    elif sample is not None and not _is_parameter(base):
        text = _with_sample(text, sample)
    return text


def _with_sample(text: str, sample: int | None) -> str:
    return text if sample is None else f"{text}^{{({sample})}}"


def _is_parameter(name: str) -> bool:
    """Weights and biases belong to the step, not to one sample."""
    return bool(re.match(r"^(w\d+|b\d+|b_\w+)$", name))


def split_prefix(name: str) -> tuple[str, str]:
    """`step1.sample2.out_o1` -> ("step1.sample2.", "out_o1")."""
    # the bare part never contains a dot; prefixes always end with one
    head, dot, tail = name.rpartition(".")
    return (head + dot, tail) if dot else ("", name)
