"""A computation graph drawn as a circuit (SVG), in the manner of the CS231n
notes: gates left to right, each value above its wire and its gradient below.

Plain SVG written here (no graphviz): columns by depth (an input is at depth
0, a node one deeper than its deepest argument), rows ordered by where the
arguments sit, straight wires. All text from the spec is escaped.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from ..engine.autodiff import tangent_name
from ..engine.graph import Add, Call, Div, Expr, Graph, Mul, Neg, Num, Pow, Ref, Sub
from ..numbers import format_number

if TYPE_CHECKING:  # the renderer imports this module, never the reverse at run time
    from ..document.context import Figure, Formatter
    from ..engine.trace import Trace

ROW, MARGIN, STUB, GAP = 78, 20, 64, 34  # pixels: row pitch, border, labelled wire, bare wire
VALUE_COLOUR, GRADIENT_COLOUR = "#1a7f37", "#c62828"
DIGITS = 4  # decimals in the picture; the text keeps the full precision
_SYMBOLS = {Add: "+", Sub: "−", Mul: "×", Div: "÷", Pow: "^"}


@dataclass(frozen=True)
class Placed:
    name: str
    x: float        # left edge of the gate (or of the input's label)
    y: float        # centre line
    width: float
    label: str      # what the gate does: "+", "×", "max", "1/x", or the expression
    is_input: bool

    @property
    def out_x(self) -> float:
        return self.x + self.width


def gate_label(expr: Expr, source: str) -> str:
    """A short gate label: the operation, with a constant argument written
    in (`×2`, `+1`, `1/x`); a compound expression shows its own text."""
    if isinstance(expr, Call) and all(isinstance(arg, (Ref, Num)) for arg in expr.args):
        return expr.function
    if isinstance(expr, Neg) and isinstance(expr.arg, Ref):
        return "×(−1)"
    if isinstance(expr, Div) and isinstance(expr.numerator, Num) and isinstance(expr.denominator, Ref):
        top = format_number(expr.numerator.value)
        return f"{top}/x"
    parts: tuple[Expr, ...] = ()
    if isinstance(expr, (Add, Mul)):
        parts = expr.terms if isinstance(expr, Add) else expr.factors
    elif isinstance(expr, (Sub, Div, Pow)):
        parts = tuple(vars(expr).values())
    if parts and all(isinstance(part, (Ref, Num)) for part in parts):
        symbol = _SYMBOLS[type(expr)]
        constants = [format_number(part.value) for part in parts if isinstance(part, Num)]
        return symbol + "".join(constants) if len(constants) == 1 else symbol
    return source if len(source) <= 24 else source[:23] + "…"


def layout(graph: Graph, labels: dict[str, str]) -> dict[str, Placed]:
    depth: dict[str, int] = {}
    for name, node in graph.nodes.items():
        depth[name] = 0 if node.expr is None else 1 + max((depth[i] for i in node.inputs), default=0)
    columns: dict[int, list[str]] = {}
    for name in graph.nodes:
        columns.setdefault(depth[name], []).append(name)
    row_of: dict[str, float] = {}
    for column in sorted(columns):
        names = columns[column]
        if column:  # barycentre of the arguments keeps the wires short and uncrossed
            names.sort(key=lambda n: sum(row_of[i] for i in graph.nodes[n].inputs) / max(1, len(graph.nodes[n].inputs)))
        for row, name in enumerate(names):
            row_of[name] = float(row)
    tallest = max(len(names) for names in columns.values())
    widths = {name: 0.0 if graph.nodes[name].expr is None else max(40.0, 8.0 * len(labels[name]) + 18)
              for name in graph.nodes}
    left = MARGIN + 8.0 * max((len(name) for name in columns.get(0, [])), default=0)  # room for the input names
    placed = {}
    for column in sorted(columns):
        names = columns[column]
        offset = (tallest - len(names)) * ROW / 2
        for name in names:
            y = MARGIN + 44 + offset + row_of[name] * ROW
            placed[name] = Placed(name, left, y, widths[name], labels[name], graph.nodes[name].expr is None)
        left += max(widths[name] for name in names) + STUB + GAP
    return placed


def circuit_svg(graph: Graph, labels: dict[str, str], gradients: dict[str, float | None], output: str,
                below: str = "gradient") -> str:
    """The SVG text; `gradients[name]` is the number printed below name's
    wire (its gradient, or its tangent in forward mode; None: nothing)."""
    placed = layout(graph, labels)
    values = graph.values
    width = max(p.out_x for p in placed.values()) + STUB + MARGIN
    height = max(p.y for p in placed.values()) + MARGIN + 30
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sbs-circuit" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="sans-serif" font-size="13" role="img" '
        f'aria-label="the computation graph as a circuit">',
        f'<text x="{MARGIN}" y="16" font-size="11" fill="#555">values above the wires '
        f'(<tspan fill="{VALUE_COLOUR}">green</tspan>), {below}s below '
        f'(<tspan fill="{GRADIENT_COLOUR}">red</tspan>)</text>',
    ]
    for name, node in graph.nodes.items():
        target = placed[name]
        for index, argument in enumerate(node.inputs):
            source = placed[argument]
            spread = (index - (len(node.inputs) - 1) / 2) * 12
            out.append(f'<line x1="{source.out_x + STUB:.1f}" y1="{source.y:.1f}" x2="{target.x:.1f}" '
                       f'y2="{target.y + spread:.1f}" stroke="#333" stroke-width="1.2"/>')
    for name, p in placed.items():
        stub_end = p.out_x + STUB
        out.append(f'<line x1="{p.out_x:.1f}" y1="{p.y:.1f}" x2="{stub_end:.1f}" y2="{p.y:.1f}" stroke="#333" stroke-width="1.2"/>')
        middle = p.out_x + STUB / 2
        out.append(f'<text x="{middle:.1f}" y="{p.y - 6:.1f}" text-anchor="middle" fill="{VALUE_COLOUR}">'
                   f'{escape(format_number(values[name], DIGITS))}</text>')
        gradient = gradients.get(name)
        if gradient is not None:
            out.append(f'<text x="{middle:.1f}" y="{p.y + 17:.1f}" text-anchor="middle" fill="{GRADIENT_COLOUR}">'
                       f'{escape(format_number(gradient, DIGITS))}</text>')
        if p.is_input:
            out.append(f'<text x="{p.x - 4:.1f}" y="{p.y + 4:.1f}" text-anchor="end" font-weight="bold">{escape(name)}</text>')
            continue
        stroke = "#1f4e9c" if name == output else "#333"
        out.append(f'<rect x="{p.x:.1f}" y="{p.y - 16:.1f}" width="{p.width:.1f}" height="32" rx="14" '
                   f'fill="#fff" stroke="{stroke}" stroke-width="{2.2 if name == output else 1.4}"/>')
        out.append(f'<text x="{p.x + p.width / 2:.1f}" y="{p.y + 5:.1f}" text-anchor="middle">{escape(p.label)}</text>')
        out.append(f'<text x="{p.x + p.width / 2:.1f}" y="{p.y - 21:.1f}" text-anchor="middle" font-size="11" '
                   f'font-weight="bold" fill="#444">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def circuit_figures(trace: "Trace", formatter: "Formatter") -> list["Figure"]:
    """The circuit of a graph trace (nothing for a network trace)."""
    from ..document.context import Figure

    facts = trace.facts
    if facts.get("kind") != "graph":
        return []
    graph, output = trace.graph, facts["output"]
    sources = dict(facts["spec"].nodes)
    keep = [name for name in graph.nodes if name in facts["inputs"] or name in sources]
    forward_graph = Graph()
    for name in keep:  # only the forward values: the derivative nodes are not gates
        node = graph.nodes[name]
        forward_graph.nodes[name] = node
        forward_graph.values[name] = node.value
    labels = {name: name if graph.nodes[name].expr is None else gate_label(graph.nodes[name].expr, sources[name])
              for name in keep}
    if facts["mode"] == "forward":
        wrt = facts["wrt"]
        below, gradients = "tangent", {name: tangent_name(name, wrt) for name in keep}
        caption = f"The circuit: each value above its wire, its derivative with respect to {wrt} below"
    else:
        below, gradients = "gradient", {name: f"d{output}/d{name}" for name in keep}
        caption = f"The circuit: each value above its wire, the gradient of {output} below"
    values = graph.values
    svg = circuit_svg(forward_graph, labels, {name: values.get(gradients[name]) for name in keep}, output, below)
    return [Figure("circuit", caption, svg, _fallback(trace, keep, gradients, formatter, below), "start")]


def _fallback(trace: "Trace", keep: list[str], gradients: dict[str, str], formatter: "Formatter", below: str) -> str:
    """In Markdown the picture becomes a table of the same numbers."""
    values = trace.graph.values
    lines = [f"The circuit's values and {below}s:", "", f"| value | | {below} |", "|---|---|---|"]
    for name in keep:
        gradient = gradients[name]
        shown = formatter.text(values[gradient]) if gradient in values else "—"
        lines.append(f"| ${formatter.symbol(name)}$ | {formatter.text(values[name])} | {shown} |")
    return "\n".join(lines)
