"""Speed of `stepbystep variants`, measured as a user sees it: the whole
process (interpreter start, imports, drawing, building, writing).

Goal: 1,000 Mazur variants with their keys (JSON) in at most 5 s. The Moodle
bank renders the worked solution of every variant as HTML feedback, which
costs far more; it is measured at 100 variants and reported, not held to the
5 s goal.

    python -m pytest tests/benchmarks/test_bench_variants.py --benchmark-only -p no:cacheprovider
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MAZUR = REPO / "examples" / "mazur.toml"


def _run(tmp_path: Path, count: int, fmt: str) -> None:
    target = tmp_path / f"variants.{fmt}"
    subprocess.run([sys.executable, "-m", "stepbystep", "variants", str(MAZUR), "--count", str(count),
                    "--seed", "1", "--format", fmt, "-o", str(target)], check=True, cwd=REPO)
    assert target.stat().st_size > 0


def test_bench_1000_variants_json_whole_process(benchmark: Any, tmp_path: Path) -> None:
    benchmark.extra_info["goal_seconds"] = 5.0
    benchmark.pedantic(_run, args=(tmp_path, 1000, "json"), rounds=3, iterations=1)


def test_bench_100_variants_moodle_xml_with_feedback(benchmark: Any, tmp_path: Path) -> None:
    benchmark.pedantic(_run, args=(tmp_path, 100, "moodle-xml"), rounds=2, iterations=1)


def test_bench_startup_only(benchmark: Any, tmp_path: Path) -> None:
    """One variant: what the process costs before any real work."""
    benchmark.pedantic(_run, args=(tmp_path, 1, "json"), rounds=3, iterations=1)
