"""`variants --format pdf`: printed problem sheets (Typst), read back with
pypdf: one sheet per variant, each starting a page, holding that variant's
own numbers (from its spec in the JSON export) and every value asked; A4 or
Letter; a hostile title printed as text, never run as Typst."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("typst")
pypdf = pytest.importorskip("pypdf")

from conftest import EXAMPLES  # noqa: E402

SPEC = EXAMPLES / "mazur-variants.toml"
A4 = (595.3, 841.9)
LETTER = (612.0, 792.0)


def pages_text(path: Path) -> list[str]:
    reader = pypdf.PdfReader(str(path))
    return [" ".join(page.extract_text().replace("\u2212", "-").split()) for page in reader.pages]


def export(tmp_path: Path, *extra: str, spec: Path = SPEC, count: int = 4) -> tuple[Path, list[dict[str, Any]]]:
    from stepbystep.cli import main

    pdf, keys = tmp_path / "sheets.pdf", tmp_path / "keys.json"
    assert main(["variants", str(spec), "--count", str(count), "--seed", "11", "--format", "pdf", "-o", str(pdf), *extra]) == 0
    assert main(["variants", str(spec), "--count", str(count), "--seed", "11", "-o", str(keys)]) == 0
    return pdf, json.loads(keys.read_text(encoding="utf-8"))


def test_one_sheet_per_variant_with_its_own_numbers(tmp_path: Path) -> None:
    pdf, keys = export(tmp_path)
    pages = pages_text(pdf)
    starts = [number for number, text in enumerate(pages) if re.search(r"\(variant 11-\d+\)", text[:120])]
    assert len(starts) == len(keys)                        # every sheet starts a page of its own
    for start, end, variant in zip(starts, starts[1:] + [len(pages)], keys):
        sheet = " ".join(pages[start:end])
        assert f"Variant {variant['id']}" in sheet
        spec = variant["spec"]
        given = [w for layer in spec["layers"][1:] for row in layer["weights"] for w in row]
        given += [layer["bias"] for layer in spec["layers"][1:]]
        given += spec["samples"][0]["inputs"] + spec["samples"][0]["targets"]
        shown = {float(number) for number in re.findall(r"-?\d+\.\d+|-?\d+", sheet)}
        assert all(value in shown for value in given), variant["id"]
        for name in variant["questions"]:                  # what to compute, by the names check reads
            assert name in sheet, (variant["id"], name)
        assert "Variant: " + variant["id"] in sheet            # the exact line a hand-in starts with


@pytest.mark.parametrize(("paper", "size"), [("a4", A4), ("letter", LETTER)])
def test_paper_size(tmp_path: Path, paper: str, size: tuple[float, float]) -> None:
    pdf, _ = export(tmp_path, "--paper", paper, count=1)
    box = pypdf.PdfReader(str(pdf)).pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == size


def test_hostile_title_is_printed_as_text(tmp_path: Path) -> None:
    hostile = 'Week 3 #pagebreak() $x$ *bold* _em_ ] [ // not a comment "quoted" \\ <label> @ref'
    text = SPEC.read_text(encoding="utf-8")
    spec = tmp_path / "hostile.toml"
    spec.write_text(re.sub(r'^title = .*$', lambda _: "title = " + json.dumps(hostile), text, count=1, flags=re.M), encoding="utf-8")
    pdf, keys = export(tmp_path, spec=spec, count=1)
    pages = pages_text(pdf)
    assert hostile in pages[0]
    assert len(pages) <= 2                                 # no page break was run


def test_pdf_needs_an_output_file(run_cli: Any) -> None:
    result = run_cli("variants", SPEC, "--count", "1", "--seed", "1", "--format", "pdf")
    assert result.code == 2 and result.err == "stepbystep: error: --format pdf writes a binary file: give -o FILE\n"
    result = run_cli("variants", SPEC, "--count", "1", "--seed", "1", "--paper", "letter")
    assert result.code == 2 and "--paper goes with --format pdf" in result.err
