"""The bundled optimizer examples against oracles written here.

`examples/mazur-adam.toml`: Mazur's network with Adam. Step 1's gradient of
w5 is the post's published 0.082167041; Adam's first step moves every weight
by the learning rate (m̂ = g, v̂ = g², so η·g/(|g| + ε)); 200 steps equal a
plain-Python Adam over the network's own forward and backward pass (written
out below, Mazur's formulas) and, where installed, torch.optim.Adam.
`examples/descent-adam.toml`: f(θ) = θ² from 5, the textbook first Adam step
5 → 4.9, and 60 steps of the same hand-written Adam on the derivative 2θ.
"""
from __future__ import annotations

import math

import pytest
from conftest import EXAMPLES

import stepbystep

MAZUR_DW5 = 0.082167041          # ../shared/mazur-2015.md: dE_total/dw5


def adam(parameters: list[float], gradient, steps: int, lr: float,
         beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> list[float]:
    """Kingma & Ba's Adam with PyTorch's placement of ε (outside the root), from m = v = 0."""
    m = [0.0] * len(parameters)
    v = [0.0] * len(parameters)
    p = list(parameters)
    for t in range(1, steps + 1):
        g = gradient(p)
        for k in range(len(p)):
            m[k] = beta1 * m[k] + (1 - beta1) * g[k]
            v[k] = beta2 * v[k] + (1 - beta2) * g[k] ** 2
            mhat, vhat = m[k] / (1 - beta1**t), v[k] / (1 - beta2**t)
            p[k] -= lr * mhat / (math.sqrt(vhat) + eps)
    return p


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def mazur_gradient(w: list[float]) -> list[float]:
    """dE/dw1…w8 of Mazur's net (biases 0.35 and 0.60 fixed), by the post's chain rule."""
    i1, i2, t1, t2, b1, b2 = 0.05, 0.10, 0.01, 0.99, 0.35, 0.60
    h1 = sigmoid(w[0] * i1 + w[1] * i2 + b1)
    h2 = sigmoid(w[2] * i1 + w[3] * i2 + b1)
    o1 = sigmoid(w[4] * h1 + w[5] * h2 + b2)
    o2 = sigmoid(w[6] * h1 + w[7] * h2 + b2)
    d1 = (o1 - t1) * o1 * (1 - o1)
    d2 = (o2 - t2) * o2 * (1 - o2)
    e1 = (d1 * w[4] + d2 * w[6]) * h1 * (1 - h1)
    e2 = (d1 * w[5] + d2 * w[7]) * h2 * (1 - h2)
    return [e1 * i1, e1 * i2, e2 * i1, e2 * i2, d1 * h1, d1 * h2, d2 * h1, d2 * h2]


MAZUR_START = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]


def test_mazur_adam_first_step_moves_each_weight_by_the_learning_rate() -> None:
    answers = stepbystep.load(EXAMPLES / "mazur-adam.toml").answers()
    g = answers["step1.dE_total/dw5"]
    assert g == pytest.approx(MAZUR_DW5, abs=5e-10)
    assert answers["step1.m_w5"] == pytest.approx(0.1 * g, rel=1e-12)
    assert answers["step1.mhat_w5"] == pytest.approx(g, rel=1e-12)
    assert answers["step1.vhat_w5"] == pytest.approx(g * g, rel=1e-12)
    for k, start in enumerate(MAZUR_START, start=1):
        grad = answers[f"step1.dE_total/dw{k}"]
        assert answers[f"step1.w{k}+"] == pytest.approx(start - 0.05 * grad / (abs(grad) + 1e-8), rel=1e-12)


def test_mazur_adam_200_steps_equal_a_hand_written_adam() -> None:
    answers = stepbystep.load(EXAMPLES / "mazur-adam.toml").answers()
    expected = adam(MAZUR_START, mazur_gradient, 200, lr=0.05)
    for k, value in enumerate(expected, start=1):
        assert answers[f"after200.w{k}"] == pytest.approx(value, rel=1e-9)


def test_mazur_adam_200_steps_equal_torch_optim() -> None:
    torch = pytest.importorskip("torch")
    answers = stepbystep.load(EXAMPLES / "mazur-adam.toml").answers()
    w = torch.tensor(MAZUR_START, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=0.05, betas=(0.9, 0.999), eps=1e-8)
    x = torch.tensor([0.05, 0.10], dtype=torch.float64)
    target = torch.tensor([0.01, 0.99], dtype=torch.float64)
    for _ in range(200):
        optimizer.zero_grad()
        hidden = torch.sigmoid(w[:4].reshape(2, 2) @ x + 0.35)
        out = torch.sigmoid(w[4:].reshape(2, 2) @ hidden + 0.60)
        (0.5 * ((target - out) ** 2).sum()).backward()
        optimizer.step()
    for k, value in enumerate(w.detach().tolist(), start=1):
        assert answers[f"after200.w{k}"] == pytest.approx(value, rel=1e-9)


def test_descent_adam_first_step_is_the_textbook_one() -> None:
    answers = stepbystep.load(EXAMPLES / "descent-adam.toml").answers()
    assert answers["step1.df/dtheta"] == 10.0                      # d(θ²)/dθ at 5
    assert answers["step1.theta+"] == pytest.approx(4.9, abs=1e-8)  # 5 − 0.1 · 10/(10 + 1e-8)
    theta = adam([5.0], lambda p: [2 * p[0]], 60, lr=0.1)[0]
    assert answers["after60.f"] == pytest.approx(theta**2, rel=1e-9)


def test_optimizer_examples_render_their_comparison() -> None:
    for name in ("mazur-adam.toml", "descent-adam.toml"):
        markdown = stepbystep.load(EXAMPLES / name).markdown()
        assert "Adam" in markdown and "momentum" in markdown.lower()


def mazur_loss(w: list[float]) -> float:
    i1, i2, t1, t2, b1, b2 = 0.05, 0.10, 0.01, 0.99, 0.35, 0.60
    h1 = sigmoid(w[0] * i1 + w[1] * i2 + b1)
    h2 = sigmoid(w[2] * i1 + w[3] * i2 + b1)
    o1 = sigmoid(w[4] * h1 + w[5] * h2 + b2)
    o2 = sigmoid(w[6] * h1 + w[7] * h2 + b2)
    return 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2


def test_a_sheet_of_the_adam_example_asks_only_what_can_be_worked_by_hand() -> None:
    """200 Adam steps run on the fast path; the sheet asks the loss after step 2, the last
    step worked in full (the hand-written Adam's), not after 200."""
    from stepbystep.exercises.variant_rules import read_rules
    from stepbystep.exercises.variants import asked_names

    spec = stepbystep.load(EXAMPLES / "mazur-adam.toml").spec
    asked = asked_names(spec, read_rules(spec))
    assert asked[-1] == "after2.E_total" and not any(name.startswith("after200.") for name in asked)
    walk = stepbystep.load(EXAMPLES / "mazur-adam.toml")
    assert walk.value("after2.E_total") == pytest.approx(mazur_loss(adam(MAZUR_START, mazur_gradient, 2, 0.05)),
                                                          rel=1e-12)


def test_a_sheet_of_the_descent_example_asks_the_output_after_its_last_worked_step() -> None:
    """Adam on theta^2 from 5, steps 1 and 2 in full out of 60: asked f after step 2."""
    from stepbystep.exercises.variant_rules import read_rules
    from stepbystep.exercises.variants import asked_names

    spec = stepbystep.load(EXAMPLES / "descent-adam.toml").spec
    asked = asked_names(spec, read_rules(spec))
    assert asked[-1] == "after2.f"
    theta = adam([5.0], lambda p: [2 * p[0]], 2, 0.1)[0]
    assert stepbystep.load(EXAMPLES / "descent-adam.toml").value("after2.f") == pytest.approx(theta**2, rel=1e-12)


def test_the_note_of_the_descent_example_gives_the_true_first_step() -> None:
    """By hand: 5 - 0.1 * 10 / (sqrt(100) + 1e-8) = 4.9000000001 (to 1e-16), squared 24.01000000098."""
    walk = stepbystep.load(EXAMPLES / "descent-adam.toml")
    theta = 5 - 0.1 * 10 / (10 + 1e-8)
    assert theta == pytest.approx(4.9000000001, abs=1e-15)
    assert walk.value("step1.theta+") == pytest.approx(theta, abs=1e-15)
    assert walk.value("step2.f") == pytest.approx(24.01000000098, abs=1e-12)
    note = walk.spec.notes["step1.theta+"]
    assert "4.9000000001" in note and "24.01000000098" in note and "24.010000001" in walk.markdown()


def test_a_descent_sheet_counts_steps_not_updates(run_cli) -> None:
    out = run_cli("variants", EXAMPLES / "descent-adam.toml", "--count", "1", "--seed", "5", "--format", "md").out
    assert "$f$ (after 2 steps) | `after2.f`" in out and "after 2 updates" not in out


def test_adams_epsilon_is_written_as_a_power_of_ten() -> None:
    """1e-8 as 0.00000001 makes a reader count zeros; an exact value with fewer zeros stays fixed."""
    from stepbystep.numbers import format_number, number_latex

    assert format_number(1e-8) == "1e-8" and number_latex(1e-8) == r"1 \times 10^{-8}"
    assert format_number(0.00005) == "0.00005" and format_number(0.000001) == "0.000001"
    text = stepbystep.load(EXAMPLES / "descent-adam.toml").markdown()
    assert r"$\epsilon = 1 \times 10^{-8}$" in text and r"\sqrt{100} + 1 \times 10^{-8}" in text
    assert "0.00000001" not in text
