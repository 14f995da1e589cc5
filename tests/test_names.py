"""spec/names.py against SPEC.md §2, whose example names are typed here by hand,
and every name the engine writes is one the module builds and parses back."""
from __future__ import annotations

import pytest
from conftest import EXAMPLES

import stepbystep
from stepbystep.spec import names


def test_neurons_and_parameters() -> None:
    assert [names.neuron("h", 0), names.neuron("o", 1), names.neuron("h2", 2)] == ["h1", "o2", "h2_3"]
    assert [names.weight(5), names.shared_bias(1), names.neuron_bias("h1")] == ["w5", "b1", "b_h1"]
    assert [names.net("h1"), names.out("h1"), names.target("o1"), names.error("o1")] == \
        ["net_h1", "out_h1", "target_o1", "E_o1"]
    assert names.delta("o1") == "delta_o1"


def test_derivatives_and_updates() -> None:
    assert names.total_gradient("w5") == "dE_total/dw5"
    assert names.gradient(names.out("o1"), names.net("o2")) == "dout_o1/dnet_o2"
    assert names.gradient(names.error("o1"), names.out("h1")) == "dE_o1/dout_h1"
    assert names.gradient("f", "x") == "df/dx"
    assert names.parse_gradient("dE_total/dw5") == ("E_total", "w5")
    assert names.parse_gradient("dnet_o1/dout_h1") == ("net_o1", "out_h1")
    assert names.parse_gradient("delta_o1") is None and names.parse_gradient("w5") is None
    assert names.updated("w5") == "w5+" and names.before_update("w5+") == "w5" and names.is_updated("b1+")


def test_prefixes() -> None:
    assert names.step_prefix(1) + names.E_TOTAL == "step1.E_total"
    assert names.sample_prefix(1, 2) + names.out("o1") == "step1.sample2.out_o1"
    assert names.sample_prefix(1, 2) + names.total_gradient("w5") == "step1.sample2.dE_total/dw5"
    assert names.step_prefix(1) + names.updated("w5") == "step1.w5+"
    assert names.after_total(1) == "after1.E_total"
    assert names.after_prefix(3, 2) + names.net("o1") == "after3.sample2.net_o1"
    assert names.step(2) == "step2"
    assert names.split_prefix("step1.sample2.dE_total/dw5") == ("step1.sample2.", "dE_total/dw5")
    assert names.split_prefix("w5+") == ("", "w5+")
    assert names.with_bare("step1.sample2.out_h1", "net_h1") == "step1.sample2.net_h1"
    assert names.net_beside("after2.sample1.out_h2_3") == "after2.sample1.net_h2_3"
    with pytest.raises(ValueError):
        names.net_beside("net_h1")


@pytest.mark.parametrize("prefix,parsed", [
    ("", names.Prefix()),
    ("step2.", names.Prefix(step=2)),
    ("step2.sample1.", names.Prefix(step=2, sample=1)),
    ("after10.", names.Prefix(after=10)),
    ("after3.sample12.", names.Prefix(after=3, sample=12)),
    ("forward.", None),
    ("step.", None),
])
def test_parse_prefix(prefix: str, parsed: names.Prefix | None) -> None:
    assert names.parse_prefix(prefix) == parsed


@pytest.mark.parametrize("example", ["mazur.toml", "xor-minibatch.toml", "softmax-classifier.toml"])
def test_every_name_the_engine_writes_parses(example: str) -> None:
    """Every name of a network walkthrough: a prefix SPEC §2 names, then a bare part
    without a dot that is a neuron, a parameter, E_total, or a derivative of such."""
    for name in stepbystep.load(EXAMPLES / example).answers():
        prefix, bare = names.split_prefix(name)
        assert names.parse_prefix(prefix) is not None, name
        assert "." not in bare, name
        derivative = names.parse_gradient(names.before_update(bare))
        if derivative is not None:
            of, wrt = derivative
            assert of and wrt and "/" not in of + wrt, name


def test_spatial_and_recurrent_names() -> None:
    """SPEC §8: channel, row, column from 1 joined by _; one more _ after a digit; @t for time."""
    assert names.spatial_neuron("x", 0, 1, 2) == "x1_2_3"
    assert names.net(names.spatial_neuron("c", 0, 1, 2)) == "net_c1_2_3"
    assert names.spatial_neuron("c2", 0, 1, 2) == "c2_1_2_3"
    assert names.at_time(names.net("h1"), 2) == "net_h1@2"
    assert names.total_gradient(names.at_time(names.net("h1"), 2)) == "dE_total/dnet_h1@2"
