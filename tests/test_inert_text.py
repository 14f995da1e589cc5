"""The spec's own text (title, notes) is never live TeX or Markdown, in any
format (issue 14 §4): a title `\\(\\href{javascript:…}{CLICK}\\)` must not become
a link in a MathJax page, a host page's MathJax or KaTeX, Moodle's filters or a
Markdown viewer's math.

The tests look at what those programs would see: `math_found` scans a page
the way MathJax 3/4 and KaTeX's auto-render find math (skipped tags, ignore
and process classes, the delimiters), and no formula it finds may carry the
hostile text. (A headless browser running real MathJax needs the network.)
"""
from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from conftest import mazur_dict

import stepbystep
from stepbystep.exercises.export import export
from stepbystep.exercises.variants import iter_variants
from stepbystep.spec.load import parse_spec

LINK = "\\(\\href{javascript:alert(1)}{CLICK}\\)"
OVERLAY = "$$\\class{x}{\\style{position:fixed;top:0;left:0;width:100%;height:100%}{CLICK}}$$"
MORE = ("\\[\\style{color:red}{CLICK}\\] \\begin{equation}\\href{javascript:alert(2)}{CLICK}\\end{equation} "
        "$\\href{javascript:alert(3)}{CLICK}$ \\\\(\\href{javascript:alert(4)}{CLICK}\\\\)")
TITLE = f"Week 3 {LINK} {OVERLAY}"
NOTES = {"E_total": MORE, "net_h1": LINK + " *not bold* <b>x</b>"}
# A live command of the spec's text inside a formula (a formula made only of letters and broken
# commands, `\\⁠href`, is set in italics at worst on a host that reads `$ … $`, and runs nothing).
HOSTILE = re.compile(r"\\(href|class|style|cssId|url|html\w*|unicode|require)\b")

# MathJax's delimiters (inline \( \), display \[ \] and $$ $$, environments), the $ … $ that
# many hosts add, and Jupyter's \\( \\) in Markdown source.
_DELIMITED = re.compile(r"\\\\?\((.*?)\\\\?\)|\\\\?\[(.*?)\\\\?\]|\$\$(.*?)\$\$|\$(.+?)\$|"
                        r"\\begin\{(\w+\*?)\}(.*?)\\end\{\5\}", re.S)
_SKIPPED = {"script", "noscript", "style", "textarea", "pre", "code", "annotation", "annotation-xml", "title"}


def tex_in(text: str) -> list[str]:
    """Every formula a TeX finder would take from this text (escaped \\$ is a dollar)."""
    text = text.replace("\\$", "")
    return ["".join(part or "" for part in match.groups()) for match in _DELIMITED.finditer(text)]


class _Scan(HTMLParser):
    """The text MathJax would search: element by element, ignore/process classes as MathJax 3 applies them."""

    def __init__(self, ignore: str | None, process: str | None, only: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.ignore = re.compile(rf"(^| )({ignore})( |$)") if ignore else None
        self.process = re.compile(rf"(^| )({process})( |$)") if process else None
        self.only = re.compile(rf"(^| )({only})( |$)") if only else None
        self.stack: list[tuple[str, bool]] = []
        self.chunks: list[list[str]] = [[]]

    def active(self) -> bool:
        return self.stack[-1][1] if self.stack else self.only is None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        active = self.active()
        if tag in _SKIPPED:
            active = False
        elif self.only is not None:
            active = active or bool(self.only.search(classes))
        elif active and self.ignore and self.ignore.search(classes):
            active = False
        elif not active and self.process and self.process.search(classes) and not (
                self.stack and self.stack[-1][0] in _SKIPPED):
            active = True
        if tag in ("br", "hr", "img", "input", "meta", "link"):
            return
        self.stack.append((tag, active))
        self.chunks.append([])  # a new element: a new string for the delimiter search

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break
        self.chunks.append([])

    def handle_data(self, data: str) -> None:
        if self.active():
            self.chunks[-1].append(data)


def math_found(html: str, ignore: str | None = None, process: str | None = None, only: str | None = None) -> list[str]:
    scan = _Scan(ignore, process, only)
    scan.feed(html)
    return [formula for chunk in scan.chunks for formula in tex_in("".join(chunk))]


def assert_inert(formulas: list[str], where: str) -> None:
    live = [formula for formula in formulas if HOSTILE.search(formula)]
    assert not live, f"{where}: the spec's text is live TeX: {live[:3]}"


def page_config(page: str) -> tuple[str, str]:
    config = re.search(r"window\.MathJax=(\{.*?\});", page).group(1)
    return (re.search(r'ignoreHtmlClass:"([^"]*)"', config).group(1),
            re.search(r'processHtmlClass:"([^"]*)"', config).group(1))


HOSTS = {"MathJax 3 defaults": ("tex2jax_ignore", "tex2jax_process"),
         "MathJax 4 defaults": ("mathjax_ignore", "mathjax_process"),
         "no class settings (KaTeX auto-render on the body, Moodle's TeX filter)": (None, None)}


@pytest.fixture(scope="module", params=["network", "graph"])
def walk(request: pytest.FixtureRequest) -> stepbystep.api.Walkthrough:
    if request.param == "network":
        return stepbystep.from_dict({**mazur_dict(), "title": TITLE, "notes": NOTES})
    return stepbystep.from_dict({"title": TITLE, "inputs": {"x": 1.5, "y": -2}, "nodes": {"q": "x * y", "f": "sigmoid(q)"},
                                 "notes": {"f": MORE, "q": LINK}})


def test_the_payload_is_live_tex_to_the_scanner() -> None:
    """The scanner finds the hostile formulas in the raw text (else the tests below prove nothing)."""
    assert len([f for f in tex_in(TITLE + " " + MORE) if HOSTILE.search(f)]) == 6


def test_mathjax_page_typesets_only_our_formulas(walk) -> None:
    page = walk.html(math="mathjax")
    ignore, process = page_config(page)
    assert '"ui/safe"' in page  # MathJax's safe extension: no javascript: links, classes or styles
    ours = math_found(page, ignore, process)
    assert len(ours) > 5 and any("\\frac" in f or "\\sigma" in f or "\\cdot" in f for f in ours)
    assert_inert(ours, "MathJax page")
    for host, (host_ignore, host_process) in HOSTS.items():
        assert_inert(math_found(page, host_ignore, host_process), f"page under {host}")


@pytest.mark.parametrize("math", ["mathjax", "katex", "mathml"])
def test_fragments_are_inert_under_any_host_configuration(walk, math: str) -> None:
    fragment = walk.html(fragment=True, math=math)
    for host, (ignore, process) in HOSTS.items():
        found = math_found(fragment, ignore, process)
        assert_inert(found, f"{math} fragment under {host}")
        if math != "mathml" and ignore:
            assert len(found) > 5  # the host still typesets our formulas


def test_katex_page_renders_only_our_formulas_with_trust_off(walk) -> None:
    page = walk.html(math="katex")
    init = re.search(r"<script>(document\.addEventListener.*?)</script>", page, re.S).group(1)
    assert "trust:false" in init.replace(" ", "")
    selector = re.search(r'querySelectorAll\("([^"]+)"\)', init).group(1)
    classes = "|".join(part.strip().lstrip(".") for part in selector.split(","))
    ours = math_found(page, only=classes)
    assert len(ours) > 5
    assert_inert(ours, "KaTeX page")
    assert_inert(math_found(page), "KaTeX page, whole body")


def test_mathml_page_and_visible_text(walk) -> None:
    page = walk.html()
    assert_inert(math_found(page), "MathML page")
    shown = unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u2060", "")
    assert "Week 3 " + LINK in shown  # the reader still sees the title exactly as written
    if "net_h1" in walk.spec.notes:
        assert "<b>x</b>" not in page and "*not bold* <b>x</b>" in shown


def test_markdown_is_inert_in_source_and_rendered(walk) -> None:
    import markdown

    text = walk.markdown()
    user_lines = [line for line in text.splitlines() if "CLICK" in line]
    assert len(user_lines) >= 2
    for line in user_lines:
        assert_inert(tex_in(line), "Markdown source (Jupyter, pandoc)")
    assert_inert(math_found(markdown.markdown(text)), "Markdown rendered, MathJax over all of it")


def test_user_template_pages_load_mathjax_that_ignores_the_title(tmp_path) -> None:
    walk = stepbystep.from_dict({**mazur_dict(), "title": TITLE, "notes": NOTES})
    page = tmp_path / "page.html.j2"
    page.write_text("<html><head>{{ math_head }}</head><body><h1>{{ title }}</h1>{{ walkthrough }}</body></html>",
                    encoding="utf-8")
    html = walk.render_template(page, math="mathjax")
    ignore, process = page_config(html)
    assert_inert(math_found(html, ignore, process), "user template with our MathJax set-up")


@pytest.fixture(scope="module")
def variants() -> list:
    data = {**mazur_dict(), "title": TITLE, "notes": NOTES,
            "variants": {"weights": {"range": [-1, 1], "decimals": 2}, "ask": ["out_o1", "E_total", "w5+"]}}
    return list(iter_variants(parse_spec(data), 2, 7))


def test_moodle_questions_names_and_feedback_are_inert(variants) -> None:
    import xml.etree.ElementTree as ET

    [(_, xml)] = export(variants, "moodle-xml", None)
    quiz = ET.fromstring(xml)
    texts = [node.text or "" for node in quiz.iter("text")]
    assert any("CLICK" in text for text in texts)
    for text in texts:
        for host, (ignore, process) in HOSTS.items():
            assert_inert(math_found(text, ignore, process), f"Moodle text under {host}")
        assert_inert(tex_in(unescape(text)), "Moodle name or category (filters run on strings too)")


def test_markdown_sheets_and_json_keep_the_text_inert(variants) -> None:
    [(_, sheets)] = export(variants, "md", None)
    assert any("CLICK" in line for line in sheets.splitlines())
    for line in sheets.splitlines():
        if "CLICK" in line:
            assert_inert(tex_in(line), "Markdown sheet")
    [(_, data)] = export(variants, "json", None)
    assert json.loads(data)[0]["spec"]["title"].startswith(TITLE)  # data stays data: exactly as written
