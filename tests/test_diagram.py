"""The network diagram: the right neurons, every weight on its connection,
the biases, Mazur's published updated weights, and labels that never overlap."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stepbystep
from stepbystep.formats.diagram import MAX_LABELLED_WEIGHTS, UNLABELLED_NOTE

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.toml"))
SVG = "{http://www.w3.org/2000/svg}"


def figures(walk: stepbystep.Walkthrough) -> dict:
    return {figure.id: figure for figure in walk.figures()}


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(svg).iter(f"{SVG}text")]


def mazur() -> stepbystep.Walkthrough:
    return stepbystep.load(EXAMPLES[0].parent / "mazur.toml")


def test_mazur_diagram_has_every_neuron_weight_and_bias() -> None:
    svg = figures(mazur())["network"].svg
    labels = texts(svg)
    for neuron in ("i1", "i2", "h1", "h2", "o1", "o2", "b1", "b2"):
        assert neuron in labels
    # the weights of the post, w1..w8 = 0.15 … 0.55, and its biases
    published = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    for number, weight in enumerate(published, start=1):
        assert f"w{number} = {weight:g}" in labels
    assert "b1 = 0.35" in labels and "b2 = 0.6" in labels
    assert len(ET.fromstring(svg).findall(f"{SVG}circle")) == 6
    # 8 weighted connections and 4 dashed bias connections
    lines = ET.fromstring(svg).findall(f"{SVG}line")
    assert len(lines) == 12
    assert sum(1 for line in lines if line.get("stroke-dasharray")) == 4


def test_updated_diagram_shows_the_published_new_weights() -> None:
    labels = texts(figures(mazur())["network-after"].svg)
    published = {"w1": "0.149780716", "w2": "0.19956143", "w3": "0.24975114", "w4": "0.29950229",
                 "w5": "0.35891648", "w6": "0.408666186", "w7": "0.51130127", "w8": "0.561370121"}
    shown = dict(label.split("⁺ = ") for label in labels if "⁺ = " in label)
    for name, value in published.items():
        decimals = len(value.split(".")[1])  # the post prints 8 or 9 decimals
        assert round(float(shown[name]), decimals) == float(value)
    # Mazur keeps the biases fixed: no ⁺ on them
    assert "b1 = 0.35" in labels


def test_per_neuron_biases_are_written_by_their_neurons() -> None:
    walk = stepbystep.load(EXAMPLES[0].parent / "tanh-sigmoid.toml")
    spec = walk.spec
    labels = texts(figures(walk)["network"].svg)
    hidden = spec.layers[1]
    for j, bias in enumerate(hidden.bias):
        assert f"b_{hidden.neuron(j)} = {bias:g}" in labels


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_example_gives_well_formed_non_overlapping_diagrams(example: Path) -> None:
    for figure in figures(stepbystep.load(example)).values():
        assert_labels_apart(figure.svg)


def assert_labels_apart(svg: str) -> None:
    root = ET.fromstring(svg)
    boxes = [tuple(float(rect.get(key)) for key in ("x", "y", "width", "height"))
             for rect in root.iter(f"{SVG}rect") if rect.get("class") == "sbs-label"]
    circles = [(float(c.get("cx")), float(c.get("cy")), float(c.get("r"))) for c in root.iter(f"{SVG}circle")]
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    for index, (x, y, w, h) in enumerate(boxes):
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
        for (x2, y2, w2, h2) in boxes[index + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "two labels overlap"
        for cx, cy, r in circles:
            nearest_x, nearest_y = min(max(cx, x), x + w), min(max(cy, y), y + h)
            assert (nearest_x - cx) ** 2 + (nearest_y - cy) ** 2 >= r * r, "a label covers a neuron"


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       shared=st.booleans(), data=st.data())
def test_random_networks_have_readable_diagrams(sizes: list[int], shared: bool, data: st.DataObject) -> None:
    layers = [{"name": "i", "size": sizes[0]}]
    for index, size in enumerate(sizes[1:], start=1):
        weights = [[data.draw(st.floats(-3, 3).map(lambda v: round(v, 6))) for _ in range(sizes[index - 1])]
                   for _ in range(size)]
        name = "o" if index == len(sizes) - 1 else f"h{index}"
        layers.append({"name": name, "activation": "sigmoid", "weights": weights,
                       "bias": 0.1 if shared else [0.1] * size})
    spec = {"learning_rate": 0.5, "loss": "half_sse", "layers": layers,
            "samples": [{"inputs": [0.5] * sizes[0], "targets": [0.5] * sizes[-1]}]}
    walk = stepbystep.from_dict(spec)
    found = figures(walk)
    assert set(found) == {"network", "network-after"}
    for figure in found.values():
        assert_labels_apart(figure.svg)
        names = set(texts(figure.svg))
        for l, layer in enumerate(walk.spec.layers):
            assert {layer.neuron(j) for j in range(layer.size)} <= names
        weight_labels = [text for text in names if re.match(r"^w\d+⁺? = ", text)]
        connections = sum(a * b for a, b in zip(sizes, sizes[1:]))
        if connections <= MAX_LABELLED_WEIGHTS:
            assert len(weight_labels) == connections
        else:  # too many to read: drawn unlabelled, the table has the weights
            assert not weight_labels and UNLABELLED_NOTE in names


def test_titles_in_the_svg_are_escaped() -> None:
    from dataclasses import replace

    from stepbystep.formats.diagram import network_svg

    drawing = mazur().figures()[0].figure.drawing
    svg = network_svg(replace(drawing, title="<script>x</script>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
