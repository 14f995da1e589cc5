"""From a validated spec to its trace: a network, a computation graph, or a graph's descent."""
from __future__ import annotations

import difflib

from ..spec.model import NetworkSpec, Spec, SpecError
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

        trace = build_graph_trace(spec, round_to=round_to)
        check_notes(spec, trace)
        return trace
    check_notes(spec, trace)
    if compare and spec.training is not None and spec.training.optimizer.compare:
        from .compare import with_comparison

        trace = with_comparison(trace, spec)
    return trace


def check_notes(spec: Spec, trace: Trace) -> None:
    """A note that names no value would be shown nowhere, silently: most often a
    setting written below the `[notes]` header (TOML puts it in that table) or a
    misspelt name. Refused with the closest names. A value of the net under
    another step's or sample's prefix (`net_h1` once a copied spec trains several
    steps, `step1.theta+` once step 1 is no longer shown in full) is let be."""
    if not spec.notes:
        return
    known = set(trace.names())
    unprefixed = {name.rpartition(".")[2] for name in (*known, *trace.aliases)}
    for name in spec.notes:
        if name in known or (name.rpartition(".")[2] in unprefixed and name not in trace.aliases):
            continue
        if name in trace.aliases:
            raise SpecError(spec.source, f"notes.{name}", f"{name} is another name of {trace.aliases[name]}; "
                            f"write the note under {trace.aliases[name]}")
        close = difflib.get_close_matches(name, known, n=3)
        hint = (f"did you mean {', '.join(close)}?" if close else
                "a setting written below the [notes] header belongs to that table: move it above the tables")
        raise SpecError(spec.source, f"notes.{name}",
                        f"no value of this spec is named {name!r}, so the note would show nowhere; {hint}")
