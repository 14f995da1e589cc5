"""The loss curve as an SVG picture, drawn by our own code (no matplotlib).

The loss of a training run often falls by orders of magnitude, so the y axis
is logarithmic when the values span more than two decades (and are all
positive), linear otherwise. Long runs are thinned to at most `MAX_POINTS`
points, always keeping the first and last; the picture uses `currentColor`
so it follows the page's colours and still reads with no stylesheet.
"""
from __future__ import annotations

import math
from html import escape
from typing import Sequence

WIDTH, HEIGHT = 560, 320
LEFT, RIGHT, TOP, BOTTOM = 78, 20, 34, 48
MAX_POINTS = 600
LEGEND_ROW = 26   # below the axis label, so the legend never covers a curve


def thinned(points: Sequence[tuple[int, float]], limit: int = MAX_POINTS) -> list[tuple[int, float]]:
    """At most `limit` points, evenly spread, first and last kept."""
    if len(points) <= limit:
        return list(points)
    stride = (len(points) - 1) / (limit - 1)
    picked = sorted({round(index * stride) for index in range(limit)})
    return [points[index] for index in picked]


DASHES = ("6 4", "2 3", "10 3 2 3", "1 2", "8 2")   # one pattern per compared curve: tells them apart in print


def loss_curve_svg(points: Sequence[tuple[int, float]], title: str, x_label: str = "epoch",
                   y_label: str = "E_total", label: str = "",
                   others: Sequence[tuple[str, Sequence[tuple[int, float]]]] = ()) -> str:
    """A line chart of (x, loss) points with labelled axes and ticks; `others`,
    more labelled curves on the same axes (dashed, with a legend)."""
    points = thinned(points)
    others = [(name, thinned(curve)) for name, curve in others if curve]
    xs = [float(x) for x, _ in points]
    ys = [y for _, y in points]
    every = ys + [y for _, curve in others for _, y in curve]
    low, high = min(every), max(every)
    logarithmic = low > 0 and high / low > 100.0
    scale_y = (lambda y: math.log10(y)) if logarithmic else (lambda y: y)
    y0, y1 = scale_y(low), scale_y(high)
    if y1 - y0 <= 1e-12 * max(1.0, abs(y0)):
        # a flat curve: pad relative to its size (1e16 - 1.0 == 1e16 in floats)
        pad = max(1.0, abs(y0) * 0.1)
        y0, y1 = y0 - pad, y1 + pad
    x0, x1 = min(xs + [float(x) for _, curve in others for x, _ in curve]), max(xs)
    if x1 == x0:
        x0, x1 = x0 - 1.0, x1 + 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return TOP + (1.0 - (scale_y(y) - y0) / (y1 - y0)) * plot_h

    parts = [f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
             f'stroke="currentColor" stroke-opacity="0.5"/>']
    for value in _y_ticks(low, high, logarithmic):
        y = py(value)
        parts.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" '
                     f'stroke="currentColor" stroke-opacity="0.15"/>')
        parts.append(_text(LEFT - 8, y + 4, _tick_text(value), "end"))
    for value in _x_ticks(x0, x1):
        x = px(value)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP + plot_h}" x2="{x:.1f}" y2="{TOP + plot_h + 4}" stroke="currentColor"/>')
        parts.append(_text(x, TOP + plot_h + 18, f"{value:,.0f}", "middle"))
    line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
    parts.append(f'<polyline class="sbs-loss" points="{line}" fill="none" stroke="currentColor" stroke-width="1.8"/>')
    if len(points) <= 40:
        parts.extend(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5"/>' for x, y in zip(xs, ys))
    for index, (name, curve) in enumerate(others):
        line = " ".join(f"{px(float(x)):.1f},{py(y):.1f}" for x, y in curve)
        parts.append(f'<polyline class="sbs-loss-compared" points="{line}" fill="none" stroke="currentColor" '
                     f'stroke-width="1.4" stroke-dasharray="{DASHES[index % len(DASHES)]}"/>')
    height = HEIGHT + (LEGEND_ROW if others else 0)
    if others:
        parts.extend(_legend([(label or "this run", "")] + [(name, DASHES[index % len(DASHES)])
                                                            for index, (name, _) in enumerate(others)]))
    parts.append(_text(LEFT + plot_w / 2, HEIGHT - 10, x_label, "middle"))
    axis = y_label + (" (log scale)" if logarithmic else "")
    parts.append(f'<text x="16" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {TOP + plot_h / 2:.1f})">{escape(axis)}</text>')
    parts.append(_text(WIDTH / 2, 20, title, "middle"))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="sbs-plot" role="img" '
            f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="currentColor">'
            f"<title>{escape(title)}</title>{''.join(parts)}</svg>")


def _legend(entries: list[tuple[str, str]]) -> list[str]:
    """Each curve's pattern and its name in one row under the plot, centred
    (inside the plot it covered the curves it names)."""
    widths = [34 + 7 * len(name) + 20 for name, _ in entries]
    x = (WIDTH - sum(widths)) / 2
    y = HEIGHT + LEGEND_ROW / 2
    parts = []
    for (name, dashes), width in zip(entries, widths):
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        parts.append(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 28:.1f}" y2="{y - 4:.1f}" stroke="currentColor" '
                     f'stroke-width="1.6"{dash}/>')
        parts.append(_text(x + 34, y, name, "start"))
        x += width
    return parts


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def _tick_text(value: float) -> str:
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.4g}"
    return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e")


def _y_ticks(low: float, high: float, logarithmic: bool) -> list[float]:
    if logarithmic:
        first, last = math.ceil(math.log10(low)), math.floor(math.log10(high))
        step = max(1, (last - first) // 6 + 1)
        return [10.0 ** power for power in range(first, last + 1, step)]
    return _nice(low, high)


def _x_ticks(low: float, high: float) -> list[float]:
    return [value for value in _nice(low, high) if value == int(value)]


def _nice(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 × 10^k apart) inside [low, high]."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(factor * power for factor in (1.0, 2.0, 5.0, 10.0) if factor * power >= raw)
    start = math.ceil(low / step) * step
    # counted, not accumulated: a step below the values' float resolution
    # (a curve flat to 1e-16) never moved `value += step` and looped forever
    count_ticks = min(int(math.floor((high - start) / step + 1e-9)) + 1, 4 * count)
    return sorted({round(start + index * step, 12) for index in range(max(count_ticks, 0))}) or [low]
