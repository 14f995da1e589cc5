"""What a walkthrough says about its optimizer and weight decay (SPEC.md §6).

The record (engine/ops/optimizers.py) holds the optimizer's own sentences
and its rule in LaTeX; this module places them: the convention line, the
explanation given once where the first update is shown, and the sentence
before each kind of optimizer value (the decayed gradient, the buffers, the
update, E_reg). Shared by the network and the graph-descent documents.
"""
from __future__ import annotations

from typing import Mapping

from ..engine.ops import OPTIMIZERS
from ..engine.trace import Step
from ..numbers import number_latex
from ..spec.optimizers import OptimizerSettings
from .blocks import Block, Equation
from .outline import paragraph

SYMBOLS = {"momentum": r"\mu", "beta1": r"\beta_1", "beta2": r"\beta_2", "alpha": r"\alpha", "eps": r"\epsilon",
           "weight_decay": r"\lambda"}
OPTIMIZER_KINDS = ("decay_gradient", "decayed", "buffer")


def plain(settings: OptimizerSettings) -> bool:
    """Plain gradient descent without weight decay: nothing more to say."""
    return settings.name == "sgd" and not settings.weight_decay


def hyperparameters(settings: OptimizerSettings) -> str:
    """`$\\beta_1 = 0.9$, $\\beta_2 = 0.999$, $\\epsilon = 10^{-8}$`: the values of this run."""
    return ", ".join(f"${SYMBOLS[key]} = {number_latex(value)}$" for key, value in settings.options
                     if key != "weight_decay")


def optimizer_convention(settings: OptimizerSettings, learning_rate: float, parameter: str = "w",
                         gradient: str = r"\frac{\partial E_{\mathrm{total}}}{\partial w}", objective: str | None = None) -> str:
    """The learning-rate line of the conventions, with the optimizer and weight decay.
    `objective`: what a graph's descent minimizes (its output's symbol); None for a network (E_total)."""
    eta = f"Learning rate: $\\eta = {number_latex(learning_rate)}$"
    if plain(settings):
        return f"{eta}; every update is ${parameter}^{{+}} = {parameter} - \\eta \\cdot {gradient}$."
    record = OPTIMIZERS.get(settings.name)
    values = hyperparameters(settings)
    line = (f"{eta}; optimizer: {record.prose.title}" + (f" ({values})" if values else "")
            + ", step for step PyTorch's (torch.optim, dampening 0)"
            + ("; Mazur's post uses plain gradient descent." if parameter == "w" else "."))
    decay = settings.weight_decay
    if decay:
        where = "biases never decay" if objective is None else "every parameter decays"
        if record.decoupled_decay:
            line += (f" Weight decay $\\lambda = {number_latex(decay)}$, decoupled (AdamW): each "
                     f"{'weight' if objective is None else 'parameter'} first shrinks by $1 - \\eta\\lambda$; {where}.")
        else:
            regularized = (r"E_{\mathrm{reg}} = E_{\mathrm{total}}" if objective is None else objective) \
                + f" + \\frac{{\\lambda}}{{2}} \\sum {parameter}^2"
            line += (f" Weight decay $\\lambda = {number_latex(decay)}$: $\\lambda {parameter}$ is added to each "
                     f"gradient ({where}), the gradient of ${regularized}$.")
    return line


def explanation(settings: OptimizerSettings) -> tuple[Block, ...]:
    """Said once, where the first update is shown: why the rule looks as it does, and the rule."""
    record = OPTIMIZERS.get(settings.name)
    blocks: list[Block] = [paragraph(record.prose.why)]
    rule = [line.partition(" = ") for line in record.rule]
    blocks.append(paragraph("For each parameter $p$ with gradient $g$ (weight decay included, where there is any), the step is:"))
    blocks.extend(Equation(left, right) for left, _, right in rule)
    blocks.append(paragraph(record.prose.start + " Each buffer keeps its value for the next step."))
    return tuple(blocks)


def before_optimizer_step(step: Step, options: Mapping[str, float], parameter_word: str = "weight") -> str:
    """The sentence before the first value of its kind in a section ('' for none)."""
    c = step.context
    if step.kind == "decay_gradient":
        return (f"Weight decay first adds $\\lambda = {number_latex(options['weight_decay'])}$ times the "
                f"{parameter_word} to its gradient:")
    if step.kind == "decayed":
        return (f"AdamW decays the {parameter_word} apart from the gradient: it first shrinks by $1 - \\eta\\lambda$, "
                "and the Adam step is taken from there:")
    if step.kind == "buffer":
        title = OPTIMIZERS.get(str(c["optimizer"])).prose.title
        carried = "" if c.get("first") else ", from the buffers the step before left"
        return f"{title}'s buffers for this {parameter_word}{carried}:"
    if step.kind == "regularized_loss":
        return ("With weight decay the loss being minimized is the regularized one; $E_{\\mathrm{total}}$ stays "
                "the data loss:")
    return ""


def update_sentence(step: Step, parameter_word: str = "weight") -> str:
    """Before the first update of a section, when an optimizer other than plain gradient descent moves it."""
    name = str(step.context.get("optimizer", "sgd"))
    if name == "sgd":
        return (f"The {parameter_word} moves against its (decayed) gradient, scaled by the learning rate:")
    return (f"Then the {parameter_word} moves by the learning rate times {OPTIMIZERS.get(name).prose.title}'s step:")
