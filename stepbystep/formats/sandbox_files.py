"""The files a user's template may read: those the user named, a template
folder the user named (its regular files, never a symlink out of it), and
the project's own templates. Nothing else: not a file that merely lies beside
the template (an `id_rsa`), not a FIFO (it would hang), not a huge file."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable, Mapping

import jinja2

from .sandbox_bounds import MAX_TEMPLATE_BYTES, TemplateBound


class NamedFilesLoader(jinja2.BaseLoader):
    """Only the files the user named (by file name) and the project's own
    templates (by their path under `project`, never leaving it by a symlink)."""

    def __init__(self, named: Mapping[str, Path], project: Path | None) -> None:
        self.named = dict(named)
        self.project = project.resolve() if project is not None else None

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template in self.named:
            return read_template(self.named[template]), str(self.named[template]), lambda: True
        found = self.project_file(template)
        if found is not None:
            return read_template(found), str(found), lambda: True
        known = ", ".join(sorted(self.named)) or "none"
        raise jinja2.TemplateNotFound(template, (
            f"{template!r} is not a template you named (named: {known}) nor one of the project's templates; "
            "a template may include only those (name more with --template-include FILE)"))

    def project_file(self, template: str) -> Path | None:
        """The project's template of that name, if it is a regular file inside the project's folder."""
        return None if self.project is None else inside(self.project, template)


def read_template(path: Path) -> str:
    """A regular file of at most MAX_TEMPLATE_BYTES, read without blocking on a FIFO or a device."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise jinja2.TemplateNotFound(str(path), f"{path}: no such template file") from None
    except OSError as error:
        raise jinja2.TemplateNotFound(str(path), f"{path}: cannot read ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as stream:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise jinja2.TemplateNotFound(str(path), f"{path}: not a regular file")
        data = stream.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateBound("template size bound", f"{path.name} is larger than {MAX_TEMPLATE_BYTES:,} bytes")
    return data.decode("utf-8")


class FolderLoader(jinja2.BaseLoader):
    """A user's template folder (`--template-dir`): its regular files by their
    path inside it; `..`, a symlink leading out of it, a FIFO are refused."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        found = inside(self.folder, template)
        if found is None:
            raise jinja2.TemplateNotFound(template)
        return read_template(found), str(found), lambda: True


def inside(folder: Path, template: str) -> Path | None:
    """The regular file `template` names inside `folder`, if it stays inside (symlinks resolved)."""
    try:
        pieces = jinja2.loaders.split_template_path(template)  # refuses `..`
    except jinja2.TemplateNotFound:
        return None
    resolved = folder.joinpath(*pieces).resolve()
    return resolved if resolved.is_relative_to(folder) and resolved.is_file() else None
