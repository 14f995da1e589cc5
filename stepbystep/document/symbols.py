"""Value names as LaTeX symbols, in Mazur's notation.

`net_h1` prints as net_{h1}, `w5+` as w_5^+, `E_total` as E_{total} with an
upright subscript (a word is a label), `dE_total/dw5` as a fraction of
partials. One place, so the walkthrough, the sheets and the tables agree.

A name that would read as a mathematical constant is set apart: a value
named `e` prints upright, \\mathrm{e}, so `e^{e}` cannot be mistaken for
Euler's number to its own power (the document says so in its conventions).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..spec.names import split_time

_NEURON = re.compile(r"^([A-Za-z]+[A-Za-z0-9]*?)(\d+)$")
# a spatial unit (SPEC §8): layer, channel, row, column: x1_2_3, c2_1_2_3 (layer c2)
_SPATIAL = re.compile(r"^([A-Za-z][A-Za-z0-9]*?)_?(\d+)_(\d+)_(\d+)$")
_WORD = re.compile(r"[A-Za-z]{2}")
# names a reader would take for a constant, and the constant
CONSTANTS = {"e": "Euler's number"}


def _atom_symbol(name: str) -> str:
    """`net_h1` -> net_{h1}, `w5` -> w_5, `i1` -> i_1, `h2_3` stays readable;
    an image's unit `x1_2_3` -> x_{1,2,3}, `net_c1_2_3` -> net_{c1,2,3}."""
    spatial = _SPATIAL.match(name)
    if spatial:
        layer, channel, row, column = spatial.groups()
        return f"{_word(layer)}_{{{channel},{row},{column}}}"
    if "_" in name and _SPATIAL.match(name.partition("_")[2]):
        head, _, unit = name.partition("_")
        layer, channel, row, column = _SPATIAL.match(unit).groups()  # type: ignore[union-attr]
        apart = "\\," if layer[-1].isdigit() else ""   # net_{c2\,1,2,3}: layer c2, channel 1
        return f"{_word(head)}_{{{_escape(layer)}{apart}{channel},{row},{column}}}"
    if "_" in name:
        head, _, tail = name.partition("_")
        if _WORD.search(tail):  # a label such as total: upright (E_{\\mathrm{total}})
            return f"{_word(head)}_{{\\mathrm{{{_escape(tail)}}}}}"
        return f"{_word(head)}_{{{_escape(tail)}}}"
    match = _NEURON.match(name)
    if match:
        return f"{_word(match.group(1))}_{{{match.group(2)}}}"
    return _word(name)


def _word(text: str) -> str:
    text = _escape(text)
    if text in CONSTANTS:
        return f"\\mathrm{{{text}}}"
    return text if len(text) == 1 else f"\\mathit{{{text}}}"


def reads_as_constant(name: str) -> bool:
    """Whether a value name's symbol starts with a letter set apart from a constant (`e`, `e_1`, `e2`)."""
    head = name.partition("_")[0]
    match = _NEURON.match(head)
    return (match.group(1) if match else head) in CONSTANTS


def _escape(text: str) -> str:
    return re.sub(r"([\\{}_&%$#^~])", r"\\\1", text)


# An optimizer's values per parameter (SPEC.md §6): m_w5 -> m_{w_{5}}, mhat_w5 -> \hat{m}_{w_{5}}
_BUFFER = re.compile(r"^(v|G|s|m|mhat|vhat|g|decayed)_(.+)$")
_BUFFER_HEADS = {"mhat": r"\hat{m}", "vhat": r"\hat{v}"}


def buffer_symbol(name: str, step: int | None = None) -> str | None:
    """The symbol of an optimizer's value, with the step it belongs to as a
    second subscript (m_{w_{5},2}: the value after step 2); None for other names."""
    match = _BUFFER.match(name)
    if match is None:
        return None
    key, parameter = match.groups()
    inner = symbol(parameter)
    at = "" if step is None else f",{step}"
    if key == "decayed":   # adamw's weight shrunk before its step: a tilde over the weight
        head, underscore, tail = inner.partition("_")
        if at and tail.startswith("{") and tail.endswith("}"):
            tail = tail[:-1] + at + "}"
        elif at and not underscore:
            underscore, tail = "_", "{" + at[1:] + "}"
        return "\\tilde{" + head + "}" + underscore + tail
    return f"{_BUFFER_HEADS.get(key, key)}_{{{inner}{at}}}"


def _timed(name: str, sample: int | None, sampled: bool) -> str:
    """An atom with its marks above: the time step of a sequence, ⟨2⟩ (`out_h1@2`),
    and the sample, (n), both in one superscript."""
    base, time = split_time(name)
    marks = ([f"\\langle {time} \\rangle"] if time is not None else []) + \
        ([f"({sample})"] if sample is not None and sampled else [])
    text = _atom_symbol(base)
    return text if not marks else f"{text}^{{{','.join(marks)}}}"


@lru_cache(maxsize=65536)
def symbol(name: str, sample: int | None = None) -> str:
    """The LaTeX symbol of a bare value name (no step/sample prefix).

    `sample` adds Mazur-style sample superscripts (n) to per-sample values;
    a sequence's time step, `@2`, is a superscript ⟨2⟩.
    """
    if "@" in name:
        base = name[:-1] if name.endswith("+") else name
        if base.startswith("d") and "/d" in base:
            numerator, _, denominator = base[1:].partition("/d")
            bottom = _timed(denominator, sample, not _is_parameter(split_time(denominator)[0]))
            return f"\\frac{{\\partial {_timed(numerator, sample, True)}}}{{\\partial {bottom}}}"
        return _timed(base, sample, True)
    if sample is None and _BUFFER.match(name):
        found = buffer_symbol(name)
        if found is not None:
            return found
    updated = name.endswith("+")
    base = name[:-1] if updated else name
    if base.startswith("d") and "/d" in base:
        numerator, _, denominator = base[1:].partition("/d")
        top = _with_sample(_atom_symbol(numerator), sample)
        bottom = _atom_symbol(denominator)
        if sample is not None and not _is_parameter(denominator):
            bottom = _with_sample(bottom, sample)
        return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"
    text = _atom_symbol(base)
    if updated:
        text = f"{text}^{{+}}"
    elif sample is not None and not _is_parameter(base):
        text = _with_sample(text, sample)
    return text


@lru_cache(maxsize=4096)
def path_symbol(neuron: str, above: str, sample: int | None = None) -> str:
    """The part of dE_total/dout_<neuron> that flows back through net_<above>,
    where Mazur's dE_<above>/dout_<neuron> would be wrong: the loss term
    E_<above> of a softmax output is not what changes (it is 0 where its
    target is 0), the whole error changes through that net input."""
    total = _with_sample(_atom_symbol("E_total"), sample)
    out = _with_sample(_atom_symbol(f"out_{neuron}"), sample)
    net = _with_sample(_atom_symbol(f"net_{above}"), sample)
    return f"\\left.\\frac{{\\partial {total}}}{{\\partial {out}}}\\right|_{{\\text{{via }} {net}}}"


def _with_sample(text: str, sample: int | None) -> str:
    return text if sample is None else f"{text}^{{({sample})}}"


def _is_parameter(name: str) -> bool:
    """Weights and biases belong to the step, not to one sample."""
    return bool(re.match(r"^(w\d+|b\d+|b_\w+)$", name))
