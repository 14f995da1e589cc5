"""Writing the files of one run (`-o`): all of them or none, and never the wrong thing.

An instructor may point `-o` at a symlink, at /dev/null, at a named pipe or
(by a slip of the shell) at the spec itself. The rules:

- a symlink is followed: its target is written, the link stays a link;
- a regular file (or a new one) is written to a temporary file beside it and
  renamed into place, so a reader never sees half a file;
- a character device or a named pipe (/dev/null, /dev/stdout, `>(…)`) is
  written directly, never replaced; a folder, a block device or a socket is refused;
- a target that is one of the run's input files, or two outputs that are the
  same file, are refused before anything is written;
- every file of one run (a page and its loss curve, a problem sheet and its
  solutions) is staged first and renamed only when all are written;
- temporary files are removed when the run fails, or is stopped by SIGINT or SIGTERM.
"""
from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence


class OutputError(ValueError):
    """An output that cannot or must not be written: `str()` is the one line."""


@dataclass(frozen=True)
class Target:
    """Where one output really goes."""

    given: Path          # as the user wrote it
    path: Path           # symlinks resolved
    direct: bool         # a device or pipe: opened and written, never replaced
    mode: int | None     # permission bits of the regular file it replaces, if any


def resolve_target(given: str | Path, inputs: Sequence[str | Path] = ()) -> Target:
    """Where `given` really goes, refused if it must not be written."""
    given = Path(given)
    path = Path(os.path.realpath(given))
    try:
        info = os.stat(path)
    except FileNotFoundError:
        folder = path.parent
        if not folder.is_dir():
            raise OutputError(f"{given}: the folder {folder} does not exist") from None
        return _unless_input(Target(given, path, False, None), inputs)
    except OSError as error:
        raise OutputError(f"{given}: cannot write ({error.strerror})") from None
    kind = info.st_mode
    if stat.S_ISDIR(kind):
        raise OutputError(f"{given}: is a folder; give a file name")
    if stat.S_ISREG(kind):
        return _unless_input(Target(given, path, False, stat.S_IMODE(kind)), inputs)
    if stat.S_ISCHR(kind) or stat.S_ISFIFO(kind):
        return _unless_input(Target(given, path, True, None), inputs)
    what = "a block device" if stat.S_ISBLK(kind) else "a socket" if stat.S_ISSOCK(kind) else "not a regular file"
    raise OutputError(f"{given}: is {what}; refusing to write there")


def _unless_input(target: Target, inputs: Sequence[str | Path]) -> Target:
    """An input file is never an output; nor is a template (`*.j2`) inside an
    input folder (--template-dir: the run reads its templates from there)."""
    for source in inputs:
        if Path(source).is_dir():
            if target.path.suffix == ".j2" and target.path.is_relative_to(os.path.realpath(source)):
                raise OutputError(f"{target.given}: is a template in {source}, a folder this run reads its "
                                  "templates from; refusing to overwrite it — give another output file")
            continue
        if _same_file(target.path, Path(source)):
            raise OutputError(f"{target.given}: is an input of this run ({source}); "
                              "refusing to overwrite it — give another output file")
    return target


def _same_file(path: Path, other: Path) -> bool:
    try:
        return os.path.samefile(path, other)
    except OSError:
        return Path(os.path.realpath(other)) == path


def check_outputs(outputs: Sequence[str | Path], inputs: Sequence[str | Path] = ()) -> list[Target]:
    """Every output resolved and checked before any work: none an input, no two the same file."""
    targets = [resolve_target(output, inputs) for output in outputs]
    for index, target in enumerate(targets):
        for earlier in targets[:index]:
            if target.path == earlier.path and not target.direct:
                raise OutputError(f"{target.given}: is the same file as {earlier.given}")
    return targets


def write_files(files: Sequence[tuple[str | Path, str | bytes]], inputs: Sequence[str | Path] = ()) -> None:
    """Write every (path, content) or none: all regular files are staged as
    temporary files first, devices and pipes written next, and only then are
    the temporary files renamed into place."""
    targets = check_outputs([path for path, _ in files], inputs)
    staged: list[tuple[Path, Target]] = []
    with _removed_on_signal(staged):
        try:
            for target, (_, content) in zip(targets, files):
                if not target.direct:
                    _stage(target, content, staged)
            for target, (_, content) in zip(targets, files):
                if target.direct:
                    _write_direct(target, content)
            while staged:
                temporary, target = staged[0]
                os.replace(temporary, target.path)
                staged.pop(0)
        except OSError as error:
            raise OutputError(f"{error.filename or targets[0].given}: cannot write ({error.strerror})") from None
        finally:
            for temporary, _ in staged:
                temporary.unlink(missing_ok=True)


def _stage(target: Target, content: str | bytes, staged: list[tuple[Path, Target]]) -> None:
    """The content in a temporary file beside the target, listed in `staged` at once (for removal)."""
    folder = target.path.parent
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{target.path.name}.", suffix=".tmp")
    except OSError as error:  # the error names the output, not our temporary file
        raise OutputError(f"{target.given}: cannot write in {folder} ({error.strerror})") from None
    staged.append((Path(name), target))
    with os.fdopen(handle, "wb") as stream:
        stream.write(_bytes(content))
    os.chmod(name, target.mode if target.mode is not None else 0o666 & ~_umask())


def _write_direct(target: Target, content: str | bytes) -> None:
    """A device or a pipe: opened without creating or truncating anything.
    A pipe nobody reads is refused rather than waited on."""
    try:
        descriptor = os.open(target.path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        reason = "a named pipe nobody is reading" if error.errno == 6 else error.strerror  # ENXIO
        raise OutputError(f"{target.given}: cannot write ({reason})") from None
    if hasattr(os, "set_blocking"):
        os.set_blocking(descriptor, True)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(_bytes(content))


def _bytes(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class Stopped(SystemExit):
    """SIGTERM while writing: the temporary files are removed on the way out (exit 143)."""


@contextmanager
def _removed_on_signal(staged: list[tuple[Path, Target]]) -> Iterator[None]:
    """While files are staged, SIGTERM and SIGINT become exceptions, so the
    `finally` that removes the temporary files runs before the process ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(128 + signum)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
