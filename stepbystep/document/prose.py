"""The sentences of a network walkthrough, chosen by the kind of step.

Short sentences in the manner of Mazur's post, written as `prose()` text
($math$, **strong**, `code`). What one activation or loss says comes from
its record in the operations registry (engine/ops: ActivationProse,
LossProse); an unknown name raises, never another operation's sentence.
"""
from __future__ import annotations

from typing import Callable

from ..engine.facts import NetworkFacts
from ..engine.ops import ACTIVATIONS, LOSSES
from ..engine.ops.activations import ActivationProse
from ..engine.ops.losses import LossProse
from ..engine.trace import Section, Step
from ..spec import names
from .blocks import Block, Equation
from .optimizer_prose import OPTIMIZER_KINDS, before_optimizer_step, plain, update_sentence
from .outline import paragraph


def activation_prose(activation: str) -> ActivationProse:
    return ACTIVATIONS.get(activation).prose


def loss_prose(loss: str) -> LossProse:
    return LOSSES.get(loss).prose


def section_intro(section: Section, facts: NetworkFacts, example: Equation | None,
                  symbol: Callable[[str], str]) -> list[Block]:
    """What a section of the walkthrough is about, before its first step."""
    c = section.context
    if section.kind == "forward" and c.get("after") and c.get("first"):
        return [paragraph("With the updated weights we run the forward pass once more and see whether the error went down.")]
    if section.kind == "forward" and c.get("first"):
        return [paragraph("We feed the inputs forward, one layer at a time. A neuron's net input is the weighted sum of "
                          f"the outputs\nof the layer below{_bias_clause(facts)}; its output is the net input squashed "
                          "by the layer's activation function.")]
    if section.kind == "error" and not c.get("after"):
        return [paragraph(loss_prose(c["loss"]).error)]
    if section.kind == "output_layer" and example is not None:
        return [paragraph(f"Now the backward pass. We want to know how much a change in each weight changes the total "
                          f"error, for\nexample ${example.symbol}$. The weight changes the net input, the net input "
                          f"changes the output, and the output\nchanges the error, so by the chain rule:"),
                Equation(example.symbol, example.formula),
                paragraph("We find each factor in turn.")]
    if section.kind == "hidden_layer" and example is not None:
        paths = symbol(f"dE_total/dout_{example_neuron(section)}")
        if c["above_size"] == 1:
            closing = ("and the output of a neuron of this layer reaches the total error only through the one neuron "
                       f"of the layer above,\nso ${paths}$ comes along that single path.")
        else:
            closing = ("but a neuron of this layer feeds every neuron of the layer above, so its output changes the "
                       f"total error along\nseveral paths, and ${paths}$ is the sum over those paths.")
        return [paragraph(f"We continue backwards to the weights of layer {c['layer']}. The same chain rule applies,"),
                Equation(example.symbol, example.formula), paragraph(closing)]
    if section.kind == "inputs":
        return [paragraph("The inputs are data and are never updated, but the same rule gives the error's gradient with "
                          "respect to each\nof them: the sum over the first layer's neurons of delta times weight "
                          "(the original weights).")]
    return []


def _bias_clause(facts: NetworkFacts) -> str:
    """'plus its bias (times 1)' where every layer has one, and only then."""
    without = [layer.name for layer in facts.spec.layers[1:] if layer.bias is None and layer.activation is not None]
    if not without:
        return " plus its bias (times 1)"
    if len(without) == len([layer for layer in facts.spec.layers[1:] if layer.activation is not None]):
        return " (this network has no biases)"
    return f" plus its bias (times 1), where its layer has one ({', '.join(without)} {'has' if len(without) == 1 else 'have'} none)"


def example_neuron(section: Section) -> str:
    return next(step.context["neuron"] for step in section.steps if step.kind == "grad_w")


def before_step(step: Step, section: Section, facts: NetworkFacts, symbol: Callable[[str], str],
                number: Callable[[float], str]) -> str:
    """The sentence before the first step of its kind in a section ('' for none)."""
    c = step.context
    kind = step.kind
    spec = facts.spec
    if kind == "out":
        return activation_prose(c["activation"]).squash
    if kind == "dE_dout":
        if LOSSES.get(c["loss"]).layer_derivative is not None:   # multiclass_hinge: every term reads the correct score
            return ("First, how much does the total error change with each output? A wrong class's score enters "
                    "only its own\nerror term, but the correct class's score enters every one of them.\n"
                    + loss_prose(c["loss"]).derivative)
        return ("First, how much does the total error change with the output? Only the error term of this output "
                "depends on it.\n" + loss_prose(c["loss"]).derivative)
    if kind == "dout_dnet":
        return ("Next, how much does the output change with its net input? That is the derivative of the activation "
                "function,\n" + activation_prose(c["activation"]).slope)
    if kind == "delta":
        return _delta(c["activation"], section)
    if kind == "dnet_dw":
        return ("Last, how much does the net input change with the weight? The net input is a sum of weight times "
                "input, and only\none term holds this weight, so the derivative is the input that the weight "
                f"multiplies,\n${symbol(c['source'])}$:")
    if kind == "grad_w":
        return "Putting the factors together:"
    if kind == "update":
        if not plain(spec.training.optimizer):
            return update_sentence(step)
        return ("To lower the error we move the weight against its gradient, scaled by the learning rate "
                f"$\\eta = {number(spec.learning_rate)}$:")
    if kind in OPTIMIZER_KINDS or kind == "regularized_loss":
        return before_optimizer_step(step, dict(spec.training.optimizer.options))
    if kind == "grad_b":
        unused = "" if spec.update_biases else " (the spec keeps biases fixed, so it is not used to update anything)"
        if c["shared"]:
            return ("A bias adds $b \\cdot 1$ to the net input, so $\\frac{\\partial net}{\\partial b} = 1$. This bias "
                    f"is shared by every\nneuron of the layer, so its gradient is the sum of their deltas{unused}:")
        return ("A bias adds $b \\cdot 1$ to the net input, so $\\frac{\\partial net}{\\partial b} = 1$ and the "
                f"gradient of a neuron's\nown bias is its delta{unused}:")
    if kind == "dnet_dout":
        return _path_weight(c, symbol)
    if kind == "dE_part":
        if not ACTIVATIONS.get(_activation_of(facts, c["above"])).elementwise:
            return (f"The part of the error's change that flows back through the net input of {c['above']} is that "
                    f"neuron's delta times this weight.\nWith a softmax output that net input moves every output's "
                    f"error term, not only ${symbol('E_' + c['above'])}$, so the part is labelled by "
                    f"${symbol('net_' + c['above'])}$:")
        return f"The part of the error's change that flows back through {c['above']} is that neuron's delta times this weight:"
    if kind == "dE_dout_hidden":
        return "With one path, that part is the whole change:" if section.context.get("above_size") == 1 else "Adding up the paths:"
    if kind == "step_loss":
        return ("This step has one sample, so the step's loss is that sample's total error:" if c["samples"] == 1
                else f"The step's loss combines the samples' total errors ({spec.reduction}):")
    if kind == "step_gradient":
        return ("Likewise each gradient of the step is that sample's own gradient:" if c["samples"] == 1
                else f"Each gradient of the step combines the samples' own gradients ({spec.reduction}):")
    if kind == "after_total":
        return "The total error over all samples with the updated parameters:"
    return ""


def _activation_of(facts: NetworkFacts, neuron: str) -> str:
    neuron = names.split_time(neuron)[0]   # o1@3: the neuron o1 at step 3
    for layer in facts.spec.layers[1:]:
        if any(layer.neuron(j) == neuron for j in range(layer.size)):
            return str(layer.activation)
    raise KeyError(neuron)


def _delta(activation: str, section: Section) -> str:
    """The delta sentence: the activation's own (softmax) or the product of the
    two factors; on the output layer, the loss's shortcut where it has one."""
    simplifies = loss_prose(section.context["loss"]).simplifies if section.kind == "output_layer" else None
    check = f" ({simplifies})" if simplifies else ""
    own = activation_prose(activation).delta
    if own:
        return f"{own}{check}:"
    return ("The product of these two factors is the neuron's delta, "
            f"$\\delta = \\frac{{\\partial E_{{total}}}}{{\\partial net}}${check}.\nWe keep it: the layer below will need it.")


def _path_weight(c: dict, symbol: Callable[[str], str]) -> str:
    lead = (f"Along the path through ${symbol('out_' + c['above'])}$, the net input of {c['above']} changes with the "
            f"output of\n{c['neuron']} by the weight that joins them.")
    if c["convention"] == "original_weights":
        return (lead + " We use the original weight, not its updated value: every gradient\nof one step is taken at "
                "the same point, before anything moves.")
    return (lead + " This walkthrough follows the updated-weights convention (the older code of Mazur's\npost): it "
            "uses the weight already moved by this sample's own gradient, which is not the true gradient.")
