"""The walkthrough of a computation graph as a document tree (SPEC §2): the
inputs, the forward pass, then the backward pass node by node (or the
forward-mode tangents), the gradients, and optionally a gradient check."""
from __future__ import annotations

from ..engine.facts import GraphFacts
from ..engine.expressions import Call, Expr, Num
from ..engine.graph import GraphError
from ..engine.ops import ACTIVATIONS, FUNCTIONS
from ..engine.trace import Section as TraceSection
from ..engine.trace import Step, Trace
from .blocks import Bullets, Figure, Item, Strong, Table
from .figures import circuit_drawing
from .formatter import Formatter
from .outline import Outline, paragraph, prose, rounding_clause, user_text
from .summary import SATURATED
from .symbols import reads_as_constant

MODES = (
    "Both modes give the same derivatives; they differ in what one pass gives you. One backward pass (reverse mode)\n"
    "gives the gradient of one output with respect to every input at once, for about the cost of the forward pass.\n"
    "One forward-mode pass gives the derivative of every node, every output included, with respect to one input.\n"
    "So reverse mode is cheaper with many inputs and few outputs, as when training a network: one loss, many weights.\n"
    "Forward mode is cheaper with few inputs and many outputs. This graph has {count}\n"
    "input{s} and one output: reverse mode needs one backward pass, forward mode\n"
    "{count} pass{es}.")


def graph_blocks(outline: Outline, trace: Trace, formatter: Formatter) -> None:
    facts = trace.facts
    assert isinstance(facts, GraphFacts)
    rounding = rounding_clause(facts.round_to)
    outline.add(paragraph(
        "This is a step-by-step worked example of backpropagation on a computation graph. Every number is shown\n"
        "as a formula, then with the numbers put in, then as its value. Values are printed to "
        f"{formatter.precision}\ndecimals; {rounding}."))
    outline.section("Conventions", 2)
    outline.add(Bullets(tuple(Item(prose(line)) for line in _conventions(facts, formatter))))
    warnings = saturation_warnings(trace, facts, formatter)
    if warnings:
        outline.section("Warnings", 2)
        outline.add(Bullets(tuple(Item((Strong("Warning."),) + prose(" " + warning)) for warning in warnings)))
    outline.add(_circuit(trace, facts, formatter))
    writer = _GraphWriter(outline, trace, facts, formatter)
    for section in trace.sections:
        writer.section(section)
    _closing(outline, trace, facts, formatter)


def saturation_warnings(trace: Trace, facts: GraphFacts, formatter: Formatter) -> list[str]:
    """A saturating function (sigmoid, tanh: as the networks' activations) whose
    slope at its argument is below SATURATED: the same warning a network gets."""
    values = trace.graph.values
    found: list[str] = []
    for node in facts.nodes:
        expr = trace.graph.nodes[node].expr
        for call in _calls(expr) if expr is not None else ():
            activation = ACTIVATIONS.get(call.function) if call.function in ACTIVATIONS else None
            if activation is None or not activation.saturates or len(call.args) != 1:
                continue
            try:
                outcome = call.evaluate(values)
                slope = call.record.derivative(call, Num(outcome))[0].evaluate(values)
            except (GraphError, ArithmeticError, ValueError, KeyError):
                continue
            if abs(slope) < SATURATED:
                found.append(f"Saturation: in `{node}`, the slope of {call.function} at its argument $"
                             f"{formatter.number(call.args[0].evaluate(values))}$ is ${formatter.number(slope)}$, below "
                             f"{SATURATED:g}, so almost no gradient flows back through it (a vanishing gradient).")
                if len(found) >= 5:
                    return found + ["Further saturated functions are not listed."]
    return found


def _calls(expr: Expr) -> list[Call]:
    """Every call inside an expression, outermost first."""
    found, stack = [], [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, Call):
            found.append(item)
        for part in getattr(item, "__dataclass_fields__", {}):
            value = getattr(item, part)
            stack.extend(entry for entry in (value if isinstance(value, tuple) else (value,)) if isinstance(entry, Expr))
    return found


def _conventions(facts: GraphFacts, formatter: Formatter) -> list[str]:
    symbol, out, count = formatter.symbol, facts.output, len(facts.inputs)
    lines = [
        f"The graph computes ${symbol(out)}$ from {count} input{'s' if count != 1 else ''}.\nA node may use only the "
        "inputs and the nodes defined before it, so the nodes are computed in the order they are written.",
        f"${symbol(f'd{out}/dx')}$ is the gradient of the output with respect to a value $x$: how much ${symbol(out)}$\n"
        f"changes per unit change of $x$. ${symbol('dq/dx')}$ for a node $q$ and one of its arguments $x$ is a local\n"
        "gradient: how much $q$ itself changes with $x$, the other arguments held fixed.",
        "A node written as one compound expression is one step. Its local gradient is the partial derivative of the\n"
        "whole expression; split the expression into several nodes to see each gate on its own."]
    used = facts.functions
    if "max" in used or "min" in used:
        both = ", $\\min$ likewise" if "max" in used and "min" in used else ""
        first = "$\\max$" if "max" in used else "$\\min$"
        lines.append(f"{first} sends the whole gradient to the argument it selected{both}; on a tie the "
                     f"{facts.tie_rule}\nof the tied arguments gets it.")
    lines.extend(record.note for record in FUNCTIONS if record.name in used and record.note)  # kinks: relu, abs
    apart = [name for name in facts.inputs + facts.nodes if reads_as_constant(name)]
    if apart:
        shown = ", ".join(f"${symbol(name)}$" for name in apart)
        lines.append(f"{shown} {'is a value' if len(apart) == 1 else 'are values'} of this graph, set upright so as "
                     "not to be read as Euler's number (which appears only as $e^{x}$, the exponential).")
    if facts.round_to is not None:
        lines.append(f"Hand-calculation mode: every value is rounded to {facts.round_to} decimals as soon as it is "
                     "computed, and the\nrounded value is used from then on, as with a calculator.")
    return lines


def _circuit(trace: Trace, facts: GraphFacts, formatter: Formatter) -> Figure:
    """The circuit; where a format draws no pictures, a table of the same numbers."""
    drawing = circuit_drawing(trace)
    below = drawing.below
    title = (f"The circuit: each value above its wire, its derivative with respect to {facts.wrt} below"
             if below == "tangent" else f"The circuit: each value above its wire, the gradient of {facts.output} below")
    rows = tuple((prose(f"${formatter.symbol(gate.name)}$"), prose(formatter.text(gate.value)),
                  prose("—" if gate.below is None else formatter.text(gate.below))) for gate in drawing.gates)
    fallback = (paragraph(f"The circuit's values and {below}s:"),
                Table((prose("value"), (), prose(below)), rows))
    return Figure("circuit", title, drawing, fallback)


class _GraphWriter:
    def __init__(self, outline: Outline, trace: Trace, facts: GraphFacts, formatter: Formatter) -> None:
        self.outline = outline
        self.trace = trace
        self.facts = facts
        self.formatter = formatter
        self.forward = next(section for section in trace.sections if section.kind == "graph_forward")

    def section(self, section: TraceSection) -> None:
        kind, symbol = section.kind, self.formatter.symbol
        title = f"At ${symbol(section.context['node'])}$" if kind.endswith("_node") else section.title
        self.outline.section(title, section.level)
        getattr(self, kind)(section)

    def equations(self, section: TraceSection) -> None:
        for step in section.steps:
            if step.kind != "given":
                self.outline.add(*self.formatter.blocks(step))

    def node_equation(self, name: str) -> str:
        step = next(step for step in self.forward.steps if step.name == name)
        equation = self.formatter.equation(step)
        return f"{equation.symbol} = {equation.formula}"

    def graph_inputs(self, section: TraceSection) -> None:
        formatter = self.formatter
        self.outline.add(Table((prose("input"), prose("value")),
                               tuple((prose(f"${formatter.symbol(step.name)}$"), prose(formatter.text(step.value)))
                                     for step in section.steps)))

    def graph_forward(self, section: TraceSection) -> None:
        out = self.facts.output
        self.outline.add(paragraph("We compute each node from the values it uses, in order."))
        self.equations(section)
        self.outline.add(paragraph(f"The output is ${self.formatter.symbol(out)} = {self.formatter.value(out)}$."))

    def graph_backward(self, section: TraceSection) -> None:
        self.outline.add(paragraph(
            "Now we go backwards, from the output to the inputs, and find how much the output changes with each value.\n"
            "At every node the chain rule takes one step: the node's **local gradient** (how much the node changes "
            "with an\nargument) times the **upstream gradient** (how much the output changes with the node) is the "
            "argument's\n**gradient**. We start at the output, which changes one for one with itself:"))
        self.equations(section)
        self.outline.add(paragraph(
            "We then take the nodes in the reverse of the order they were computed. A value is finished once every node\n"
            "that uses it has been passed; where a value is used by several nodes, its gradient is the sum over them."))

    def graph_backward_node(self, section: TraceSection) -> None:
        node, out, symbol = section.context["node"], self.facts.output, self.formatter.symbol
        if section.context["output"]:
            self.outline.add(paragraph(f"${self.node_equation(node)}$ is the output."))
        else:
            gradient = f"d{out}/d{node}"
            self.outline.add(paragraph(f"${self.node_equation(node)}$, and we already know its gradient "
                                       f"${symbol(gradient)} = {self.formatter.value(gradient)}$."))
        computed = [step for step in section.steps if step.kind != "given"]
        locals_ = sum(1 for step in computed if step.kind == "local")
        first_local = True
        for step in computed:
            sentence = self._backward_sentence(step, node, locals_, first_local)
            first_local = first_local and step.kind != "local"
            if sentence:
                self.outline.add(paragraph(sentence))
            self.outline.add(*self.formatter.blocks(step))

    def _backward_sentence(self, step: Step, node: str, locals_: int, first_local: bool) -> str:
        s, out, symbol = step.context, self.facts.output, self.formatter.symbol
        if step.kind == "local":
            return f"The local gradient{'s' if locals_ > 1 else ''} of ${symbol(node)}$:" if first_local else ""
        argument = symbol(s["argument"])
        if s["direct"]:
            return (f"The output's local gradient with respect to ${argument}$ is already its gradient (times\n"
                    f"${symbol(f'd{out}/d{out}')} = 1$), because ${argument}$ is used by nothing else:")
        if s["terms"] == 1:
            return f"${argument}$ is used only here. Local gradient times upstream gradient:"
        via = ("" if not s["via_output"] else
               f". The output uses ${argument}$ directly as well, so the first term is the output's own local gradient\n"
               f"(times ${symbol(f'd{out}/d{out}')} = 1$). It is written out, because its name belongs to the gradient")
        return (f"This was the last node that uses ${argument}$. It is used by {s['terms']} nodes, so its gradient is\n"
                f"the sum of {s['terms']} paths, each a local gradient times an upstream gradient{via}:")

    def graph_backward_unused(self, section: TraceSection) -> None:
        self.outline.add(paragraph(f"${self.formatter.symbol(self.facts.output)}$ is not computed from these inputs, "
                                   "so a change in them does not change it: their gradients are 0."))
        self.equations(section)

    def graph_tangents(self, section: TraceSection) -> None:
        symbol, wrt = self.formatter.symbol, self.facts.wrt
        self.outline.add(paragraph(
            f"Forward mode carries, beside every value, its derivative with respect to one input, here ${symbol(wrt)}$.\n"
            "Think of each value as a dual number $v + \\dot{v}\\,\\varepsilon$ with $\\varepsilon^2 = 0$: the part "
            f"$\\dot{{v}}$ (the\ntangent) is ${symbol(f'dv/d{wrt}')}$. The tangent of ${symbol(wrt)}$ is 1 and the "
            "tangent of every\nother input is 0:"))
        self.equations(section)
        self.outline.add(paragraph(
            "Then each node, in the forward order: its tangent is the sum over its arguments of local gradient times the\n"
            "argument's tangent. Arguments with tangent 0 drop out."))

    def graph_tangents_node(self, section: TraceSection) -> None:
        node, symbol = section.context["node"], self.formatter.symbol
        self.outline.add(paragraph(f"${self.node_equation(node)}$"))
        computed = [step for step in section.steps if step.kind != "given"]
        locals_ = sum(1 for step in computed if step.kind == "local")
        first_local = True
        for step in computed:
            if step.kind == "tangent":
                sentence = (f"${symbol(node)}$ does not depend on ${symbol(str(self.facts.wrt))}$:"
                            if step.context["terms"] == 0 else "The tangent:")
            else:
                sentence = f"The local gradient{'s' if locals_ > 1 else ''} we need:" if first_local else ""
                first_local = False
            if sentence:
                self.outline.add(paragraph(sentence))
            self.outline.add(*self.formatter.blocks(step))


def _closing(outline: Outline, trace: Trace, facts: GraphFacts, formatter: Formatter) -> None:
    symbol, out, count = formatter.symbol, facts.output, len(facts.inputs)
    values = trace.graph.values
    if facts.mode == "reverse":
        outline.section("The gradients", 2)
        outline.add(Table(tuple(prose(cell) for cell in ("input", "value", "gradient")),
                          tuple((prose(f"${symbol(name)}$"), prose(formatter.text(values[name])),
                                 prose(f"${symbol(f'd{out}/d{name}')} = {formatter.value(f'd{out}/d{name}')}$"))
                                for name in facts.inputs)))
    else:
        outline.section("The result", 2)
        outline.add(paragraph(
            f"Forward mode gives ${symbol(f'd{out}/d{facts.wrt}')} = {formatter.value(facts.gradients[0])}$; the "
            "backward\npass (reverse mode, the default) gives the same number together with the gradients of the "
            "other inputs."))
    outline.section("Forward or reverse mode?", 2)
    outline.add(paragraph(MODES.format(count=count, s="s" if count != 1 else "", es="es" if count != 1 else "")))
    if facts.gradient_check:
        _gradient_check(outline, facts, formatter)


def _gradient_check(outline: Outline, facts: GraphFacts, formatter: Formatter) -> None:
    outline.section("Gradient check", 2)
    outline.add(paragraph(
        "A numerical check of each derivative: move one input by a small step $h$ each way, recompute the output, "
        "and\ntake the central difference $\\frac{f(x + h) - f(x - h)}{2h}$. Here $h = 10^{-6} \\cdot \\max(1, |x|)$: "
        "small enough\nthat the error of the formula (about $h^2$) is tiny, large enough that rounding in the two "
        "outputs does not\nswamp the difference. The output is recomputed at full precision."))
    method = "backpropagation" if facts.mode == "reverse" else "forward mode"
    header = tuple(prose(cell) for cell in ("input", "$h$", method, "central difference", "difference")) + ((),)
    rows = []
    text, symbol = formatter.text, formatter.symbol
    for row in facts.gradient_check or ():
        first = (prose(f"${symbol(row.input)}$"), prose(text(row.step)), prose(text(row.analytic)))
        if row.problem or row.numeric is None or row.difference is None:
            rows.append(first + (prose("—"), prose("—"), prose("cannot compute: ") + (user_text(str(row.problem)),)))
        else:
            rows.append(first + (prose(text(row.numeric)), prose(f"{row.difference:.1e}"),
                                 prose("agrees" if row.agrees else "**disagrees**")))
    outline.add(Table(header, tuple(rows)))

