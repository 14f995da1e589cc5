"""Untrusted plain text made inert for the formats that read markup."""
from __future__ import annotations


def markdown_text(text: str) -> str:
    """Untrusted plain text (titles, notes) made inert in Markdown: HTML
    special characters become entities and Markdown syntax is escaped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = []
    for char in text:
        out.append("\\" + char if char in "\\`*_[]#|$" else char)
    return " ".join("".join(out).splitlines())  # every line break (\r, \u2028, …): one line stays one line
