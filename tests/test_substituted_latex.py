"""The compiled printer of substituted LaTeX (engine/substituted.py) against
the expressions' own printing (Expr.latex), character for character: on
every node of every bundled example, and on random expressions with numbers
that change the parentheses (below 0), the power's braces (scientific
notation) and the text itself (NaN, infinities)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepbystep.engine.build import build_trace
from stepbystep.engine.expressions import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Printer, Ref, Sub
from stepbystep.engine.substituted import COMPILE_AT, compile_substituted, substituted_latex
from stepbystep.numbers import number_latex
from stepbystep.spec.load import load_spec

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))
SMALL = [path for path in EXAMPLES if "10000" not in path.name]
NAMES = ("a", "b", "c")


def _printer(values: dict[str, float], precision: int = 9) -> Printer:
    return Printer(str, lambda value: number_latex(value, precision), values.__getitem__)


@pytest.mark.parametrize("path", SMALL, ids=lambda path: path.stem)
def test_every_node_of_the_examples_prints_the_same(path: Path) -> None:
    trace = build_trace(load_spec(path))
    values = trace.graph.values
    negated = {name: -value for name, value in values.items()}   # the other parentheses
    for node in trace.graph.nodes.values():
        if node.expr is None:
            continue
        compiled = compile_substituted(node.expr)
        for numbers, precision in ((values, 9), (negated, 3)):
            printer = _printer(numbers, precision)
            assert compiled(printer) == node.expr.latex(printer), node.name


_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, -0.5, 2.0, -2.0, 1e-7, -1e-7, 3e13, -3e13]))
_leaves = st.one_of(st.sampled_from([Ref(name) for name in NAMES]),
                    st.builds(Num, _numbers), st.builds(Num, _numbers, st.just("\\eta")))


def _trees(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    several = st.lists(children, min_size=1, max_size=4).map(tuple)
    return st.one_of(
        st.builds(Add, several), st.builds(Mul, several), st.builds(Sub, children, children),
        st.builds(Div, children, children), st.builds(Neg, children), st.builds(Pow, children, children),
        st.builds(lambda arg: Call("sigmoid", (arg,)), children), st.builds(lambda arg: Call("exp", (arg,)), children))


_expressions = st.recursive(_leaves, _trees, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_expressions, st.fixed_dictionaries({name: _numbers for name in NAMES}), st.sampled_from([0, 3, 9]))
def test_random_expressions_print_the_same(expr: Expr, values: dict[str, float], precision: int) -> None:
    printer = _printer(values, precision)
    assert compile_substituted(expr)(printer) == expr.latex(printer)


def test_an_expression_is_compiled_when_it_recurs() -> None:
    expr = Add((Mul((Ref("a"), Num(-0.5))), Neg(Ref("b")), Pow(Sub(Ref("a"), Num(1.0)), Num(2.0))))
    for round_ in range(COMPILE_AT + 2):
        values = {"a": -1.5 + round_, "b": 2e-7 * (round_ - 2)}
        printer = _printer(values)
        assert substituted_latex(expr, printer) == expr.latex(printer)
