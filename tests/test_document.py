"""The document tree: typed frozen blocks, built once from the trace, the one
source of every format; and the fixes a new user asked for (upright word
subscripts, a value named e, the softmax path label, float noise printed as 0),
each checked against numbers worked out here, not against the program's output."""
from __future__ import annotations

import dataclasses
import math
import re

import pytest
from conftest import MAZUR_TOML, mazur_dict

import stepbystep
from stepbystep.document.blocks import Document, Equation, Figure, Math, Note, Section, Table, Text, UserText
from stepbystep.document.mathwords import words_set_apart

# Mazur (2015), shared/mazur-2015.md: w5+ and dE_total/dw5
W5_PLUS, GRADIENT_W5 = "0.35891648", "0.082167041"


def softmax_dict(bias: float = 0.6) -> dict:
    return {"learning_rate": 0.5, "loss": "cross_entropy", "update_biases": True,
            "layers": [{"name": "i", "size": 2},
                       {"name": "h", "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                       {"name": "o", "activation": "softmax", "weights": [[0.4, 0.45], [0.5, 0.55]], "bias": bias}],
            "samples": [{"inputs": [0.05, 0.1], "targets": [0.0, 1.0]}]}


def test_the_tree_is_frozen_typed_and_nested_by_heading_level() -> None:
    document = stepbystep.load(MAZUR_TOML).document()
    (root,) = document.blocks
    assert isinstance(root, Section) and root.level == 1 and root.id.startswith("sbs-a-step-by-step")
    for section in document.sections():
        assert all(child.level > section.level for child in section.blocks if isinstance(child, Section))
    with pytest.raises(dataclasses.FrozenInstanceError):
        root.level = 2  # type: ignore[misc]
    ids = [section.id for section in document.sections()]
    assert len(ids) == len(set(ids)) and "sbs-the-total-error-2" in ids
    update = next(eq for eq in document.equations() if eq.name == "w5+")
    assert update.step_kind == "update" and update.value == W5_PLUS and update.text == W5_PLUS
    assert update.symbol == "w_{5}^{+}" and "\\eta" in update.formula and "0.5" in update.substituted
    gradient = next(eq for eq in document.equations() if eq.name == "dE_total/dw5")
    assert gradient.value == GRADIENT_W5


def test_figures_are_data_not_pictures() -> None:
    document = stepbystep.load(MAZUR_TOML).document()
    network = next(figure for figure in document.figures() if figure.id == "network")
    drawing = network.drawing
    assert [layer.neurons for layer in drawing.layers] == [("i1", "i2"), ("h1", "h2"), ("o1", "o2")]
    assert drawing.values["w5"] == 0.4 and drawing.inputs == (0.05, 0.1) and "<" not in repr(drawing.layers)
    after = next(figure for figure in document.figures() if figure.id == "network-after").drawing
    assert round(after.values["w5"], 8) == float(W5_PLUS)


def test_user_text_is_a_run_of_its_own_on_one_line() -> None:
    title = "a $x$ **b** `c`\nnext line"
    document = stepbystep.from_dict(mazur_dict() | {"title": title, "notes": {"w5+": "see\u2028below"}}).document()
    (root,) = document.blocks
    assert root.title == (UserText("a $x$ **b** `c` next line"),)
    note = next(eq.note for eq in document.equations() if eq.name == "w5+")
    assert note == "see below"


def test_words_in_math_are_set_as_words() -> None:
    assert words_set_apart(r"\frac{1}{2}(target - out)^2") == r"\frac{1}{2}(\mathit{target} - \mathit{out})^2"
    assert words_set_apart(r"E_{total}^{\text{step}} = \mathrm{d}X") == r"E_{\mathrm{total}}^{\text{step}} = \mathrm{d}X"
    assert words_set_apart(r"\operatorname{relu}(x) \cdot \ln o_k") == r"\operatorname{relu}(x) \cdot \ln o_k"
    markdown = stepbystep.load(MAZUR_TOML).markdown()
    assert "E_{total}" not in markdown and "E_{\\mathrm{total}}" in markdown
    for formula in re.findall(r"\$\$?(.+?)\$\$?", markdown, flags=re.S):  # no bare word left in any formula
        bare = re.sub(r"\\[A-Za-z]+(\{[^{}]*\})?|\\[a-z]+", " ", formula)
        assert not re.search(r"(?<![A-Za-z])(target|out|net|total)(?![A-Za-z])", bare), formula


def test_words_are_one_identifier_in_mathml() -> None:
    html = stepbystep.load(MAZUR_TOML).html(fragment=True)
    assert '<mi mathvariant="normal">total</mi>' in html and '<mi mathvariant="italic">target</mi>' in html
    assert '<mi mathvariant="italic">t</mi>' not in html  # no word spelt out as a product of letters


def test_a_value_named_e_is_not_eulers_number() -> None:
    walk = stepbystep.from_dict({"inputs": {"x": 1.0, "e": 2.0}, "nodes": {"q": "x * e", "f": "exp(q) + e"}})
    markdown = walk.markdown()
    assert "$$q = x \\cdot \\mathrm{e} = 1 \\cdot 2 = 2$$" in markdown
    assert "$$f = e^{q} + \\mathrm{e}" in markdown            # Euler's number stays e, the value is set apart
    assert "Euler's number" in markdown.split("## The inputs")[0]  # and the conventions say so
    assert walk.value("df/de") == pytest.approx(1 + math.exp(2.0))  # d/de (e^(x e) + e) at x=1, e=2
    html = walk.html(fragment=True)
    assert '<mi mathvariant="normal">e</mi>' in html


def test_softmax_path_term_is_labelled_through_the_net_input() -> None:
    walk = stepbystep.from_dict(softmax_dict())
    document = walk.document()
    part = next(eq for eq in document.equations() if eq.name == "dE_o1/dout_h1")
    assert "via" in part.symbol and "\\mathit{net}_{o1}" in part.symbol and "E_{o1}" not in part.symbol
    # the value is delta_o1 * w5 with delta_k = out_k - target_k (softmax with cross-entropy), worked out here
    net = [0.4 * _out_h(0) + 0.45 * _out_h(1) + 0.6, 0.5 * _out_h(0) + 0.55 * _out_h(1) + 0.6]
    out = [math.exp(v) / sum(math.exp(n) for n in net) for v in net]
    assert walk.value("dE_o1/dout_h1") == pytest.approx((out[0] - 0.0) * 0.4, rel=1e-12)
    total = next(eq for eq in document.equations() if eq.name == "dE_total/dout_h1")
    assert part.symbol in total.formula  # the sum is written with the same labels
    sigmoid = next(eq for eq in stepbystep.load(MAZUR_TOML).document().equations() if eq.name == "dE_o1/dout_h1")
    assert sigmoid.symbol == "\\frac{\\partial E_{o1}}{\\partial \\mathit{out}_{h1}}"  # Mazur's label where it is right


def _out_h(j: int) -> float:
    net = [0.15 * 0.05 + 0.2 * 0.1 + 0.35, 0.25 * 0.05 + 0.3 * 0.1 + 0.35][j]
    return 1 / (1 + math.exp(-net))


def test_float_noise_around_zero_prints_as_zero_with_a_note() -> None:
    walk = stepbystep.from_dict(softmax_dict())
    computed = walk.value("dE_total/db2")
    # Σ_k (out_k - target_k) = 1 - 1 = 0 exactly; the float sum is a few units of 2^-52 off
    assert computed != 0.0 and abs(computed) < 1e-15
    assert walk.answers()["dE_total/db2"] == computed  # the answer key keeps the computed value
    blocks = _blocks_after(walk.document(), "dE_total/db2")
    equation, note = blocks[0], blocks[1]
    assert isinstance(equation, Equation) and equation.value == "0" and equation.text == "0"
    assert isinstance(note, Note) and "0 up to float rounding" in "".join(run.text for run in note.runs
                                                                        if isinstance(run, Text))
    update = next(eq for eq in walk.document().equations() if eq.name == "b2+")
    assert update.substituted == "0.6 - 0.5 \\cdot 0" and update.value == "0.6"
    markdown = walk.markdown()
    assert "10^{-16}" not in markdown and markdown.count("e-16") == 1  # only in the note that explains it


def test_genuinely_small_values_are_kept() -> None:
    data = mazur_dict()
    data["samples"][0]["inputs"] = [1e-20, 0.1]   # dnet_h1/dw1 = i1 = 1e-20, dE/dw1 a product with it
    walk = stepbystep.from_dict(data)
    equation = next(eq for eq in walk.document().equations() if eq.name == "dE_total/dw1")
    gradient = walk.value("dE_total/dw1")
    assert 0 < abs(gradient) < 1e-20
    assert equation.value != "0" and "10^{-2" in equation.value
    assert float(equation.text) == pytest.approx(gradient, rel=1e-8)


def _blocks_after(document: Document, name: str) -> list:
    for section in document.sections():
        for index, block in enumerate(section.blocks):
            if isinstance(block, Equation) and block.name == name:
                return list(section.blocks[index:index + 2])
    raise AssertionError(name)


def test_every_table_cell_and_heading_is_runs() -> None:
    document = stepbystep.load(MAZUR_TOML).document()
    for block in document.walk():
        if isinstance(block, Table):
            for row in (block.header, *block.rows):
                for cell in row:
                    assert all(isinstance(run, (Text, UserText, Math)) for run in cell)
        elif isinstance(block, Section):
            assert block.title and all(isinstance(run, (Text, UserText, Math)) for run in block.title)
        elif isinstance(block, Figure):
            assert block.id and block.title
