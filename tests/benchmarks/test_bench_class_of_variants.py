"""A class on a [variants] exercise in one `check` call (issue 12): 1,000
sheets over 40 variants (25 students a variant), each sheet naming its
variant as the problem sheet prints it, a third with a mistake. Every
variant is drawn once and its grader built once; the ratio printed is
(seconds per sheet) / (1/1000 s), <= 1 meets the goal of 1,000 sheets a second.

Beside it, the parser on hostile input (issue 14 §3): a 2 MB sheet of the
lines that made regular expressions backtrack, per megabyte.

Run with `python -m pytest tests/benchmarks --benchmark-only -p no:cacheprovider`.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stepbystep import api

REPO = Path(__file__).resolve().parents[2]
SHEETS, VARIANTS, SEED = 1000, 40, 2024
GOAL_PER_SECOND = 1000


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("variants-class")
    data = json.loads(json.dumps(__import__("tomllib").loads((REPO / "examples" / "mazur-variants.toml").read_text())))
    data["variants"].update(seed=SEED, count=VARIANTS)
    spec = folder / "exercise.json"
    spec.write_text(json.dumps(data), encoding="utf-8")
    keys = [(variant.id, variant.key()) for variant in api.variants(spec)]
    rng = random.Random(3)
    paths = []
    for number in range(SHEETS):
        ident, key = keys[number % VARIANTS]
        values = dict(key)
        if number % 3 == 1:
            values["w5+"] = 2 * data["layers"][2]["weights"][0][0] - values["w5+"]  # placeholder slip, wrong
        lines = [f"Variant **{ident}** · Name: Student {number}"]
        lines += [f"{name} = {value:.6g}" for name, value in values.items()]
        path = folder / f"s{number:04}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    rng.shuffle(paths)
    return spec, paths


def test_a_class_of_variants_in_one_call(benchmark: Any, class_folder: tuple[Path, list[Path]]) -> None:
    spec, paths = class_folder
    command = [sys.executable, "-m", "stepbystep", "check", str(spec), *map(str, paths)]

    def run() -> None:
        result = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert result.returncode == 1 and b"Class summary: 1000 files" in result.stdout, result.stderr[-500:]

    benchmark.pedantic(run, rounds=3, iterations=1)
    ratio = benchmark.stats.stats.median / SHEETS * GOAL_PER_SECOND
    benchmark.extra_info["variants class, one process: seconds per sheet / (1/1000 s)"] = round(ratio, 3)


def test_the_parser_on_hostile_lines(benchmark: Any) -> None:
    from stepbystep.grading.answerfile import MAX_BYTES, parse_sheet

    line = "w5+" + " " * 900 + "x\n" + "a" + " " * 990 + "= (\n" + "1" * 990 + "e\n"
    text = (line * (MAX_BYTES // len(line)))[: MAX_BYTES - 1]

    def run() -> None:
        assert parse_sheet(text).entries

    benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info["seconds per MB of hostile lines"] = round(benchmark.stats.stats.median / (len(text) / 1e6), 3)
