"""The rnn layer (Elman): net_h(t) = W·x(t) + U·out_h(t−1) + b, out_h(t) = f(net_h(t)).

It only exists unrolled in time: sequence.py writes its nodes at every step
(and a dense layer's beside it), reading `recurrent` for the path from the
step before. Its record therefore has no static forms: a network with an
rnn layer is a sequence network, which the step builder unrolls.
"""
from __future__ import annotations

from typing import NoReturn

from ...spec.choices import LAYER_KINDS
from ..ops.registry import LAYERS
from .record import LayerRecord


def _only_in_time(*args: object) -> NoReturn:
    raise TypeError("an rnn layer acts only unrolled in time (engine/layers/sequence.py)")


LAYERS.add(LayerRecord(LAYER_KINDS["rnn"], forward=_only_in_time, backward=_only_in_time, send_back=_only_in_time,
                       input_terms=_only_in_time, in_sequences=True))
