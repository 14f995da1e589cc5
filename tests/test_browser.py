"""The HTML walkthrough in a real browser (headless Debian chromium): the live
DOM holds MathML, no raw LaTeX is visible, every number is there, and a
hostile title stays text. Skipped when chromium is not installed."""
from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

import stepbystep

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")]

ROOT = Path(__file__).resolve().parent.parent
MAZUR = ROOT / "examples" / "mazur.toml"
# The attack writes into the page if it ever runs: a changed title, an attribute, an element.
ATTACK = ("<script>document.title='pwned';document.documentElement.setAttribute('data-pwned','script');"
          "document.body.appendChild(document.createElement('pwned'))</script>"
          "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">")


def dump_dom(path: Path, profile: Path) -> str:
    """The DOM after the page has loaded and run whatever it runs."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--virtual-time-budget=2000", "--dump-dom", path.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<html" in result.stdout
    return result.stdout


def text_of(dom: str) -> str:
    dom = re.sub(r"<(style|title|script)\b.*?</\1>", " ", dom, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", dom)).split())


@pytest.fixture(scope="module")
def mazur_dom(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("browser")
    page = folder / "mazur.html"
    page.write_text(stepbystep.load(MAZUR).html(), encoding="utf-8")
    return dump_dom(page, folder / "profile")


def test_live_dom_has_mathml_and_no_raw_latex(mazur_dom: str) -> None:
    assert len(re.findall(r"<math\b", mazur_dom)) > 100
    assert "<mfrac>" in mazur_dom and "<msub>" in mazur_dom and "sbs-stack" in mazur_dom
    text = text_of(mazur_dom)
    for latex in ("\\frac", "\\mathit", "\\cdot", "\\left", "\\partial", "\\begin", "$$", "$"):
        assert latex not in text


def test_every_number_of_the_walkthrough_is_visible(mazur_dom: str) -> None:
    walk = stepbystep.load(MAZUR)
    text = text_of(mazur_dom).replace("\u2212", "-")
    # every number the Markdown walkthrough prints (the same document in its other format) …
    markdown_numbers = set(re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", walk.markdown()))
    shown = set(re.findall(r"\d+\.\d+", text))
    assert markdown_numbers and markdown_numbers <= shown, sorted(markdown_numbers - shown)[:10]
    # … and the numbers Mazur published (shared/mazur-2015.md, status ok)
    for number in ("0.593269992", "0.75136507", "0.298371109", "0.082167041", "0.35891648", "0.036350306",
                   "0.000438568", "0.149780716", "0.408666186", "0.51130127", "0.561370121"):
        assert number in text


def test_hostile_title_and_note_never_run(tmp_path: Path) -> None:
    spec = stepbystep.load(MAZUR).spec
    data = {
        "title": ATTACK, "learning_rate": 0.5, "loss": "half_sse", "update_biases": False,
        "layers": [{"name": layer.name, "size": layer.size} if not layer.activation else
                   {"name": layer.name, "activation": layer.activation, "weights": [list(r) for r in layer.weights],
                    "bias": layer.bias} for layer in spec.layers],
        "samples": [{"inputs": list(s.inputs), "targets": list(s.targets)} for s in spec.samples],
        "notes": {"net_h1": ATTACK},
    }
    walk = stepbystep.from_dict(data)
    # the page (which also forbids scripts by policy) and, more telling, the
    # fragment pasted into a bare page with no policy at all
    pages = {"page.html": walk.html(),
             "fragment.html": f"<!DOCTYPE html><html><head><title>host</title></head><body>"
                              f"{walk.html(fragment=True)}</body></html>"}
    for name, html in pages.items():
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        dom = dump_dom(path, tmp_path / f"profile-{name}")
        assert not re.search(r"<html[^>]*data-pwned", dom) and "<pwned" not in dom, name
        assert "<title>pwned</title>" not in dom, name
        assert not re.search(r"<img\b", dom) and not re.search(r"<script\b", dom), name
        assert ATTACK in text_of(dom.replace("<title>", "<x>").replace("</title>", "</x>")), name
