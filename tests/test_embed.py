"""The options of an embedded walkthrough (embed.py, shared by MkDocs and
Sphinx), the MkDocs block reader, and the rule that the integrations reach
the package through api.py only."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import EXAMPLES, REPO
from stepbystep.embed import EmbedError, EmbedOptions, Place, embed_options, render_block
from stepbystep.mkdocs import split_block


def test_options_are_checked() -> None:
    assert embed_options({"spec": "a.toml", "precision": "4", "notation": "matrix", "math": "katex"}) == \
        EmbedOptions(spec="a.toml", precision=4, notation="matrix", math="katex")
    for values, message in [
        ({"spec": "a.toml", "precision": "16"}, "precision: expected a whole number from 0 to 15, got 16"),
        ({"spec": "a.toml", "round": "x"}, "round: expected a whole number from 0 to 15, got 'x'"),
        ({"spec": "a.toml", "math": "svg"}, "math: expected one of mathml, mathjax, katex, arithmatex, got 'svg'"),
        ({"spec": "a.toml", "colour": "red"}, "unknown option 'colour'"),
        ({}, "no spec"),
    ]:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            embed_options(values)
    with pytest.raises(ValueError, match="both a spec path and an inline spec"):
        embed_options({"spec": "a.toml"}, "learning_rate = 0.5\n")


def test_block_lines_split_into_options_and_inline_toml() -> None:
    lines = ["precision: 4   # a comment", 'title = "Week 3: backprop"', "[inputs]", "x = 1", 'notes = "a: b"']
    values, inline = split_block(lines)
    assert values == {"precision": "4"}
    assert inline == 'title = "Week 3: backprop"\n[inputs]\nx = 1\nnotes = "a: b"\n'
    assert split_block(["spec: examples/mazur.toml"]) == ({"spec": "examples/mazur.toml"}, "")
    with pytest.raises(ValueError, match="unknown option 'precison'"):
        split_block(["precison: 4", "spec: a.toml"])


def test_missing_file_names_the_page_and_the_path(tmp_path: Path) -> None:
    with pytest.raises(EmbedError) as caught:
        render_block(embed_options({"spec": "nope.toml"}), Place("week/3.md", 12, tmp_path))
    assert str(caught.value) == f"stepbystep: error: week/3.md:12: nope.toml: no such file (looked for {tmp_path / 'nope.toml'})"


def test_inline_toml_error_names_the_field(tmp_path: Path) -> None:
    text = (EXAMPLES / "mazur.toml").read_text(encoding="utf-8").replace("learning_rate = 0.5", "learning_rate = -1")
    with pytest.raises(EmbedError) as caught:
        render_block(embed_options({}, text), Place("index.md", 3, tmp_path))
    assert str(caught.value).startswith("stepbystep: error: index.md:3: inline spec: learning_rate: ")


def test_json_spec_files_work_too(tmp_path: Path) -> None:
    import json
    import tomllib

    data = tomllib.loads((EXAMPLES / "mazur.toml").read_text(encoding="utf-8"))
    (tmp_path / "mazur.json").write_text(json.dumps(data), encoding="utf-8")
    html = render_block(embed_options({"spec": "mazur.json"}), Place("p.md", 1, tmp_path))
    assert "0.35891648" in html and "<math" in html


def test_integrations_import_only_the_api() -> None:
    for name in ("embed.py", "mkdocs.py", "sphinx.py"):
        tree = ast.parse((REPO / "stepbystep" / name).read_text(encoding="utf-8"))
        inside = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                inside.add(node.module or ".".join(alias.name for alias in node.names))
        assert inside <= {"api", "embed", "__version__"}, (name, inside)
