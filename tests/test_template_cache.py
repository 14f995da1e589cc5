"""The compiled-template cache only saves start-up time: it never changes a
document, it follows STEPBYSTEP_CACHE_DIR (or "off"), and an unwritable
folder just means no cache."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAZUR = ROOT / "examples" / "mazur.toml"


def _render(cache: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STEPBYSTEP_CACHE_DIR": cache}
    return subprocess.run([sys.executable, "-m", "stepbystep", "render", str(MAZUR), *extra],
                          capture_output=True, text=True, env=env, check=False)


def test_cache_folder_is_used_and_changes_nothing(tmp_path: Path) -> None:
    # the HTML page is a template (the Markdown is rendered from the document tree by code)
    uncached = _render("off", "--format", "html")
    first = _render(str(tmp_path / "cache"), "--format", "html")       # compiles and stores
    second = _render(str(tmp_path / "cache"), "--format", "html")      # loads the stored bytecode
    assert uncached.returncode == first.returncode == second.returncode == 0
    assert uncached.stdout == first.stdout == second.stdout
    assert "0.35891648" in second.stdout            # w5+ as published by Mazur
    assert list((tmp_path / "cache").rglob("*.cache")), "no compiled template was stored"


def test_off_stores_nothing_and_unwritable_folder_is_harmless(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    broken = _render(str(blocker / "cache"))        # cannot be created: no cache, no error
    assert broken.returncode == 0 and broken.stderr == ""
    html = _render("off", "--format", "html")
    assert html.returncode == 0 and "<math" in html.stdout
    assert not list(tmp_path.rglob("*.cache"))
