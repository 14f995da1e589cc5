"""Sphinx and Jupyter Book: the directive `stepbystep` puts the walkthrough in a page.

    extensions = ["stepbystep.sphinx"]          # conf.py (Jupyter Book 1: sphinx.extra_extensions)

reST::

    .. stepbystep:: examples/mazur.toml
       :precision: 4

MyST Markdown::

    ```{stepbystep} examples/mazur.toml
    :precision: 4
    ```

The LaTeX builder (`make latexpdf`) gets the walkthrough as LaTeX too.
The argument is a spec file, relative to the page (or, starting with `/`,
to the source folder), as for Sphinx's own `literalinclude`; without it the
directive's content is the spec as TOML. Options: precision, round,
notation, math (mathml by default: no script needed). The spec file is a
dependency of the page, so editing it rebuilds the page. A bad spec stops
the build with one line, `stepbystep: error: PAGE:LINE: SPEC: field: message`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import __version__
from .embed import EmbedError, Place, block_error, embed_options, render_block, render_latex_block


logger = logging.getLogger(__name__)


class StepbystepDirective(SphinxDirective):
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {name: directives.unchanged for name in ("precision", "round", "notation", "math")}

    def run(self) -> list[nodes.Node]:
        _source, line = self.get_source_info()
        place = Place(str(self.env.doc2path(self.env.docname, False)), int(line or self.lineno), Path(self.env.srcdir))
        values: dict[str, str | None] = dict(self.options)
        inline = "\n".join(self.content) + "\n" if self.content else ""
        spec_path = None
        if self.arguments:  # Sphinx's rule: relative to the page, or to the source folder with a leading /
            values["spec"] = self.arguments[0]
            relative, absolute = self.env.relfn2path(self.arguments[0])
            spec_path = Path(absolute)
            self.env.note_dependency(relative)
        try:
            options = embed_options(values, inline)
            html = render_block(options, place, "mathml", spec_path)
            latex = render_latex_block(options, place, spec_path) if _builds_latex(self.env) else None
        except ValueError as error:  # an EmbedError is already the whole line
            message = str(error) if isinstance(error, EmbedError) else str(block_error(place, str(error)))
            logger.error(message)
            failures(self.env)[self.env.docname] = message
            return []
        shown: list[nodes.Node] = [nodes.raw("", html, format="html")]
        return shown + ([nodes.raw("", latex, format="latex")] if latex is not None else [])


def _builds_latex(env: Any) -> bool:
    """Whether this build writes LaTeX (sphinx-build -b latex, or latexpdf)."""
    builder = getattr(getattr(env, "_app", None) or getattr(env, "app", None), "builder", None)
    return getattr(builder, "format", "") == "latex"


# A raised exception would end sphinx-build with a crash report; instead the
# error is logged as one line and remembered, and the build's status is
# failure. A failed page is read again on the next build until it is fixed.
def failures(env: Any) -> dict[str, str]:
    """docname -> the error of its stepbystep block, kept in Sphinx's environment."""
    if not hasattr(env, "stepbystep_failures"):
        env.stepbystep_failures = {}
    found: dict[str, str] = env.stepbystep_failures
    return found


def _purge(app: Any, env: Any, docname: str) -> None:
    failures(env).pop(docname, None)


def _merge(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    failures(env).update({name: message for name, message in failures(other).items() if name in docnames})


def _read_again(app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    return [name for name in failures(env) if name not in removed]


def _finished(app: Any, exception: BaseException | None) -> None:
    if exception is None and failures(app.env):
        app.statuscode = 1


def setup(app: Any) -> dict[str, Any]:
    """Sphinx's entry point: register the directive."""
    app.add_directive("stepbystep", StepbystepDirective)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _read_again)
    app.connect("build-finished", _finished)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
