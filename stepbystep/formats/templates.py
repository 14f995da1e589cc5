"""Finding the templates and the one Jinja set-up of the built-in ones."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .text import markdown_text


def template_dir() -> Path:
    """Templates ship inside the wheel as `_templates`; a source checkout or
    editable install finds them at the top of the repository."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_templates", here.parent / "templates"):
        if (candidate / "html" / "page.html.j2").is_file():
            return candidate
    raise FileNotFoundError("the stepbystep templates are missing from this installation")


@lru_cache(maxsize=None)
def template_environment(subdirectory: str = "", autoescape: bool = False) -> Any:
    """The one Jinja set-up of every built-in template folder: undefined names
    are errors (a template never prints an empty hole), blocks trimmed."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir() / subdirectory)),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    environment.filters["md_text"] = markdown_text
    return environment


def _bytecode_cache() -> Any:
    """Compiling the templates is most of a small render's start-up (about
    0.1 s); Jinja's bytecode cache keeps them compiled between runs, keyed by
    the template source, so an edited template is recompiled. Set
    STEPBYSTEP_CACHE_DIR to move it, or to "off"; an unwritable folder just
    means no cache."""
    import os

    import jinja2

    setting = os.environ.get("STEPBYSTEP_CACHE_DIR", "")
    if setting.lower() == "off":
        return None
    base = setting or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "stepbystep")
    folder = os.path.join(base, f"jinja-{jinja2.__version__}")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(folder) if os.access(folder, os.W_OK) else None


class Templates:
    """Where a render finds its templates: the user's folder first (laid out
    like the built-in one: `html/equation.html.j2`, `md/note.md.j2`,
    `html/page.html.j2`), then the built-in templates. A user's template runs
    in Jinja's sandbox and may extend a built-in one by its full name,
    `{% extends "stepbystep/html/page.html.j2" %}`."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such template folder")
        self._environments: dict[str, Any] = {}
        self._budget: Any = None  # one Budget for every format's templates of this render

    def environment(self, format: str) -> Any:
        """The sandboxed environment of one format's templates."""
        if format not in self._environments:
            self._environments[format] = self._make(format)
        return self._environments[format]

    def _make(self, format: str) -> Any:
        """The bounded sandbox (sandbox.py): the folder's regular files only (no
        symlink out of it, no FIFO), loops, texts and time bounded for the whole
        render, every failure one error naming the template."""
        import jinja2

        from .sandbox import BoundedEnvironment, FolderLoader
        from .sandbox_bounds import MAX_TEXT, Budget, Limits

        builtin = template_dir()
        loader = jinja2.ChoiceLoader([
            FolderLoader(self.folder / format),
            jinja2.FileSystemLoader(str(builtin / format)),
            jinja2.PrefixLoader({"stepbystep": jinja2.FileSystemLoader(str(builtin))}),
        ])
        budget = self._budget or Budget(Limits().for_context(4 * MAX_TEXT))  # a block may hold a whole document
        self._budget = budget
        environment = BoundedEnvironment(budget, loader, autoescape=format in ("html", "xml"))
        environment.filters["md_text"] = environment.guarded(markdown_text, "md_text")
        return environment

    def block_overrides(self, format: str, suffix: str, kinds: tuple[str, ...]) -> dict[str, Any]:
        """The user's templates for single kinds of block (`html/equation.html.j2`)."""
        from .sandbox import UserTemplateError, template_errors
        from .sandbox_files import inside

        found = {}
        for kind in kinds:
            path = self.folder / format / f"{kind}.{suffix}"
            if path.is_file() or path.is_symlink():
                if inside((self.folder / format).resolve(), path.name) is None:
                    raise UserTemplateError(f"{path}: leads out of the template folder (a symlink) or is not a "
                                            "regular file; a template folder's templates must lie inside it")
                with template_errors(str(path)):
                    found[kind] = self.environment(format).get_template(f"{kind}.{suffix}")
        return found
