"""Value names: built and taken apart in one place (SPEC.md §2).

Graders, answer files, course pages and the documents' symbols all rely on
these names, so no other module spells them with an f-string of its own.
A name is an optional prefix (`step2.`, `step2.sample1.`, `after3.`,
`after3.sample1.`) and a bare part (`out_h1`, `dE_total/dw5`, `w5+`); the
bare part never holds a dot, a prefix always ends with one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

E_TOTAL = "E_total"
UPDATED = "+"                 # w5+ : the value after the update
TIME = "@"                    # out_h1@2 : at time step 2 (SPEC §8)


# -- neurons ----------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def neuron(layer: str, index: int) -> str:
    """A neuron of a layer, 0-based index in: `h1`, or `h2_3` when the layer name ends in a digit."""
    joiner = "_" if layer[-1].isdigit() else ""
    return f"{layer}{joiner}{index + 1}"


def spatial_neuron(layer: str, channel: int, row: int, column: int) -> str:
    """A unit of an image or a spatial layer, 0-based indices in: `c1_2_3`
    (channel, row, column from 1), `c2_1_2_3` when the layer name ends in a digit (SPEC §8)."""
    return f"{neuron(layer, channel)}_{row + 1}_{column + 1}"


def at_time(name: str, time: int) -> str:
    """`out_h1@2`: a value at time step 2 of a sequence (1-based; `out_h1@0` the initial state)."""
    return f"{name}{TIME}{time}"


def split_time(bare: str) -> tuple[str, int | None]:
    """`net_h1@2` -> ("net_h1", 2); `dE_total/dw5@2` -> ("dE_total/dw5", 2); no time: (bare, None)."""
    head, at, time = bare.rpartition(TIME)
    return (head, int(time)) if at and time.isdigit() else (bare, None)


def part(through: str, of_output: str) -> str:
    """`dE_o1/dout_h1`: the part of dE_total/dout_h1 that flows back through o1 (Mazur's notation)."""
    return gradient(error(through), of_output)


def net(neuron_name: str) -> str:
    return f"net_{neuron_name}"


def out(neuron_name: str) -> str:
    return f"out_{neuron_name}"


def net_beside(out_name: str) -> str:
    """`step1.sample2.out_h1` -> `step1.sample2.net_h1`: the net input of the same neuron."""
    prefix, bare = split_prefix(out_name)
    if not bare.startswith("out_"):
        raise ValueError(f"{out_name!r} is not a neuron's output")
    return prefix + net(bare[len("out_"):])


def target(neuron_name: str) -> str:
    return f"target_{neuron_name}"


def error(neuron_name: str) -> str:
    """The loss term of one output, `E_o1`."""
    return f"E_{neuron_name}"


def delta(neuron_name: str) -> str:
    """The alias `delta_o1` of dE_total/dnet_o1."""
    return f"delta_{neuron_name}"


# -- parameters -------------------------------------------------------------------------
def weight(number: int) -> str:
    """`w5`: weights are numbered from 1 across the layers, row by row."""
    return f"w{number}"


def channel_bias(channel_name: str) -> str:
    """`b_c1`: the bias of one output channel of a convolution (SPEC §8)."""
    return f"b_{channel_name}"


def shared_bias(layer_number: int) -> str:
    """`b1`: the one bias of a layer, counting the layers after the input from 1."""
    return f"b{layer_number}"


def neuron_bias(neuron_name: str) -> str:
    """`b_h1`: a bias of its own for one neuron."""
    return f"b_{neuron_name}"


def updated(name: str) -> str:
    """`w5+`: the parameter after the update."""
    return name + UPDATED


def is_updated(name: str) -> bool:
    return name.endswith(UPDATED)


def before_update(name: str) -> str:
    """`w5+` -> `w5`."""
    return name[:-len(UPDATED)] if is_updated(name) else name


# -- derivatives ------------------------------------------------------------------------
def gradient(of: str, wrt: str) -> str:
    """`dE_total/dw5`, `dout_o1/dnet_o1`, `df/dx`: d<of>/d<wrt>."""
    return f"d{of}/d{wrt}"


def total_gradient(wrt: str) -> str:
    """`dE_total/dw5`: the gradient of the total error."""
    return gradient(E_TOTAL, wrt)


def parse_gradient(bare: str) -> tuple[str, str] | None:
    """`dE_total/dw5` -> ("E_total", "w5"); None when the bare name is no derivative."""
    if not bare.startswith("d") or "/d" not in bare:
        return None
    of, _, wrt = bare[1:].partition("/d")
    return (of, wrt) if of and wrt else None


# -- prefixes ---------------------------------------------------------------------------
def step(number: int) -> str:
    """`step2`: training step 2 as a whole (steps numbered from 1)."""
    return f"step{number}"


def step_prefix(number: int) -> str:
    """`step2.`: the values of training step 2 (reduced loss and gradients, updates)."""
    return step(number) + "."


def sample_prefix(number: int, sample: int) -> str:
    """`step2.sample1.`: one sample's own values in step 2 (samples numbered from 1 by their place)."""
    return f"{step_prefix(number)}sample{sample}."


def after_prefix(updates: int, sample: int | None = None) -> str:
    """`after3.` (or `after3.sample1.`): the values after 3 updates."""
    return f"after{updates}." + ("" if sample is None else f"sample{sample}.")


def after_total(updates: int) -> str:
    """`after3.E_total`: the total loss over all samples after 3 updates."""
    return after_prefix(updates) + E_TOTAL


def split_prefix(name: str) -> tuple[str, str]:
    """`step1.sample2.out_o1` -> ("step1.sample2.", "out_o1")."""
    head, dot, tail = name.rpartition(".")
    return (head + dot, tail) if dot else ("", name)


def with_bare(name: str, bare: str) -> str:
    """The same prefix, another bare part: (`step1.out_h1`, `net_h1`) -> `step1.net_h1`."""
    return split_prefix(name)[0] + bare


@dataclass(frozen=True)
class Prefix:
    """What a prefix says: the step, the sample, or after how many updates (None: absent)."""

    step: int | None = None
    sample: int | None = None
    after: int | None = None


_PREFIX = re.compile(r"^(?:(step|after)(\d+)\.)?(?:sample(\d+)\.)?$")


def parse_prefix(prefix: str) -> Prefix | None:
    """`step2.sample1.` -> Prefix(step=2, sample=1); None when it is not a prefix SPEC §2 names."""
    found = _PREFIX.match(prefix)
    if found is None:
        return None
    kind, number, sample = found.groups()
    return Prefix(step=int(number) if kind == "step" else None, sample=int(sample) if sample else None,
                  after=int(number) if kind == "after" else None)
