"""Re-rendering an HTML page is byte-identical, like the Markdown: heading ids
must not carry the random placeholders that protect math from Markdown."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import stepbystep

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_html_renders_are_byte_identical(path: Path) -> None:
    walk = stepbystep.load(path)
    first, second = walk.html(), walk.html()
    assert first == second
    ids = re.findall(r'<h[1-6] id="([^"]+)"', first)
    assert ids and len(ids) == len(set(ids))
    assert not any(re.search(r"sbs[0-9a-f]{12}x", heading) for heading in ids)


def test_math_in_a_heading_gives_a_readable_id() -> None:
    page = stepbystep.load(Path(__file__).resolve().parents[1] / "examples" / "circuit-add-multiply.toml").html()
    assert '<h3 id="sbs-at-f">' in page and '<h3 id="sbs-at-q">' in page
