"""`render --format pdf` (Typst) and `variants --format pdf --solutions`,
read back with pypdf: Mazur's published numbers (../shared/mazur-2015.md)
and every number the Markdown walkthrough prints are in the PDF's text; each
part of the computation starts a page; A4 or Letter; black on white; each
variant's solution holds its own key (a forward pass worked out by hand)."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("typst")
pypdf = pytest.importorskip("pypdf")

import stepbystep  # noqa: E402
from conftest import EXAMPLES, MAZUR_TOML  # noqa: E402
from test_canvas import forward_by_hand  # noqa: E402
from test_mkdocs import missing_published  # noqa: E402


def pages_text(path: Path) -> list[str]:
    reader = pypdf.PdfReader(str(path))
    return [" ".join(page.extract_text().replace("\u2212", "-").split()) for page in reader.pages]


@pytest.fixture(scope="module")
def mazur_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stepbystep.cli import main

    path = tmp_path_factory.mktemp("pdf") / "mazur.pdf"
    assert main(["render", str(MAZUR_TOML), "--format", "pdf", "-o", str(path)]) == 0
    return path


def test_every_number_is_in_the_pdf(mazur_pdf: Path) -> None:
    text = " ".join(pages_text(mazur_pdf))
    assert not missing_published(text)
    markdown_numbers = set(re.findall(r"(?<![\w.])-?\d+\.\d+(?![\w.])", stepbystep.load(MAZUR_TOML).markdown()))
    shown = set(re.findall(r"-?\d+\.\d+", text))
    assert markdown_numbers and markdown_numbers <= shown, sorted(markdown_numbers - shown)[:10]
    assert "\\frac" not in text and "$" not in text


def test_each_part_of_the_computation_starts_a_page(mazur_pdf: Path) -> None:
    pages = pages_text(mazur_pdf)
    for heading in ("The forward pass: layer h", "The total error", "The backward pass: output layer o",
                    "The backward pass: hidden layer h"):
        assert any(page.startswith(heading) for page in pages), heading
    assert pages[0].startswith("A step by step backpropagation example")
    assert "Conventions" in pages[0]                         # the set-up flows on from the title


def test_black_on_white(mazur_pdf: Path) -> None:
    """No colour operator other than black or white (gray levels allowed) in any page's content."""
    reader = pypdf.PdfReader(str(mazur_pdf))
    for page in reader.pages:
        content = page.get_contents().get_data().decode("latin-1")
        for r, g, b in re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|RG|sc|SC|scn|SCN)\b", content):
            assert float(r) == float(g) == float(b), (r, g, b)


@pytest.mark.parametrize(("paper", "size"), [("a4", (595.3, 841.9)), ("letter", (612.0, 792.0))])
def test_paper(tmp_path: Path, paper: str, size: tuple[float, float]) -> None:
    from stepbystep.cli import main

    path = tmp_path / "out.pdf"
    assert main(["render", str(EXAMPLES / "circuit-add-multiply.toml"), "--format", "pdf", "--paper", paper,
                 "-o", str(path)]) == 0
    box = pypdf.PdfReader(str(path)).pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == size
    text = " ".join(pages_text(path))
    assert "-12" in text                                     # f = (x + y)·z = (-2 + 5)·(-4), by hand


def test_hostile_title_prints_as_text(tmp_path: Path) -> None:
    hostile = '#pagebreak() $x$ *b* _e_ ] [ // c "q" \\ <l> @r = - +'
    data = {"title": hostile, "inputs": {"x": 1.5, "y": -2}, "nodes": {"f": "x * y"}}
    pdf = tmp_path / "h.pdf"
    pdf.write_bytes(stepbystep.from_dict(data).pdf())
    assert hostile in pages_text(pdf)[0]


def test_pdf_needs_an_output_file(run_cli: Any) -> None:
    result = run_cli("render", MAZUR_TOML, "--format", "pdf")
    assert result.code == 2 and result.out == ""
    assert result.err == "stepbystep: error: --format pdf writes a binary file: give -o FILE\n"


def test_variants_with_solutions(tmp_path: Path) -> None:
    from stepbystep.cli import main

    spec = EXAMPLES / "mazur-variants.toml"
    pdf, keys = tmp_path / "v.pdf", tmp_path / "v.json"
    assert main(["variants", str(spec), "--count", "3", "--seed", "5", "--format", "pdf", "--solutions", "-o", str(pdf)]) == 0
    assert main(["variants", str(spec), "--count", "3", "--seed", "5", "-o", str(keys)]) == 0
    pages = pages_text(pdf)
    variants = json.loads(keys.read_text(encoding="utf-8"))
    problem_starts = [n for n, page in enumerate(pages) if re.match(r"A step by step .*\(variant 5-\d\)", page)]
    solution_starts = [n for n, page in enumerate(pages) if page.startswith("Solutions:")]
    assert len(problem_starts) == len(solution_starts) == 3
    for variant, start, end in zip(variants, solution_starts, problem_starts[1:] + [len(pages)]):
        solution = " ".join(pages[start:end])
        assert f"Variant {variant['id']}" in solution and "The worked solution" in solution
        hand = forward_by_hand(variant["spec"])
        shown = [float(number) for number in re.findall(r"-?\d+\.\d+", solution)]
        for name in ("out_o1", "E_total"):                  # the key, to its 9 printed decimals
            assert any(math.isclose(number, hand[name], abs_tol=5e-10) for number in shown), (variant["id"], name)
