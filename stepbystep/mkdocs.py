"""MkDocs (any python-markdown site): a fenced `stepbystep` block becomes the walkthrough.

    markdown_extensions:
      - stepbystep.mkdocs

    ```stepbystep
    spec: examples/mazur.toml      # relative to the docs folder; or the TOML itself here
    precision: 4                   # options: precision, round, notation, math
    ```

The block is replaced, before any other fence is read, by the HTML fragment
(kept in python-markdown's HTML stash, so nothing re-parses it). Math is
MathML, or, when pymdownx.arithmatex is configured (MkDocs Material's math
set-up), LaTeX marked for it. A bad spec stops the build with one line,
`stepbystep: error: PAGE:LINE: SPEC: field: message`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from .embed import OPTIONS, EmbedError, Place, block_error, embed_options, render_block

# After python-markdown's whitespace normalisation (30), before fenced code and
# pymdownx.superfences (25), so no other extension sees the block's TOML.
PRIORITY = 28
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*\{?\.?(?P<info>[^`\s{}]*)[^`]*$")
_OPTION = re.compile(r"^\s*(?P<name>[A-Za-z_][\w-]*)\s*:(?:\s+(?P<value>.*?))?\s*$")


class StepbystepPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, extension: "StepbystepExtension") -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        number = 0
        while number < len(lines):
            opening = _FENCE.match(lines[number])
            closing = self._closing(lines, number, opening) if opening else None
            if opening is None or closing is None:
                out.append(lines[number])
                number += 1
                continue
            if opening.group("info") != "stepbystep":  # another fence: keep it whole (it may show a block)
                out.extend(lines[number:closing + 1])
            else:
                indent = opening.group("indent")
                html = self._render(lines[number + 1:closing], len(indent), number + 1)
                out.extend(["", indent + self.md.htmlStash.store(html), ""])
            number = closing + 1
        return out

    @staticmethod
    def _closing(lines: list[str], start: int, opening: re.Match[str]) -> int | None:
        fence = opening.group("fence")
        pattern = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        return next((n for n in range(start + 1, len(lines)) if pattern.match(lines[n])), None)

    def _render(self, body: list[str], indent: int, line: int) -> str:
        page, base_dir = self._page()
        place = Place(page, line, base_dir)
        try:
            values, inline = split_block(text[indent:] if text[:indent].isspace() else text for text in body)
            options = embed_options(values, inline)
        except ValueError as error:
            raise self._failure(block_error(place, str(error))) from None
        try:
            return render_block(options, place, self.extension.default_math(self.md))
        except EmbedError as error:
            raise self._failure(error) from None

    def _page(self) -> tuple[str, Path]:
        """The page and the docs folder, from MkDocs's own link processor
        (registered on each page's converter); elsewhere the configured folder."""
        mkdocs_links = self.md.treeprocessors["relpath"] if "relpath" in self.md.treeprocessors else None
        file = getattr(mkdocs_links, "file", None)
        config = getattr(mkdocs_links, "config", None)
        if file is not None and config is not None:
            return str(file.src_uri), Path(config["docs_dir"])
        return self.extension.getConfig("page"), Path(self.extension.getConfig("base_dir") or ".")

    @staticmethod
    def _failure(error: EmbedError) -> Exception:
        """Inside MkDocs, its build error: the build stops with our one line, no traceback."""
        try:
            from mkdocs.exceptions import PluginError
        except ImportError:
            return error
        return PluginError(str(error))


def split_block(lines: Any) -> tuple[dict[str, str], str]:
    """`name: value` option lines (a `#` comment may follow) and the rest, the inline spec."""
    values: dict[str, str] = {}
    rest: list[str] = []
    for line in lines:
        found = _OPTION.match(line)
        if found and "=" not in line.split(":", 1)[0] and (found.group("name") in OPTIONS or not rest):
            name = found.group("name")
            if name not in OPTIONS:
                raise ValueError(f"unknown option {name!r} (options: {', '.join(OPTIONS)})")
            values[name] = re.sub(r"\s+#.*$", "", found.group("value") or "").strip()
        else:
            rest.append(line)
    return values, "\n".join(rest) + "\n" if any(line.strip() for line in rest) else ""


class StepbystepExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "math": ["auto", "mathml, mathjax, katex, arithmatex, or auto: arithmatex when "
                             "pymdownx.arithmatex is configured, else mathml"],
            "base_dir": ["", "outside MkDocs: the folder spec paths are relative to (default: the current one)"],
            "page": ["<page>", "outside MkDocs: the page's name in error messages"],
        }
        super().__init__(**kwargs)

    def default_math(self, md: Markdown) -> str:
        chosen = str(self.getConfig("math"))
        if chosen != "auto":
            return chosen
        names = {type(extension).__module__ for extension in md.registeredExtensions}
        return "arithmatex" if "pymdownx.arithmatex" in names else "mathml"

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (python-markdown's name)
        md.registerExtension(self)
        md.preprocessors.register(StepbystepPreprocessor(md, self), "stepbystep", PRIORITY)


def makeExtension(**kwargs: Any) -> StepbystepExtension:  # noqa: N802 (python-markdown's entry point)
    return StepbystepExtension(**kwargs)
