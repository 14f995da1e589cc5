"""Looks, checked by geometry: the legend of compared loss curves sits under the
plot (inside it, it covered the curves of descent-adam.toml), and a table cell
that is one number is not broken across lines on a phone (4.11376139e-6 broke
after its minus sign)."""
from __future__ import annotations

import re

from conftest import EXAMPLES

import stepbystep
from stepbystep.formats.plot import loss_curve_svg


def test_the_legend_is_below_every_curve() -> None:
    curve = [(step, 10.0 * 0.5**step) for step in range(1, 31)]
    other = [(step, 10.0 * 0.9**step) for step in range(1, 31)]
    svg = loss_curve_svg(curve, "t", label="adam", others=[("sgd", other)])
    height = float(re.search(r'viewBox="0 0 [\d.]+ ([\d.]+)"', svg).group(1))
    frame = re.search(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg)
    bottom = float(frame.group(1)) + float(frame.group(2))
    curve_ys = [float(y) for points in re.findall(r'<polyline[^>]*points="([^"]+)"', svg)
                for y in re.findall(r",([\d.]+)", points)]
    assert curve_ys and max(curve_ys) <= bottom + 0.1
    names = {m.group(2): float(m.group(1)) for m in re.finditer(r'<text x="[\d.]+" y="([\d.]+)"[^>]*>(adam|sgd)</text>', svg)}
    assert set(names) == {"adam", "sgd"}
    assert all(bottom < y <= height for y in names.values())


def test_a_number_cell_does_not_wrap_and_a_text_cell_may() -> None:
    page = stepbystep.load(EXAMPLES / "descent-adam.toml").html()
    assert '<td class="sbs-num">5.87135646e-11</td>' in page
    assert "td.sbs-num { white-space: nowrap; }" in page
    conv = stepbystep.load(EXAMPLES / "conv-4x4.toml").html()
    assert "<td>kernel c1, channel 1, row 1, column 1</td>" in conv
