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
from typing import Any, Callable, Mapping, Sequence

from ...spec import choices
from ...spec.choices import LossChoice
from ..expressions import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Sub, sum_of
from .registry import LOSSES

ONE, TWO = Num(1.0), Num(2.0)
LayerForm = Callable[[Sequence[Expr], Sequence[Expr], Sequence[float], int, Mapping[str, float]], Expr]


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
    # A loss whose E_ok reads every output of the sample (multiclass_hinge: the correct class's score):
    # layer_term(targets, outs, target_values, k, options) -> E_ok and layer_derivative(...) -> dE_total/dout_k,
    # written for the sample's own class (the target values say which); `term` and `derivative` are then unused.
    layer_term: LayerForm | None = None
    layer_derivative: LayerForm | None = None

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


# -- margin losses (SPEC.md §6): the hinge and CS231n's multiclass SVM loss ---------------
def _margin(t: Expr, o: Expr) -> Expr:
    """1 - t*o: how far the output is from being on the right side with margin 1."""
    return Sub(ONE, Mul((t, o)))


_add(LossRecord(
    choices.LOSSES["hinge"],
    term=lambda t, o, count, options: Call("relu", (_margin(t, o),)),
    derivative=lambda t, o, count, options: Neg(Mul((t, Call("step", (_margin(t, o),))))),
    numpy_term=lambda np, target, out, options: np.maximum(1.0 - target * out, 0.0),
    numpy_derivative=lambda np, target, out, options: -(target * (1.0 - target * out > 0)),
    formula=r"\max(0, 1 - t \cdot o)",
    prose=LossProse(
        convention=r"$E_{total} = \max(0, 1 - \mathit{target} \cdot \mathit{out})$ "
                   "(the hinge loss of a linear classifier, targets −1 or +1; Mazur's post uses ½ squared error)",
        error="The sign of the output is the predicted class, and the hinge loss asks for the right sign with a margin:\n"
              r"$target \cdot out \ge 1$. Short of the margin the error grows linearly; once the margin is met it is 0.",
        derivative=r"Differentiating $\max(0, 1 - t \cdot o)$ gives $-t$ while the margin is not met "
                   r"($1 - t \cdot o > 0$) and 0 once it is: a satisfied margin contributes no gradient "
                   "(at exactly 0 we take 0):"),
    kinks=lambda options: (0.0,)))


def _correct(values: Sequence[float]) -> int:
    """The class a one-hot target vector names."""
    return max(range(len(values)), key=lambda k: values[k])


def _class_margin(outs: Sequence[Expr], k: int, y: int, options: Mapping[str, float]) -> Expr:
    """out_k - out_y + delta: by how much class k comes within the margin of the correct class y."""
    return Add((Sub(outs[k], outs[y]), Num(options["loss_delta"], r"\Delta")))


def _svm_term(targets: Sequence[Expr], outs: Sequence[Expr], values: Sequence[float], k: int,
              options: Mapping[str, float]) -> Expr:
    y = _correct(values)
    return Num(0.0) if k == y else Call("relu", (_class_margin(outs, k, y, options),))


def _svm_derivative(targets: Sequence[Expr], outs: Sequence[Expr], values: Sequence[float], k: int,
                    options: Mapping[str, float]) -> Expr:
    """dE_total/dout_k: 1 for a wrong class inside the margin; minus their count for the correct one."""
    y = _correct(values)
    if k != y:
        return Call("step", (_class_margin(outs, k, y, options),))
    return Neg(sum_of([Call("step", (_class_margin(outs, j, y, options),)) for j in range(len(outs)) if j != y]))


def _numpy_svm_margins(np: Any, target: Any, out: Any, options: Mapping[str, float]) -> Any:
    return out - (target * out).sum(axis=0, keepdims=True) + options["loss_delta"]


def _numpy_svm_derivative(np: Any, target: Any, out: Any, options: Mapping[str, float]) -> Any:
    active = ((_numpy_svm_margins(np, target, out, options) > 0) & (target != 1.0)).astype(np.float64)
    return active - target * active.sum(axis=0, keepdims=True)


_add(LossRecord(
    choices.LOSSES["multiclass_hinge"],
    term=lambda t, o, count, options: _reads_every_output(),
    derivative=lambda t, o, count, options: _reads_every_output(),
    numpy_term=lambda np, target, out, options:
        np.where(target == 1.0, 0.0, np.maximum(_numpy_svm_margins(np, target, out, options), 0.0)),
    numpy_derivative=_numpy_svm_derivative,
    formula=r"\sum_{k \ne y} \max(0, o_k - o_y + \Delta)",
    prose=LossProse(
        convention=r"$E_{total} = \sum_{k \ne y} \max(0, \mathit{out}_k - \mathit{out}_y + \Delta)$ where $y$ is "
                   "the correct class (the multiclass SVM loss of CS231n's linear classifier; Mazur's post uses "
                   "½ squared error)",
        error="The correct class $y$ should score higher than every other class by at least the margin $\\Delta$. Each\n"
              "wrong class $k$ adds $\\max(0, out_k - out_y + \\Delta)$: how far it comes inside that margin. A class "
              "already beaten\nby more than $\\Delta$ adds nothing, and the correct class itself adds nothing.",
        derivative="Each wrong class still inside the margin has slope 1 (raising its score raises the loss), the "
                   "correct class\nhas slope minus the number of such classes, and a class whose margin is "
                   "satisfied contributes no gradient\nat all: the loss is flat there (at exactly 0 we take 0):"),
    layer_term=_svm_term, layer_derivative=_svm_derivative))


def _reads_every_output() -> Expr:
    raise TypeError("multiclass_hinge reads every output of the sample: use layer_term and layer_derivative")
