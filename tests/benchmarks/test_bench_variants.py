"""Speed of `stepbystep variants`, measured as a user sees it: the whole
process (interpreter start, imports, drawing, building, writing).

Goals: 1,000 Mazur variants with their keys (JSON) in at most 5 s; the
Moodle bank of 1,000 variants, each with its whole worked solution as HTML
feedback (rendered from the document tree, issue 11), in at most 3 s. The
times (wall and CPU, which a busy machine disturbs less) are reported, never
asserted.

    python -m pytest tests/benchmarks/test_bench_variants.py --benchmark-only -p no:cacheprovider
"""
from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import SPEED_RATIOS

REPO = Path(__file__).resolve().parents[2]
MAZUR = REPO / "examples" / "mazur.toml"
EXERCISE = REPO / "examples" / "mazur-variants.toml"   # the exercise with a [variants] table


def _run(tmp_path: Path, count: int, fmt: str, spec: Path = MAZUR, seed: int = 1) -> None:
    target = tmp_path / f"variants.{fmt}"
    subprocess.run([sys.executable, "-m", "stepbystep", "variants", str(spec), "--count", str(count),
                    "--seed", str(seed), "--format", fmt, "-o", str(target)], check=True, cwd=REPO)
    assert target.stat().st_size > 0


def test_bench_1000_variants_json_whole_process(benchmark: Any, tmp_path: Path) -> None:
    benchmark.extra_info["goal_seconds"] = 5.0
    benchmark.pedantic(_run, args=(tmp_path, 1000, "json"), rounds=3, iterations=1)


def test_bench_100_variants_moodle_xml_with_feedback(benchmark: Any, tmp_path: Path) -> None:
    benchmark.pedantic(_run, args=(tmp_path, 100, "moodle-xml"), rounds=2, iterations=1)


@pytest.mark.parametrize(("spec", "seed"), [(MAZUR, 1), (EXERCISE, 2024)], ids=["mazur", "mazur-variants"])
def test_bench_1000_variants_moodle_xml_with_feedback(benchmark: Any, tmp_path: Path, spec: Path, seed: int) -> None:
    """The bank a course uses: 1,000 questions, each with its worked solution
    (Mazur's spec, whose weights vary by default, and the exercise whose
    [variants] table draws weights, biases, inputs and targets)."""
    times: list[tuple[float, float]] = []

    def timed() -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        _run(tmp_path, 1000, "moodle-xml", spec, seed)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((time.perf_counter() - start,
                      after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))

    benchmark.pedantic(timed, rounds=3, iterations=1)
    wall, cpu = sorted(times)[len(times) // 2]
    for clock, seconds in (("wall", wall), ("cpu", cpu)):
        name = f"moodle bank, 1,000 variants of {spec.name} with worked solutions ({clock} time)"
        SPEED_RATIOS.append((name, seconds, 3.0, " s"))
        benchmark.extra_info[name] = round(seconds, 2)


def test_bench_startup_only(benchmark: Any, tmp_path: Path) -> None:
    """One variant: what the process costs before any real work."""
    benchmark.pedantic(_run, args=(tmp_path, 1, "json"), rounds=3, iterations=1)
