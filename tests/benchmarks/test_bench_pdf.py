"""Speed of the printed formats (issue 13), measured as whole processes:

- `render examples/mazur.toml --format pdf -o …`: goal <= 2 s; reported as a
  ratio to the same command with `--format html`;
- `variants examples/mazur-variants.toml --count 100 --format pdf --solutions`:
  goal <= 20 s; reported as a ratio to the same 100 variants as a Moodle bank
  (which renders every worked solution as HTML).

Wall and CPU time (user + system of the child); on a shared machine the CPU
time is the steadier. No hard limit: the numbers go to the benchmark JSON
and, with -s, to the terminal.

    python -m pytest tests/benchmarks/test_bench_pdf.py --benchmark-only -p no:cacheprovider -s
"""
from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("typst")

REPO = Path(__file__).resolve().parents[2]
STEPBYSTEP = [sys.executable, "-m", "stepbystep"]


def run_measured(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compare(benchmark: Any, name: str, measured: list[str], baseline: list[str], rounds: int, goal: float) -> None:
    run_measured(measured)  # warm the file and template caches
    benchmark.pedantic(run_measured, args=(measured,), rounds=1, iterations=1)
    times, base = [], []
    for _ in range(rounds):  # in turn, so a busy machine slows both alike
        times.append(run_measured(measured))
        base.append(run_measured(baseline))
    for index, clock in enumerate(("wall", "cpu")):
        seconds = statistics.median(t[index] for t in times)
        ratio = seconds / statistics.median(t[index] for t in base)
        benchmark.extra_info[f"{name} seconds ({clock})"] = round(seconds, 3)
        benchmark.extra_info[f"{name} / html ({clock})"] = round(ratio, 2)
        print(f"\n{name}: {seconds:.2f} s {clock} (goal <= {goal} s), {ratio:.2f}x the HTML render")


def test_mazur_pdf_process(benchmark: Any, tmp_path: Path) -> None:
    pdf = STEPBYSTEP + ["render", "examples/mazur.toml", "--format", "pdf", "-o", str(tmp_path / "m.pdf")]
    html = STEPBYSTEP + ["render", "examples/mazur.toml", "--format", "html", "-o", str(tmp_path / "m.html")]
    compare(benchmark, "render mazur --format pdf", pdf, html, rounds=7, goal=2)


def test_100_variants_pdf_with_solutions(benchmark: Any, tmp_path: Path) -> None:
    common = ["variants", "examples/mazur-variants.toml", "--count", "100", "--seed", "2024"]
    pdf = STEPBYSTEP + common + ["--format", "pdf", "--solutions", "-o", str(tmp_path / "v.pdf")]
    moodle = STEPBYSTEP + common + ["--format", "moodle-xml", "-o", str(tmp_path / "v.xml")]
    compare(benchmark, "variants x100 --format pdf --solutions", pdf, moodle, rounds=2, goal=20)
