"""The HTML walkthrough: self-contained, MathML everywhere, safe with hostile
text, scoped CSS in the fragment, and the numbers of Mazur's post in it."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stepbystep
from stepbystep.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
MAZUR = ROOT / "examples" / "mazur.toml"
HOSTILE_TITLE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"

# Mazur (2015) as published (shared/mazur-2015.md, status ok), 9 decimals
PUBLISHED = ["0.3775", "0.593269992", "0.596884378", "1.105905967", "0.75136507", "0.772928465",
             "0.274811083", "0.023560026", "0.298371109", "0.74136507", "0.186815602", "0.082167041",
             "0.35891648", "0.408666186", "0.138498562", "0.055399425", "0.036350306", "0.241300709",
             "0.149780716"]


def mazur_dict(**changes: object) -> dict:
    spec = {
        "title": "Mazur", "learning_rate": 0.5, "loss": "half_sse", "update_biases": False,
        "layers": [{"name": "i", "size": 2},
                   {"name": "h", "activation": "sigmoid", "weights": [[0.15, 0.20], [0.25, 0.30]], "bias": 0.35},
                   {"name": "o", "activation": "sigmoid", "weights": [[0.40, 0.45], [0.50, 0.55]], "bias": 0.60}],
        "samples": [{"inputs": [0.05, 0.10], "targets": [0.01, 0.99]}],
    }
    spec.update(changes)
    return spec


def visible_text(html: str) -> str:
    """What a reader sees: no style, no tags, entities decoded, no invisible word joiners
    (they keep MathJax from reading the spec's text as TeX)."""
    html = re.sub(r"<style>.*?</style>|<title>.*?</title>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u2060", "")


@pytest.fixture(scope="module")
def page() -> str:
    return stepbystep.load(MAZUR).html()


def test_page_is_one_self_contained_html5_file(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    for tag in ("<html", "<head>", "<body>", "</html>"):
        assert page.count(tag) == 1
    assert '<meta name="viewport"' in page and "prefers-color-scheme: dark" in page and "@media print" in page
    # nothing is fetched: no external scripts, styles, images or fonts, and a policy that forbids it
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page and "<link" not in page
    assert "default-src &#39;none&#39;" in page


def test_page_shows_the_published_numbers_and_the_structure(page: str) -> None:
    text = visible_text(page)
    for number in PUBLISHED:
        assert number in text
    headings = re.findall(r"<h([1-4])[^>]*>(.*?)</h\1>", page)
    titles = [unescape(re.sub(r"<[^>]+>", "", title)) for _, title in headings]
    for expected in ("The network", "The forward pass", "The total error", "output layer", "hidden layer",
                     "The parameters before and after"):
        assert any(expected in title for title in titles), expected
    assert page.count("<table>") >= 3
    assert page.count('<figure class="sbs-figure"') == 2
    # headings can be linked to; ids are prefixed and unique
    ids = re.findall(r'<h[1-6] id="([^"]+)"', page) + re.findall(r'<figure class="sbs-figure" id="([^"]+)"', page)
    assert "sbs-the-total-error" in ids and "sbs-the-total-error-2" in ids and "sbs-figure-network" in ids
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"sbs-[a-z0-9-]+", found) for found in ids)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_formula_of_every_example_becomes_well_formed_mathml(example: Path) -> None:
    html = stepbystep.load(example).html(fragment=True)
    formulas = re.findall(r"<math\b.*?</math>", re.sub(r"<style>.*?</style>", "", html, flags=re.S), flags=re.S)
    assert len(formulas) > 20
    assert "sbs-latex" not in html.replace(".sbs-latex", "")  # nothing left as code
    for formula in formulas:
        root = ET.fromstring(formula)  # well-formed XML, only MathML elements
        assert {element.tag.split("}")[1] for element in root.iter()} <= MATHML
    text = visible_text(html)
    assert not re.search(r"\\[A-Za-z]+|\$", text), re.search(r".{20}(\\[A-Za-z]+|\$).{20}", text)


MATHML = {"math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt",
          "mroot", "mstyle", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mpadded", "mphantom"}


def test_long_steps_are_stacked_on_the_equals_sign_with_the_value_last(page: str) -> None:
    # net_o1 = w5 out_h1 + w6 out_h2 + b2 = 0.4·0.593269992 + … = 1.105905967 (Mazur)
    block = next(b for b in re.findall(r'<div class="sbs-equation sbs-stack">.*?</div>', page, re.S)
                 if "1.105905967" in b)
    lhs = re.findall(r'<span class="sbs-lhs">(.*?)</span>', block, re.S)
    rhs = re.findall(r'<span class="sbs-rhs">(.*?)</span>', block, re.S)
    assert len(lhs) == 1 and len(rhs) == 3  # formula, numbers, value
    assert all(side.startswith("<math") and "<mrow><mo>=</mo>" in side for side in rhs)
    assert "0.593269992" in rhs[1]
    assert re.search(r'class="sbs-result"><mn>1.105905967</mn>', rhs[2])
    # a short step stays on one line (and may wrap at its = signs on a phone)
    short = next(b for b in re.findall(r'<div class="sbs-equation sbs-flow">.*?</div>', page, re.S)
                 if "0.3775" in b)
    assert short.count('class="sbs-rhs"') == 3 and 'class="sbs-result"><mn>0.3775</mn>' in short


@pytest.mark.parametrize("title", [HOSTILE_TITLE, "<img src=x onerror=alert(1)>", "a $x$ & b | [l](javascript:x)"])
@pytest.mark.parametrize("fragment", [False, True])
def test_untrusted_title_and_notes_are_only_text(title: str, fragment: bool) -> None:
    note = "<b onmouseover=alert(1)>bold</b> $\\text{<script>}$ [x](javascript:alert(1)) <http://evil>"
    walk = stepbystep.from_dict(mazur_dict(title=title, notes={"net_h1": note, "E_total": "<script>x</script>"}))
    html = walk.html(fragment=fragment)
    for dangerous in ("<script", "<img", "<b ", "<a ", "href="):
        assert dangerous not in html.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", html), "an event handler attribute in a tag"
    text = visible_text(html)
    assert title in text
    assert "<b onmouseover=alert(1)>bold</b>" in text


def test_math_is_never_a_way_in() -> None:
    from stepbystep.formats.mathml import is_plain_mathml, latex_to_mathml

    for latex in ("\\text{<script>alert(1)</script>}", "a < b > c", "\\mathrm{<img src=x>}", "x & y"):
        out = latex_to_mathml(latex, False)
        assert is_plain_mathml(out) or out.startswith('<code class="sbs-latex">')
        assert "<script" not in out and "<img" not in out
    assert not is_plain_mathml("<math><script>alert(1)</script></math>")
    assert not is_plain_mathml("<math><mi>&</mi></math>")


def test_fragment_has_no_document_tags_and_scoped_css() -> None:
    fragment = stepbystep.load(MAZUR).html(fragment=True)
    for tag in ("<html", "<head", "<body", "<!DOCTYPE", "<meta"):  # (an SVG may have a <title>)
        assert tag.lower() not in fragment.lower()
    assert fragment.lstrip().startswith('<div class="stepbystep">')
    css = re.search(r"<style>(.*?)</style>", fragment, re.S).group(1)
    for selector_list in css_selectors(css):
        for selector in selector_list.split(","):
            assert selector.strip().startswith(".stepbystep"), selector


def css_selectors(css: str) -> list[str]:
    """The selector lists of every rule, inside @media blocks too."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = []
    for match in re.finditer(r"([^{};]+)\{", css):
        head = match.group(1).strip()
        if not head.startswith("@"):
            selectors.append(head)
    assert selectors
    return selectors


@pytest.mark.parametrize("math", ["mathjax", "katex"])
def test_mathjax_and_katex_modes_keep_latex_and_add_the_loader(math: str) -> None:
    walk = stepbystep.load(MAZUR)
    page = walk.html(math=math)
    assert "<math" not in page
    assert "\\[" in page and "\\(" in page and "\\frac{\\partial E_{\\mathrm{total}}}{\\partial w_{5}}" in page
    assert "&amp;=" in page  # aligned rows, escaped as HTML
    assert f"{'mathjax' if math == 'mathjax' else 'katex'}" in re.search(r"<script[^>]*src=\"([^\"]+)\"", page).group(1)
    assert "<script" not in walk.html(fragment=True, math=math)  # the host page brings its own


def test_user_template_is_sandboxed_and_escaped(tmp_path: Path) -> None:
    from stepbystep.formats.html import UserTemplateError

    walk = stepbystep.from_dict(mazur_dict(title=HOSTILE_TITLE))
    good = tmp_path / "mine.html.j2"
    good.write_text("<h1>{{ title }}</h1>{% for s in sections %}{% for step in s.computed %}"
                    "{% if step.bare == 'w5+' %}<p>{{ step.latex | display_math }} {{ step.text }}</p>"
                    "{% endif %}{% endfor %}{% endfor %}<p>{{ answers['E_total'] | round(6) }}</p>", encoding="utf-8")
    out = walk.render_template(good)
    assert "&lt;script&gt;" in out and "<script" not in out
    assert "0.35891648" in out and "<math" in out and "0.298371" in out
    evil = tmp_path / "evil.html.j2"
    evil.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(UserTemplateError, match="evil.html.j2"):
        walk.render_template(evil)
    broken = tmp_path / "broken.html.j2"
    broken.write_text("line one\n{% for x in %}", encoding="utf-8")
    with pytest.raises(UserTemplateError, match="line 2"):
        walk.render_template(broken)


def test_example_user_template_renders() -> None:
    example = ROOT / "templates" / "examples" / "course-page.html.j2"
    out = stepbystep.load(MAZUR).render_template(example)
    assert "0.298371109" in visible_text(out) and "<math" in out


def test_cli_html_page_fragment_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "walk.html"
    assert main(["render", str(MAZUR), "--format", "html", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["render", str(MAZUR), "--format", "html", "--fragment", "--math", "katex"]) == 0
    assert capsys.readouterr().out.lstrip().startswith('<div class="stepbystep">')
    for args in (["--fragment"], ["--math", "mathjax"], ["--format", "html", "--template", str(tmp_path / "no.j2")]):
        target = tmp_path / "never.html"
        assert main(["render", str(MAZUR), "-o", str(target), *args]) == 2
        error = capsys.readouterr().err
        assert error.startswith("stepbystep: error:") and error.count("\n") == 1
        assert not target.exists()
    bad = tmp_path / "bad.html.j2"
    bad.write_text("{{ oops(", encoding="utf-8")
    assert main(["render", str(MAZUR), "--template", str(bad)]) == 2
    assert "bad.html.j2: line 1" in capsys.readouterr().err


def test_jupyter_display() -> None:
    walk = stepbystep.load(MAZUR)
    html = walk._repr_html_()
    assert html.lstrip().startswith('<div class="stepbystep">') and "<math" in html
    assert walk._repr_markdown_().startswith("# ")


def test_readme_html_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## HTML pages and course sites$(.*?)(?=^## )", text, flags=re.M | re.S).group(1)
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    monkeypatch.chdir(ROOT)
    for line in block.strip().splitlines():
        words = shlex.split(line)
        assert words[:2] == ["stepbystep", "render"]
        output = tmp_path / words[words.index("-o") + 1]
        words[words.index("-o") + 1] = str(output)
        assert main(words[1:]) == 0, line
        assert "0.298371109" in output.read_text(encoding="utf-8")


def test_fast_converter_import_changes_nothing_for_anyone_else() -> None:
    """The converter is imported without importlib.metadata and with a
    stand-in for xml.sax.saxutils; afterwards the real modules are there for
    everyone, and the converter gives what the ordinary import gives."""
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "from stepbystep.formats.mathml import _converter\n"
        "samples = [r'\\frac{\\partial E_{total}}{\\partial w_{5}}', r'a \\lt b', r'\\text{x & y}']\n"
        "ours = [_converter()(s) for s in samples]\n"
        "assert 'xml.sax.saxutils' not in sys.modules\n"
        "from xml.sax.saxutils import XMLGenerator, escape\n"
        "import latex2mathml\n"
        "from importlib import metadata\n"
        "assert metadata.version('latex2mathml')\n"
        "print(json.dumps(ours))\n"
    )
    fast = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    plain = subprocess.run([sys.executable, "-c",
                            "import json; from latex2mathml.converter import convert\n"
                            "samples = [r'\\frac{\\partial E_{total}}{\\partial w_{5}}', r'a \\lt b', r'\\text{x & y}']\n"
                            "print(json.dumps([convert(s) for s in samples]))"],
                           capture_output=True, text=True, check=True)
    assert fast.stdout == plain.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_piecewise_conversion_says_what_the_whole_conversion_says(example: Path) -> None:
    """Cutting an equation into cached pieces must not change it: the symbols,
    numbers and operators, in order, are those of latex2mathml converting the
    whole equation at once (with `aligned` read as `split`)."""
    from latex2mathml.converter import convert

    from stepbystep.formats.mathml import display_equation, join_words

    markdown = stepbystep.load(example).markdown()
    equations = re.findall(r"\$\$(.+?)\$\$", markdown, flags=re.S)
    assert equations
    for latex in dict.fromkeys(equations):
        ours = "".join(re.findall(r"<math\b.*?</math>", display_equation(latex), flags=re.S))
        whole = join_words(convert(latex.replace("{aligned}", "{split}").replace("&", "")))  # a word: one <mi>
        assert leaves(f"<x>{ours}</x>") == leaves(whole), latex


def leaves(xml: str) -> list[str]:
    return [element.text.strip() for element in ET.fromstring(unescape_entities(xml)).iter()
            if element.text and element.text.strip()]


def unescape_entities(xml: str) -> str:
    """Numeric entities as characters (ElementTree reads them too, but the
    converter's output may hold a bare `&`)."""
    return re.sub(r"&#x([0-9A-Fa-f]+);", lambda m: chr(int(m.group(1), 16)), xml).replace("& ", "&amp; ")


def test_matrix_notation_renders_as_html_with_stretching_brackets() -> None:
    html = stepbystep.load(MAZUR).html(fragment=True, notation="matrix")
    assert "sbs-latex" not in html.replace(".sbs-latex", "")
    text = visible_text(html)
    assert not re.search(r"\\[A-Za-z]+|\$", text)
    assert '<mo stretchy="true" fence="true" form="prefix">[</mo><mtable>' in html
    for number in ("0.593269992", "0.082167041", "0.35891648"):  # Mazur's published values
        assert number in text


ALLOWED_TAGS = MATHML | {
    "div", "style", "h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
    "blockquote", "strong", "em", "code", "span", "figure", "figcaption", "svg", "title", "g", "line", "circle",
    "rect", "text", "path", "polyline", "tspan", "hr", "br"}


@settings(max_examples=40, deadline=None)
@given(title=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
       .filter(lambda t: t.strip()),
       note=st.sampled_from(["<i>x</i>", "$x$ \\$ \\\\", "[a](javascript:b)", "**b** _c_ `d` | e", "&lt;&amp;"]))
def test_any_title_or_note_is_only_ever_text(title: str, note: str) -> None:
    html = stepbystep.from_dict(mazur_dict(title=title, notes={"E_total": note})).html(fragment=True)
    tags = {tag.lower() for tag in re.findall(r"<([A-Za-z][\w-]*)", html)}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    text = " ".join(visible_text(html).split())
    assert " ".join(title.split()) in text
    assert " ".join(note.split()) in text
