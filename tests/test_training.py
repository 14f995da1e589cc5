"""Training runs: Mazur's 10,000 rounds, mini-batches, the summary, warnings.

Oracles: the numbers of ../shared/mazur-2015.md (published and exact float64),
PyTorch float64 SGD for a multi-epoch mini-batch run, a hand-written loop for
the updated-weights variant, and the documented batching rule.
"""
from __future__ import annotations

import copy
import math
import random
import re
import tomllib
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

import stepbystep
from stepbystep.engine.nn import training_plan
from stepbystep.formats.plot import MAX_POINTS, loss_curve_svg, thinned
from stepbystep.spec.load import parse_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def mazur_dict() -> dict[str, Any]:
    """examples/mazur.toml as a fresh dict."""
    with (EXAMPLES / "mazur.toml").open("rb") as stream:
        return tomllib.load(stream)

MAZUR_10000 = EXAMPLES / "mazur-10000.toml"


def mazur_10000() -> dict[str, Any]:
    with MAZUR_10000.open("rb") as stream:
        return tomllib.load(stream)


@pytest.fixture(scope="module")
def long_run() -> stepbystep.api.Walkthrough:
    return stepbystep.load(MAZUR_10000)


def test_mazur_after_10000_updates_matches_the_exact_column(long_run: Any) -> None:
    # ../shared/mazur-2015.md, "exact (float64)"
    assert long_run.value("after10000.E_total") == pytest.approx(3.510187782978859e-05, rel=1e-12)
    assert long_run.value("after10000.out_o1") == pytest.approx(0.01591362044355068, rel=1e-12)
    assert long_run.value("after10000.out_o2") == pytest.approx(0.9840642735146238, rel=1e-12)
    # the post's 0.0000351085 is the error after 9,999 updates (3.5108548e-05)
    assert round(long_run.value("after9999.E_total"), 10) == 0.0000351085
    assert long_run.value("after1.E_total") == pytest.approx(0.29102777369359933, rel=1e-12)


def test_every_after_total_is_an_answer_and_only_the_last_pass_in_full(long_run: Any) -> None:
    answers = long_run.answers()
    assert all(f"after{n}.E_total" in answers for n in range(1, 10001))
    assert "after10000.w5" in answers and "after10000.net_o1" in answers
    assert "after9999.w5" not in answers and "step2.w5" not in answers
    assert len(answers) < 10200


def test_the_document_explains_the_posts_numbers(long_run: Any) -> None:
    text = long_run.markdown()
    assert "3.51018778" in text                      # the error after 10,000 updates
    assert "3.51085481" in text                      # after 9,999: the row with its note
    assert "0.015912196" in text and "0.984065734" in text and "9,999" in text
    assert "## Training summary" in text and "### The outputs after training" in text
    assert text.count("$$") < 400                    # steps 2..9,999 are not written out


def test_updated_weights_convention_reproduces_the_posts_outputs() -> None:
    data = mazur_10000()
    data["hidden_deltas_use"] = "updated_weights"
    walk = stepbystep.from_dict(data)
    # published: 0.015912196 / 0.984065734 (mazur-2015.md errata)
    assert f"{walk.value('after10000.out_o1'):.9f}" == "0.015912196"
    assert f"{walk.value('after10000.out_o2'):.9f}" == "0.984065734"
    assert walk.value("after10000.E_total") == pytest.approx(3.5084786e-05, rel=1e-7)
    assert walk.value("after10000.out_o1") == pytest.approx(_updated_weights_loop(10000)[0], rel=1e-12)


def _updated_weights_loop(steps: int) -> tuple[float, float]:
    """Mazur's older companion code, written out by hand: w5..w8 first, then
    the hidden deltas through the updated w5..w8."""
    w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    i1, i2, t1, t2, b1, b2, eta = 0.05, 0.10, 0.01, 0.99, 0.35, 0.60, 0.5
    sig = lambda x: 1.0 / (1.0 + math.exp(-x))  # noqa: E731
    for _ in range(steps + 1):
        h1, h2 = sig(w[0] * i1 + w[1] * i2 + b1), sig(w[2] * i1 + w[3] * i2 + b1)
        o1, o2 = sig(w[4] * h1 + w[5] * h2 + b2), sig(w[6] * h1 + w[7] * h2 + b2)
        if _ == steps:
            return o1, o2
        d1, d2 = (o1 - t1) * o1 * (1 - o1), (o2 - t2) * o2 * (1 - o2)
        w[4], w[5], w[6], w[7] = w[4] - eta * d1 * h1, w[5] - eta * d1 * h2, w[6] - eta * d2 * h1, w[7] - eta * d2 * h2
        e1 = (d1 * w[4] + d2 * w[6]) * h1 * (1 - h1)
        e2 = (d1 * w[5] + d2 * w[7]) * h2 * (1 - h2)
        w[0], w[1], w[2], w[3] = w[0] - eta * e1 * i1, w[1] - eta * e1 * i2, w[2] - eta * e2 * i1, w[3] - eta * e2 * i2
    raise AssertionError


def test_minibatch_plan_follows_the_documented_rule() -> None:
    data = _xor_like(samples=5)
    data["training"] = {"mode": "minibatch", "batch_size": 2, "epochs": 3, "shuffle_seed": 11}
    plan = training_plan(parse_spec(data, "t.toml"))
    rng = random.Random(11)
    expected = []
    for _ in range(3):
        order = list(range(5))
        rng.shuffle(order)
        expected += [tuple(order[0:2]), tuple(order[2:4]), tuple(order[4:5])]  # the last batch is smaller
    assert plan == expected
    data["training"] = {"mode": "online", "epochs": 2}
    assert training_plan(parse_spec(data, "t.toml")) == [(n,) for n in range(5)] * 2


def _xor_like(samples: int = 4) -> dict[str, Any]:
    rng = random.Random(3)
    return {
        "learning_rate": 0.7, "loss": "half_sse", "reduction": "mean", "update_biases": True,
        "layers": [{"name": "i", "size": 2},
                   {"name": "h", "activation": "tanh", "weights": [[0.3, -0.4], [0.6, 0.2], [-0.5, 0.35]],
                    "bias": [0.1, -0.1, 0.05]},
                   {"name": "o", "activation": "sigmoid", "weights": [[0.5, -0.3, 0.45]], "bias": [0.2]}],
        "samples": [{"inputs": [round(rng.uniform(-1, 1), 2), round(rng.uniform(-1, 1), 2)],
                     "targets": [float(rng.randrange(2))]} for _ in range(samples)],
    }


def test_minibatch_run_matches_pytorch_sgd() -> None:
    torch = pytest.importorskip("torch")
    data = _xor_like(samples=5)
    data["training"] = {"mode": "minibatch", "batch_size": 2, "epochs": 40, "shuffle_seed": 5, "record": [2]}
    spec = parse_spec(data, "t.toml")
    walk = stepbystep.build(spec)
    layers = data["layers"]
    w1 = torch.tensor(layers[1]["weights"], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor(layers[1]["bias"], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor(layers[2]["weights"], dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor(layers[2]["bias"], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([s["inputs"] for s in data["samples"]], dtype=torch.float64)
    t = torch.tensor([s["targets"] for s in data["samples"]], dtype=torch.float64)

    def losses(rows: list[int]) -> Any:
        out = torch.sigmoid(torch.tanh(x[rows] @ w1.T + b1) @ w2.T + b2)
        return (0.5 * (t[rows] - out) ** 2).sum(dim=1).mean()

    for number, batch in enumerate(training_plan(spec), start=1):
        loss = losses(list(batch))
        loss.backward()
        with torch.no_grad():
            for tensor in (w1, b1, w2, b2):
                tensor -= 0.7 * tensor.grad
                tensor.grad = None
        with torch.no_grad():
            after = float(losses(list(range(5))))
        assert walk.value(f"after{number}.E_total") == pytest.approx(after, rel=1e-11)
    assert walk.value(f"after{len(training_plan(spec))}.w7") == pytest.approx(w2.detach()[0, 0].item(), rel=1e-11)


def test_hand_calculation_mode_says_so_and_shows_the_drift() -> None:
    exact = stepbystep.load(EXAMPLES / "mazur.toml")
    rounded = stepbystep.load(EXAMPLES / "mazur.toml", round_to=4)
    text = rounded.markdown()
    assert "rounded to 4 decimals" in text and "## Hand calculation against the exact run" in text
    assert repr(exact.value("w5+")) in text            # the exact column is the unrounded run
    assert rounded.value("w5+") == round(rounded.value("w5+"), 4)
    data = mazur_dict()
    data["training"] = {"mode": "batch", "epochs": 50}
    long_rounded = stepbystep.from_dict(data, round_to=3)
    assert long_rounded.trace.facts.exact.parameters["w5"] == pytest.approx(stepbystep.from_dict(data).value("after50.w5"), rel=1e-15)


def test_warnings_saturation_and_overflow(run_cli: Any, tmp_path: Any) -> None:
    saturated = mazur_dict()
    saturated["layers"][1]["weights"] = [[100.0, 100.0], [90.0, 80.0]]
    text = stepbystep.from_dict(saturated).markdown()
    assert "## Warnings" in text and "Saturation" in text and "vanishing gradient" in text
    quiet = stepbystep.load(EXAMPLES / "mazur.toml").markdown()
    assert "Warning" not in quiet
    diverging = _xor_like()
    diverging["layers"][2]["activation"] = "linear"
    diverging["learning_rate"] = 40.0
    diverging["training"] = {"mode": "batch", "epochs": 400}
    path = tmp_path / "diverging.json"
    import json

    path.write_text(json.dumps(diverging))
    result = run_cli("answers", str(path))
    assert result.code == 2 and result.err.startswith("stepbystep: error:") and "step" in result.err
    assert "Traceback" not in result.err and result.err.count("\n") == 1


def test_rising_loss_is_flagged() -> None:
    data = _xor_like()
    data["layers"][2]["activation"] = "linear"
    data["learning_rate"] = 2.5
    data["training"] = {"mode": "batch", "epochs": 12}
    walk = stepbystep.from_dict(data)
    losses = [walk.value(f"after{n}.E_total") for n in range(1, 13)]
    assert losses[-1] > losses[-4] > 0                 # the oracle: it does rise
    assert "Rising loss" in walk.markdown()


def test_markdown_file_gets_the_loss_curve_beside_it(run_cli: Any, tmp_path: Any) -> None:
    out = tmp_path / "run.md"
    result = run_cli("render", str(MAZUR_10000), "-o", str(out))
    assert result.code == 0
    svg = tmp_path / "run.loss-curve.svg"
    assert "](run.loss-curve.svg)" in out.read_text()
    root = ElementTree.fromstring(svg.read_text())
    assert root.tag.endswith("svg") and root.find("{http://www.w3.org/2000/svg}polyline") is not None
    result = run_cli("render", str(MAZUR_10000))
    assert "loss-curve.svg" not in result.out and "| epoch | after update |" in result.out


def test_loss_table_is_thinned_for_long_runs(long_run: Any) -> None:
    rows = long_run.markdown().split("### The loss after each epoch")[1].split("###")[0]
    epochs = [int(line.split("|")[1]) for line in rows.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert epochs[:5] == [1, 2, 3, 4, 5] and epochs[-1] == 10000 and 9999 in epochs and len(epochs) <= 25
    assert epochs == sorted(epochs)


def test_plot_thins_and_scales() -> None:
    points = [(n, 1.0 / n) for n in range(1, 5001)]
    kept = thinned(points)
    assert len(kept) <= MAX_POINTS and kept[0] == points[0] and kept[-1] == points[-1]
    svg = loss_curve_svg(points, "A <title> & more")
    root = ElementTree.fromstring(svg)
    assert "log scale" in svg and "&lt;title&gt;" in svg and root.tag.endswith("svg")
    flat = loss_curve_svg([(1, 0.5), (2, 0.5)], "flat")
    assert "nan" not in flat.lower()


def test_matrix_and_scalar_render_from_the_same_run(run_cli: Any) -> None:
    result = run_cli("render", str(EXAMPLES / "batch-mean.toml"), "--notation", "matrix")
    assert result.code == 0 and r"\begin{bmatrix}" in result.out and "(matrix form)" in result.out
    page = run_cli("render", str(EXAMPLES / "batch-mean.toml"), "--notation", "matrix", "--format", "html")
    assert page.code == 0 and "<math" in page.out and "bmatrix" not in page.out and "(matrix form)" in page.out
    bad = run_cli("render", str(EXAMPLES / "batch-mean.toml"), "--notation", "matrix", "--template", "x.html.j2")
    assert bad.code == 2 and "--template" in bad.err


def test_single_step_documents_have_no_training_summary() -> None:
    text = stepbystep.load(EXAMPLES / "mazur.toml").markdown()
    assert "## Training summary" not in text and "## Hand calculation" not in text
    data = copy.deepcopy(mazur_dict())
    data["training"] = {"mode": "online", "epochs": 3, "record": [1, 3]}
    text = stepbystep.from_dict(data).markdown()
    assert "## Training summary" in text and "## Step 2\n" in text


def test_small_runs_never_import_numpy() -> None:
    import subprocess
    import sys

    code = ("import sys, io, contextlib\nfrom stepbystep.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['render', {str(EXAMPLES / 'mazur.toml')!r}])\n"
            f"    main(['answers', {str(MAZUR_10000)!r}])\n"
            "print('numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_many_samples_make_a_readable_document() -> None:
    """60 samples, two batch epochs: the final pass in full for the first 10
    samples, the outputs table for the first 50, every value in the answer key.
    The table's numbers are checked by a forward pass written here from the
    weights after training."""
    rng = random.Random(60)
    data = mazur_dict()
    data["samples"] = [{"inputs": [round(rng.random(), 2), round(rng.random(), 2)],
                        "targets": [round(rng.random(), 2), round(rng.random(), 2)]} for _ in range(60)]
    data["training"] = {"mode": "batch", "epochs": 2}
    walk = stepbystep.from_dict(data)
    answers, text = walk.answers(), walk.markdown()
    assert [int(n) for n in re.findall(r"^### Sample (\d+) with the updated parameters$", text, re.M)] == list(range(1, 11))
    assert "The other 50 samples are computed the same way" in text
    assert "The first 50 of 60 samples" in text
    assert all(f"after2.sample{n}.out_o1" in answers for n in range(1, 61))
    w = [answers[f"after2.w{k}"] for k in range(1, 9)]
    sigmoid = lambda x: 1 / (1 + math.exp(-x))   # noqa: E731
    for n in (1, 50):
        i1, i2 = data["samples"][n - 1]["inputs"]
        h1, h2 = sigmoid(w[0] * i1 + w[1] * i2 + 0.35), sigmoid(w[2] * i1 + w[3] * i2 + 0.35)
        out_o1 = sigmoid(w[4] * h1 + w[5] * h2 + 0.60)
        assert f"| {n} | $\\mathit{{out}}_{{o1}}$ | {out_o1:.9f}".rstrip("0") in text
    assert "| 51 |" not in text.split("### The outputs after training")[1]
