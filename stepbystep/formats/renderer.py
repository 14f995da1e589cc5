"""The renderer interface: one visitor over the block kinds, one subclass per format.

A renderer has one method per kind of block (section, paragraph, equation,
table, figure, note, bullets) and per kind of inline run (text, math,
strong, code), named as the kind; `block()` and `inline()` dispatch. A new
format (LaTeX, a notebook) is a subclass that fills in those methods and
`document()`; it never parses another format's output.

A user's template folder overrides single blocks, nbconvert-style: a file
`<format>/<kind>.<suffix>` there (e.g. `html/equation.html.j2`) lays out
every block of that kind instead of the method, in Jinja's sandbox; it sees
`block` and the helpers `render` (blocks or runs, already in this format)
and `math` (LaTeX in this format's math). Everything else keeps the built-in
layout. See formats/templates.py for where templates are looked up.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..document.blocks import (
    Block,
    Bullets,
    Code,
    Document,
    Equation,
    Figure,
    Math,
    Note,
    Paragraph,
    Runs,
    Section,
    Strong,
    Table,
    Text,
    UserText,
)

if TYPE_CHECKING:
    from .templates import Templates

BLOCK_KINDS = ("section", "paragraph", "equation", "table", "figure", "note", "bullets")
INLINE_KINDS = ("text", "user_text", "math", "strong", "code")


class Renderer:
    """Subclasses set `format` (their template folder) and `suffix` (their
    templates' ending) and implement the methods of BLOCK_KINDS and INLINE_KINDS."""

    format = ""
    suffix = ""

    def __init__(self, templates: "Templates | None" = None) -> None:
        self.templates = templates
        self._overrides: dict[str, Any] = (templates.block_overrides(self.format, self.suffix, BLOCK_KINDS)
                                           if templates is not None else {})
        self._blocks: dict[str, Callable[[Any], str]] = {kind: getattr(self, kind) for kind in BLOCK_KINDS}
        self._runs: dict[str, Callable[[Any], str]] = {kind: getattr(self, kind) for kind in INLINE_KINDS}
        for kind, template in self._overrides.items():
            self._blocks[kind] = self._templated(template)

    # -- dispatch --------------------------------------------------------------------
    def document(self, document: Document) -> str:
        raise NotImplementedError

    def block(self, block: Block) -> str:
        return self._blocks[block.kind](block)

    def blocks(self, blocks: Iterable[Block]) -> list[str]:
        render = self._blocks
        return [render[block.kind](block) for block in blocks]

    def inline(self, runs: Runs) -> str:
        render = self._runs
        return "".join([render[run.kind](run) for run in runs])

    def _templated(self, template: Any) -> Callable[[Any], str]:
        """A user's template for one kind of block, with the helpers it may call."""
        templates = self.templates
        assert templates is not None

        def render(block: Block) -> str:
            return templates.render(template, block=block, render=self._helper, math=self._math_helper)
        return render

    def _helper(self, content: Any) -> str:
        """`render(x)` in a block template: blocks, one block, or inline runs, in this format."""
        if isinstance(content, (Section, Paragraph, Equation, Table, Figure, Note, Bullets)):
            return self.trusted(self.block(content))
        items = tuple(content)
        if all(isinstance(item, (Text, UserText, Math, Strong, Code)) for item in items):
            return self.trusted(self.inline(items))
        return self.trusted(self.join(self.blocks(items)))

    def _math_helper(self, latex: str, display: bool = False) -> str:
        return self.trusted(self.math(Math(str(latex))) if not display else self.equation(Equation(str(latex))))

    def trusted(self, text: str) -> Any:
        """Output of this renderer, marked so an escaping template leaves it alone."""
        return text

    def join(self, parts: list[str]) -> str:
        return "\n".join(parts)

    # -- the block kinds (each format implements these) -----------------------------
    def section(self, block: Section) -> str:
        raise NotImplementedError

    def paragraph(self, block: Paragraph) -> str:
        raise NotImplementedError

    def equation(self, block: Equation) -> str:
        raise NotImplementedError

    def table(self, block: Table) -> str:
        raise NotImplementedError

    def figure(self, block: Figure) -> str:
        raise NotImplementedError

    def note(self, block: Note) -> str:
        raise NotImplementedError

    def bullets(self, block: Bullets) -> str:
        raise NotImplementedError

    # -- the inline kinds ------------------------------------------------------------
    def text(self, run: "Text | UserText") -> str:
        raise NotImplementedError

    def user_text(self, run: UserText) -> str:
        """A user's text: by default escaped like any text."""
        return self.text(run)

    def math(self, run: Math) -> str:
        raise NotImplementedError

    def strong(self, run: Strong) -> str:
        raise NotImplementedError

    def code(self, run: Code) -> str:
        raise NotImplementedError


def equation_note(block: Equation) -> Note | None:
    """A user's note on an equation, as the note block every format shows after it."""
    return Note((UserText(block.note),)) if block.note else None

