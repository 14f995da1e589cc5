"""The sentences of a network walkthrough, chosen by the kind of step.

Short sentences in the manner of Mazur's post, written as `prose()` text
($math$, **strong**, `code`). What one activation or loss says comes from
its own entry (ACTIVATION_SENTENCES, LOSS_SENTENCES) by the name the spec
gave; an unknown name is an error, never another operation's sentence.
"""
from __future__ import annotations

from typing import Callable

from ..engine.facts import NetworkFacts
from ..engine.trace import Section, Step
from .blocks import Block, Equation
from .outline import paragraph

# activation -> (what the output does, what its derivative is)
ACTIVATION_SENTENCES: dict[str, tuple[str, str]] = {
    "sigmoid": ("The logistic (sigmoid) function squashes the net input into $(0, 1)$:",
                "which for the logistic function is $out \\cdot (1 - out)$:"),
    "tanh": ("The hyperbolic tangent squashes the net input into $(-1, 1)$:",
             "which for tanh is $1 - out^2$:"),
    "relu": ("ReLU passes a positive net input through and turns a negative one into 0:",
             "which for ReLU is 1 where the net input is positive and 0 elsewhere (we take 0 at exactly 0):"),
    "leaky_relu": ("Leaky ReLU passes a positive net input through and scales a negative one by the slope:",
                   "which for leaky ReLU is 1 where the net input is positive and the slope elsewhere "
                   "(the slope also at exactly 0):"),
    "linear": ("A linear neuron outputs its net input unchanged:", "which for a linear neuron is 1:"),
    "softmax": ("Softmax turns the layer's net inputs into probabilities that sum to 1:",
                "and a softmax output depends on every net input of its layer: $\\frac{\\partial out_k}{\\partial net_j}$ is\n"
                "$out_k (1 - out_k)$ when $j = k$ and $-out_k \\cdot out_j$ otherwise:"),
}

# loss -> (what the error is, how its derivative comes about)
LOSS_SENTENCES: dict[str, tuple[str, str]] = {
    "half_sse": ("Each output's error is half its squared distance from the target (the ½ is there so it cancels when we\n"
                 "differentiate); the total error is the sum over the outputs.",
                 "Differentiating $\\frac{1}{2}(target - out)^2$ gives "
                 "$2 \\cdot \\frac{1}{2}(target - out)^{2-1} \\cdot (-1) = -(target - out)$:"),
    "sse": ("Each output's error is its squared distance from the target (no ½ here, so a factor 2 appears in the\n"
            "derivative); the total error is the sum over the outputs.",
            "Differentiating $(target - out)^2$ gives $-2(target - out)$:"),
    "mse": ("Each output's error is its squared distance from the target divided by the number of outputs, so the\n"
            "total error is the mean squared error.",
            "Differentiating $\\frac{1}{K}(target - out)^2$ gives $-\\frac{2}{K}(target - out)$:"),
    "bce": ("With one sigmoid output read as a probability, the error is the binary cross-entropy: the negative log of the\n"
            "probability the network gave to the right answer.",
            "Differentiating $-[t \\ln o + (1-t)\\ln(1-o)]$ gives $-\\left(\\frac{t}{o} - \\frac{1-t}{1-o}\\right)$:"),
    "cross_entropy": ("The softmax outputs are probabilities; the cross-entropy adds $-target_k \\ln out_k$ over the outputs, "
                      "so only\nthe outputs with a non-zero target count.",
                      "Differentiating $-t_k \\ln o_k$ gives $-\\frac{t_k}{o_k}$:"),
}


def activation_sentence(activation: str, which: int) -> str:
    return ACTIVATION_SENTENCES[activation][which]


def loss_sentence(loss: str, which: int) -> str:
    return LOSS_SENTENCES[loss][which]


def section_intro(section: Section, facts: NetworkFacts, example: Equation | None,
                  symbol: Callable[[str], str]) -> list[Block]:
    """What a section of the walkthrough is about, before its first step."""
    c = section.context
    if section.kind == "forward" and c.get("after") and c.get("first"):
        return [paragraph("With the updated weights we run the forward pass once more and see whether the error went down.")]
    if section.kind == "forward" and c.get("first"):
        return [paragraph("We feed the inputs forward, one layer at a time. A neuron's net input is the weighted sum of "
                          "the outputs\nof the layer below plus its bias (times 1); its output is the net input squashed "
                          "by the layer's activation function.")]
    if section.kind == "error" and not c.get("after"):
        return [paragraph(loss_sentence(c["loss"], 0))]
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


def example_neuron(section: Section) -> str:
    return next(step.context["neuron"] for step in section.steps if step.kind == "grad_w")


def before_step(step: Step, section: Section, facts: NetworkFacts, symbol: Callable[[str], str],
                number: Callable[[float], str]) -> str:
    """The sentence before the first step of its kind in a section ('' for none)."""
    c = step.context
    kind = step.kind
    spec = facts.spec
    if kind == "out":
        return activation_sentence(c["activation"], 0)
    if kind == "dE_dout":
        return ("First, how much does the total error change with the output? Only the error term of this output "
                "depends on it.\n" + loss_sentence(c["loss"], 1))
    if kind == "dout_dnet":
        return ("Next, how much does the output change with its net input? That is the derivative of the activation "
                "function,\n" + activation_sentence(c["activation"], 1))
    if kind == "delta":
        return _delta(c["activation"], section)
    if kind == "dnet_dw":
        return ("Last, how much does the net input change with the weight? The net input is a sum of weight times "
                "input, and only\none term holds this weight, so the derivative is the input that the weight "
                f"multiplies,\n${symbol(c['source'])}$:")
    if kind == "grad_w":
        return "Putting the factors together:"
    if kind == "update":
        return ("To lower the error we move the weight against its gradient, scaled by the learning rate "
                f"$\\eta = {number(spec.learning_rate)}$:")
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
        return f"The part of the error's change that flows back through {c['above']} is that neuron's delta times this weight:"
    if kind == "dE_dout_hidden":
        return "With one path, that part is the whole change:" if section.context["above_size"] == 1 else "Adding up the paths:"
    if kind == "step_loss":
        return ("This step has one sample, so the step's loss is that sample's total error:" if c["samples"] == 1
                else f"The step's loss combines the samples' total errors ({spec.reduction}):")
    if kind == "step_gradient":
        return ("Likewise each gradient of the step is that sample's own gradient:" if c["samples"] == 1
                else f"Each gradient of the step combines the samples' own gradients ({spec.reduction}):")
    if kind == "after_total":
        return "The total error over all samples with the updated parameters:"
    return ""


def _delta(activation: str, section: Section) -> str:
    loss = section.context.get("loss")
    output = section.kind == "output_layer"
    if activation == "softmax":
        check = (" (with cross-entropy this sum always simplifies to $out_k - target_k$, a handy check)"
                 if loss == "cross_entropy" and output else "")
        return f"The delta of a softmax neuron gathers the changes of every output its net input moves{check}:"
    check = (" (with binary cross-entropy on a sigmoid it always simplifies to $out - target$, a handy check)"
             if loss == "bce" and output else "")
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
