"""The walkthrough of a convolution and of a recurrent network (issue 16): what
is shown in full, what as a table, what the figures mark, in which order."""
from __future__ import annotations

import re

import pytest
from conftest import EXAMPLES

import stepbystep
from stepbystep.document.blocks import Equation, Section, Table
from stepbystep.document.figures import GridsDrawing, UnrolledDrawing


@pytest.fixture(scope="module")
def conv() -> stepbystep.Walkthrough:
    return stepbystep.load(EXAMPLES / "conv-4x4.toml")


@pytest.fixture(scope="module")
def rnn() -> stepbystep.Walkthrough:
    return stepbystep.load(EXAMPLES / "rnn-3-steps.toml")


def section(walk: stepbystep.Walkthrough, title: str) -> Section:
    return next(block for block in walk.document().sections() if block.title_text == title)


def equations(block: Section) -> list[str]:
    return [item.bare for item in block.blocks if isinstance(item, Equation) and item.name]


def tables(block: Section) -> list[Table]:
    return [item for item in block.blocks if isinstance(item, Table)]


def test_convolution_first_row_in_full_the_rest_as_a_table(conv: stepbystep.Walkthrough) -> None:
    forward = section(conv, "The forward pass: convolution c")
    assert equations(forward) == [f"{kind}_c1_1_{c}" for c in (1, 2, 3) for kind in ("net", "out")]
    rest = tables(forward)[-1]
    assert len(rest.rows) == 6                      # rows 2 and 3 of the 3x3 output
    cells = ["".join(run.text if hasattr(run, "text") else run.latex for run in cell) for cell in rest.rows[0]]
    assert cells[1:] == [str(round(conv.value("net_c1_2_1"), 9)).rstrip("0"), "0"]   # relu cut -0.01 to 0


def test_the_convolution_figure_marks_the_window_of_the_worked_position(conv: stepbystep.Walkthrough) -> None:
    figure = next(block for block in conv.document().figures() if block.id == "convolution-c")
    drawing = figure.drawing
    assert isinstance(drawing, GridsDrawing) and drawing.operators == ("⋆", "=")
    image, kernel, output = drawing.grids
    assert sorted(image.marked) == [(0, 0), (0, 1), (1, 0), (1, 1)]      # the 2x2 window at the first position
    assert image.values[1][2] == conv.value("x1_2_3") and kernel.values == ((0.3, -0.6), (0.2, 0.4))
    assert output.marked == ((0, 0),) and output.values[2][1] == conv.value("net_c1_3_2")
    svg = next(item.svg for item in conv.figures() if item.id == "convolution-c")
    assert svg.count("sbs-marked") == 5 and ">0.43<" in svg


def test_kernel_gradient_in_full_for_one_entry_and_as_a_grid(conv: stepbystep.Walkthrough) -> None:
    backward = section(conv, "The backward pass: convolution c")
    shown = equations(backward)
    assert "dE_total/dw1" in shown and "dE_total/dw2" not in shown and "w1+" in shown
    gradient_table = tables(backward)[-1]
    assert len(gradient_table.rows) == 4            # every kernel entry: gradient and update
    figure = next(block for block in conv.document().figures() if block.id == "kernel-gradient-c")
    image, deltas, gradient = figure.drawing.grids
    assert len(image.marked) == 9                   # the first entry multiplied the top-left 3x3 inputs
    assert gradient.values[1][1] == conv.value("dE_total/dw4")
    routed = [name for name in shown if name.startswith("dout_p")]
    assert routed and all(name.endswith(("c1_1_1", "c1_1_2", "c1_1_3")) for name in routed)


def test_inputs_and_pooling_sections(conv: stepbystep.Walkthrough) -> None:
    inputs = section(conv, "The gradient with respect to the inputs")
    assert equations(inputs) == [f"dE_total/dx1_1_{c}" for c in (1, 2, 3, 4)]
    assert len(tables(inputs)[-1].rows) == 12
    pooling = section(conv, "The forward pass: max pooling p")
    assert equations(pooling) == ["out_p1_1_1", "out_p1_1_2"]


def test_rnn_sections_forward_step_by_step_backward_from_the_last(rnn: stepbystep.Walkthrough) -> None:
    titles = [block.title_text for block in rnn.document().sections() if block.level == 2]
    forward = [title for title in titles if title.startswith("The forward pass: time step")]
    backward = [title for title in titles if title.startswith("The backward pass: time step")]
    assert forward == [f"The forward pass: time step {t}" for t in (1, 2, 3)]
    assert backward == [f"The backward pass: time step {t}" for t in (3, 2, 1)]
    assert titles.index(backward[-1]) < titles.index("The sum over time and the update")


def test_the_two_paths_at_each_step_but_the_last(rnn: stepbystep.Walkthrough) -> None:
    last = equations(section(rnn, "The backward pass: time step 3"))
    middle = equations(section(rnn, "The backward pass: time step 2"))
    assert "dE_o1@3/dout_h1@3" in last and not any(name.startswith("dE_h1@4") for name in last)
    first_path, second_path = middle.index("dE_o1@2/dout_h1@2"), middle.index("dE_h1@3/dout_h1@2")
    assert first_path < second_path < middle.index("dE_total/dout_h1@2") < middle.index("dE_total/dnet_h1@2")
    assert middle.index("dE_total/dnet_h1@2") < middle.index("dE_total/dw5@2")   # each weight's part at step 2
    sums = equations(section(rnn, "The sum over time and the update"))
    assert sums[:2] == ["dE_total/dw1", "w1+"] and "dE_total/db_h2" in sums


def test_the_unrolled_figure(rnn: stepbystep.Walkthrough) -> None:
    figure = next(block for block in rnn.document().figures() if block.id == "unrolled")
    drawing = figure.drawing
    assert isinstance(drawing, UnrolledDrawing) and drawing.steps == 3
    x, h, o = drawing.layers
    assert h.recurrent and not o.recurrent and h.values[0] == (0.0, 0.0) and x.values[0] == (None, None)
    assert o.values[2][0] == rnn.value("out_o1@2") and drawing.targets[3] == (1.0,)
    svg = next(item.svg for item in rnn.figures() if item.id == "unrolled")
    # up at each step (x→h, h→o), along h for each unit, and from each unit to the other (faint)
    assert len(re.findall(r"<line ", svg)) == 3 * 2 + 3 * 2 + 3 * 2


def test_every_format_renders_both_examples(conv: stepbystep.Walkthrough, rnn: stepbystep.Walkthrough) -> None:
    for walk in (conv, rnn):
        assert "$$" in walk.markdown()
        assert "<svg" in walk.html()
        assert "\\begin{document}" in walk.latex()


def test_matrix_form_holds_the_identities_it_writes(conv: stepbystep.Walkthrough, rnn: stepbystep.Walkthrough) -> None:
    """The matrix form's equations hold for the scalar walkthrough's values, checked
    with numpy: dK = A ⋆ dZ (a correlation) for the convolution; dW = Δ Xᵀ and
    dU = Δ H₋ᵀ (the sums over time) for the recurrent layer."""
    import numpy as np

    text = conv.markdown(notation="matrix")
    assert "\\mathrm{d}K^{[1]}_{1,1} = A^{[0]}_{1} \\star" in text and "\\operatorname{maxpool}" in text
    image = np.array([[conv.value(f"x1_{r}_{c}") for c in range(1, 5)] for r in range(1, 5)])
    dz = np.array([[conv.value(f"dE_total/dnet_c1_{r}_{c}") for c in range(1, 4)] for r in range(1, 4)])
    correlation = [[float((image[a:a + 3, b:b + 3] * dz).sum()) for b in range(2)] for a in range(2)]
    assert np.allclose(correlation, [[conv.value("dE_total/dw1"), conv.value("dE_total/dw2")],
                                     [conv.value("dE_total/dw3"), conv.value("dE_total/dw4")]], rtol=1e-12)
    text = rnn.markdown(notation="matrix")
    assert "\\Delta^{[1]} A^{[0]\\top}" in text and "U^{[1]\\top}" in text
    delta = np.array([[rnn.value(f"dE_total/dnet_h{j}@{t}") for t in (1, 2, 3)] for j in (1, 2)])
    inputs = np.array([[rnn.value(f"x{i}@{t}") for t in (1, 2, 3)] for i in (1, 2)])
    before = np.array([[rnn.value(f"out_h{j}@{t}") for t in (0, 1, 2)] for j in (1, 2)])
    assert np.allclose(delta @ inputs.T, [[rnn.value("dE_total/dw1"), rnn.value("dE_total/dw2")],
                                          [rnn.value("dE_total/dw3"), rnn.value("dE_total/dw4")]], rtol=1e-12)
    assert np.allclose(delta @ before.T, [[rnn.value("dE_total/dw5"), rnn.value("dE_total/dw6")],
                                          [rnn.value("dE_total/dw7"), rnn.value("dE_total/dw8")]], rtol=1e-12)


@pytest.mark.parametrize("mode", [{"mode": "batch", "epochs": 3, "record": [1, 3]},
                                  {"mode": "online", "epochs": 2, "record": [2, 4]}], ids=["batch", "online"])
@pytest.mark.parametrize("example", ["conv-4x4.toml", "rnn-3-steps.toml"])
def test_several_samples_and_steps_render_in_every_form(example: str, mode: dict) -> None:
    import copy
    import tomllib

    data = tomllib.loads((EXAMPLES / example).read_text(encoding="utf-8"))
    second = copy.deepcopy(data["samples"][0])
    if "shape" in data["layers"][0]:
        second["inputs"][0][0][0] = 0.5
    else:
        second["inputs"][0][0] = -1.0
    data["samples"].append(second)
    data["training"] = mode
    data["reduction"] = "mean"
    for round_to in (None, 4):
        walk = stepbystep.from_dict(data, round_to=round_to)
        text = walk.markdown()
        assert "## After" in text and "sample" in text.lower()
        assert "<svg" in walk.html() and walk.markdown(notation="matrix").count("$$") > 10
    sections = [block.title_text for block in walk.document().sections()]
    if "rnn" in example:
        assert "The sum over time" in sections and "The sum over time and the update" not in sections


@pytest.mark.parametrize("seed", range(6))
def test_random_stacks_render(seed: int) -> None:
    """Channels, stride, padding, both poolings, shared and per-channel biases,
    targets per step or last only: every drawn spec renders in every form."""
    import random

    from layer_nets import random_conv_spec, random_rnn_spec

    rng = random.Random(f"render-{seed}")
    for data in (random_conv_spec(rng), random_rnn_spec(rng)):
        walk = stepbystep.from_dict(data)
        assert walk.markdown().count("$$") > 10
        assert walk.html().count("<svg") >= 1
        assert walk.markdown(notation="matrix").count("$$") > 3
        assert "\\begin{document}" in walk.latex()
