"""Values that are float rounding noise around 0, found so a document prints 0.

A softmax output layer with a shared bias has dE_total/db = Σ_k (out_k −
target_k) = 1 − 1 = 0, and float arithmetic gives 6.2e-17: a number no
reader should copy. The rule, for a computed value v:

    v is noise when 0 < |v| <= ULPS · 2^-52 · m,

where m is the size of what v is made of: |a| + |b| for a sum or a
difference, |a|·|b| for a product, m(a)/|b| for a quotient, the larger of
|v| and m(x) for a function of x, and for a named value its own m when it is
noise itself, else its size. Float rounding of inputs of size m leaves an
error of a few units of 2^-52·m, so such a v carries no digit of its own.
A genuinely small value is far above its own rounding error and is kept: a
product of small numbers (m is as small as the product), a sum of small
terms. Only values below CANDIDATE are examined (one that is noise and
larger would need terms above 10^8). The answer key keeps every computed
value; only the documents print 0, and say so.
"""
from __future__ import annotations

from typing import Mapping

from ..engine.expressions import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Ref, Sub
from ..engine.trace import Trace

ULPS = 16
EPSILON = 2.0 ** -52
CANDIDATE = 1e-6


def float_noise(trace: Trace) -> dict[str, float]:
    """Each noise value's name -> the rounding error it is below (ULPS·ε·m)."""
    if trace.graph.round_to is not None:
        return {}  # hand-rounded values are rounded to K decimals: no noise survives
    found: dict[str, float] = {}
    sizes: dict[str, float] = {}
    values = trace.graph.values
    nodes = trace.graph.nodes
    for name, value in values.items():  # in definition order: a value's inputs come first
        if value == 0.0 or not -CANDIDATE < value < CANDIDATE:
            continue
        expr = nodes[name].expr
        if expr is None:
            continue
        size = _size(expr, values, sizes)
        bound = ULPS * EPSILON * size
        if abs(value) <= bound:
            found[name] = bound
            sizes[name] = size
    return found


def _size(expr: Expr, values: Mapping[str, float], sizes: Mapping[str, float]) -> float:
    """m: how large the numbers an expression is made of are."""
    if isinstance(expr, Ref):
        return sizes.get(expr.name, abs(values[expr.name]))
    if isinstance(expr, Num):
        return abs(expr.value)
    if isinstance(expr, Add):
        return sum(_size(term, values, sizes) for term in expr.terms)
    if isinstance(expr, Sub):
        return _size(expr.left, values, sizes) + _size(expr.right, values, sizes)
    if isinstance(expr, Mul):
        product = 1.0
        for factor in expr.factors:
            product *= _size(factor, values, sizes)
        return product
    if isinstance(expr, Div):
        denominator = abs(expr.denominator.evaluate(values))
        return _size(expr.numerator, values, sizes) / denominator if denominator else float("inf")
    if isinstance(expr, Neg):
        return _size(expr.arg, values, sizes)
    if isinstance(expr, Pow):
        exponent = expr.exponent.evaluate(values)
        if exponent <= 0:
            return abs(expr.evaluate(values))
        try:
            return _size(expr.base, values, sizes) ** exponent
        except OverflowError:
            return float("inf")
    if isinstance(expr, Call):
        return max([abs(expr.evaluate(values))] + [_size(arg, values, sizes) for arg in expr.args])
    return abs(expr.evaluate(values))
