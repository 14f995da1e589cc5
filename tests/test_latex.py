"""Numbers and symbols as text (latex.py), against values worked out by hand."""
from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepbystep.document.symbols import symbol
from stepbystep.numbers import format_number, number_latex
from stepbystep.spec.names import split_prefix


@pytest.mark.parametrize(("value", "precision", "text"), [
    (0.3775, 9, "0.3775"),                       # Mazur's net_h1: trailing zeros stripped
    (0.5932699921071872, 9, "0.593269992"),
    (0.7513650695523157, 9, "0.75136507"),       # 0.751365070 -> 0.75136507, as the post prints
    (0.5113012702387375, 9, "0.51130127"),
    (-0.019049118258278114, 9, "-0.019049118"),
    (0.4, 9, "0.4"),
    (1.0, 9, "1"),
    (0.0, 9, "0"),
    (-0.0, 9, "0"),
    (-1e-12, 3, "-1e-12"),                       # tiny: significant digits, not a lost sign or 0
    (0.35891647971788465, 3, "0.359"),
    (0.35891647971788465, 0, "0"),
    (2.5, 0, "2"),                               # Python's round-half-even on 2.5
    (0.00005, 9, "0.00005"),                     # exact at 9 decimals: stays fixed
    (0.00043856773447434685, 2, "4.4e-4"),       # not 0 at 2 decimals: never printed as 0
    (0.004, 2, "4e-3"),
    (3.510187782978859e-05, 9, "3.51018778e-5"),  # Mazur's E_total after 10,000 rounds
    (1e-10, 9, "1e-10"),
    (1e-10, 3, "1e-10"),
    (123456789012345.0, 9, "1.23456789e14"),
])
def test_format_number(value: float, precision: int, text: str) -> None:
    assert format_number(value, precision) == text


def test_non_finite_numbers_have_a_text() -> None:
    assert format_number(math.nan) == "NaN"
    assert format_number(math.inf) == "∞" and format_number(-math.inf) == "-∞"


def test_number_latex() -> None:
    assert number_latex(3.510187782978859e-05) == r"3.51018778 \times 10^{-5}"
    assert number_latex(0.3775) == "0.3775"
    assert number_latex(math.inf) == r"\infty"


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-4, max_value=1e11, allow_nan=False) | st.floats(min_value=-1e11, max_value=-1e-4),
       st.integers(0, 15))
def test_fixed_notation_is_the_value_rounded(value: float, precision: int) -> None:
    """In the fixed range the text is the value rounded half-even to `precision` decimals."""
    text = format_number(value, precision)
    expected = Decimal(value).quantize(Decimal(1).scaleb(-precision)) if precision else Decimal(round(value))
    if precision and expected == 0:   # a value that is not 0 is never printed as 0
        assert "e" in text and Decimal(text) != 0
        return
    assert Decimal(text) == expected or Decimal(text) == Decimal(f"{value:.{precision}f}")
    assert not ("." in text and text.endswith("0"))


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != 0), st.integers(1, 15))
def test_printed_number_is_close_to_the_value(value: float, precision: int) -> None:
    text = format_number(value, precision)
    printed, exact = Decimal(text), Decimal(value)
    if "e" in text:   # `precision` significant digits
        assert abs(printed - exact) <= abs(exact) * Decimal(5) * Decimal(10) ** -precision
    else:             # `precision` decimals
        assert abs(printed - exact) <= Decimal(5) * Decimal(10) ** -(precision + 1)


@pytest.mark.parametrize(("name", "sample", "latex"), [
    ("net_h1", None, r"\mathit{net}_{h1}"),
    ("out_o2", None, r"\mathit{out}_{o2}"),
    ("E_total", None, r"E_{\mathrm{total}}"),
    ("E_o1", None, "E_{o1}"),
    ("w5", None, "w_{5}"),
    ("w5+", None, "w_{5}^{+}"),
    ("b1", None, "b_{1}"),
    ("i1", None, "i_{1}"),
    ("dE_total/dw5", None, r"\frac{\partial E_{\mathrm{total}}}{\partial w_{5}}"),
    ("dout_o1/dnet_o1", None, r"\frac{\partial \mathit{out}_{o1}}{\partial \mathit{net}_{o1}}"),
    ("dE_o1/dout_h1", None, r"\frac{\partial E_{o1}}{\partial \mathit{out}_{h1}}"),
    ("out_o1", 2, r"\mathit{out}_{o1}^{(2)}"),
    ("w5", 2, "w_{5}"),                            # parameters belong to the step, not a sample
    ("dE_total/dw5", 2, r"\frac{\partial E_{\mathrm{total}}^{(2)}}{\partial w_{5}}"),
])
def test_symbols_follow_mazurs_notation(name: str, sample: int | None, latex: str) -> None:
    assert symbol(name, sample) == latex


@pytest.mark.parametrize(("name", "parts"), [
    ("step1.sample2.out_o1", ("step1.sample2.", "out_o1")),
    ("step3.dE_total/dw5", ("step3.", "dE_total/dw5")),
    ("after2.E_total", ("after2.", "E_total")),
    ("w5+", ("", "w5+")),
])
def test_split_prefix(name: str, parts: tuple[str, str]) -> None:
    assert split_prefix(name) == parts
