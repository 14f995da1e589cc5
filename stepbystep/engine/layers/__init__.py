"""Layer kinds: one registry record each (ops.registry.LAYERS), read by the step builder.

- record.py   LayerRecord, and SamplePass: one sample's pass that records write into
- neurons.py  what every layer with an activation shares (output, slope, delta nodes)
- dense.py    dense (Mazur's)
- conv.py     conv2d; windows.py: which units below a spatial unit reads
- pool.py     maxpool2d, avgpool2d
- rnn.py      rnn; sequence.py: a sequence network unrolled in time (forward, BPTT)

Adding a kind: its name and keys in spec/choices.py (LAYER_KINDS) and its
checks in spec/validate_layers.py; a module here writing its forward and backward
nodes, adding one LayerRecord with LAYERS.add(...), imported below.
"""
from . import conv, dense, pool, rnn  # noqa: F401  (fill the layer registry)
from .record import LayerRecord, SamplePass

__all__ = ["LayerRecord", "SamplePass"]
