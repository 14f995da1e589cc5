"""A user's --template is untrusted code run on a course server (issue 14 §1):
it reads only what it is given, and every bound it breaks is one error line
naming the template and the bound, refused quickly, never a hang or a crash."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hostile import bounded

import stepbystep
from stepbystep.formats.sandbox import NamedFilesLoader, UserTemplateError, render_user_template_file
from stepbystep.formats.sandbox_bounds import Limits

ROOT = Path(__file__).resolve().parent.parent
MAZUR = ROOT / "examples" / "mazur.toml"
SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA"


@pytest.fixture(scope="module")
def walk() -> stepbystep.api.Walkthrough:
    return stepbystep.load(MAZUR)


def template(tmp_path: Path, text: str, name: str = "page.html.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(walk: stepbystep.api.Walkthrough, path: Path, bound: str, **options: object) -> str:
    """The render fails, quickly, with one line naming the template and the bound. (CPU time:
    the machine may be shared, and the wall clock is bounded by `bounded` anyway.)"""
    started = time.process_time()
    with bounded(seconds=60), pytest.raises(UserTemplateError) as caught:
        walk.render_template(path, **options)
    message = str(caught.value)
    spent = time.process_time() - started
    assert spent < 5, f"refused only after {spent:.1f} s of CPU time"
    assert "\n" not in message and str(path) in message and bound in message, message
    return message


# -- files: only what the user named, and the project's own templates ---------
def test_a_file_beside_the_template_cannot_be_included(walk, tmp_path: Path) -> None:
    (tmp_path / "id_rsa").write_text(SECRET, encoding="utf-8")
    page = template(tmp_path, "<p>course</p><!-- {% include 'id_rsa' %} -->")
    message = refused(walk, page, "'id_rsa' is not a template you named")
    assert SECRET not in message
    for sneaky in ("./id_rsa", "sub/../id_rsa", str(tmp_path / "id_rsa")):
        page.write_text(f"{{% include {sneaky!r} %}}", encoding="utf-8")
        assert SECRET not in refused(walk, page, "not a template you named")


def test_a_symlink_beside_the_template_leads_nowhere(walk, tmp_path: Path) -> None:
    (tmp_path / "accounts").symlink_to("/etc/passwd")
    page = template(tmp_path, "{% include 'accounts' %}{% import 'accounts' as a %}")
    message = refused(walk, page, "'accounts' is not a template you named")
    assert "root:" not in message


def test_import_and_extends_are_held_to_the_same_files(walk, tmp_path: Path) -> None:
    (tmp_path / "base.html.j2").write_text(SECRET, encoding="utf-8")
    for text in ("{% extends 'base.html.j2' %}", "{% from 'base.html.j2' import x %}"):
        page = template(tmp_path, text)
        refused(walk, page, "not a template you named")
    page = template(tmp_path, "{% include ['nope', 'base.html.j2'] %}")
    assert SECRET not in refused(walk, page, "none of the templates given were found")


def test_files_named_with_template_include_and_the_project_templates_are_allowed(walk, tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "footer.html.j2").write_text("<footer>{{ title }} · week 3</footer>", encoding="utf-8")
    (parts / "base.html.j2").write_text("<main>{% block body %}{% endblock %}</main>", encoding="utf-8")
    (parts / "macros.html.j2").write_text("{% macro total(x) %}<b>{{ '%.4f' | format(x) }}</b>{% endmacro %}",
                                          encoding="utf-8")
    page = template(tmp_path, "{% extends 'base.html.j2' %}{% import 'macros.html.j2' as m %}"
                              "{% block body %}{{ m.total(answers['E_total']) }}{% include 'footer.html.j2' %}"
                              "<style>{% include 'html/style.css' %}</style>{% endblock %}")
    out = walk.render_template(page, includes=tuple(parts / name for name in
                                                    ("footer.html.j2", "base.html.j2", "macros.html.j2")))
    assert out.startswith("<main><b>0.2984</b><footer>") and "week 3</footer>" in out
    assert ".stepbystep" in out  # the project's own stylesheet, by its path under templates/


def test_a_project_folder_symlink_cannot_lead_out(tmp_path: Path) -> None:
    import jinja2

    project = tmp_path / "project"
    project.mkdir()
    (project / "ok.j2").write_text("fine", encoding="utf-8")
    (project / "out.j2").symlink_to("/etc/passwd")
    (tmp_path / "outside.j2").write_text(SECRET, encoding="utf-8")
    loader = NamedFilesLoader({}, project)
    environment = jinja2.Environment()
    assert loader.get_source(environment, "ok.j2")[0] == "fine"
    for name in ("out.j2", "../outside.j2", "/etc/passwd"):
        with pytest.raises(jinja2.TemplateNotFound):
            loader.get_source(environment, name)


def test_a_fifo_or_a_huge_file_is_refused_not_waited_for(walk, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.j2"
    os.mkfifo(fifo)
    page = template(tmp_path, "{% include 'pipe.j2' %}")
    refused(walk, page, "not a regular file", includes=(fifo,))
    huge = template(tmp_path, "x" * 1_000_001, "huge.j2")
    refused(walk, huge, "template size bound")


# -- work: loops, texts, numbers, recursion, includes ----------------------------
def test_nested_loops_hit_the_loop_bound(walk, tmp_path: Path) -> None:
    page = template(tmp_path, "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}")
    refused(walk, page, "loop bound")


def test_a_recursive_loop_is_counted_too(walk, tmp_path: Path) -> None:
    page = template(tmp_path, "{% for x in [1] recursive %}{{ loop(range(100000)) }}{% endfor %}")
    refused(walk, page, "bound")


@pytest.mark.parametrize("text", [
    "{{ 'x' * 10**10 }}",
    "{{ ['x'] * 10**10 }}",
    "{% set ns = namespace(s='xxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% set ns = namespace(s='xxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "{{ '%10000000000d' % 1 }}",
    "{{ '%*d' % (10000000000, 1) }}",
    "{{ '%10000000000d' | format(1) }}",
    "{{ '{:>10000000000}'.format(1) }}",
    "{{ '{:{w}}'.format(1, w=10000000000) }}",
    "{{ 'x'.center(10000000000) }}",
    "{{ 'x' | center(10000000000) }}",
    "{{ ('a\\n' * 1000) | indent(99999) }}",
    "{{ ('a' * 100000) | replace('', 'b' * 100000) }}",
    "{{ ('a' * 100000).replace('', 'b' * 100000) }}",
    "{{ (['a' * 100000] * 500) | join('b' * 100000) }}",
    "{% set a = 'x' * 1000 %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}{% set c = [b, b, b, b, b, b, b, b, b, b] %}"
    "{% set d = [c, c, c, c, c, c, c, c, c, c] %}{% set e = [d, d, d, d, d, d, d, d, d, d] %}"
    "{% set f = [e, e, e, e, e, e, e, e, e, e] %}{% set g = [f, f, f, f, f, f, f, f, f, f] %}{{ g }}",
    "{% set a = 'x' * 1000 %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}{% set c = [b, b, b, b, b, b, b, b, b, b] %}"
    "{% set d = [c, c, c, c, c, c, c, c, c, c] %}{% set e = [d, d, d, d, d, d, d, d, d, d] %}"
    "{% set f = [e, e, e, e, e, e, e, e, e, e] %}{% set g = [f, f, f, f, f, f, f, f, f, f] %}{{ g | tojson }}",
    "{% set ns = namespace(n=[1]) %}{% for i in range(60) %}{% set ns.n = [ns.n, ns.n] %}{% endfor %}{{ ns.n|string }}",
    "{% set x %}{% for i in range(100000) %}{{ walkthrough }}{% endfor %}{% endset %}",
])
def test_a_text_that_would_exhaust_memory_hits_a_bound(walk, tmp_path: Path, text: str) -> None:
    page = template(tmp_path, text)
    refused(walk, page, "bound")


def test_string_multiplication_names_the_text_size_bound(walk, tmp_path: Path) -> None:
    message = refused(walk, template(tmp_path, "{{ 'x' * 10**10 }}"), "text size bound")
    assert "10,000,000,000 characters" in message


@pytest.mark.parametrize("text", ["{{ 2 ** (10 ** 10) }}", "{{ 7 ** 100000000 }}",
                                  "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
                                  "{% endfor %}"])
def test_a_huge_number_hits_the_number_bound(walk, tmp_path: Path, text: str) -> None:
    refused(walk, template(tmp_path, text), "number size bound")


@pytest.mark.parametrize("text", [
    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "{% macro f() %}{{ caller() }}{% endmacro %}{% macro g() %}{% call f() %}{{ g() }}{% endcall %}{% endmacro %}{{ g() }}",
])
def test_a_recursive_macro_hits_the_recursion_bound(walk, tmp_path: Path, text: str) -> None:
    message = refused(walk, template(tmp_path, text), "recursion bound")
    assert "internal error" not in message


def test_a_template_including_itself_is_refused(walk, tmp_path: Path) -> None:
    page = template(tmp_path, "x{% include 'page.html.j2' %}")
    refused(walk, page, "bound")


def test_the_time_bound_is_named(walk, tmp_path: Path) -> None:
    page = template(tmp_path, "{% for a in range(100000) %}{{ a }}{% endfor %}")
    with pytest.raises(UserTemplateError, match=r"page.html.j2: time bound: the render took more than 0 seconds"):
        render_user_template_file(page, {}, limits=Limits(seconds=0))


def test_bounds_leave_ordinary_templates_alone(walk, tmp_path: Path) -> None:
    page = template(tmp_path, "{% for name, value in answers | dictsort %}{% if name.startswith('E_') %}"
                              "{{ name }}={{ '%.6f' | format(value) }};{% endif %}{% endfor %}"
                              "{{ ['a', 'b'] | join(', ') }} {{ 'x' * 3 }} {{ 2 ** 10 }} {{ '{:>6}'.format('r') }}"
                              "{{ walkthrough | length > 1000 }} {{ (walkthrough ~ '!') | length - walkthrough | length }}")
    out = walk.render_template(page)
    assert out.startswith("E_o1=0.274811;E_o2=0.023560;E_total=0.298371;")
    assert out.endswith("a, b xxx 1024      rTrue 1")


def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path, run_cli) -> None:
    page = template(tmp_path, "{% for a in range(100000) %}{{ 'x' * a * a * a }}{% endfor %}")
    target = tmp_path / "out.html"
    with bounded(seconds=60):
        result = run_cli("render", MAZUR, "--template", page, "-o", target)
    assert result.code == 2 and not target.exists()
    assert result.err.startswith(f"stepbystep: error: {page}: text size bound") and result.err.count("\n") == 1
    assert run_cli("render", MAZUR, "--template-include", page).code == 2


def test_the_readme_states_the_bounds_the_code_keeps() -> None:
    from stepbystep.formats import sandbox_bounds as b

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for stated in (f"{b.MAX_TEMPLATE_BYTES:,} bytes", f"{b.MAX_LOOP_STEPS:,} loop steps", f"{b.MAX_TEXT:,} characters",
                   f"{b.MAX_BUILT:,} in all", f"{b.MAX_WIDTH:,}: a width", f"{b.MAX_INT_BITS:,} bits",
                   f"nested {b.MAX_CALL_DEPTH} deep", f"{b.MAX_LOADS:,} templates loaded", f"{b.MAX_SECONDS:g} seconds"):
        assert stated in readme, stated


# -- a template folder (--template-dir) is held to the same rules ---------------------------
@pytest.mark.parametrize(("make", "expected"), [
    (lambda folder: (folder / "paragraph.md.j2").symlink_to("/etc/passwd"), "leads out of the template folder"),
    (lambda folder: (folder / "paragraph.md.j2").write_text(
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"), "loop bound"),
    (lambda folder: (folder / "paragraph.md.j2").write_text("{{ 'x' * 10**10 }}"), "text size bound"),
    (lambda folder: (folder / "paragraph.md.j2").write_text("{{ nothing.here }}"), "UndefinedError"),
    (lambda folder: (folder / "paragraph.md.j2").write_text("{% include 'secret' %}"), "secret"),
    (lambda folder: (folder / "paragraph.md.j2").write_text("{% for x in %}"), "line 1"),
])
def test_a_template_folder_is_bounded_too(tmp_path: Path, run_cli, make, expected: str) -> None:
    folder = tmp_path / "site" / "md"
    folder.mkdir(parents=True)
    (tmp_path / "site" / "secret").write_text(SECRET, encoding="utf-8")  # beside the format folder, not in it
    make(folder)
    started = time.process_time()
    with bounded(seconds=60):
        result = run_cli("render", MAZUR, "--template-dir", tmp_path / "site")
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1, result
    assert result.err.startswith(f"stepbystep: error: {folder / 'paragraph.md.j2'}: ") and expected in result.err
    assert SECRET not in result.err and "internal error" not in result.err
    assert time.process_time() - started < 10
