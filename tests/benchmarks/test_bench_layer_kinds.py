"""Speed goal of issue 16, measured as ratios: the whole process of
`stepbystep render` on the 4x4 convolution example and on the 3-step
recurrent example, against the same on Mazur's example: goal <= 2x each.

Run with `python -m pytest tests/benchmarks/test_bench_layer_kinds.py --benchmark-only -p no:cacheprovider`;
the ratios (of median CPU times, interleaved runs) are printed at the end.
"""
from __future__ import annotations

import sys
from typing import Any

from test_bench_render import interleaved_medians, report_ratio, run_process  # noqa: F401  (a fixture)

ROUNDS = 11


def render(example: str) -> list[str]:
    return [sys.executable, "-m", "stepbystep", "render", f"examples/{example}.toml"]


def test_render_conv_and_rnn_examples_vs_mazur(benchmark: Any, report_ratio) -> None:  # noqa: F811
    run_process(render("mazur"))  # warm the file cache
    benchmark.pedantic(run_process, args=(render("conv-4x4"),), rounds=3, iterations=1)
    mazur, conv, rnn = interleaved_medians([lambda: run_process(render("mazur")),
                                            lambda: run_process(render("conv-4x4")),
                                            lambda: run_process(render("rnn-3-steps"))], ROUNDS)
    report_ratio("render conv-4x4 / render mazur (processes)", conv / mazur, 2.0)
    report_ratio("render rnn-3-steps / render mazur (processes)", rnn / mazur, 2.0)
