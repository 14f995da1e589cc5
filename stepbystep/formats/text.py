"""Untrusted plain text made inert for the formats that read markup."""
from __future__ import annotations

WORD_JOINER = "\u2060"  # invisible, zero width, no line break


def tex_inert(text: str) -> str:
    """Untrusted text that MathJax, KaTeX or Moodle's TeX filter can never
    read as math: an invisible word joiner after every backslash and dollar,
    so no delimiter (`\\(`, `\\[`, `$$`, `\\begin{…}`) and no command can form,
    whatever the page's or the host's math configuration."""
    return text.replace("\\", "\\" + WORD_JOINER).replace("$", "$" + WORD_JOINER)


_ENTITIES = {"[": "&#91;", "]": "&#93;"}


def markdown_text(text: str) -> str:
    """Untrusted plain text (titles, notes) made inert in Markdown: HTML
    special characters become entities, Markdown syntax is escaped, and TeX
    delimiters are broken (tex_inert)."""
    text = tex_inert(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = []
    for char in text:  # brackets as entities: an escaped \[ would open display math for Jupyter or pandoc
        out.append(_ENTITIES[char] if char in _ENTITIES else "\\" + char if char in "\\`*_#|$" else char)
    return " ".join("".join(out).splitlines())  # every line break (\r, \u2028, …): one line stays one line
