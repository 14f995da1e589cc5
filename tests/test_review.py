"""Regressions found in an end-to-end review as a user (instructor, student, course author).

Every number is checked against an independent oracle: Mazur's published values,
or a value worked out by hand in the test.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import stepbystep

ROOT = Path(__file__).resolve().parent.parent
COURSE_PAGE = ROOT / "templates" / "examples" / "course-page.html.j2"


def _key_numbers(html: str) -> str:
    """The text of the course page's 'key numbers' box, math removed."""
    box = html.split('<section class="course-summary">', 1)[1].split("</section>", 1)[0]
    return re.sub(r"<math.*?</math>", "[math]", box, flags=re.S)


def test_course_page_template_shows_mazurs_key_numbers():
    # Mazur (2015): E_total = 0.298371109, w5+ = 0.35891648, w6+ = 0.408666186.
    walk = stepbystep.load(ROOT / "examples" / "mazur.toml")
    box = _key_numbers(walk.render_template(COURSE_PAGE))
    assert "= 0.298371109" in box
    assert "= 0.35891648" in box
    assert "= 0.408666186" in box
    # the symbol is E with the subscript "total", not E_t followed by "otal"
    assert "<msub><mi>E</mi><mi>t</mi></msub>" not in walk.render_template(COURSE_PAGE)


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("*.toml")))
def test_course_page_template_renders_every_example(example):
    # The example template used answers["E_total"], which only a one-sample,
    # one-step net has: every other example was refused with an UndefinedError.
    walk = stepbystep.load(ROOT / "examples" / example)
    html = walk.render_template(COURSE_PAGE)
    assert html.lstrip().startswith("<!DOCTYPE html>")


def test_course_page_template_graph_output():
    # f = (x + y) * z with x = -2, y = 5, z = -4: f = 3 * -4 = -12 (by hand)
    walk = stepbystep.load(ROOT / "examples" / "circuit-add-multiply.toml")
    assert "The output: f = -12</li>" in _key_numbers(walk.render_template(COURSE_PAGE))


def _net(hidden_bias, output_bias):
    hidden = {"name": "h", "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]]}
    output = {"name": "y", "activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]]}
    if hidden_bias is not None:
        hidden["bias"] = hidden_bias
    if output_bias is not None:
        output["bias"] = output_bias
    return {"learning_rate": 0.5, "loss": "half_sse",
            "layers": [{"name": "i", "size": 2}, hidden, output],
            "samples": [{"inputs": [0.05, 0.1], "targets": [0.01, 0.99]}]}


def _bias_convention(data) -> str:
    lines = stepbystep.from_dict(data).markdown().splitlines()
    return next(line for line in lines if line.startswith("- Biases:"))


def test_bias_convention_names_this_networks_biases():
    # SPEC §2: per-neuron biases are b_<neuron>; the output layer here is "y", so there is no b_o1.
    line = _bias_convention(_net([0.1, 0.2], [0.3, 0.4]))
    assert "b_h1" in line and "b_o1" not in line


def test_bias_convention_says_which_layer_has_none():
    # A layer without bias next to one with per-neuron biases: the line used to read
    # "Biases: no bias; one bias per neuron (…)", as if both held for the whole net.
    line = _bias_convention(_net(None, [0.3, 0.4]))
    assert "h: no bias" in line and "y: one bias per neuron" in line and "b_y1" in line


@pytest.mark.parametrize("update, sentence", [(True, "Biases are updated"), (False, "Biases are not updated")])
@pytest.mark.parametrize("biases", [(0.35, 0.6), ([0.1, 0.2], [0.3, 0.4]), (None, [0.3, 0.4])])
def test_bias_update_convention_is_stated(update, sentence, biases):
    data = {**_net(*biases), "update_biases": update}
    assert f"- {sentence}" in stepbystep.from_dict(data).markdown()


def _online(mode: str, **training):
    data = _net(0.35, 0.6)
    data["samples"].append({"inputs": [0.5, 0.3], "targets": [0.2, 0.7]})
    data["training"] = {"mode": mode, "epochs": 3, "record": [1, 2], **training}
    return data


def _convention_lines(markdown: str) -> list[str]:
    return [line for line in markdown.split("## Conventions", 1)[1].split("\n## ", 1)[0].splitlines()
            if line.startswith("- ")]


def test_online_run_states_its_regime_and_has_no_sample_combining():
    # Online: one update per sample, 2 samples x 3 epochs = 6 updates (counted by hand).
    markdown = stepbystep.from_dict(_online("online")).markdown()
    lines = _convention_lines(markdown)
    training = next(line for line in lines if line.startswith("- Training:"))
    assert "online" in training and "3 epochs, 6 updates" in training and "steps 1, 2" in training
    # each step has one sample: nothing is combined, so no reduction line and no "combining" section
    assert not any(line.startswith("- Several samples") for line in lines)
    assert "combining the samples" not in markdown
    assert "## Step 1: the update" in markdown
    assert "(sample 1):" in markdown and "(samples 1)" not in markdown


def test_minibatch_run_states_batch_size_and_shuffle():
    # 2 samples in mini-batches of 2 = 1 update per epoch; 3 epochs = 3 updates.
    markdown = stepbystep.from_dict(_online("minibatch", batch_size=2, shuffle_seed=7)).markdown()
    training = next(line for line in _convention_lines(markdown) if line.startswith("- Training:"))
    assert "mini-batches of 2" in training and "random.Random(7)" in training and "3 epochs, 3 updates" in training
    assert "combining the samples (sum)" in markdown


def test_one_step_spec_has_no_training_line():
    lines = _convention_lines(stepbystep.load(ROOT / "examples" / "mazur.toml").markdown())
    assert not any(line.startswith("- Training:") for line in lines)


def test_problem_sheet_states_the_training_once():
    # The sheet added its own training sentence after the conventions, which now state it: twice.
    from stepbystep.exercises.variants import make_variant

    walk = stepbystep.load(ROOT / "examples" / "xor-minibatch.toml")
    variant = make_variant(walk.spec, 1, 1)
    from stepbystep.exercises.sheets import problem

    lines = problem(variant).conventions
    assert sum(line.startswith("Training:") for line in lines) == 1


@pytest.mark.parametrize("convention", ["original_weights", "updated_weights"])
def test_path_sentence_names_the_output_as_math_in_both_conventions(convention):
    # The updated-weights branch wrote "through o1" in plain text, the other "through $out_o1$".
    data = {**_net(0.35, 0.6), "hidden_deltas_use": convention}
    markdown = stepbystep.from_dict(data).markdown()
    assert r"Along the path through $\mathit{out}_{y1}$, the net input of y1" in markdown


def test_hand_calculation_table_shows_the_exact_run_to_nine_decimals():
    # Mazur (2015): w1+ = 0.149780716; the error after one update is 0.291027774 (the post's
    # own convention, see examples/mazur.toml). It read "total error 0.291; rounded: 0.291".
    markdown = stepbystep.load(ROOT / "examples" / "mazur.toml", round_to=4).markdown()
    drift = markdown.split("## Hand calculation against the exact run", 1)[1]
    assert "total error 0.291027774" in drift
    assert "| 0.1498 | 0.14978071" in drift   # the exact column: the unrounded run


def test_matrix_notation_on_a_graph_spec_is_a_usage_error():
    # It was silently ignored (the scalar walkthrough came out); --mode on a network is refused likewise.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "stepbystep", "render", str(ROOT / "examples" / "circuit-max.toml"),
                          "--notation", "matrix"], capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("stepbystep: error: --notation matrix") and run.stderr.count("\n") == 1


def test_updated_weights_convention_in_a_batch_says_each_samples_own_gradient():
    # SPEC §1: updated_weights moves the weights by THIS sample's own gradient; in a batch step
    # there is no per-sample update, so "this sample's update" named nothing that happens.
    data = _net(0.35, 0.6)
    data["samples"].append({"inputs": [0.9, 0.2], "targets": [0.8, 0.1]})
    data.update(hidden_deltas_use="updated_weights", reduction="mean")
    line = next(line for line in _convention_lines(stepbystep.from_dict(data).markdown())
                if line.startswith("- Hidden-layer deltas"))
    assert "each sample's own gradient" in line and "before the samples are combined" in line


def test_version_option():
    import subprocess
    import sys
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    run = subprocess.run([sys.executable, "-m", "stepbystep", "--version"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == f"stepbystep {version}"


def test_class_summary_scores_are_aligned(tmp_path):
    # Scores like "10/11  91%" and "5/9  56%" started in the same column but ended in different ones.
    from stepbystep.grading.check import check_files
    from stepbystep.grading.checkreport import class_text

    walk = stepbystep.load(ROOT / "examples" / "mazur.toml")
    long = tmp_path / "a.txt"
    long.write_text("".join(f"w{k}+ = 0.1\n" for k in range(1, 9)) + "out_h1 = 0.5933\nout_h2 = 0.5969\n",
                    encoding="utf-8")
    short = tmp_path / "b.txt"
    short.write_text("out_h1 = 0.5933\nw5+ = 0.1\n", encoding="utf-8")
    text = class_text(check_files(walk.trace, [str(long), str(short)]))
    rows = [line for line in text.splitlines() if line.rstrip().endswith("%") and line.startswith("  ")
            and "right" not in line]
    assert len(rows) == 2 and len({len(row.rstrip()) for row in rows}) == 1, rows


def test_hand_mode_prints_the_given_numbers_as_written():
    # --round 1 printed w1 = 0.15, i1 = 0.05, b1 = 0.35 at 1 decimal while computing with the
    # exact numbers, so the substituted sum (0.1·0.1 + 0.2·0.1 + 0.3·1 = 0.4) did not add up.
    # Mazur's net_h1 = 0.15·0.05 + 0.2·0.1 + 0.35·1 = 0.3775, rounded to 1 decimal: 0.4.
    markdown = stepbystep.load(ROOT / "examples" / "mazur.toml", round_to=1).markdown()
    assert r"= 0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 \cdot 1 = 0.4$$" in markdown
    # at K at least the spec's decimals nothing changes: K decimals
    assert "printed to 4 decimals" in stepbystep.load(ROOT / "examples" / "mazur.toml", round_to=4).markdown()


def test_full_detail_limit_advice_fits_the_spec():
    # One recorded step of one sample: "record fewer steps" was advised but cannot help.
    data = {"learning_rate": 0.1, "loss": "mse",
            "layers": [{"size": 2}, {"activation": "tanh", "weights": [[0.1, 0.2]] * 150},
                       {"activation": "sigmoid", "weights": [[0.01] * 150] * 150}],
            "samples": [{"inputs": [0.1, 0.2], "targets": [0.5] * 150}]}
    with pytest.raises(stepbystep.SpecError) as caught:   # 300 + 22,500 weights > 20,000
        stepbystep.from_dict(data)
    assert "full-detail limit" in caught.value.message
    assert "record fewer steps" not in caught.value.message and "smaller network" in caught.value.message


def test_problem_sheet_network_table_names_its_columns():
    # The header was "| value | | |": "value" stood over the names, the numbers had no heading.
    from stepbystep.exercises.sheets import sheets
    from stepbystep.exercises.variants import make_variant

    walk = stepbystep.load(ROOT / "examples" / "mazur-variants.toml")
    variant = make_variant(walk.spec, 1, 1)
    problem_md = sheets([variant], walkthrough=False)[0]
    lines = problem_md.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("| $w_{1}$"))
    header = [cell.strip() for cell in lines[row - 2].strip("|").split("|")]
    cells = [cell.strip() for cell in lines[row].strip("|").split("|")]
    w1 = variant.data["layers"][1]["weights"][0][0]
    assert float(cells[header.index("value")]) == w1


@pytest.mark.parametrize("call", [
    lambda walk: walk.markdown(notation="matrixx"),
    lambda walk: walk.html(notation="vector"),
    lambda walk: walk.markdown(precision=-1),
    lambda walk: walk.html(precision=99),
])
def test_library_refuses_bad_notation_and_precision(call):
    # A misspelt notation gave the scalar walkthrough silently; precision=-1 raised
    # "Format specifier missing precision" from deep inside the formatter.
    walk = stepbystep.load(ROOT / "examples" / "mazur.toml")
    with pytest.raises(ValueError, match="notation|precision must be"):
        call(walk)


def test_no_hidden_layer_no_hidden_delta_convention():
    data = {"learning_rate": 0.5, "loss": "half_sse",
            "layers": [{"size": 2}, {"activation": "sigmoid", "weights": [[0.4, 0.45]], "bias": 0.6}],
            "samples": [{"inputs": [0.05, 0.1], "targets": [0.01]}]}
    lines = _convention_lines(stepbystep.from_dict(data).markdown())
    assert not any("Hidden-layer deltas" in line for line in lines)


def test_hidden_layer_under_one_neuron_has_one_path_not_a_sum():
    # examples/tanh-sigmoid.toml: h feeds the single neuron y1, yet the prose said "feeds every
    # neuron of the layer above ... several paths ... Adding up the paths".
    markdown = stepbystep.load(ROOT / "examples" / "tanh-sigmoid.toml").markdown()
    assert "several paths" not in markdown and "Adding up the paths" not in markdown
    assert "single path" in markdown
    mazur = stepbystep.load(ROOT / "examples" / "mazur.toml").markdown()   # h feeds o1 and o2
    assert "several paths" in mazur and "Adding up the paths" in mazur


@pytest.mark.parametrize("example", ["mazur.toml", "softmax-classifier.toml", "xor-minibatch.toml"])
def test_loss_convention_writes_target_and_out_as_words(example):
    # "target_k" in LaTeX is six italic variables t·a·r·g·e·t (MathJax/KaTeX space them as a
    # product), unlike \mathit{target} everywhere else in the walkthrough.
    line = next(line for line in _convention_lines(stepbystep.load(ROOT / "examples" / example).markdown())
                if line.startswith("- Loss:"))
    formula = line.split("$")[1]
    assert r"\mathit{target}" in formula and r"\mathit{out}" in formula
    assert formula.count("target") == formula.count(r"\mathit{target}")


def test_variant_line_on_a_sheet_is_a_header(tmp_path):
    # The problem sheet prints "Variant 2024-2"; a student copying "Variant: 2024-2" got an
    # unparsed line ('2024-2' is not a number), which also fails the sheet.
    from stepbystep.grading.check import check_files

    sheet = tmp_path / "s.txt"
    sheet.write_text("Variant: 2024-2\nw5 = 0.4\n", encoding="utf-8")   # w5 is given: 0.4 in Mazur's spec
    walk = stepbystep.load(ROOT / "examples" / "mazur.toml")
    report = check_files(walk.trace, [str(sheet)])
    assert [answer.status for answer in report.files[0].answers] == ["correct"]
    assert report.exit_code == 0


def test_answer_lines_with_approximately_equal(tmp_path):
    # Hand results are approximate: "w5+ ≈ 0.3589" was an unknown name "w5+ ≈".
    # Mazur (2015): w5+ = 0.35891648, w6+ = 0.408666186, w7+ = 0.511301270.
    from stepbystep.grading.check import check_files

    sheet = tmp_path / "s.txt"
    sheet.write_text("w5+ ≈ 0.3589\nw6+ := 0.4087\nw7+ ~ 0.5113\n", encoding="utf-8")
    report = check_files(stepbystep.load(ROOT / "examples" / "mazur.toml").trace, [str(sheet)])
    answers = report.files[0].answers
    assert [(a.name, a.status) for a in answers] == [("w5+", "correct"), ("w6+", "correct"), ("w7+", "correct")]
    assert answers[1].text == "0.4087"


def test_value_of_an_unknown_name_suggests_close_names():
    walk = stepbystep.load(ROOT / "examples" / "mazur.toml")
    assert walk.value("w5+") == pytest.approx(0.35891648, abs=5e-9)   # Mazur (2015)
    with pytest.raises(KeyError, match=r"no value named 'w5 \+'.*did you mean .*w5\+"):
        walk.value("w5 +")
