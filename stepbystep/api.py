"""The library API: load a spec, then ask for the walkthrough in any form.

    >>> import stepbystep
    >>> walk = stepbystep.load("examples/mazur.toml")
    >>> round(walk.value("w5+"), 8)
    0.35891648

Everything is computed once, when the walkthrough is built; the documents
and the answer key are views of the same trace.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .latex import DEFAULT_PRECISION
from .spec import NetworkSpec, Spec, load_spec, parse_spec
from .trace import Trace


@dataclass(frozen=True)
class Walkthrough:
    spec: Spec
    trace: Trace
    round_to: int | None = None

    def value(self, name: str) -> float:
        """One named value (SPEC.md §2; aliases such as delta_o1 work too)."""
        return self.trace.value(name)

    def answers(self) -> dict[str, float]:
        """Every named value in trace order, at full precision."""
        return self.trace.answers()

    def markdown(self, precision: int | None = None) -> str:
        from .render import render_markdown

        return render_markdown(self.trace, self._precision(precision))

    def _precision(self, precision: int | None) -> int:
        if precision is not None:
            return precision
        return DEFAULT_PRECISION if self.round_to is None else self.round_to

    def _repr_markdown_(self) -> str:
        return self.markdown()


def build(spec: Spec, round_to: int | None = None) -> Walkthrough:
    """The walkthrough of an already-validated spec."""
    if isinstance(spec, NetworkSpec):
        from .nn import build_trace

        return Walkthrough(spec, build_trace(spec, round_to=round_to), round_to)
    from .expr import build_graph_trace

    return Walkthrough(spec, build_graph_trace(spec, round_to=round_to), round_to)


def load(path: str | Path, round_to: int | None = None) -> Walkthrough:
    """Read, validate and build a spec file (TOML or JSON)."""
    return build(load_spec(path), round_to)


def from_dict(data: dict[str, Any], round_to: int | None = None, source: str = "<spec>") -> Walkthrough:
    """The same from a dict in the spec file's structure (e.g. in a notebook)."""
    return build(parse_spec(data, source), round_to)
