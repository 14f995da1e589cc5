"""The circuit picture: well-formed SVG, values above the wires and
gradients below, untrusted text escaped, and it reaches the documents."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from stepbystep import api
from stepbystep.document.figures import CircuitDrawing, Gate, gate_label
from stepbystep.engine.expr import parse_expression
from stepbystep.formats.circuit import GRADIENT_COLOUR, VALUE_COLOUR, circuit_svg

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SVG = "{http://www.w3.org/2000/svg}"


def circuit(walk: api.Walkthrough) -> str:
    (figure,) = [figure for figure in walk.figures() if figure.id == "circuit"]
    return figure.svg


def texts(svg: str, colour: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [node.text or "" for node in root.iter(f"{SVG}text") if node.get("fill") == colour]


def test_the_first_cs231n_circuit_shows_values_and_gradients() -> None:
    svg = circuit(api.load(EXAMPLES / "circuit-add-multiply.toml"))
    # x=-2, y=5, z=-4, q=3, f=-12 above; df/dx=-4, df/dy=-4, df/dz=3, df/dq=-4, df/df=1 below
    assert sorted(texts(svg, VALUE_COLOUR)) == sorted(["-2", "5", "-4", "3", "-12"])
    assert sorted(texts(svg, GRADIENT_COLOUR)) == sorted(["-4", "-4", "3", "-4", "1"])


def test_values_sit_above_their_gradients() -> None:
    root = ElementTree.fromstring(circuit(api.load(EXAMPLES / "circuit-max.toml")))
    values = [node for node in root.iter(f"{SVG}text") if node.get("fill") == VALUE_COLOUR]
    gradients = [node for node in root.iter(f"{SVG}text") if node.get("fill") == GRADIENT_COLOUR]
    assert len(values) == len(gradients) == 8
    for value, gradient in zip(values, gradients):
        assert value.get("x") == gradient.get("x") and float(value.get("y")) < float(gradient.get("y"))


def test_gate_labels() -> None:
    def label(text: str) -> str:
        return gate_label(parse_expression(text, ["x", "y"], set(), "t", "nodes.f"), text)

    assert [label(t) for t in ("x + y", "x * y", "2 * x", "x + 1", "1 / x", "-x", "exp(x)", "max(x, y)")] == \
        ["+", "×", "×2", "+1", "1/x", "×(−1)", "exp", "max"]
    assert label("2 * (x * y + max(x, y))") == "2 * (x * y + max(x, y))"


def test_untrusted_text_is_escaped() -> None:
    hostile = "<script>alert(1)</script>&"
    gates = (Gate("x", "x", (), 1.0, None, True), Gate("f", hostile, ("x",), 2.0, 1.0, False))
    svg = circuit_svg(CircuitDrawing(gates, "f", "gradient"))
    root = ElementTree.fromstring(svg)  # still well-formed
    assert "<script>" not in svg and hostile in [node.text for node in root.iter(f"{SVG}text")]


def test_forward_mode_draws_tangents() -> None:
    (figure,) = api.load(EXAMPLES / "circuit-add-multiply.toml", mode="forward", wrt="x").figures()
    # tangents d/dx: x 1, y 0, z 0, q 1, f z = -4
    assert sorted(texts(figure.svg, GRADIENT_COLOUR)) == sorted(["1", "0", "0", "1", "-4"])


def test_markdown_has_a_table_instead_and_networks_get_no_circuit() -> None:
    text = api.load(EXAMPLES / "circuit-add-multiply.toml").markdown()
    assert "| $q$ | 3 | -4 |" in text
    network = api.load(EXAMPLES / "mazur.toml")
    assert all(figure.id != "circuit" for figure in network.figures())


def test_html_page_holds_the_svg() -> None:
    page = api.load(EXAMPLES / "circuit-max.toml").html()
    assert page.count("<svg") >= 1 and 'class="sbs-circuit"' in page
