"""Mazur's 2-2-2 sigmoid network worked by hand for any numbers (a variant's),
written here independently of the program: the forward pass, the backward
pass, the updates and the loss after them, with an optional rounding `r`
applied to each named value as it is computed (a student with a calculator)
and an optional mistake. The tests compare the grader with these numbers."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Callable


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def work(data: dict[str, Any], r: Callable[[float], float] = lambda x: x, sign: float = -1.0) -> dict[str, float]:
    """Every value a sheet asks for, by SPEC §2's names (shared biases, not updated)."""
    hidden, output = data["layers"][1], data["layers"][2]
    (w1, w2), (w3, w4) = hidden["weights"]
    (w5, w6), (w7, w8) = output["weights"]
    b1, b2 = hidden["bias"], output["bias"]
    (i1, i2), (t1, t2) = data["samples"][0]["inputs"], data["samples"][0]["targets"]
    eta = data["learning_rate"]
    v: dict[str, float] = {}
    forward(v, "", (w1, w2, w3, w4, w5, w6, w7, w8), (b1, b2), (i1, i2), (t1, t2), r)
    h1, h2 = v["out_h1"], v["out_h2"]
    dE_o1 = v["dE_total/dout_o1"] = r(v["out_o1"] - t1)
    dE_o2 = v["dE_total/dout_o2"] = r(v["out_o2"] - t2)
    d_o1 = v["dout_o1/dnet_o1"] = r(v["out_o1"] * (1 - v["out_o1"]))
    d_o2 = v["dout_o2/dnet_o2"] = r(v["out_o2"] * (1 - v["out_o2"]))
    delta_o1 = v["dE_total/dnet_o1"] = r(dE_o1 * d_o1)
    delta_o2 = v["dE_total/dnet_o2"] = r(dE_o2 * d_o2)
    v["dE_total/dw5"] = r(dE_o1 * d_o1 * h1)
    v["dE_total/dw6"] = r(dE_o1 * d_o1 * h2)
    v["dE_total/dw7"] = r(dE_o2 * d_o2 * h1)
    v["dE_total/dw8"] = r(dE_o2 * d_o2 * h2)
    for number, weight in zip((5, 6, 7, 8), (w5, w6, w7, w8)):
        v[f"w{number}+"] = r(weight + sign * eta * v[f"dE_total/dw{number}"])
    v["dE_o1/dout_h1"] = r(delta_o1 * w5)
    v["dE_o2/dout_h1"] = r(delta_o2 * w7)
    dE_h1 = v["dE_total/dout_h1"] = r(v["dE_o1/dout_h1"] + v["dE_o2/dout_h1"])
    dE_h2 = r(r(delta_o1 * w6) + r(delta_o2 * w8))
    d_h1 = v["dout_h1/dnet_h1"] = r(h1 * (1 - h1))
    d_h2 = r(h2 * (1 - h2))
    v["dE_total/dw1"] = r(dE_h1 * d_h1 * i1)
    v["dE_total/dw2"] = r(dE_h1 * d_h1 * i2)
    v["dE_total/dw3"] = r(dE_h2 * d_h2 * i1)
    v["dE_total/dw4"] = r(dE_h2 * d_h2 * i2)
    for number, weight in zip((1, 2, 3, 4), (w1, w2, w3, w4)):
        v[f"w{number}+"] = r(weight + sign * eta * v[f"dE_total/dw{number}"])
    updated = tuple(v[f"w{number}+"] for number in range(1, 9))
    after: dict[str, float] = {}
    forward(after, "", updated, (b1, b2), (i1, i2), (t1, t2), r)  # type: ignore[arg-type]
    v.update({f"after1.{name}": value for name, value in after.items()})
    return v


def forward(v: dict[str, float], prefix: str, weights: tuple[float, ...], biases: tuple[float, float],
            inputs: tuple[float, float], targets: tuple[float, float], r: Callable[[float], float]) -> None:
    w1, w2, w3, w4, w5, w6, w7, w8 = weights
    (b1, b2), (i1, i2), (t1, t2) = biases, inputs, targets
    v["net_h1"] = r(w1 * i1 + w2 * i2 + b1)
    v["out_h1"] = r(sigmoid(v["net_h1"]))
    v["net_h2"] = r(w3 * i1 + w4 * i2 + b1)
    v["out_h2"] = r(sigmoid(v["net_h2"]))
    v["net_o1"] = r(w5 * v["out_h1"] + w6 * v["out_h2"] + b2)
    v["out_o1"] = r(sigmoid(v["net_o1"]))
    v["net_o2"] = r(w7 * v["out_h1"] + w8 * v["out_h2"] + b2)
    v["out_o2"] = r(sigmoid(v["net_o2"]))
    v["E_o1"] = r(0.5 * (t1 - v["out_o1"]) ** 2)
    v["E_o2"] = r(0.5 * (t2 - v["out_o2"]) ** 2)
    v["E_total"] = r(v["E_o1"] + v["E_o2"])


def rounded(value: float, decimals: int) -> Decimal:
    """The exact value correctly rounded (half to even) to `decimals`, as a decimal."""
    return Decimal(value).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN)


def within(given: str, value: float, decimals: int, units: float = 1.5) -> bool:
    """SPEC §5 under `decimals`: the correctly rounded value ±1 in the last
    digit, or more digits that round to one of those (|given − r| ≤ 1.5 units)."""
    return abs(Decimal(given) - rounded(value, decimals)) <= Decimal(str(units)) * Decimal(1).scaleb(-decimals)
