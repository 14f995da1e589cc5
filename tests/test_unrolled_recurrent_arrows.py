"""The unrolled picture of an rnn layer shows that every unit at t - 1 feeds
every unit at t: rnn-3-steps.toml's recurrent matrix has w6 (h2 -> h1) and w7
(h1 -> h2), but only h1 -> h1 and h2 -> h2 were drawn."""
from __future__ import annotations

import re

from conftest import EXAMPLES

import stepbystep


def test_every_recurrent_weight_has_an_arrow() -> None:
    figure = next(figure for figure in stepbystep.load(EXAMPLES / "rnn-3-steps.toml").figures()
                  if figure.id == "unrolled")
    lines = re.findall(r"<line [^>]*>", figure.svg)
    horizontal = [line for line in lines if re.search(r'y1="([\d.]+)"[^>]*y2="\1"', line)]
    crossing = [line for line in lines if 'stroke-opacity="0.45"' in line]
    steps, units = 3, 2
    assert len(crossing) == steps * units * (units - 1)          # h1 -> h2 and h2 -> h1, from t = 0, 1, 2
    assert len([line for line in horizontal if line not in crossing]) == steps * units
