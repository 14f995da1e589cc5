"""Shared fixtures: where things are, the Mazur spec as a dict, and a way to
run the command line in-process and see exactly what it printed."""
from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"
MAZUR_TOML = EXAMPLES / "mazur.toml"


def mazur_dict() -> dict[str, Any]:
    """A fresh copy of examples/mazur.toml as a dict (safe to mutate)."""
    with MAZUR_TOML.open("rb") as stream:
        return copy.deepcopy(tomllib.load(stream))


@pytest.fixture
def mazur_spec() -> dict[str, Any]:
    return mazur_dict()


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Call `stepbystep.cli.main(args)` in-process; returns code, stdout, stderr."""
    from stepbystep.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()  # drop anything printed before
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
