"""The operations registry: everything about one operation in one record.

Families, each a typed frozen record class in its own module with a
registry (ops/registry.py) mapping names to records:

- functions.py  FunctionRecord: what a graph Call computes (float function,
                LaTeX, derivative as graph expressions, compiled-Python form)
- activations.py ActivationRecord: a layer's activation (its output and
                slope as graph expressions, numpy forward/backward, prose)
- losses.py     LossRecord: a loss (per-output term and derivative as graph
                expressions, numpy forms, prose)
- optimizers.py OptimizerRecord: an optimizer (its buffers and update
                direction as graph expressions per parameter, numpy step,
                LaTeX rule, prose); spec half in spec/optimizers.py

`REGISTRY.get(name)` returns the record or raises UnknownOperation naming
the known ones; `REGISTRY.names()` lists them. Nothing falls back to
another operation's maths.

Adding an operation (e.g. an activation):
1. spec/choices.py: its name and parameters (key, default, valid range) in
   ACTIVATIONS (a loss: also what it needs of the output and the targets);
2. activations.py: one ActivationRecord (graph expressions, numpy forms,
   LaTeX, prose), added with ACTIVATIONS.add(...); a new function it calls
   gets a FunctionRecord in functions.py;
3. tests/oracles.py: its mathematical definition, written independently;
   tests/test_registry.py then checks value, derivative (finite
   differences), numpy against scalar path, compiled against graph, prose.

A new family (optimizers, layer kinds) follows the same pattern: a frozen
record class and a registry instance in registry.py, records in its module,
imported below. Layer kinds (LAYERS) write whole layers of nodes, so their
records live in their own package, engine/layers/, imported last.
"""
from . import activations, functions, losses, optimizers  # noqa: F401  (fill the registries)
from .activations import ActivationRecord
from .functions import FunctionRecord
from .losses import LossRecord
from .optimizers import OptimizerRecord, UpdateInputs
from .registry import ACTIVATIONS, FUNCTIONS, LAYERS, LOSSES, OPTIMIZERS, Registry, UnknownOperation
from .. import layers  # noqa: E402,F401  (fills LAYERS; its records read the registries above)

__all__ = ["ACTIVATIONS", "FUNCTIONS", "LAYERS", "LOSSES", "OPTIMIZERS", "ActivationRecord", "FunctionRecord",
           "LossRecord", "OptimizerRecord", "Registry", "UnknownOperation", "UpdateInputs"]
