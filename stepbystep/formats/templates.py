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
        if (candidate / "walkthrough.md.j2").is_file():
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
