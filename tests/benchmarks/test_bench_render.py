"""Speed goals of the foundation (issue 3), measured as ratios.

(a) `stepbystep render examples/mazur.toml`, the whole process, against
    `python -c "import numpy, jinja2, markdown"`: goal <= 1.3x.
(b) a full-detail render grows linearly: a 12-24-24-12 net (4x the weights
    of 6-12-12-6) takes <= 4.5x the time beyond start-up.

Run with `python -m pytest tests/benchmarks --benchmark-only -p no:cacheprovider`;
the ratios (of median CPU times, this process and its children) are printed
at the end and kept in the benchmark JSON (extra_info).
"""
from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import SPEED_RATIOS

import stepbystep

REPO = Path(__file__).resolve().parents[2]
BASELINE = [sys.executable, "-c", "import numpy, jinja2, markdown"]
RENDER_MAZUR = [sys.executable, "-m", "stepbystep", "render", "examples/mazur.toml"]
ROUNDS = 15


@pytest.fixture
def report_ratio(benchmark: Any) -> Callable[[str, float, float], None]:
    """Keep a ratio in the benchmark JSON (extra_info) and the summary; never
    an assertion (no hard time limits in tests)."""
    def record(name: str, measured: float, goal: float) -> None:
        SPEED_RATIOS.append((name, measured, goal, "x"))
        benchmark.extra_info[name] = round(measured, 3)
        benchmark.extra_info[f"{name} goal"] = goal
    return record


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("stepbystep")
    return [str(script)] if script.exists() else ["stepbystep"]


def run_process(command: list[str]) -> None:
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: unlike wall time,
    hardly changed by other work on a busy (CI, 2-core) machine."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def interleaved_medians(commands: list[Callable[[], Any]], rounds: int) -> list[float]:
    """Median CPU time of each command, run in turn so that whatever else the
    machine does affects every one of them alike."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(rounds):
        for index, command in enumerate(commands):
            start = cpu_seconds()
            command()
            times[index].append(cpu_seconds() - start)
    return [statistics.median(found) for found in times]


def dense_net(sizes: list[int], seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    layers: list[dict[str, Any]] = [{"size": sizes[0]}]
    for below, size in zip(sizes, sizes[1:]):
        layers.append({"activation": "sigmoid", "bias": round(rng.uniform(-1, 1), 3),
                       "weights": [[round(rng.uniform(-1, 1), 3) for _ in range(below)] for _ in range(size)]})
    return {"learning_rate": 0.5, "loss": "half_sse", "layers": layers,
            "samples": [{"inputs": [round(rng.random(), 2) for _ in range(sizes[0])],
                         "targets": [round(rng.random(), 2) for _ in range(sizes[-1])]}]}


SMALL, LARGE = [6, 12, 12, 6], [12, 24, 24, 12]


def weights(sizes: list[int]) -> int:
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def test_weights_are_four_times() -> None:
    assert weights(LARGE) == 4 * weights(SMALL)


# -- (a) start-up --------------------------------------------------------------------
def test_render_mazur_process_vs_importing_the_dependencies(benchmark, report_ratio) -> None:
    run_process(BASELINE)  # warm the file cache
    benchmark.pedantic(run_process, args=(console_script() + RENDER_MAZUR[3:],), rounds=ROUNDS, iterations=1)
    baseline, script, module = interleaved_medians(
        [lambda: run_process(BASELINE), lambda: run_process(console_script() + RENDER_MAZUR[3:]),
         lambda: run_process(RENDER_MAZUR)], ROUNDS)
    report_ratio("render mazur (stepbystep) / import numpy, jinja2, markdown", script / baseline, 1.3)
    report_ratio("render mazur (python -m) / import numpy, jinja2, markdown", module / baseline, 1.3)


# -- (b) linear growth ---------------------------------------------------------------
@pytest.fixture(scope="module")
def net_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("nets")
    files = {}
    for sizes in (SMALL, LARGE):
        path = folder / ("-".join(map(str, sizes)) + ".json")
        path.write_text(json.dumps(dense_net(sizes)), encoding="utf-8")
        files["-".join(map(str, sizes))] = path
    return files


def render_in_process(path: Path) -> str:
    return stepbystep.load(path).markdown()


@pytest.mark.parametrize("sizes", [SMALL, LARGE], ids=["6-12-12-6", "12-24-24-12"])
def test_full_detail_render_in_process(benchmark, net_files, sizes: list[int]) -> None:
    path = net_files["-".join(map(str, sizes))]
    document = benchmark.pedantic(render_in_process, args=(path,), rounds=5, iterations=1, warmup_rounds=1)
    assert document.startswith("# ")


def test_full_detail_render_grows_linearly(benchmark, report_ratio, net_files) -> None:
    small, large = net_files["6-12-12-6"], net_files["12-24-24-12"]
    render_in_process(small)  # templates compiled, modules imported: what remains is the render
    benchmark.pedantic(render_in_process, args=(large,), rounds=3, iterations=1)
    small_time, large_time = interleaved_medians([lambda: render_in_process(small), lambda: render_in_process(large)], 5)
    report_ratio("full-detail render 12-24-24-12 / 6-12-12-6 (in process)", large_time / small_time, 4.5)
    # the same with whole processes, start-up (python -m stepbystep --help) subtracted
    startup = [sys.executable, "-m", "stepbystep", "--help"]
    base, small_process, large_process = interleaved_medians(
        [lambda: run_process(startup),
         lambda: run_process([sys.executable, "-m", "stepbystep", "render", str(small)]),
         lambda: run_process([sys.executable, "-m", "stepbystep", "render", str(large)])], 3)
    report_ratio("full-detail render 12-24-24-12 / 6-12-12-6 (processes, beyond start-up)",
                 (large_process - base) / (small_process - base), 4.5)
