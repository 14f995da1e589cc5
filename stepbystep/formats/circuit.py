"""A computation graph drawn as a circuit (SVG), in the manner of the CS231n
notes: gates left to right, each value above its wire and its gradient below.

Plain SVG written here (no graphviz) from the circuit's data
(document/figures.py): columns by depth (an input is at depth 0, a node one
deeper than its deepest argument), rows ordered by where the arguments sit,
straight wires. All text from the spec is escaped.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ..document.figures import CircuitDrawing, Gate
from ..numbers import format_number

ROW, MARGIN, STUB, GAP = 78, 20, 64, 34  # pixels: row pitch, border, labelled wire, bare wire
VALUE_COLOUR, GRADIENT_COLOUR = "#1a7f37", "#c62828"
DIGITS = 4  # decimals in the picture; the text keeps the full precision


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


def layout(gates: tuple[Gate, ...]) -> dict[str, Placed]:
    by_name = {gate.name: gate for gate in gates}
    depth: dict[str, int] = {}
    for gate in gates:
        depth[gate.name] = 0 if gate.is_input else 1 + max((depth[i] for i in gate.inputs), default=0)
    columns: dict[int, list[str]] = {}
    for gate in gates:
        columns.setdefault(depth[gate.name], []).append(gate.name)
    row_of: dict[str, float] = {}
    for column in sorted(columns):
        names = columns[column]
        if column:  # barycentre of the arguments keeps the wires short and uncrossed
            names.sort(key=lambda n: sum(row_of[i] for i in by_name[n].inputs) / max(1, len(by_name[n].inputs)))
        for row, name in enumerate(names):
            row_of[name] = float(row)
    tallest = max(len(names) for names in columns.values())
    widths = {gate.name: 0.0 if gate.is_input else max(40.0, 8.0 * len(gate.label) + 18) for gate in gates}
    left = MARGIN + 8.0 * max((len(name) for name in columns.get(0, [])), default=0)  # room for the input names
    placed = {}
    for column in sorted(columns):
        names = columns[column]
        offset = (tallest - len(names)) * ROW / 2
        for name in names:
            y = MARGIN + 44 + offset + row_of[name] * ROW
            placed[name] = Placed(name, left, y, widths[name], by_name[name].label, by_name[name].is_input)
        left += max(widths[name] for name in names) + STUB + GAP
    return placed


def circuit_svg(drawing: CircuitDrawing) -> str:
    """The SVG text: each gate's value above its wire, below it the number
    `below` names (its gradient, or its tangent in forward mode)."""
    placed = layout(drawing.gates)
    output, below = drawing.output, drawing.below
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
    for gate in drawing.gates:
        target = placed[gate.name]
        for index, argument in enumerate(gate.inputs):
            source = placed[argument]
            spread = (index - (len(gate.inputs) - 1) / 2) * 12
            out.append(f'<line x1="{source.out_x + STUB:.1f}" y1="{source.y:.1f}" x2="{target.x:.1f}" '
                       f'y2="{target.y + spread:.1f}" stroke="#333" stroke-width="1.2"/>')
    gates = {gate.name: gate for gate in drawing.gates}
    for name, p in placed.items():
        gate = gates[name]
        stub_end = p.out_x + STUB
        out.append(f'<line x1="{p.out_x:.1f}" y1="{p.y:.1f}" x2="{stub_end:.1f}" y2="{p.y:.1f}" stroke="#333" stroke-width="1.2"/>')
        middle = p.out_x + STUB / 2
        out.append(f'<text x="{middle:.1f}" y="{p.y - 6:.1f}" text-anchor="middle" fill="{VALUE_COLOUR}">'
                   f'{escape(format_number(gate.value, DIGITS))}</text>')
        gradient = gate.below
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
