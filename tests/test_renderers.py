"""The renderer interface: one visitor over block kinds per format; a user's
template folder overrides one kind of block (sandboxed); the HTML fragment
follows its host page's colours and font unless a theme is asked for."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import MAZUR_TOML, mazur_dict

import stepbystep
from stepbystep.document.blocks import Bullets, Code, Equation, Figure, Math, Note, Paragraph, Section, Strong, Table
from stepbystep.formats.renderer import BLOCK_KINDS, INLINE_KINDS, Renderer

PUBLISHED = ("0.298371109", "0.35891648", "0.082167041", "0.149780716")  # Mazur (2015)


class PlainText(Renderer):
    """A whole new format in a few lines: what a LaTeX or notebook renderer does."""

    format = "txt"

    def document(self, document):  # type: ignore[no-untyped-def]
        return "\n".join(self.blocks(document.blocks))

    def section(self, block: Section) -> str:
        return "\n".join([self.inline(block.title).upper()] + self.blocks(block.blocks))

    def paragraph(self, block: Paragraph) -> str:
        return self.inline(block.runs)

    def equation(self, block: Equation) -> str:
        return f"{block.name or '(display)'}: {block.text or block.latex}"

    def table(self, block: Table) -> str:
        return "\n".join(" | ".join(self.inline(cell) for cell in row) for row in (block.header, *block.rows))

    def figure(self, block: Figure) -> str:
        return f"[figure {block.id}]"

    def note(self, block: Note) -> str:
        return f"{block.label}: {self.inline(block.runs)}"

    def bullets(self, block: Bullets) -> str:
        return "\n".join("* " + self.inline(item.runs) for item in block.items)

    def text(self, run) -> str:  # type: ignore[no-untyped-def]
        return run.text

    def math(self, run: Math) -> str:
        return run.latex

    def strong(self, run: Strong) -> str:
        return run.text

    def code(self, run: Code) -> str:
        return run.text


def test_a_new_format_is_one_subclass_of_the_visitor() -> None:
    assert set(BLOCK_KINDS) == {"section", "paragraph", "equation", "table", "figure", "note", "bullets"}
    assert set(INLINE_KINDS) == {"text", "user_text", "math", "strong", "code"}
    text = PlainText().document(stepbystep.load(MAZUR_TOML).document())
    for number in PUBLISHED:
        assert number in text
    assert "w5+: 0.35891648" in text and "[figure network]" in text


def test_a_user_template_overrides_one_kind_of_block(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "md").mkdir()
    (tmp_path / "html" / "equation.html.j2").write_text(
        '<p class="mine" data-node="{{ block.name }}">{{ math(block.latex) }} ({{ block.text }})</p>', encoding="utf-8")
    (tmp_path / "md" / "note.md.j2").write_text("NOTE: {{ render(block.runs) }}", encoding="utf-8")
    walk = stepbystep.from_dict(mazur_dict() | {"title": "<script>x</script>", "notes": {"w5+": "a <b>note</b>"}})
    html = walk.html(templates=tmp_path)
    assert '<p class="mine" data-node="w5+">' in html and "(0.35891648)" in html
    assert "<math" in html and "<h2" in html and "<table>" in html  # everything else: the built-in layout
    assert "<script>" not in html and "<b>note</b>" not in html      # escaping still holds
    markdown = walk.markdown(templates=tmp_path)
    assert "NOTE: a &lt;b&gt;note&lt;/b&gt;" in markdown and "$$w_{5}^{+}" in markdown


def test_a_block_template_runs_in_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "note.html.j2").write_text("{{ block.__class__.__mro__[1].__subclasses__() }}",
                                                    encoding="utf-8")
    walk = stepbystep.load(MAZUR_TOML)
    with pytest.raises(stepbystep.api.UserTemplateError, match="note.html.j2"):
        walk.html(templates=tmp_path)


def test_a_user_page_extends_the_built_in_one(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "page.html.j2").write_text(
        '{% extends "html/page.html.j2" %}{% block body %}<p>Week 3</p>{{ super() }}{% endblock %}', encoding="utf-8")
    page = stepbystep.load(MAZUR_TOML).html(templates=tmp_path)
    assert page.startswith("<!DOCTYPE html>") and "<p>Week 3</p>" in page and "0.298371109" in page


def test_fragment_follows_the_host_and_themes_are_opt_in() -> None:
    walk = stepbystep.load(MAZUR_TOML)
    assert walk.html(fragment=True).startswith('<div class="stepbystep">\n')
    assert walk.html(fragment=True, theme="auto").startswith('<div class="stepbystep sbs-theme-auto">')
    assert '<main class="stepbystep sbs-page sbs-theme-auto">' in walk.html()
    css = re.search(r"<style>(.*?)</style>", walk.html(fragment=True), re.S).group(1)
    base = re.search(r"^\.stepbystep \{(.*?)\}", css, re.M | re.S).group(1)
    assert "color: inherit" in base and "font: inherit" in base and "padding" in base
    for block in re.findall(r"@media \(prefers-color-scheme: dark\) \{(.*?)\n\}", css, re.S):
        for selector in re.findall(r"([^{}]+)\{", block):
            assert "sbs-theme-auto" in selector, selector   # dark mode only where asked for
    with pytest.raises(ValueError, match="theme"):
        walk.html(theme="sepia")


CHROMIUM = shutil.which("chromium")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_fragment_in_a_light_page_stays_light_for_a_dark_mode_reader(tmp_path: Path) -> None:
    walk = stepbystep.load(MAZUR_TOML)
    probe = ("<script>for (const [i, el] of document.querySelectorAll('.stepbystep').entries()) {"
             "const s = getComputedStyle(el); document.body.setAttribute('data-' + i, "
             "s.color + '|' + s.backgroundColor + '|' + s.fontFamily + '|' + s.paddingLeft);}</script>")
    host = ('<!DOCTYPE html><html><head><title>host</title></head>'
            '<body style="background:#ffffff;color:rgb(18, 52, 86);font-family:Georgia">'
            f"{walk.html(fragment=True)}{walk.html(fragment=True, theme='auto')}{probe}</body></html>")
    page = tmp_path / "host.html"
    page.write_text(host, encoding="utf-8")
    result = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--force-dark-mode",
                             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=2000", "--dump-dom",
                             page.as_uri()], capture_output=True, text=True, timeout=90)
    plain = re.search(r'data-0="([^"]*)"', result.stdout).group(1).split("|")
    themed = re.search(r'data-1="([^"]*)"', result.stdout).group(1).split("|")
    assert plain[0] == "rgb(18, 52, 86)" and plain[1] == "rgba(0, 0, 0, 0)" and "Georgia" in plain[2]
    assert plain[3] != "0px"                                  # inner padding
    assert themed[0] == "rgb(227, 231, 238)"                  # the reader's dark mode, where opted in
