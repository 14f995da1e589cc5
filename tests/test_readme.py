"""The README's promises still hold: exactly two set-up commands, and they work.

`.ci/run` runs both on a clean checkout; this test keeps them true between
CI runs: the first block's stepbystep command prints the walkthrough (also
through `python -m`), and the second block's test command is what this
project's own pytest configuration and test extra support.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

README = REPO / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.M | re.S)]


def commands(block: str) -> list[str]:
    return [part.strip() for line in block.splitlines() for part in line.split("&&") if part.strip()]


@pytest.fixture(scope="module")
def setup_blocks() -> list[str]:
    return bash_blocks(section("Set up"))


def test_exactly_two_set_up_commands(setup_blocks: list[str]) -> None:
    assert len(setup_blocks) == 2
    install, tests = (commands(block) for block in setup_blocks)
    assert install[0] == "pip install ." and install[1].startswith("stepbystep render ")
    assert tests[0] == "pip install '.[test]'" and tests[1].startswith("python -m pytest")


def console_script() -> str:
    script = Path(sys.executable).with_name("stepbystep")
    return str(script) if script.exists() else "stepbystep"


@pytest.mark.parametrize("program", ["console script", "python -m"])
def test_the_first_command_prints_the_walkthrough(setup_blocks: list[str], program: str) -> None:
    words = shlex.split(commands(setup_blocks[0])[1])
    assert words[0] == "stepbystep"
    prefix = [console_script()] if program == "console script" else [sys.executable, "-m", "stepbystep"]
    result = subprocess.run(prefix + words[1:], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("# ") and "$$" in result.stdout
    assert "0.298371109" in result.stdout  # Mazur's E_total


def test_the_second_command_is_supported_by_the_project(setup_blocks: list[str]) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extra = " ".join(project["project"]["optional-dependencies"]["test"])
    for needed in ("pytest", "hypothesis", "pytest-benchmark"):
        assert needed in extra
    assert "torch" not in " ".join(project["project"]["dependencies"]) + extra  # an optional oracle only
    assert project["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert commands(setup_blocks[1])[1] == "python -m pytest"


def test_the_output_excerpt_is_real_output() -> None:
    """The README shows an excerpt of `stepbystep render examples/mazur.toml`."""
    excerpt = re.search(r"```markdown\n(.*?)```", section("What the output looks like"), flags=re.S)
    if excerpt is None:
        pytest.skip("the README shows no Markdown excerpt")
    import stepbystep

    document = stepbystep.load(REPO / "examples" / "mazur.toml").markdown()
    for line in excerpt.group(1).splitlines():
        assert line in document.splitlines(), f"not in the real output: {line!r}"
