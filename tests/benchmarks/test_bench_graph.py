"""Speed of computation-graph walkthroughs, relative to Mazur's network.

A circuit walkthrough should cost no more than the Mazur walkthrough it
prepares for, and a large graph (300 values, every value used twice) should
stay interactive.

    python -m pytest tests/benchmarks/test_bench_graph.py --benchmark-only -p no:cacheprovider
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from stepbystep import api

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _large_graph() -> dict[str, Any]:
    nodes, previous = {}, "x"
    for index in range(149):
        nodes[f"a{index}"] = f"tanh({previous} * y + 0.1)"
        nodes[f"b{index}"] = f"a{index} + {previous}"
        previous = f"b{index}"
    return {"inputs": {"x": 0.3, "y": 0.7}, "nodes": nodes}


def test_bench_mazur_markdown(benchmark: Any) -> None:
    benchmark(lambda: api.load(EXAMPLES / "mazur.toml").markdown())


def test_bench_sigmoid_circuit_markdown(benchmark: Any) -> None:
    benchmark(lambda: api.load(EXAMPLES / "circuit-sigmoid-neuron.toml").markdown())


def test_bench_large_graph_markdown(benchmark: Any) -> None:
    data = _large_graph()
    benchmark(lambda: api.from_dict(data).markdown())
