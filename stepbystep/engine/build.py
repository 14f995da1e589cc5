"""From a validated spec to its trace: a network or a computation graph."""
from __future__ import annotations

from ..spec.model import NetworkSpec, Spec
from .trace import Trace


def build_trace(spec: Spec, round_to: int | None = None) -> Trace:
    """The whole walkthrough of a spec as one ordered trace."""
    if isinstance(spec, NetworkSpec):
        from .nn import build_trace as network_trace

        return network_trace(spec, round_to=round_to)
    if spec.training is not None:   # gradient descent on some of the graph's inputs
        from .descent import build_descent_trace

        return build_descent_trace(spec, round_to)
    from .expr import build_graph_trace

    return build_graph_trace(spec, round_to=round_to)
