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
