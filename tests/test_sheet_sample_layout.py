"""A problem sheet's sample table fits the page: an image of 25 pixels was one row
of 26 columns (unreadable in the PDF, its headers printed over each other); a
sample with more than 8 values and fewer samples than values is laid out one
row per value. Mazur's one sample of four values keeps one row per sample."""
from __future__ import annotations

import tomllib

from conftest import EXAMPLES


def sample_section(sheet: str) -> list[str]:
    start = sheet.index("## The sample")
    return [line for line in sheet[start:sheet.index("## What to compute")].splitlines() if line.startswith("|")]


def test_an_image_is_one_row_per_pixel(run_cli) -> None:
    out = run_cli("variants", EXAMPLES / "conv-edge-5x5.toml", "--count", "1", "--seed", "3", "--format", "md").out
    rows = sample_section(out)
    assert rows[0] == "| | sample 1 | role |"
    image = tomllib.loads((EXAMPLES / "conv-edge-5x5.toml").read_text(encoding="utf-8"))["samples"][0]["inputs"][0]
    pixels = [row for row in rows[2:] if "input" in row]
    assert len(pixels) == 25
    for r in range(5):
        for c in range(5):
            assert pixels[5 * r + c] == f"| $x_{{1,{r + 1},{c + 1}}}$ | {image[r][c]} | input |"
    assert rows[-1].endswith("| 10 | target |")


def test_mazurs_sample_stays_one_row(run_cli) -> None:
    out = run_cli("variants", EXAMPLES / "mazur-variants.toml", "--count", "1", "--seed", "3", "--format", "md").out
    rows = sample_section(out)
    assert rows[0].startswith("| sample | $i_{1}$ | $i_{2}$ |") and len(rows) == 3
