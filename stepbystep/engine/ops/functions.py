"""Graph functions: what a Call node (expressions.py) computes, prints and differentiates.

One record per function a graph node may call: the computation-graph specs'
functions (exp, log, tanh, sigmoid, relu, abs, max, min), the activations'
own (leaky_relu, softplus, …) and the helpers their derivatives are written
with (step, leaky_step, sign, picks_max, …). Call.evaluate and Call.latex,
autodiff's chain rule and the compiled fast path all read the record, so a
function is defined once, and a name without a record raises.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from ..expressions import _ATOM, _PRODUCT, Add, Call, Div, Expr, Mul, Num, Pow, Printer, Sub
from .registry import FUNCTIONS

ONE = Num(1.0)


@dataclass(frozen=True)
class FunctionRecord:
    """Everything about one graph function.

    evaluate: the float function, `evaluate(*values)`, or `evaluate(param, *values)`
    when `takes_param` (leaky_relu's slope is the Call's `param`).
    derivative: `derivative(call, itself)` -> d f / d argument, one graph
    expression per argument (`itself` is the call, or the name already
    holding its value, so that tanh' reads 1 - out^2).
    python: `python(args, simple, param)` -> Python source doing the very
    float operations of `evaluate` (the compiled fast path); `simple` says the
    argument is a plain name that may be read twice. None: call `evaluate`.
    """

    name: str
    evaluate: Callable[..., float]
    latex: Callable[[Call, Printer], str]
    derivative: Callable[[Call, Expr], tuple[Expr, ...]]
    python: Callable[[Sequence[str], bool, float | None], str | None] | None = None
    arity: tuple[int, int | None] = (1, 1)    # fewest and most arguments (None: no limit)
    takes_param: bool = False
    in_expressions: bool = False              # a computation-graph spec may call it (SPEC.md §2)
    kinks: Callable[[float | None], tuple[float, ...]] = lambda param: ()   # arguments where the derivative
    #                                         jumps, given the param (max/min: also ties)
    domain: tuple[float | None, float | None] = (None, None)   # open interval of valid arguments
    note: str | None = None                   # the convention a document states when it is used


def _at_zero(param: float | None) -> tuple[float, ...]:
    return (0.0,)


def _at_plus_minus(param: float | None) -> tuple[float, ...]:
    return (-float(param or 0.0), float(param or 0.0))


def flat(call: Call, itself: Expr) -> tuple[Expr, ...]:
    """The derivative of a piecewise-constant helper (step, sign, picks): 0 almost everywhere."""
    return (Num(0.0),) * len(call.args)


def _cases(x: str, high: str, low: str) -> str:
    """`high` where x > 0, `low` otherwise."""
    return f"\\begin{{cases}} {high} & \\text{{if }} {x} > 0 \\\\ {low} & \\text{{otherwise}} \\end{{cases}}"


def _param_text(call: Call, printer: Printer) -> str:
    return printer.number_text(float(call.param)) if call.param is not None else ""


def _inner(call: Call, printer: Printer) -> list[str]:
    return [arg.latex(printer) for arg in call.args]


# -- the functions of computation-graph specs ------------------------------------
def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log of {x!r}, which is not positive")
    return math.log(x)


FUNCTIONS.add(FunctionRecord(
    "exp", math.exp,
    latex=lambda call, printer: f"e^{{{call.args[0].latex(printer)}}}",
    derivative=lambda call, itself: (itself,),
    python=lambda args, simple, param: f"exp({args[0]})",
    in_expressions=True))

FUNCTIONS.add(FunctionRecord(
    "log", _log,
    latex=lambda call, printer: f"\\ln\\left({call.args[0].latex(printer)}\\right)",
    derivative=lambda call, itself: (Div(ONE, call.args[0]),),
    python=lambda args, simple, param: f"_log({args[0]})",
    in_expressions=True, domain=(0.0, None)))

FUNCTIONS.add(FunctionRecord(
    "tanh", math.tanh,
    latex=lambda call, printer: f"\\tanh\\left({call.args[0].latex(printer)}\\right)",
    derivative=lambda call, itself: (Sub(ONE, Pow(itself, Num(2.0))),),
    python=lambda args, simple, param: f"tanh({args[0]})",
    in_expressions=True))

FUNCTIONS.add(FunctionRecord(
    "sigmoid", _sigmoid,
    latex=lambda call, printer: f"\\frac{{1}}{{1 + e^{{-{call.args[0].wrapped(printer, _PRODUCT)}}}}}",
    derivative=lambda call, itself: (Mul((itself, Sub(ONE, itself))),),
    python=lambda args, simple, param: (f"(1.0 / (1.0 + exp(-{args[0]})) if {args[0]} >= 0 "
                                        f"else exp({args[0]}) / (1.0 + exp({args[0]})))") if simple else None,
    in_expressions=True))

FUNCTIONS.add(FunctionRecord(
    "relu", lambda x: x if x > 0 else 0.0,
    latex=lambda call, printer: f"\\max\\left(0, {call.args[0].latex(printer)}\\right)",
    derivative=lambda call, itself: (Call("step", call.args),),
    python=lambda args, simple, param: f"({args[0]} if {args[0]} > 0 else 0.0)" if simple else None,
    in_expressions=True, kinks=_at_zero, note=r"$\mathrm{relu}$ has slope 0 at exactly 0."))

FUNCTIONS.add(FunctionRecord(
    "abs", abs,
    latex=lambda call, printer: f"\\left|{call.args[0].latex(printer)}\\right|",
    derivative=lambda call, itself: (Call("sign", call.args),),
    in_expressions=True, kinks=_at_zero, note=r"$|x|$ has slope 0 at $x = 0$."))


def _extreme(name: str) -> FunctionRecord:
    """max or min: the whole gradient goes to the argument selected, the first on a tie."""
    picks = "picks_max" if name == "max" else "picks_min"
    return FunctionRecord(
        name, max if name == "max" else min,
        latex=lambda call, printer: f"\\{name}\\left({', '.join(_inner(call, printer))}\\right)",
        derivative=lambda call, itself: tuple(Call(picks, (Num(float(index)), *call.args))
                                              for index in range(len(call.args))),
        arity=(2, None), in_expressions=True)


FUNCTIONS.add(_extreme("max"))
FUNCTIONS.add(_extreme("min"))


# -- the activations' own functions -----------------------------------------------
FUNCTIONS.add(FunctionRecord(
    "leaky_relu", lambda slope, x: x if x > 0 else slope * x,
    latex=lambda call, printer: _cases(call.args[0].latex(printer), call.args[0].latex(printer),
                                       f"{_param_text(call, printer)} \\cdot {call.args[0].wrapped(printer, _PRODUCT)}"),
    derivative=lambda call, itself: (Call("leaky_step", call.args, call.param),),
    python=lambda args, simple, param: f"({args[0]} if {args[0]} > 0 else {float(param)!r} * {args[0]})"  # type: ignore[arg-type]
    if simple else None,
    takes_param=True, kinks=_at_zero))


def _softplus(x: float) -> float:
    """ln(1 + e^x) without overflow: max(x, 0) + ln(1 + e^-|x|)."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


FUNCTIONS.add(FunctionRecord(
    "softplus", _softplus,
    latex=lambda call, printer: f"\\ln\\left(1 + e^{{{call.args[0].latex(printer)}}}\\right)",
    derivative=lambda call, itself: (Call("sigmoid", call.args),)))

FUNCTIONS.add(FunctionRecord(
    "elu", lambda alpha, x: x if x > 0 else alpha * math.expm1(x),
    latex=lambda call, printer: _cases(call.args[0].latex(printer), call.args[0].latex(printer),
                                       f"{_param_text(call, printer)} \\cdot \\left(e^{{{call.args[0].latex(printer)}}} - 1\\right)"),
    derivative=lambda call, itself: (Call("elu_step", call.args, call.param),),
    takes_param=True, kinks=_at_zero))

FUNCTIONS.add(FunctionRecord(
    "silu", lambda x: x * _sigmoid(x),
    latex=lambda call, printer: f"\\frac{{{call.args[0].latex(printer)}}}{{1 + e^{{-{call.args[0].wrapped(printer, _PRODUCT)}}}}}",
    derivative=lambda call, itself: (_silu_slope(call.args[0], itself),)))


def _silu_slope(x: Expr, itself: Expr) -> Expr:
    """silu'(x) = sigma(x) + silu(x) (1 - sigma(x))."""
    sigma = Call("sigmoid", (x,))
    return Add((sigma, Mul((itself, Sub(ONE, sigma)))))


def _huber(delta: float, x: float) -> float:
    size = abs(x)
    return 0.5 * x * x if size <= delta else delta * (size - 0.5 * delta)


def _huber_latex(call: Call, printer: Printer) -> str:
    x, delta = call.args[0], _param_text(call, printer)
    size = f"\\left|{x.latex(printer)}\\right|"
    return (f"\\begin{{cases}} \\frac{{1}}{{2}} {x.wrapped(printer, _ATOM)}^{{2}} & \\text{{if }} {size} \\le {delta} \\\\ "
            f"{delta} \\cdot \\left({size} - \\frac{{1}}{{2}} \\cdot {delta}\\right) & \\text{{otherwise}} \\end{{cases}}")


def _clip(delta: float, x: float) -> float:
    """huber'(x): x clipped to [-delta, delta]."""
    return x if abs(x) <= delta else (delta if x > 0 else -delta)


def _clip_latex(call: Call, printer: Printer) -> str:
    x, delta = call.args[0].latex(printer), _param_text(call, printer)
    return (f"\\begin{{cases}} {x} & \\text{{if }} \\left|{x}\\right| \\le {delta} \\\\ "
            f"{delta} \\cdot \\operatorname{{sign}}\\left({x}\\right) & \\text{{otherwise}} \\end{{cases}}")


FUNCTIONS.add(FunctionRecord(
    "huber", _huber, latex=_huber_latex,
    derivative=lambda call, itself: (Call("clip", call.args, call.param),),
    takes_param=True))


# -- the helpers derivatives are written with (flat almost everywhere) -------------
FUNCTIONS.add(FunctionRecord(
    "step", lambda x: 1.0 if x > 0 else 0.0,   # relu'(x), with relu'(0) = 0
    latex=lambda call, printer: _cases(call.args[0].latex(printer), "1", "0"),
    derivative=flat,
    python=lambda args, simple, param: f"(1.0 if {args[0]} > 0 else 0.0)",
    kinks=_at_zero))

FUNCTIONS.add(FunctionRecord(
    "leaky_step", lambda slope, x: 1.0 if x > 0 else float(slope),   # leaky_relu'(x), the slope at 0
    latex=lambda call, printer: _cases(call.args[0].latex(printer), "1", _param_text(call, printer)),
    derivative=flat,
    python=lambda args, simple, param: f"(1.0 if {args[0]} > 0 else {float(param)!r})",  # type: ignore[arg-type]
    takes_param=True, kinks=_at_zero))

FUNCTIONS.add(FunctionRecord(
    "sign", lambda x: 1.0 if x > 0 else -1.0 if x < 0 else 0.0,   # |x|'(x), with |x|'(0) = 0
    latex=lambda call, printer: (f"\\left(1 \\text{{ if }} {call.args[0].latex(printer)} > 0\\text{{, }} -1 \\text{{ if }} "
                                 f"{call.args[0].latex(printer)} < 0\\text{{, else }} 0\\right)"),
    derivative=flat, kinks=_at_zero))


def _picks(largest: bool) -> Callable[..., float]:
    """d max(a, b, …)/d arg k: 1 when arg k is the one selected, the first on a tie."""
    def picks(index: float, *values: float) -> float:
        chosen = max(values) if largest else min(values)
        return 1.0 if values.index(chosen) == int(index) else 0.0
    return picks


def _picks_latex(call: Call, printer: Printer) -> str:
    """1 if argument k wins (strictly against earlier ones: ties go first)."""
    index = int(call.args[0].evaluate({}))
    values = [arg.latex(printer) for arg in call.args[1:]]
    strict, loose = (">", "\\ge") if call.function == "picks_max" else ("<", "\\le")
    conditions = [f"{values[index]} {strict if j < index else loose} {other}"
                  for j, other in enumerate(values) if j != index]
    return f"\\left(1 \\text{{ if }} {', '.join(conditions)}\\text{{, else }} 0\\right)"


FUNCTIONS.add(FunctionRecord("picks_max", _picks(True), latex=_picks_latex, derivative=flat, arity=(3, None)))
FUNCTIONS.add(FunctionRecord("picks_min", _picks(False), latex=_picks_latex, derivative=flat, arity=(3, None)))

FUNCTIONS.add(FunctionRecord(
    "elu_step", lambda alpha, x: 1.0 if x > 0 else alpha * math.exp(x),   # elu'(x), alpha at 0 (from the left)
    latex=lambda call, printer: _cases(call.args[0].latex(printer), "1",
                                       f"{_param_text(call, printer)} \\cdot e^{{{call.args[0].latex(printer)}}}"),
    derivative=lambda call, itself: (Sub(itself, Call("step", call.args)),),   # 0 for x > 0, alpha e^x below
    takes_param=True, kinks=_at_zero))

FUNCTIONS.add(FunctionRecord(
    "clip", _clip, latex=_clip_latex,
    derivative=lambda call, itself: (Call("inside", call.args, call.param),),
    takes_param=True, kinks=_at_plus_minus))

FUNCTIONS.add(FunctionRecord(
    "inside", lambda delta, x: 1.0 if abs(x) <= delta else 0.0,   # clip'(x)
    latex=lambda call, printer: (f"\\left(1 \\text{{ if }} \\left|{call.args[0].latex(printer)}\\right| \\le "
                                 f"{_param_text(call, printer)}\\text{{, else }} 0\\right)"),
    derivative=flat, takes_param=True, kinks=_at_plus_minus))


# -- the optimizers' functions (engine/ops/optimizers.py) ---------------------------
def _sqrt(x: float) -> float:
    if x < 0:
        raise ValueError(f"square root of {x!r}, which is negative")
    return math.sqrt(x)


FUNCTIONS.add(FunctionRecord(
    "sqrt", _sqrt,
    latex=lambda call, printer: f"\\sqrt{{{call.args[0].latex(printer)}}}",
    derivative=lambda call, itself: (Div(ONE, Mul((Num(2.0), itself))),),
    domain=(0.0, None)))
