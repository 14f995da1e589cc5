"""The input gradient's recipe, as the walkthrough words it, gives the input
gradient. It said "a full convolution of the deltas with the kernel turned
180°": read with a true (flipping) convolution, as the document itself calls a
flipped kernel, that flips twice. The deltas padded with zeros and
cross-correlated with the kernel turned 180° is what holds; checked here by
numpy against central differences of a forward pass written in the test."""
from __future__ import annotations

import numpy as np
from conftest import EXAMPLES

import stepbystep

IMAGE = np.array([[0.1, 0.2, 0.6, 0.8], [0.3, 0.9, 0.4, 0.2], [0.7, 0.5, 0.1, 0.3], [0.2, 0.4, 0.8, 0.6]])
KERNEL = np.array([[0.3, -0.6], [0.2, 0.4]])


def loss(image: np.ndarray) -> float:
    """conv-4x4.toml by hand: 2x2 kernel + 0.1, relu, 2x2 max pool stride 1, sigmoid output, half SSE to 0.8."""
    net = np.array([[(image[i:i + 2, j:j + 2] * KERNEL).sum() + 0.1 for j in range(3)] for i in range(3)])
    out = np.maximum(net, 0)
    pooled = np.array([[out[i:i + 2, j:j + 2].max() for j in range(2)] for i in range(2)])
    o = 1 / (1 + np.exp(-(np.array([0.5, -0.4, 0.3, 0.6]) @ pooled.ravel() + 0.2)))
    return 0.5 * (0.8 - o) ** 2


def test_the_input_gradient_is_the_padded_deltas_correlated_with_the_turned_kernel() -> None:
    walk = stepbystep.load(EXAMPLES / "conv-4x4.toml")
    deltas = np.array([[walk.value(f"dE_total/dnet_c1_{i}_{j}") for j in (1, 2, 3)] for i in (1, 2, 3)])
    padded, turned = np.pad(deltas, 1), KERNEL[::-1, ::-1]
    recipe = np.array([[(padded[i:i + 2, j:j + 2] * turned).sum() for j in range(4)] for i in range(4)])
    h = 1e-6
    for r in range(4):
        for c in range(4):
            up, down = IMAGE.copy(), IMAGE.copy()
            up[r, c] += h
            down[r, c] -= h
            assert abs(recipe[r, c] - (loss(up) - loss(down)) / (2 * h)) < 1e-9
            assert abs(walk.value(f"dE_total/dx1_{r + 1}_{c + 1}") - recipe[r, c]) < 1e-15
    text = walk.markdown()
    assert "the deltas, padded with zeros, cross-correlated with the kernel turned 180°" in text
