"""Losses: one record each, read by backprop, both fast paths, the documents.

A record writes one output's error term E_ok and its derivative dE_ok/dout_k
as graph expressions of the target and the output, gives the same maths in
numpy for the vectorized fast path, and carries its LaTeX and prose. What a
loss needs of the output layer and the targets (bce: one sigmoid output,
targets in [0, 1]) is its `choice`, from spec/choices.py, which the
validator checks.

`np` in the numpy forms is the numpy module, passed in by the numpy fast path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ...spec import choices
from ...spec.choices import LossChoice
from ..graph import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Sub
from .registry import LOSSES

ONE, TWO = Num(1.0), Num(2.0)


@dataclass(frozen=True)
class LossProse:
    """The sentences a walkthrough says about this loss (Markdown with $…$ math)."""

    convention: str             # the "Loss:" convention line, Mazur's post noted
    error: str                  # opens the error section
    derivative: str             # before dE_total/dout: "Differentiating … gives …:"
    simplifies: str | None = None  # on its natural output, the delta simplifies: said beside the output delta


@dataclass(frozen=True)
class LossRecord:
    """Everything about one loss; E_total = sum_k E_ok over the K outputs.

    term(t, o, K, options) and derivative(t, o, K, options): E_ok and dE_ok/dout_k
    as graph expressions. numpy_term(np, target, out, options) and
    numpy_derivative(...): the same on arrays (rows = outputs, columns = samples).
    squared_scale(K): c when E_ok = c (t - o)^2, which the numpy path sums in
    one dot product; None for other losses.
    """

    choice: LossChoice
    term: Callable[[Expr, Expr, int, Mapping[str, float]], Expr]
    derivative: Callable[[Expr, Expr, int, Mapping[str, float]], Expr]
    numpy_term: Callable[[Any, Any, Any, Mapping[str, float]], Any]
    numpy_derivative: Callable[[Any, Any, Any, Mapping[str, float]], Any]
    formula: str                # LaTeX of E_ok with t, o, K
    prose: LossProse
    squared_scale: Callable[[int], float] | None = None
    kinks: Callable[[Mapping[str, float]], tuple[float, ...]] = lambda options: ()  # t - o where dE/do jumps

    @property
    def name(self) -> str:
        return self.choice.name


def _add(record: LossRecord) -> None:
    LOSSES.add(record)


def _squared(t: Expr, o: Expr) -> Expr:
    return Pow(Sub(t, o), TWO)


_add(LossRecord(
    choices.LOSSES["half_sse"],
    term=lambda t, o, count, options: Mul((Num(0.5, r"\frac{1}{2}"), _squared(t, o))),
    derivative=lambda t, o, count, options: Neg(Sub(t, o)),
    numpy_term=lambda np, target, out, options: 0.5 * (target - out) ** 2,
    numpy_derivative=lambda np, target, out, options: -(target - out),
    formula=r"\frac{1}{2}(t - o)^2",
    prose=LossProse(
        convention=r"$E_{total} = \sum_k \frac{1}{2}(\mathit{target}_k - \mathit{out}_k)^2$ "
                   "(squared error with ½, as in Mazur's post)",
        error="Each output's error is half its squared distance from the target (the ½ is there so it cancels when we\n"
              "differentiate); the total error is the sum over the outputs.",
        derivative=r"Differentiating $\frac{1}{2}(target - out)^2$ gives "
                   r"$2 \cdot \frac{1}{2}(target - out)^{2-1} \cdot (-1) = -(target - out)$:"),
    squared_scale=lambda count: 0.5))

_add(LossRecord(
    choices.LOSSES["sse"],
    term=lambda t, o, count, options: _squared(t, o),
    derivative=lambda t, o, count, options: Neg(Mul((TWO, Sub(t, o)))),
    numpy_term=lambda np, target, out, options: (target - out) ** 2,
    numpy_derivative=lambda np, target, out, options: -(2.0 * (target - out)),
    formula=r"(t - o)^2",
    prose=LossProse(
        convention=r"$E_{total} = \sum_k (\mathit{target}_k - \mathit{out}_k)^2$ "
                   "(squared error without the ½ that Mazur uses)",
        error="Each output's error is its squared distance from the target (no ½ here, so a factor 2 appears in the\n"
              "derivative); the total error is the sum over the outputs.",
        derivative="Differentiating $(target - out)^2$ gives $-2(target - out)$:"),
    squared_scale=lambda count: 1.0))

_add(LossRecord(
    choices.LOSSES["mse"],
    term=lambda t, o, count, options: Div(_squared(t, o), Num(float(count))),
    derivative=lambda t, o, count, options: Neg(Div(Mul((TWO, Sub(t, o))), Num(float(count)))),
    numpy_term=lambda np, target, out, options: (target - out) ** 2 / float(out.shape[0]),
    numpy_derivative=lambda np, target, out, options: -(2.0 * (target - out) / float(out.shape[0])),
    formula=r"\frac{1}{K}(t - o)^2",
    prose=LossProse(
        convention=r"$E_{total} = \frac{1}{K}\sum_k (\mathit{target}_k - \mathit{out}_k)^2$ "
                   "(mean squared error over the K outputs; Mazur uses ½ and no mean)",
        error="Each output's error is its squared distance from the target divided by the number of outputs, so the\n"
              "total error is the mean squared error.",
        derivative=r"Differentiating $\frac{1}{K}(target - out)^2$ gives $-\frac{2}{K}(target - out)$:"),
    squared_scale=lambda count: 1.0 / count))

_add(LossRecord(
    choices.LOSSES["bce"],
    term=lambda t, o, count, options: Neg(Add((Mul((t, Call("log", (o,)))),
                                               Mul((Sub(ONE, t), Call("log", (Sub(ONE, o),))))))),
    derivative=lambda t, o, count, options: Neg(Sub(Div(t, o), Div(Sub(ONE, t), Sub(ONE, o)))),
    numpy_term=lambda np, target, out, options: -(target * np.log(out) + (1.0 - target) * np.log(1.0 - out)),
    numpy_derivative=lambda np, target, out, options: -(target / out - (1.0 - target) / (1.0 - out)),
    formula=r"-\left[t \ln o + (1 - t) \ln(1 - o)\right]",
    prose=LossProse(
        convention=r"$E_{total} = -[\mathit{target} \ln \mathit{out} + (1 - \mathit{target}) \ln(1 - \mathit{out})]$ "
                   "(binary cross-entropy on one sigmoid output; Mazur's post uses ½ squared error)",
        error="With one sigmoid output read as a probability, the error is the binary cross-entropy: the negative log of the\n"
              "probability the network gave to the right answer.",
        derivative=r"Differentiating $-[t \ln o + (1-t)\ln(1-o)]$ gives $-\left(\frac{t}{o} - \frac{1-t}{1-o}\right)$:",
        simplifies="with binary cross-entropy on a sigmoid it always simplifies to $out - target$, a handy check")))

_add(LossRecord(
    choices.LOSSES["cross_entropy"],
    term=lambda t, o, count, options: Neg(Mul((t, Call("log", (o,))))),
    derivative=lambda t, o, count, options: Neg(Div(t, o)),
    numpy_term=lambda np, target, out, options: -(target * np.log(out)),
    numpy_derivative=lambda np, target, out, options: -(target / out),
    formula=r"-t \ln o",
    prose=LossProse(
        convention=r"$E_{total} = -\sum_k \mathit{target}_k \ln \mathit{out}_k$ "
                   "(cross-entropy on a softmax output; Mazur's post uses ½ squared error)",
        error="The softmax outputs are probabilities; the cross-entropy adds $-target_k \\ln out_k$ over the outputs, so only\n"
              "the outputs with a non-zero target count.",
        derivative=r"Differentiating $-t_k \ln o_k$ gives $-\frac{t_k}{o_k}$:",
        simplifies="with cross-entropy this sum always simplifies to $out_k - target_k$, a handy check")))


# -- mae and huber (SPEC.md §6): per output, divided by K ----------------------------
_add(LossRecord(
    choices.LOSSES["mae"],
    term=lambda t, o, count, options: Div(Call("abs", (Sub(t, o),)), Num(float(count))),
    derivative=lambda t, o, count, options: Neg(Div(Call("sign", (Sub(t, o),)), Num(float(count)))),
    numpy_term=lambda np, target, out, options: np.abs(target - out) / float(out.shape[0]),
    numpy_derivative=lambda np, target, out, options: -(np.sign(target - out) / float(out.shape[0])),
    formula=r"\frac{1}{K}\left|t - o\right|",
    prose=LossProse(
        convention=r"$E_{total} = \frac{1}{K}\sum_k |\mathit{target}_k - \mathit{out}_k|$ "
                   "(mean absolute error over the K outputs; Mazur's post uses ½ squared error)",
        error="Each output's error is its absolute distance from the target divided by the number of outputs, so the\n"
              "total error is the mean absolute error.",
        derivative=r"Differentiating $\frac{1}{K}|target - out|$ gives $-\frac{1}{K}$ times the sign of "
                   r"$target - out$ (0 where they are equal):"),
    kinks=lambda options: (0.0,)))


def _numpy_huber(np: Any, target: Any, out: Any, options: Mapping[str, float]) -> Any:
    delta = options["loss_delta"]
    difference = target - out
    size = np.abs(difference)
    return np.where(size <= delta, 0.5 * difference * difference, delta * (size - 0.5 * delta)) / float(out.shape[0])


_add(LossRecord(
    choices.LOSSES["huber"],
    term=lambda t, o, count, options: Div(Call("huber", (Sub(t, o),), options["loss_delta"]), Num(float(count))),
    derivative=lambda t, o, count, options: Neg(Div(Call("clip", (Sub(t, o),), options["loss_delta"]),
                                                    Num(float(count)))),
    numpy_term=_numpy_huber,
    numpy_derivative=lambda np, target, out, options:
        -(np.clip(target - out, -options["loss_delta"], options["loss_delta"]) / float(out.shape[0])),
    formula=r"\frac{1}{K}\begin{cases} \frac{1}{2}(t - o)^2 & |t - o| \le \delta \\ "
            r"\delta \left(|t - o| - \frac{1}{2}\delta\right) & \text{otherwise} \end{cases}",
    prose=LossProse(
        convention=r"$E_{total} = \frac{1}{K}\sum_k H_\delta(\mathit{target}_k - \mathit{out}_k)$ with "
                   r"$H_\delta(x) = \frac{1}{2}x^2$ where $|x| \le \delta$, else $\delta (|x| - \frac{1}{2}\delta)$ "
                   "(the Huber loss over the K outputs; Mazur's post uses ½ squared error)",
        error="Each output's error is the Huber loss of its distance from the target, divided by the number of outputs:\n"
              "half the squared distance while it is at most $\\delta$, growing only linearly beyond, so outliers weigh less.",
        derivative=r"Differentiating $\frac{1}{K}H_\delta(target - out)$ gives $-\frac{1}{K}$ times $target - out$ "
                   r"clipped to $[-\delta, \delta]$:")))
