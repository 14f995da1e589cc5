"""LaTeX to Typst math (formats/typst_math.py): hand-written conversions,
and every formula of every example's walkthrough (scalar, matrix, hand
rounding) converted and set by Typst without an error."""
from __future__ import annotations

import re

import pytest

import stepbystep
from conftest import EXAMPLES
from stepbystep.formats.typst import typst_mixed, typst_text
from stepbystep.formats.typst_math import latex_to_typst
from stepbystep.spec.model import GraphSpec


@pytest.mark.parametrize(("latex", "typst"), [
    (r"w_{5}^{+}", "w_(5)^(+)"),
    (r"\mathit{out}_{h1}", 'italic("out")_(h 1)'),
    (r"E_{total}", "E_(t o t a l)"),
    (r"\frac{\partial E_{total}}{\partial w_{5}}", "frac(partial E_(t o t a l), partial w_(5))"),
    (r"\frac{1}{1 + e^{-0.3775}}", "frac(1, 1 + e^(- 0.3775))"),
    (r"\left(0.01 - 0.75136507\right)^{2}", "lr(( 0.01 - 0.75136507 ))^(2)"),
    (r"0.5 \cdot (0, 1)", r"0.5 dot.op \( 0 \, 1 \)"),
    (r"3.51 \times 10^{-5}", "3.51 times 10^(- 5)"),
    (r"\begin{aligned} a &= b \\ &= 1 \end{aligned}", "a & = b \\\n & = 1"),
    (r"\begin{bmatrix} 1 & -2 \\ 3 & 4 \end{bmatrix}", 'mat(delim: "[", 1, - 2; 3, 4)'),
    (r"\text{if } x > 0", '"if " x > 0'),
    (r"a/b", r"a \/ b"),
    (r"{\mathit{out}_{h1}^{(2)}}^{2}", 'attach(italic("out")_(h 1)^(\\( 2 \\)), t: 2)'),
])
def test_hand_written_conversions(latex: str, typst: str) -> None:
    assert latex_to_typst(latex) == typst


def test_unknown_command_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown command \\foo"):
        latex_to_typst(r"\foo{x}")


def test_text_is_a_typst_string() -> None:
    assert typst_text('a "b" \\ #c') == '#"a \\"b\\" \\\\ #c";'
    assert typst_text("two\nlines") == '#"two lines";'
    assert typst_mixed("rate $\\eta = 0.5$; done") == '#"rate ";$eta = 0.5$#"; done";'


def all_formulas() -> list[str]:
    found: set[str] = set()
    for path in sorted(EXAMPLES.glob("*.toml")):
        walk = stepbystep.load(path)
        texts = [walk.markdown()]
        if not isinstance(walk.spec, GraphSpec):
            texts.append(walk.markdown(notation="matrix"))
        for text in texts:
            found.update(m.group(1) or m.group(2) for m in re.finditer(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", text, re.S))
    return sorted(found)


def test_every_formula_of_every_example_is_set_by_typst() -> None:
    typst = pytest.importorskip("typst")
    formulas = all_formulas()
    assert len(formulas) > 500
    source = "#set page(width: 40cm, height: auto)\n" + "\n".join(f"$ {latex_to_typst(f)} $" for f in formulas)
    assert typst.compile(source.encode("utf-8"), ignore_system_fonts=True)[:5] == b"%PDF-"
