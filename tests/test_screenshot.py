"""The README's picture of the HTML page is made here, by headless Chromium
from `walk.html()`: `STEPBYSTEP_UPDATE_SCREENSHOTS=1 python -m pytest
tests/test_screenshot.py` writes it to examples/screenshots/ (beside the
specs a reader runs, shipped with the sources); a normal run makes it
afresh and checks that the committed one is a picture of the same size that
the README shows."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import stepbystep
from conftest import MAZUR_TOML, REPO

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
SCREENSHOT = REPO / "examples" / "screenshots" / "mazur-html.png"
WINDOW = (960, 1500)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_readme_shows_the_screenshot() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"({SCREENSHOT.relative_to(REPO).as_posix()})" in readme
    assert png_size(SCREENSHOT.read_bytes()) == WINDOW


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_screenshot_of_the_html_page(tmp_path: Path) -> None:
    page = tmp_path / "mazur.html"
    page.write_text(stepbystep.load(MAZUR_TOML).html(theme="light"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
               "--virtual-time-budget=2000", f"--screenshot={shot}", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=90, check=True)
    data = shot.read_bytes()
    assert png_size(data) == WINDOW and len(data) > 20_000          # a real picture, not a blank page
    if os.environ.get("STEPBYSTEP_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(data)
