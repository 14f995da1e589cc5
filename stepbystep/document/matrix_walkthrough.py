"""The walkthrough in matrix (vectorized) notation as a document tree: every
matrix is made of trace values (matrix.py); nothing is computed here."""
from __future__ import annotations

from ..engine.facts import NetworkFacts
from ..engine.trace import Trace
from ..numbers import format_number
from .blocks import Equation, Note
from .formatter import Formatter
from .mathwords import words_set_apart
from .matrix_equations import matrix_equations
from .matrix_layers import layer_matrix_steps
from .network import convention_list, parameter_rows, parameter_table
from .optimizer_prose import explanation, plain
from .outline import Outline, paragraph, prose
from .summary import summary, warning_list

INTRODUCTION = (
    "The same computation as the step-by-step walkthrough, written the way most courses write it next:\n"
    "one matrix per layer, one column per sample of the step. $W^{[l]}$ holds the weights into layer $l$\n"
    "(row $j$: the weights into neuron $j$), $A^{[0]}$ the inputs, $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$ the net\n"
    "inputs and $A^{[l]}$ the outputs; $\\mathrm{d}X$ stands for $\\partial E_{total} / \\partial X$, and $\\odot$ "
    "multiplies\nentry by entry. Every entry is a value of the scalar walkthrough (`stepbystep render` without\n"
    "`--notation matrix`), printed to {precision} decimals.")


LAYERED_INTRODUCTION = (
    "The same computation as the step-by-step walkthrough, written with whole matrices, one sample at a time.\n"
    "An image is a grid per channel: $Z_k = \\sum_c A_c \\star K_{k,c} + b_k$, where $\\star$ slides the kernel "
    "over the\ngrid (a cross-correlation, as PyTorch's conv2d); a sequence has one column per time step, "
    "$A^{\\langle t \\rangle}$.\n$\\mathrm{d}X$ stands for $\\partial E_{total} / \\partial X$, and $\\odot$ "
    "multiplies entry by entry. Every entry is a value of the\nscalar walkthrough (`stepbystep render` without "
    "`--notation matrix`), printed to {precision} decimals.")


def display(latex: str) -> Equation:
    """A displayed matrix equation: the left side, then everything after its first `=`."""
    left, _, right = words_set_apart(latex).partition(" = ")
    return Equation(left, right)


def matrix_blocks(outline: Outline, trace: Trace, formatter: Formatter) -> None:
    facts = trace.facts
    assert isinstance(facts, NetworkFacts)
    layered = any(layer.kind != "dense" for layer in facts.spec.layers)
    introduction = LAYERED_INTRODUCTION if layered else INTRODUCTION
    outline.add(paragraph(introduction.replace("{precision}", str(formatter.precision))))
    convention_list(outline, facts)
    warnings = warning_list(trace, formatter)
    if warnings is not None:
        outline.section("Warnings", 2)
        outline.add(warnings)
    if layered:
        layer_matrix_steps(outline, trace, formatter)
        summary(outline, trace, formatter)
        return
    explained = plain(facts.spec.training.optimizer)   # the optimizer, explained at its first updates
    for step in matrix_equations(trace, formatter):
        samples = ", ".join(str(sample) for sample in step.samples)
        several = len(step.samples) > 1
        outline.section(f"{'The step' if facts.bare else 'Step ' + str(step.number)}: "
                        f"sample{'s' if several else ''} {samples}", 2)
        if several:
            averaged = ("the gradients are averaged over them (divided by $m$)." if step.mean
                        else "the gradients are summed over them.")
            outline.add(paragraph(f"The columns are samples {samples} ($m = {len(step.samples)}$);\n{averaged}"))
        outline.section("The forward pass", 3)
        for layer in step.layers:
            outline.add(paragraph(f"Layer {layer.name} ({layer.activation}):"),
                        *(display(equation) for equation in layer.forward))
        # two equations, not one line with two "=": wrapped on a phone, a value
        # landed under the other's label
        outline.add(paragraph("The loss of each sample (one column each), and of the step:"),
                    display(f"E_{{total}} = {step.losses}"),
                    display(f"E_{{total}}^{{\\text{{step}}}} = {step.loss}"))
        outline.section("The backward pass", 3)
        for layer in reversed(step.layers):
            outline.add(paragraph(f"Layer {layer.name}:"), *(display(equation) for equation in layer.backward))
            if layer.through_updated:
                outline.add(paragraph(
                    "Here each sample's $\\mathrm{d}Z$ goes back through the weights already moved by that sample's "
                    "own gradient\n(the updated-weights convention of this spec), so the product is not plain "
                    "$W^{\\top} \\mathrm{d}Z$."))
        outline.section("The updates", 3)
        if not explained:
            explained = True
            outline.add(*explanation(facts.spec.training.optimizer),
                        paragraph("In matrix form each buffer is a matrix the shape of the weights (and of the bias), "
                                  "and the\nrule applies entry by entry:"))
        for layer in step.layers:
            outline.add(*(display(equation) for equation in layer.updates))
    if formatter.noise:
        listed = ", ".join(f"`{name}` (computed as {format_number(trace.graph.values[name])})" for name in formatter.noise)
        outline.add(Note(prose(f"Printed as 0: {listed}; each is below the rounding error of the numbers it is made "
                               "of, so it is 0 up to float rounding. The answer key keeps the computed values.")))
    summary(outline, trace, formatter)
    outline.section("The parameters before and after", 2)
    outline.add(parameter_table(parameter_rows(trace, formatter)))
