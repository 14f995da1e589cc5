"""Sphinx (and so Jupyter Book 1, which runs Sphinx with MyST) built for real
with `sphinx-build`: the `stepbystep` directive in a reST page and in a MyST
page must give Mazur's published numbers (../shared/mazur-2015.md) as MathML,
never the spec's TOML; headless Chromium reads the page back; a bad spec
fails the build with one line naming the page and the field."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")

from conftest import MAZUR_TOML  # noqa: E402
from test_mkdocs import CIRCUIT_TOML, missing_published, text_of  # noqa: E402

CONF = 'project = "Course"\nextensions = ["myst_parser", "stepbystep.sphinx"]\nexclude_patterns = ["_build"]\n'
INDEX = """Course
======

.. toctree::

   week3/myst
   week3/inline

.. stepbystep:: examples/mazur.toml
"""
MYST = """# Week 3 in MyST

Before the walkthrough.

```{stepbystep} /examples/mazur.toml
:precision: 9
```

After the walkthrough.
"""
INLINE = "Inline\n======\n\n.. stepbystep::\n   :precision: 2\n\n" + "".join(f"   {line}\n" for line in CIRCUIT_TOML.splitlines())


def sphinx_build(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sphinx", "-q", "-N", "-b", "html", str(folder), str(folder / "_build")],
                          capture_output=True, text=True, timeout=300)


def make_project(folder: Path, pages: dict[str, str]) -> Path:
    (folder / "examples").mkdir(parents=True)
    (folder / "week3").mkdir()
    shutil.copy(MAZUR_TOML, folder / "examples" / "mazur.toml")
    (folder / "conf.py").write_text(CONF, encoding="utf-8")
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_project(tmp_path_factory.mktemp("sphinx"),
                          {"index.rst": INDEX, "week3/myst.md": MYST, "week3/inline.rst": INLINE})
    result = sphinx_build(folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder / "_build"


@pytest.mark.parametrize("page", ["index.html", "week3/myst.html"])
def test_rest_and_myst_pages_hold_the_walkthrough(built: Path, page: str) -> None:
    html = (built / page).read_text(encoding="utf-8")
    text = text_of(html)
    assert not missing_published(text)
    assert len(re.findall(r"<math\b", html)) > 100 and "<mfrac>" in html and "\\frac" not in text
    assert "[[layers]]" not in html and "learning_rate" not in html
    if page == "week3/myst.html":
        assert text.index("Before the walkthrough") < text.index("0.35891648") < text.index("After the walkthrough")


def test_inline_spec_and_options(built: Path) -> None:
    text = text_of((built / "week3" / "inline.html").read_text(encoding="utf-8"))
    printed = re.findall(r"-?\d+\.\d+", text)
    assert "0.32" in printed and "0.97" in printed          # q and f = (x + y)·z, to 2 decimals
    assert "0.970368" not in text and "[nodes]" not in text


def test_bad_spec_fails_the_build_with_one_line(tmp_path: Path) -> None:
    bad = MAZUR_TOML.read_text(encoding="utf-8").replace("[[0.15, 0.20],", "[[0.15, 0.20, 0.1],", 1)
    page = "# Bad\n\nintro\n\n```{stepbystep} ../examples/bad.toml\n```\n"
    folder = make_project(tmp_path, {"index.rst": "Home\n====\n\n.. toctree::\n\n   week3/bad\n", "week3/bad.md": page})
    (folder / "examples" / "bad.toml").write_text(bad, encoding="utf-8")
    expected = ("stepbystep: error: week3/bad.md:5: ../examples/bad.toml: "
                "layers[1].weights[0]: expected 2 numbers, got 3")
    for attempt in ("first build", "next build, page unchanged"):  # a failed page is not forgotten
        result = sphinx_build(folder)
        assert result.returncode == 1, attempt
        lines = [line for line in result.stderr.splitlines() if "stepbystep: error:" in line]
        assert len(lines) == 1 and lines[0].endswith(expected), (attempt, result.stderr[-3000:])
        assert "Traceback" not in result.stderr
    (folder / "examples" / "bad.toml").write_text(MAZUR_TOML.read_text(encoding="utf-8"), encoding="utf-8")
    assert sphinx_build(folder).returncode == 0     # the spec fixed, the same page builds


def test_unknown_option_is_refused(tmp_path: Path) -> None:
    page = "# Page\n\n```{stepbystep} ../examples/mazur.toml\n:notation: tensor\n```\n"
    folder = make_project(tmp_path, {"index.rst": "Home\n====\n\n.. toctree::\n\n   week3/p\n", "week3/p.md": page})
    result = sphinx_build(folder)
    assert result.returncode == 1
    assert "stepbystep: error: week3/p.md:3: notation: expected one of scalar, matrix, got 'tensor'" in result.stderr


@pytest.mark.browser
def test_page_reads_back_in_chromium(built: Path, tmp_path: Path) -> None:
    from test_browser import CHROMIUM, dump_dom
    from test_browser import text_of as dom_text

    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    dom = dump_dom(built / "week3" / "myst.html", tmp_path / "profile")
    text = dom_text(dom).replace("\u2212", "-")
    assert not missing_published(text)
    assert len(re.findall(r"<math\b", dom)) > 100 and "\\frac" not in text


def test_latex_builder_gets_the_walkthrough_as_latex(tmp_path: Path) -> None:
    folder = make_project(tmp_path, {"index.rst": INDEX, "week3/myst.md": MYST, "week3/inline.rst": INLINE})
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-N", "-b", "latex", str(folder), str(folder / "_latex")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    tex = (folder / "_latex" / "course.tex").read_text(encoding="utf-8")
    assert not missing_published(tex)
    assert "\\begin{aligned}" in tex and "\\sbstoprule" in tex and "[[layers]]" not in tex
