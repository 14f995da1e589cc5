"""The walkthrough as Markdown with $…$ / $$…$$ math."""
from __future__ import annotations

from typing import Any

from ..document.context import Figure, document_context
from ..engine.trace import Trace
from ..numbers import DEFAULT_PRECISION
from .templates import template_environment
from .text import markdown_text


def render_markdown(trace: Trace, precision: int = DEFAULT_PRECISION, notation: str = "scalar",
                    figure_files: dict[str, str] | None = None) -> str:
    """The walkthrough as Markdown with $…$ / $$…$$ math. `figure_files` maps a
    figure id to an image file written beside the document (the CLI's -o):
    the Markdown then links that file."""
    context = document_context(trace, precision, notation)
    if figure_files:
        context["figures"] = [linked_figure(figure, figure_files.get(figure.id)) for figure in context["figures"]]
    return walkthrough_markdown(context)


def linked_figure(figure: "Figure", file: str | None) -> "Figure":
    from dataclasses import replace
    from urllib.parse import quote

    if file is None:
        return figure
    return replace(figure, markdown=f"![{markdown_text(figure.title)}]({quote(file)})")


def walkthrough_markdown(context: dict[str, Any]) -> str:
    """The walkthrough template rendered from an already-built context (the
    HTML renderer swaps each figure's Markdown for a placeholder first)."""
    template = template_environment().get_template(context.get("template", "walkthrough.md.j2"))
    return _tidy(template.render(context))


def _tidy(text: str) -> str:
    """At most one blank line in a row, one newline at the end."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line and (not lines or not lines[-1]):
            continue
        lines.append(line)
    return "\n".join(lines).strip() + "\n"
