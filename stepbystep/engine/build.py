"""From a validated spec to its trace: a network, a computation graph, or a graph's descent."""
from __future__ import annotations

from ..spec.model import NetworkSpec, Spec
from .trace import Trace


def build_trace(spec: Spec, round_to: int | None = None, compare: bool = True) -> Trace:
    """The whole walkthrough of a spec as one ordered trace; `compare`: with the
    runs of the spec's other optimizers (`[training] compare`) in its facts."""
    if isinstance(spec, NetworkSpec):
        from .nn import build_trace as network_trace

        trace = network_trace(spec, round_to=round_to)
    elif spec.training is not None:   # gradient descent on some of the graph's inputs
        from .descent import build_descent_trace

        trace = build_descent_trace(spec, round_to)
    else:
        from .expr import build_graph_trace

        return build_graph_trace(spec, round_to=round_to)
    if compare and spec.training is not None and spec.training.optimizer.compare:
        from .compare import with_comparison

        trace = with_comparison(trace, spec)
    return trace
