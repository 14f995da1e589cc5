"""engine/replay.py: a trace replayed with another spec's numbers is the
trace that spec builds — every node, value, step, section and fact alike.

The oracle is the full build of each spec (whose numbers the other tests
prove against finite differences, Mazur's post and PyTorch); these tests
prove the shortcut gives exactly that, for many random numbers, every known
mistake and hand rounding, and that what it does not cover is built in full.
"""
from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from stepbystep.engine.graph import GraphError
from stepbystep.engine.nn import build_trace
from stepbystep.engine.parameters import NO_MISTAKES, Mistakes
from stepbystep.engine.replay import TraceCache, covered, spec_numbers, with_numbers
from stepbystep.engine.trace import Trace
from stepbystep.spec.load import load_spec
from stepbystep.spec.model import NetworkSpec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NETWORKS = ["mazur.toml", "mazur-variants.toml", "tanh-sigmoid.toml", "softmax-classifier.toml",
            "linear-classifier-softmax.toml", "batch-mean.toml", "linear-classifier-svm.toml"]
MISTAKES = [NO_MISTAKES, Mistakes(wrong_sign=True), Mistakes(no_activation_derivative=True),
            Mistakes(derivative_from_net=True), Mistakes(wrong_input_neuron=True), Mistakes(half_twice=True)]


def assert_same_trace(got: Trace, want: Trace) -> None:
    assert got.title == want.title
    assert got.aliases == want.aliases
    assert list(got.graph.nodes.values()) == list(want.graph.nodes.values())   # names, expressions, inputs, values
    assert got.graph.values == want.graph.values
    assert got.graph.round_to == want.graph.round_to
    assert len(got.sections) == len(want.sections)
    for mine, theirs in zip(got.sections, want.sections):
        assert (mine.kind, mine.title, mine.level, mine.context) == (theirs.kind, theirs.title, theirs.level, theirs.context)
        assert [(step, step.context) for step in mine.steps] == [(step, step.context) for step in theirs.steps]
    assert got.facts == want.facts


def drawn(spec: NetworkSpec, rng: random.Random, index: int) -> NetworkSpec:
    """The spec with new numbers of two decimals, as a [variants] table draws them."""
    numbers = [round(rng.uniform(0.01, 0.99) if number >= 0 else rng.uniform(-1, 1), 2) for number in spec_numbers(spec)]
    return replace(with_numbers(spec, numbers), title=f"{spec.title} (variant {index})")


@pytest.mark.parametrize("name", NETWORKS)
def test_replayed_traces_are_the_built_ones(name: str) -> None:
    spec = load_spec(EXAMPLES / name)
    assert isinstance(spec, NetworkSpec)
    rng = random.Random(name)
    cache = TraceCache()
    for index in range(8):
        variant = drawn(spec, rng, index)
        for mistakes in MISTAKES:
            for round_to in (None, 3):
                try:
                    want = build_trace(variant, round_to, mistakes)
                except GraphError as error:
                    with pytest.raises(GraphError, match=str(error).replace("(", r"\(").replace(")", r"\)")):
                        cache.build(variant, round_to, mistakes)
                    continue
                assert_same_trace(cache.build(variant, round_to, mistakes), want)


def test_mazur_variants_are_replayed() -> None:
    """The case the shortcut is for is covered, and its template passes its checks."""
    spec = load_spec(EXAMPLES / "mazur-variants.toml")
    cache = TraceCache()
    rng = random.Random(1)
    for index in range(3):
        cache.build(drawn(spec, rng, index))
    assert covered(spec, None, NO_MISTAKES)
    assert len(cache._templates) == 1 and None not in cache._templates.values()


@pytest.mark.parametrize("name", ["linear-classifier-svm.toml", "xor-minibatch.toml", "rnn-3-steps.toml",
                                  "conv-4x4.toml"])
def test_what_reads_the_numbers_is_not_covered(name: str) -> None:
    """A loss over the whole layer (its targets' values pick the terms), a
    run of several steps (the fast path's values become given nodes), other
    layer kinds: built in full."""
    assert not covered(load_spec(EXAMPLES / name), None, NO_MISTAKES)


def test_an_overflow_is_the_same_error() -> None:
    spec = load_spec(EXAMPLES / "mazur.toml")
    assert isinstance(spec, NetworkSpec)
    cache = TraceCache()
    cache.build(spec)
    huge = with_numbers(spec, [1e300 if number > 0.3 else number for number in spec_numbers(spec)])
    with pytest.raises(GraphError) as built:
        build_trace(huge)
    with pytest.raises(GraphError) as replayed:
        cache.build(huge)
    assert str(replayed.value) == str(built.value)


def test_numbers_round_trip() -> None:
    spec = load_spec(EXAMPLES / "softmax-classifier.toml")
    assert isinstance(spec, NetworkSpec)
    numbers = spec_numbers(spec)
    assert with_numbers(spec, numbers) == spec
    shifted = [number + 1 for number in numbers]
    assert spec_numbers(with_numbers(spec, shifted)) == shifted
