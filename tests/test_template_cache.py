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


def _html(cache: str, *extra: str) -> str:
    result = _render(cache, "--format", "html", *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_converted_formulas_and_page_skeletons_change_nothing(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    for extra in ((), ("--fragment",), ("--math", "katex"), ("--theme", "dark")):
        uncached = _html("off", *extra)
        assert uncached == _html(cache, *extra) == _html(cache, *extra), extra
    assert list((tmp_path / "cache" / "mathml").glob("pieces-*.json"))
    assert list((tmp_path / "cache" / "pages").glob("skeletons-*.json"))


def test_a_tampered_store_never_brings_markup_into_a_page(tmp_path: Path) -> None:
    import json

    cache = tmp_path / "cache"
    _html(str(cache))
    (store,) = (cache / "mathml").glob("pieces-*.json")
    pieces = json.loads(store.read_text(encoding="utf-8"))
    pieces = {latex: '<script>alert(1)</script><mi>x</mi>' for latex in pieces}
    store.write_text(json.dumps(pieces), encoding="utf-8")
    page = _html(str(cache))
    assert "<script" not in page and "0.298371109" in page   # a bad piece is shown as its LaTeX, as code


def test_a_title_that_looks_like_a_slot_is_only_text(tmp_path: Path) -> None:
    import json
    import tomllib

    spec = tmp_path / "spec.json"
    loaded = tomllib.loads(MAZUR.read_text(encoding="utf-8"))
    loaded["title"] = "\ue000sbs-slot-body\ue001 & <b>"
    spec.write_text(json.dumps(loaded), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "stepbystep", "render", str(spec), "--format", "html"],
                            capture_output=True, text=True, env={**os.environ, "STEPBYSTEP_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 0 and result.stdout.count("<table>") == _html("off").count("<table>")
    assert "\ue000sbs-slot-body\ue001 &amp; &lt;b&gt;" in result.stdout
