"""`render --format ipynb`: a valid nbformat 4 notebook (nbformat.validate),
one Markdown cell per section with `$…$` math and the network as an SVG
attachment, and a last code cell that rebuilds the walkthrough with the
library API: executed with nbclient (skipped without a kernel), it prints
w5+ as Mazur published it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import stepbystep
from conftest import EXAMPLES, MAZUR_TOML

nbformat = pytest.importorskip("nbformat")


@pytest.fixture(scope="module")
def mazur_notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stepbystep.cli import main

    path = tmp_path_factory.mktemp("nb") / "mazur.ipynb"
    assert main(["render", str(MAZUR_TOML), "--format", "ipynb", "-o", str(path)]) == 0
    return path


def test_valid_notebook_one_markdown_cell_per_section(mazur_notebook: Path) -> None:
    notebook = nbformat.read(str(mazur_notebook), as_version=4)
    nbformat.validate(notebook)
    document = stepbystep.load(MAZUR_TOML).document()
    top = document.blocks[0]
    sections = [block for block in top.blocks if type(block).__name__ == "Section"]
    markdown = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
    assert len(markdown) == 1 + len(sections)
    for cell, section in zip(markdown[1:], sections):
        assert cell.source.startswith("## ")                    # each cell opens with its section's heading
    assert markdown[0].source.startswith("# A step by step backpropagation example")
    text = "\n".join(cell.source for cell in markdown)
    assert "$$\\frac{\\partial E_{\\mathrm{total}}}{\\partial w_{5}}" in text and "0.35891648" in text
    attached = [cell for cell in markdown if "attachments" in cell]
    assert attached and "image/svg+xml" in next(iter(attached[0].attachments.values()))
    assert notebook.cells[-1].cell_type == "code" and "stepbystep.from_dict" in notebook.cells[-1].source


def test_code_cell_runs_and_prints_w5(mazur_notebook: Path) -> None:
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.skip("no python3 Jupyter kernel")
    notebook = nbformat.read(str(mazur_notebook), as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[-1].outputs
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    name, value = printed.strip().split(" = ")
    assert name == "w5+" and round(float(value), 8) == 0.35891648   # Mazur's published w5+


def test_graph_notebook_prints_its_output(tmp_path: Path) -> None:
    notebook: dict[str, Any] = json.loads(stepbystep.load(EXAMPLES / "circuit-add-multiply.toml").notebook())
    nbformat.validate(nbformat.from_dict(notebook))
    source = "".join(notebook["cells"][-1]["source"])
    namespace: dict[str, Any] = {}
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "cell", "exec"), namespace)  # noqa: S102 (our own generated cell)
    assert out.getvalue().strip() == "f = -12.0"          # (x + y)·z = (-2 + 5)·(-4), by hand
