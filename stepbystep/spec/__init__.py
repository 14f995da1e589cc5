"""Spec files: records, reading, checks with field paths, value names."""
from .load import decode, load_spec, parse_spec
from .model import (
                    MAX_DETAIL_WEIGHTS,
                    MAX_LAYER_SIZE,
                    GraphSpec,
                    Layer,
                    NetworkSpec,
                    Sample,
                    Spec,
                    SpecError,
                    Training,
                    steps_per_epoch,
)

__all__ = ["GraphSpec", "Layer", "MAX_DETAIL_WEIGHTS", "MAX_LAYER_SIZE", "NetworkSpec", "Sample", "Spec", "SpecError",
           "Training", "decode", "load_spec", "parse_spec", "steps_per_epoch"]
