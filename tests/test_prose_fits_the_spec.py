"""Sentences that must fit the spec they describe (found rendering instructors' own specs).

- A net without biases was told "a neuron's net input is the weighted sum … plus its bias".
- Layers with different kinds of bias listed only the first layer's bias names in the
  conventions ("h: one bias per neuron; o: one bias shared by the layer (b_h1, b_h2, …)").
"""
from __future__ import annotations

import copy

import stepbystep

NET = {"learning_rate": 0.5, "loss": "half_sse",
       "layers": [{"name": "i", "size": 2},
                  {"name": "h", "activation": "tanh", "weights": [[0.15, 0.2], [0.25, 0.3]]},
                  {"name": "o", "activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]]}],
       "samples": [{"inputs": [0.05, 0.1], "targets": [0.01, 0.99]}]}


def net(hidden_bias: object = None, output_bias: object = None) -> dict:
    spec = copy.deepcopy(NET)
    for layer, bias in ((spec["layers"][1], hidden_bias), (spec["layers"][2], output_bias)):
        if bias is not None:
            layer["bias"] = bias
    return spec


def forward_intro(markdown: str) -> str:
    return next(paragraph for paragraph in markdown.split("\n\n") if "A neuron's net input" in paragraph)


def conventions_line(markdown: str, start: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith(start))


def test_no_bias_no_bias_in_the_forward_sentence() -> None:
    text = stepbystep.from_dict(net()).markdown()
    intro = forward_intro(text)
    assert "plus its bias" not in intro and "no biases" in intro
    assert "b \\cdot 1" not in text
    rest = text.split("## The network", 1)[1].replace(intro, "")
    assert "bias" not in rest


def test_every_layer_with_a_bias_keeps_mazurs_sentence() -> None:
    text = stepbystep.from_dict(net(0.35, 0.6)).markdown()
    assert "plus its bias (times 1)" in forward_intro(text)


def test_some_layers_without_a_bias_say_which() -> None:
    text = stepbystep.from_dict(net(None, 0.6)).markdown()
    intro = forward_intro(text)
    assert "bias" in intro and "h has none" in intro


def test_mixed_bias_kinds_name_each_layers_biases() -> None:
    text = stepbystep.from_dict(net([0.35, 0.3], 0.6)).markdown()
    line = conventions_line(text, "- Biases:")
    assert "h: one bias per neuron (b_h1, b_h2)" in line
    assert "o: one bias shared by the layer (b2)" in line


# -- the parameters of an activation or a loss are stated where the conventions name it -------------
# An elu layer with alpha = 0.5, a Huber loss with loss_delta = 0.5 or a margin of 2 was stated
# as "elu" and "H_delta" / "Delta" only: the reader could not tell which value the numbers used.

def test_activation_parameters_are_stated() -> None:
    spec = net()
    spec["layers"][1].update(activation="elu", alpha=0.5)
    spec["layers"][2].update(activation="leaky_relu", negative_slope=0.2)
    line = conventions_line(stepbystep.from_dict(spec).markdown(), "- Activations:")
    assert "h: elu (`alpha = 0.5`)" in line and "o: leaky_relu (`negative_slope = 0.2`)" in line


def test_default_parameters_are_stated_too() -> None:
    spec = net()
    spec["layers"][1]["activation"] = "elu"
    line = conventions_line(stepbystep.from_dict(spec).markdown(), "- Activations:")
    assert "h: elu (`alpha = 1`)" in line


def test_loss_parameters_are_stated() -> None:
    spec = net()
    spec.update(loss="huber", loss_delta=0.5)
    line = conventions_line(stepbystep.from_dict(spec).markdown(), "- Loss:")
    assert "`loss_delta = 0.5`" in line


def test_layer_kinds_state_them_as_well() -> None:
    spec = {"learning_rate": 0.1, "loss": "half_sse",
            "layers": [{"name": "x", "shape": [1, 3, 3]},
                       {"name": "c", "type": "conv2d", "activation": "leaky_relu", "negative_slope": 0.1,
                        "kernels": [[[[0.1, 0.2], [0.3, 0.4]]]]},
                       {"name": "o", "activation": "sigmoid", "weights": [[0.1, 0.2, 0.3, 0.4]]}],
            "samples": [{"inputs": [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]], "targets": [0.5]}]}
    line = conventions_line(stepbystep.from_dict(spec).markdown(), "- Layers:")
    assert "leaky_relu (`negative_slope = 0.1`)" in line


def test_a_convolution_without_a_bias_is_not_said_to_add_one() -> None:
    spec = {"learning_rate": 0.1, "loss": "half_sse",
            "layers": [{"name": "x", "shape": [1, 3, 3]},
                       {"name": "c", "type": "conv2d", "activation": "relu", "kernels": [[[[0.1, 0.2], [0.3, 0.4]]]]},
                       {"name": "o", "activation": "sigmoid", "weights": [[0.1, 0.2, 0.3, 0.4]]}],
            "samples": [{"inputs": [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]], "targets": [0.5]}]}
    text = stepbystep.from_dict(spec).markdown()
    slide = next(paragraph for paragraph in text.split("\n\n") if paragraph.startswith("The convolution slides"))
    assert "bias" not in slide
    spec["layers"][1]["bias"] = [0.1]
    text = stepbystep.from_dict(spec).markdown()
    slide = next(paragraph for paragraph in text.split("\n\n") if paragraph.startswith("The convolution slides"))
    assert "bias" in slide


def test_a_recurrent_layer_without_a_bias_is_not_said_to_add_one() -> None:
    spec = {"learning_rate": 0.1, "loss": "half_sse",
            "layers": [{"name": "x", "size": 1},
                       {"name": "h", "type": "rnn", "activation": "tanh", "weights": [[0.5]], "recurrent": [[0.3]]},
                       {"name": "o", "activation": "linear", "weights": [[1.0]]}],
            "samples": [{"inputs": [[1.0], [0.5]], "targets": [[0.2], [0.4]]}]}
    text = stepbystep.from_dict(spec).markdown()
    intro = next(paragraph for paragraph in text.split("\n\n") if paragraph.startswith("We feed the sequence"))
    assert "bias" not in intro


# -- a descent on a computation graph has no E_total and no weights ---------------------------------

def descent(optimizer: str) -> dict:
    return {"inputs": {"x": 1.5, "y": -0.5}, "nodes": {"f": "x**2 + x * y"},
            "training": {"parameters": ["x", "y"], "learning_rate": 0.1, "optimizer": optimizer,
                         "weight_decay": 0.1, "epochs": 2}}


def test_descent_weight_decay_names_the_graphs_output() -> None:
    line = conventions_line(stepbystep.from_dict(descent("adam")).markdown(), "- Learning rate:")
    assert "E_{\\mathrm{total}}" not in line and "E_{\\mathrm{reg}}" not in line
    assert "f + \\frac{\\lambda}{2} \\sum \\theta^2" in line


def test_descent_adamw_decays_parameters_not_weights() -> None:
    line = conventions_line(stepbystep.from_dict(descent("adamw")).markdown(), "- Learning rate:")
    assert "weight" not in line.replace("Weight decay", "")
