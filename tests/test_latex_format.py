"""`render --format latex`: independent of TeX, the source holds every
number of the walkthrough and Mazur's published ones, escapes a hostile
title, uses amsmath and nothing else; where pdflatex is installed, the
standalone document and a fragment `\\input` into a course's own document
compile, and the compiled text shows the numbers."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import stepbystep
from conftest import EXAMPLES, MAZUR_TOML
from stepbystep.formats.latex_text import latex_text
from test_mkdocs import missing_published

PDFLATEX = shutil.which("pdflatex")
needs_tex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")
HOSTILE = r"\input{/etc/passwd} \def\x{1} $x$ # % & _ ^ ~ { } <b> | \\ end"


def compile_tex(folder: Path, source: str, name: str = "doc") -> str:
    """pdflatex the source; the PDF's text (pypdf) when it compiles, else the log's error."""
    (folder / f"{name}.tex").write_text(source, encoding="utf-8")
    result = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", f"{name}.tex"],
                            cwd=folder, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:]
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(folder / f"{name}.pdf"))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).replace("\u2212", "-").split())


def test_source_holds_every_number() -> None:
    walk = stepbystep.load(MAZUR_TOML)
    tex = walk.latex()
    assert not missing_published(tex)
    markdown_numbers = set(re.findall(r"(?<![\w.])-?\d+\.\d+(?![\w.])", walk.markdown()))
    assert markdown_numbers <= set(re.findall(r"-?\d+\.\d+", tex))
    assert re.findall(r"\\usepackage\{([^}]*)\}", tex) == ["amsmath"]
    assert "\\begin{aligned}" in tex and "\\sbstoprule" in tex and "\\begin{picture}" in tex


def test_user_text_is_escaped() -> None:
    assert latex_text("a_b & 50% #1 $x$ {y} \\z ~^") == (
        r"a\_b \& 50\% \#1 \$x\$ \{y\} \textbackslash{}z \textasciitilde{}\textasciicircum{}")
    data = {"title": HOSTILE, "inputs": {"x": 1.5, "y": -2}, "nodes": {"f": "x * y"}}
    tex = stepbystep.from_dict(data).latex()
    assert "\\input{/etc/passwd}" not in tex and "\\def\\x" not in tex
    assert latex_text(HOSTILE) in tex


@needs_tex
@pytest.mark.parametrize(("spec", "notation"), [
    ("mazur.toml", "scalar"), ("mazur.toml", "matrix"), ("softmax-classifier.toml", "scalar"),
    ("xor-minibatch.toml", "scalar"), ("circuit-max.toml", "scalar"), ("batch-mean.toml", "matrix"),
])
def test_standalone_document_compiles(tmp_path: Path, spec: str, notation: str) -> None:
    walk = stepbystep.load(EXAMPLES / spec)
    text = compile_tex(tmp_path, walk.latex(notation=notation))
    if spec == "mazur.toml" and notation == "scalar":
        assert not missing_published(text)


@needs_tex
def test_fragment_inputs_into_a_course_document(tmp_path: Path) -> None:
    (tmp_path / "walk.tex").write_text(stepbystep.load(MAZUR_TOML).latex(fragment=True), encoding="utf-8")
    course = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\nWeek 3.\n\n\\input{walk}\n\\end{document}\n"
    text = compile_tex(tmp_path, course, "course")
    assert text.startswith("Week 3.") and not missing_published(text)


@needs_tex
def test_hostile_title_compiles_as_text(tmp_path: Path) -> None:
    data = {"title": HOSTILE, "inputs": {"x": 1.5, "y": -2}, "nodes": {"f": "x * y"}}
    text = compile_tex(tmp_path, stepbystep.from_dict(data).latex())
    assert "input{/etc/passwd}" in text.replace(" ", "")   # shown as text (the backslash as a symbol)
    assert "-3" in text                                    # f = 1.5·(-2), by hand


def test_latex_cli(run_cli: object, tmp_path: Path) -> None:
    result = run_cli("render", MAZUR_TOML, "--format", "latex", "--paper", "letter")  # type: ignore[operator]
    assert result.code == 0 and "\\documentclass[11pt,letterpaper]{article}" in result.out
    result = run_cli("render", MAZUR_TOML, "--format", "latex", "--fragment")  # type: ignore[operator]
    assert result.code == 0 and "\\documentclass" not in result.out and "\\begin{document}" not in result.out
    result = run_cli("render", MAZUR_TOML, "--format", "latex", "--fragment", "--paper", "a4")  # type: ignore[operator]
    assert result.code == 2 and "--paper goes with --format pdf or latex" in result.err


@needs_tex
def test_bigger_nets_compile(tmp_path: Path) -> None:
    """3-4-2: drawn with its 20 labels; 8-10-8: too many to draw in picture mode, the table instead."""
    from test_diagram_labels import net

    middle, big = net([3, 4, 2]).latex(), net([8, 10, 8]).latex()
    assert "\\begin{picture}" in middle and "\\begin{picture}" not in big
    compile_tex(tmp_path, middle, "middle")
    compile_tex(tmp_path, big, "big")
