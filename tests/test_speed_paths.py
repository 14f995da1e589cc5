"""The shortcuts taken for speed give what the plain way gives.

Each shortcut here is a second spelling of one small rule, kept beside the
rule it speeds up; these tests walk every bundled example and check the two
agree exactly (the numeric oracles elsewhere prove the values themselves)."""
from __future__ import annotations

from pathlib import Path

import pytest

from stepbystep.document.formatter import _numbers_visible_length, _visible_length
from stepbystep.engine.build import build_trace
from stepbystep.engine.expressions import Expr, Printer, Ref, unique
from stepbystep.numbers import format_number, number_latex, text_as_latex
from stepbystep.spec.load import load_spec

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))
SMALL = [path for path in EXAMPLES if "10000" not in path.name]


@pytest.mark.parametrize("path", SMALL, ids=lambda path: path.stem)
def test_node_inputs_are_the_refs_in_first_seen_order(path: Path) -> None:
    trace = build_trace(load_spec(path))
    for node in trace.graph.nodes.values():
        if node.expr is not None:
            assert node.inputs == unique(node.expr.refs()), node.name


@pytest.mark.parametrize("path", SMALL, ids=lambda path: path.stem)
def test_printing_an_atom_wraps_as_the_general_rule(path: Path) -> None:
    """Ref.wrapped, the printers' shortcut, against Expr.wrapped's rule:
    parentheses exactly around a negative number."""
    trace = build_trace(load_spec(path))
    values = trace.graph.values
    for printer in (Printer(str, repr), Printer(str, repr, values.__getitem__)):
        for name in values:
            ref = Ref(name)
            for minimum in (1, 2, 3, 4):
                assert ref.wrapped(printer, minimum) == Expr.wrapped(ref, printer, minimum)


@pytest.mark.parametrize("value", [0.0, -0.0, 1.5, -2.25, 1e-7, -3.3e-9, 5e12, float("inf"), float("-inf"),
                                   float("nan"), 0.00044, 123456.789])
@pytest.mark.parametrize("precision", [0, 2, 9])
def test_a_number_as_latex_from_its_text(value: float, precision: int) -> None:
    text = format_number(value, precision)
    assert text_as_latex(text) == number_latex(value, precision)
    expected = text.replace("∞", "\\infty").replace("NaN", "\\mathrm{NaN}")
    if "e" in text:
        mantissa, exponent = text.split("e")
        expected = f"{mantissa} \\times 10^{{{exponent}}}"
    assert number_latex(value, precision) == expected


@pytest.mark.parametrize("latex", ["0.5", "-0.25", "1.2 \\times 10^{-5}", "\\left(-0.7\\right) \\cdot 0.4", "\\infty"])
def test_visible_length_of_numbers(latex: str) -> None:
    assert _numbers_visible_length(latex) == _visible_length(latex)


@pytest.mark.parametrize("path", SMALL, ids=lambda path: path.stem)
def test_an_equation_as_latex_is_its_sides(path: Path) -> None:
    """Equation.latex writes `sides` out (for speed): the same display."""
    from stepbystep.document.blocks import Equation
    from stepbystep.document.build import build_document

    equations = build_document(build_trace(load_spec(path))).equations()
    equations += [Equation("x", "a", "a", "a"), Equation("x", value="1", aligned=True), Equation("x", "f", "", "")]
    for equation in equations:
        sides = equation.sides
        expected = (" = ".join((equation.symbol,) + sides) if not equation.aligned else
                    "\\begin{aligned}\n" + f"{equation.symbol} &= " + " \\\\\n&= ".join(sides) + "\n\\end{aligned}")
        assert equation.latex == expected
