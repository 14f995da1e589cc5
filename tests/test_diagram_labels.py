"""The network picture of a bigger net (issue 13): on a 3-4-2 net each of the
20 weight labels sits on its own connection, apart from every other label
and neuron (boxes read back from the SVG); above MAX_LABELLED_WEIGHTS the
connections are unlabelled and the picture stays narrow; and on a 390 px
phone the page does not scroll sideways: the picture shrinks to fit
(headless Chromium measures the laid-out page)."""
from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import stepbystep
from conftest import EXAMPLES, MAZUR_TOML
from stepbystep.formats.diagram import MAX_LABELLED_WEIGHTS, UNLABELLED_NOTE
from stepbystep.formats.figures import svg
from test_diagram import assert_labels_apart

SVG = "{http://www.w3.org/2000/svg}"


def net(sizes: list[int], seed: int = 3) -> stepbystep.Walkthrough:
    rng = random.Random(seed)
    layers: list[dict[str, Any]] = [{"name": "i", "size": sizes[0]}]
    for k, size in enumerate(sizes[1:], start=1):
        layers.append({"name": "o" if k == len(sizes) - 1 else "h", "activation": "sigmoid", "bias": 0.1,
                       "weights": [[round(rng.uniform(-1, 1), 2) for _ in range(sizes[k - 1])] for _ in range(size)]})
    return stepbystep.from_dict({"learning_rate": 0.5, "loss": "half_sse", "layers": layers,
                                 "samples": [{"inputs": [0.5] * sizes[0], "targets": [0.2] * sizes[-1]}]})


def network_svg(walk: stepbystep.Walkthrough) -> str:
    return svg(walk.document().figures()[0].drawing)


def distance_to_segment(x: float, y: float, line: ET.Element) -> float:
    x1, y1, x2, y2 = (float(line.get(key)) for key in ("x1", "y1", "x2", "y2"))
    dx, dy = x2 - x1, y2 - y1
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return float(((x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2) ** 0.5)


def test_3_4_2_labels_sit_on_their_own_connection_apart_from_each_other() -> None:
    walk = net([3, 4, 2])
    picture = network_svg(walk)
    assert_labels_apart(picture)
    root = ET.fromstring(picture)
    edges = [line for line in root.iter(f"{SVG}line") if line.get("class") == "sbs-edge"]   # w1 … w20 in order
    texts = [text for text in root.iter(f"{SVG}text") if text.get("class") == "sbs-weight"]
    assert len(edges) == len(texts) == 20
    values = {f"w{n}": value for n, value in enumerate(
        (w for layer in walk.spec.layers[1:] for row in layer.weights for w in row), start=1)}
    for text in texts:
        name, shown = text.text.split(" = ")
        assert float(shown) == values[name]                       # the label says its own weight
        number = int(name[1:])
        x, y = float(text.get("x")), float(text.get("y")) - 4     # the label's centre
        own = distance_to_segment(x, y, edges[number - 1])
        assert own < 1.0, (name, own)                             # on its own connection


def test_big_nets_are_drawn_unlabelled_and_narrow() -> None:
    walk = net([8, 10, 8])
    assert sum(len(row) for layer in walk.spec.layers[1:] for row in layer.weights) > MAX_LABELLED_WEIGHTS
    picture = network_svg(walk)
    assert "sbs-weight" not in picture and UNLABELLED_NOTE in picture
    width = float(ET.fromstring(picture).get("viewBox").split()[2])
    assert width < 520
    names = {text.text for text in ET.fromstring(picture).iter(f"{SVG}text")}
    assert {f"h{j}" for j in range(1, 11)} <= names                # every neuron is still named


def test_small_nets_keep_their_labels() -> None:
    picture = network_svg(stepbystep.load(MAZUR_TOML))
    assert picture.count('class="sbs-weight"') == 8 and UNLABELLED_NOTE not in picture


def test_matrix_loss_line_is_one_equation_per_label() -> None:
    """Each displayed equation of the matrix form has one label: a line holding
    two (`E = […], E^step = v`) wrapped on a phone with a value under the wrong one."""
    text = stepbystep.load(EXAMPLES / "batch-mean.toml").markdown(notation="matrix")
    displays = re.findall(r"\$\$(.+?)\$\$", text, re.S)
    assert displays and not any("\\qquad" in display for display in displays)
    assert re.search(r"\$\$E_\{(\\mathrm\{)?total\}?\}\^\{\\text\{step\}\} = 0\.265677633\$\$", text)
    assert abs((0.298371109 + 0.232984158) / 2 - 0.265677633) < 1e-9     # reduction = "mean", by hand


# Headless Chromium will not make its window narrower than 500 px, so the page
# is shown in a 390 px frame (the phone) and reports what it measured to the
# outer page, whose DOM Chromium prints.
PROBE = """<script>
window.addEventListener('load', function () {
  var right = 0;
  document.querySelectorAll('svg').forEach(function (s) { right = Math.max(right, s.getBoundingClientRect().right); });
  parent.postMessage([document.documentElement.scrollWidth, window.innerWidth, right].join(' '), '*');
});
</script>"""
PHONE = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="page.html" style="width:390px;height:844px;border:0"></iframe>
<script>window.addEventListener('message', function (e) { document.body.setAttribute('data-measured', e.data); });</script>
</body></html>"""


def measured_on_a_phone(html: str, probe: str, tmp_path: Path) -> list[float]:
    """The numbers a page's probe script posts, the page shown in a 390 px
    frame in headless Chromium (skipped without it)."""
    from test_browser import CHROMIUM

    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    import subprocess

    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)  # let the probe run
    (tmp_path / "page.html").write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    (tmp_path / "phone.html").write_text(PHONE, encoding="utf-8")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--allow-file-access-from-files", f"--user-data-dir={tmp_path / 'profile'}",
               "--virtual-time-budget=5000", "--dump-dom", (tmp_path / "phone.html").as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=90).stdout
    found = re.search(r'data-measured="([\d. ]+)"', dom)
    assert found, dom[-500:]
    return [float(value) for value in found.group(1).split()]


@pytest.mark.browser
@pytest.mark.parametrize("which", ["mazur", "3-4-2", "matrix"])
def test_no_sideways_scrolling_on_a_phone(which: str, tmp_path: Path) -> None:
    if which == "matrix":
        html = stepbystep.load(EXAMPLES / "batch-mean.toml").html(notation="matrix")
    else:
        html = (stepbystep.load(MAZUR_TOML) if which == "mazur" else net([3, 4, 2])).html()
    scroll_width, viewport, svg_right = measured_on_a_phone(html, PROBE, tmp_path)
    assert viewport == 390                                          # the phone's width
    assert scroll_width <= viewport                                 # nothing scrolls sideways
    assert svg_right <= viewport and (svg_right > 0 or which == "matrix")  # the picture shrank to fit


GRID_PROBE = """<script>
window.addEventListener('load', function () {
  var smallest = 99, right = 0;
  document.querySelectorAll('.sbs-grids-flow svg').forEach(function (s) {
    var box = s.getBoundingClientRect();
    smallest = Math.min(smallest, box.width / s.viewBox.baseVal.width);
    right = Math.max(right, box.right);
  });
  parent.postMessage([document.documentElement.scrollWidth, window.innerWidth, right, smallest].join(' '), '*');
});
</script>"""


@pytest.mark.browser
def test_convolution_grids_wrap_at_full_size_on_a_phone(tmp_path: Path) -> None:
    """image ⋆ kernel = output is one row on a desktop; on a 390 px phone each
    grid keeps its size (its digits readable) and the row wraps, instead of the
    whole row shrinking to a third."""
    html = stepbystep.load(EXAMPLES / "conv-edge-5x5.toml").html()
    assert html.count('class="sbs-grids-flow"') >= 2
    scroll_width, viewport, right, smallest = measured_on_a_phone(html, GRID_PROBE, tmp_path)
    assert viewport == 390 and scroll_width <= viewport and right <= viewport
    assert smallest >= 0.99          # no grid shrank: a 5x5 image is 258 px wide, it fits a phone as it is
