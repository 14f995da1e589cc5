"""MkDocs sites built for real (`mkdocs build`) with a ```stepbystep block:
MkDocs Material with pymdownx.arithmatex, and plain MkDocs with MathML. The
built pages must hold Mazur's published numbers (../shared/mazur-2015.md)
and formulas, never the block's TOML; headless Chromium reads them back;
a bad spec stops the build with one line naming the page and the field."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from conftest import MAZUR_TOML  # noqa: E402

# Mazur's published values (status ok) as the 9-decimal walkthrough prints them.
MAZUR_PUBLISHED = ("0.593269992", "0.596884378", "1.105905967", "0.75136507", "0.772928465", "0.274811083",
                   "0.298371109", "0.74136507", "0.186815602", "0.082167041", "0.35891648", "0.408666186",
                   "0.51130127", "0.561370121", "0.138498562", "0.055399425", "0.036350306", "0.241300709",
                   "0.000438568", "0.149780716", "0.19956143", "0.24975114", "0.29950229")
# f = (x + y)·z at x = 0.123456, y = 0.2, z = 3, by hand: q = 0.323456, f = 0.970368,
# df/dz = q; at `precision: 2` they print as 0.32 and 0.97.
CIRCUIT_TOML = 'title = "Inline circuit"\n[inputs]\nx = 0.123456\ny = 0.2\nz = 3\n[nodes]\nq = "x + y"\nf = "q * z"\n'


def missing_published(text: str) -> list[str]:
    """Published values the text does not show: a printed number shows a value
    published with d decimals when it has at least d decimals and rounds to it
    (0.299502287 shows the post's 0.29950229)."""
    printed = [(number, len(number.split(".")[1])) for number in re.findall(r"-?\d+\.\d+", text)]
    missing = []
    for value in MAZUR_PUBLISHED:
        decimals = len(value.split(".")[1])
        if not any(places >= decimals and round(float(number), decimals) == float(value) for number, places in printed):
            missing.append(value)
    return missing


def mkdocs_build(folder: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", "site"], cwd=folder,
                          capture_output=True, text=True, timeout=300, env=environment)


def make_site(folder: Path, config: str, pages: dict[str, str]) -> Path:
    (folder / "docs" / "examples").mkdir(parents=True)
    shutil.copy(MAZUR_TOML, folder / "docs" / "examples" / "mazur.toml")
    (folder / "mkdocs.yml").write_text(config, encoding="utf-8")
    for name, text in pages.items():
        (folder / "docs" / name).write_text(text, encoding="utf-8")
    return folder


PAGES = {
    "index.md": "# Week 3\n\nMazur's network, step by step:\n\n"
                "```stepbystep\nspec: examples/mazur.toml   # relative to the docs folder\n```\n\nThe end.\n",
    "circuit.md": f"# A circuit\n\n```stepbystep\nprecision: 2\n{CIRCUIT_TOML}```\n",
}
MATERIAL = """site_name: Course
theme:
  name: material
  font: false
markdown_extensions:
  - pymdownx.arithmatex:
      generic: true
  - pymdownx.superfences
  - stepbystep.mkdocs
"""
PLAIN = "site_name: Course\nmarkdown_extensions:\n  - stepbystep.mkdocs\n"


def text_of(html: str) -> str:
    html = re.sub(r"<(style|script|title)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&").replace("\u2212", "-").split())


@pytest.fixture(scope="module")
def material_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("material")
    pytest.importorskip("pymdownx")
    folder = make_site(tmp_path_factory.mktemp("material"), MATERIAL, PAGES)
    result = mkdocs_build(folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder / "site"


@pytest.fixture(scope="module")
def plain_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_site(tmp_path_factory.mktemp("plain"), PLAIN, PAGES)
    result = mkdocs_build(folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder / "site"


def assert_walkthrough_of_mazur(html: str) -> None:
    text = text_of(html)
    assert not missing_published(text)
    assert "Week 3" in text and "The end." in text            # the page around the block is kept
    assert "[[layers]]" not in html and "learning_rate" not in html and "spec:" not in text


def test_material_site_with_arithmatex(material_site: Path) -> None:
    html = (material_site / "index.html").read_text(encoding="utf-8")
    assert_walkthrough_of_mazur(html)
    assert html.count('class="sbs-math arithmatex ') > 20       # inline formulas, for Material's MathJax
    assert html.count('class="sbs-equation arithmatex ') > 20   # display formulas
    assert "\\frac{\\partial E_{\\mathrm{total}}}{\\partial w_{5}}" in html
    assert "<math" not in html


def test_plain_site_with_mathml(plain_site: Path) -> None:
    html = (plain_site / "index.html").read_text(encoding="utf-8")
    assert_walkthrough_of_mazur(html)
    assert len(re.findall(r"<math\b", html)) > 100 and "<mfrac>" in html
    assert "arithmatex" not in html and "\\frac" not in text_of(html)


@pytest.mark.parametrize("site", ["plain_site", "material_site"])
def test_inline_spec_with_options(site: str, request: pytest.FixtureRequest) -> None:
    html = (request.getfixturevalue(site) / "circuit" / "index.html").read_text(encoding="utf-8")
    text = text_of(html)
    printed = re.findall(r"-?\d+\.\d+", text)
    assert "0.32" in printed and "0.97" in printed          # q (= df/dz) and f, to 2 decimals
    assert "0.323456" not in text and "0.970368" not in text
    assert "Inline circuit" in text and "q * z" not in text and "[nodes]" not in html


def test_other_fences_are_left_alone(tmp_path: Path) -> None:
    """A page that *shows* a stepbystep block inside a longer fence keeps it as code."""
    page = "# Docs\n\n````markdown\n```stepbystep\nspec: no/such/file.toml\n```\n````\n"
    folder = make_site(tmp_path, PLAIN, {"index.md": page})
    result = mkdocs_build(folder)
    assert result.returncode == 0, result.stderr[-3000:]
    html = (folder / "site" / "index.html").read_text(encoding="utf-8")
    assert "spec: no/such/file.toml" in html and 'class="stepbystep"' not in html


def test_bad_spec_fails_the_build_with_one_line(tmp_path: Path) -> None:
    bad = MAZUR_TOML.read_text(encoding="utf-8").replace("[[0.15, 0.20],", "[[0.15, 0.20, 0.1],", 1)
    assert bad != MAZUR_TOML.read_text(encoding="utf-8")
    folder = make_site(tmp_path, PLAIN, {"index.md": "# Fine\n\ntext\n"})
    (folder / "docs" / "examples" / "bad.toml").write_text(bad, encoding="utf-8")
    (folder / "docs" / "week").mkdir(exist_ok=True)
    (folder / "docs" / "week" / "bad.md").write_text("# Bad\n\nintro\n\n```stepbystep\nspec: examples/bad.toml\n```\n",
                                                    encoding="utf-8")
    result = mkdocs_build(folder)
    assert result.returncode != 0
    expected = "stepbystep: error: week/bad.md:5: examples/bad.toml: layers[1].weights[0]: expected 2 numbers, got 3"
    lines = [line for line in result.stderr.splitlines() if "stepbystep: error:" in line]
    assert lines and all(line.endswith(expected) for line in lines), result.stderr[-3000:]
    assert "Traceback" not in result.stderr


def test_bad_option_fails_the_build(tmp_path: Path) -> None:
    folder = make_site(tmp_path, PLAIN, {"index.md": "```stepbystep\nspec: examples/mazur.toml\nprecision: many\n```\n"})
    result = mkdocs_build(folder)
    assert result.returncode != 0
    assert "stepbystep: error: index.md:1: precision: expected a whole number from 0 to 15, got 'many'" in result.stderr


@pytest.mark.browser
def test_pages_read_back_in_chromium(plain_site: Path, material_site: Path, tmp_path: Path) -> None:
    from test_browser import CHROMIUM, dump_dom
    from test_browser import text_of as dom_text

    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    for name, site in (("plain", plain_site), ("material", material_site)):
        dom = dump_dom(site / "index.html", tmp_path / f"profile-{name}")
        text = dom_text(dom).replace("\u2212", "-")
        assert not missing_published(text), name
        if name == "plain":  # MathML lives in the DOM as elements, not as text
            assert len(re.findall(r"<math\b", dom)) > 100 and "\\frac" not in text
        assert "[[layers]]" not in text
