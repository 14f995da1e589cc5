"""Finding the templates and the one Jinja set-up of the built-in ones."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

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
    import jinja2

    folder = cache_folder(f"jinja-{jinja2.__version__}")
    return None if folder is None else jinja2.FileSystemBytecodeCache(str(folder))


def cache_folder(name: str) -> Path | None:
    """A writable folder of the run-to-run cache (compiled templates, converted
    formulas): STEPBYSTEP_CACHE_DIR, or $XDG_CACHE_HOME/stepbystep, or
    ~/.cache/stepbystep. None when it is "off" or cannot be written."""
    import os

    setting = os.environ.get("STEPBYSTEP_CACHE_DIR", "")
    if setting.lower() == "off":
        return None
    base = setting or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "stepbystep")
    folder = os.path.join(base, name)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return Path(folder) if os.access(folder, os.W_OK) else None


class Templates:
    """Where a render finds its templates: the user's folder first (laid out
    like the built-in one: `html/equation.html.j2`, `md/note.md.j2`,
    `html/page.html.j2`), then the built-in templates. The user's templates
    run in the bounded sandbox (sandbox.py), may include one another by file
    name, and may extend a built-in template by its path:
    `{% extends "html/page.html.j2" %}`."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such template folder")
        self._environments: dict[str, Any] = {}
        self._budget: Any = None  # one Budget for every format's templates of this render

    def own(self, format: str) -> dict[str, Path]:
        """The user's templates of one format, by file name: regular files inside
        the folder; one that leads out of it (a symlink) is refused, not read."""
        from .errors import UserTemplateError
        from .sandbox_files import inside

        folder = self.folder / format
        if not folder.is_dir():
            return {}
        found = {}
        for path in sorted(folder.iterdir()):
            if path.suffix == ".j2" and (path.is_file() or path.is_symlink()):
                if inside(folder.resolve(), path.name) is None:
                    raise UserTemplateError(f"{path}: leads out of the template folder (a symlink) or is not a "
                                            "regular file; a template folder's templates must lie inside it")
                found[path.name] = path
        return found

    def environment(self, format: str) -> Any:
        """The sandboxed, bounded environment of one format's templates."""
        if format not in self._environments:
            from .sandbox import BoundedEnvironment, NamedFilesLoader
            from .sandbox_bounds import Budget, Limits

            from .sandbox_bounds import MAX_TEXT

            self._budget = self._budget or Budget(Limits().for_context(4 * MAX_TEXT))  # a block may hold a whole page
            environment = BoundedEnvironment(self._budget, NamedFilesLoader(self.own(format), template_dir()),
                                             autoescape=format in ("html", "xml"))
            environment.filters["md_text"] = environment.guarded(markdown_text, "md_text")
            self._environments[format] = environment
        return self._environments[format]

    def template(self, format: str, name: str) -> Any:
        """The user's `name` of this format if there is one, else the built-in one."""
        with user_errors(self.folder / format / name):
            if name in self.own(format):
                return self.environment(format).get_template(name)
            return self.environment(format).get_template(f"{format}/{name}")

    def render(self, template: Any, **context: Any) -> str:
        with user_errors(Path(template.filename or template.name)):
            return str(template.render(**context))

    def block_overrides(self, format: str, suffix: str, kinds: tuple[str, ...]) -> dict[str, Any]:
        """The user's templates for single kinds of block (`html/equation.html.j2`)."""
        own = self.own(format)
        found = {}
        for kind in kinds:
            if f"{kind}.{suffix}" in own:
                found[kind] = self.template(format, f"{kind}.{suffix}")
        return found


@contextmanager
def user_errors(path: Path) -> Iterator[None]:
    """Whatever goes wrong in a user's template: one UserTemplateError naming it."""
    import jinja2

    from .errors import UserTemplateError
    from .sandbox_bounds import TemplateBound

    try:
        yield
    except UserTemplateError:
        raise
    except TemplateBound as error:
        raise UserTemplateError(f"{path}: {error}") from None
    except jinja2.TemplateSyntaxError as error:
        raise UserTemplateError(f"{path}: line {error.lineno}: {error.message}") from None
    except jinja2.TemplateNotFound as error:
        raise UserTemplateError(f"{path}: {error.message}") from None
    except jinja2.exceptions.SecurityError as error:
        raise UserTemplateError(f"{path}: refused by the sandbox: {error}") from None
    except RecursionError:
        raise UserTemplateError(f"{path}: recursion bound: nested deeper than Python allows") from None
    except Exception as error:  # the template's own failure (an undefined name, a bad filter argument)
        raise UserTemplateError(f"{path}: {type(error).__name__}: {error}") from None
