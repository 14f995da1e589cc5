"""`-o` never damages what it points at (issue 14 §2): symlinks are followed,
devices and pipes are written, never replaced, inputs are never overwritten,
the files of one run are written all or none, and no temporary file outlives
a failure, SIGINT or SIGTERM."""
from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, MAZUR_TOML

from stepbystep import outputs
from stepbystep.outputs import OutputError, resolve_target, write_files

TRAINING = EXAMPLES / "mazur-10000.toml"  # a run with a loss curve written beside the Markdown


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_a_symlink_is_followed_and_stays_a_link(tmp_path: Path, run_cli) -> None:
    real = tmp_path / "real" / "week3.md"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert run_cli("render", MAZUR_TOML, "-o", link).code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8").startswith("# ") and "0.298371109" in real.read_text(encoding="utf-8")
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "real" / "new.md")
    assert run_cli("render", MAZUR_TOML, "-o", dangling).code == 0
    assert dangling.is_symlink() and (tmp_path / "real" / "new.md").read_text(encoding="utf-8").startswith("# ")


def test_figures_go_beside_the_file_a_symlink_leads_to(tmp_path: Path, run_cli) -> None:
    (tmp_path / "site").mkdir()
    link = tmp_path / "run.md"
    link.symlink_to(tmp_path / "site" / "week4.md")
    assert run_cli("render", TRAINING, "-o", link).code == 0
    assert (tmp_path / "site" / "week4.loss-curve.svg").read_text(encoding="utf-8").startswith("<svg")
    assert "](week4.loss-curve.svg)" in (tmp_path / "site" / "week4.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.md", "site"]


def test_an_existing_file_keeps_its_permissions(tmp_path: Path, run_cli) -> None:
    page = tmp_path / "page.md"
    page.write_text("old", encoding="utf-8")
    page.chmod(0o640)
    assert run_cli("render", MAZUR_TOML, "-o", page).code == 0
    assert stat.S_IMODE(page.stat().st_mode) == 0o640 and page.read_text(encoding="utf-8").startswith("# ")


def test_a_named_pipe_is_written_not_replaced(tmp_path: Path, run_cli) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    time.sleep(0.2)  # the reader blocks in open() until the writer comes
    assert run_cli("render", MAZUR_TOML, "-o", fifo).code == 0
    reader.join(30)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and b"0.298371109" in received[0]
    assert leftovers(tmp_path) == []


def test_a_pipe_nobody_reads_is_refused_at_once(tmp_path: Path, run_cli) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = run_cli("render", MAZUR_TOML, "-o", fifo)
    assert result.code == 2 and "nobody is reading" in result.err and time.monotonic() - started < 5
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_character_device_is_written_never_replaced(tmp_path: Path, run_cli) -> None:
    assert resolve_target("/dev/null").direct  # checked, never written here
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the null device, in a test folder
    except (PermissionError, AttributeError, OSError):
        pytest.skip("cannot make a device node here (needs root)")
    assert run_cli("render", MAZUR_TOML, "-o", null).code == 0
    assert stat.S_ISCHR(null.stat().st_mode) and null.stat().st_rdev == os.makedev(1, 3)
    assert run_cli("render", TRAINING, "-o", null).code == 0  # no loss curve beside a device
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_folder_or_a_socket_is_refused(tmp_path: Path) -> None:
    import socket

    with pytest.raises(OutputError, match="is a folder"):
        resolve_target(tmp_path)
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(OutputError, match="is a socket"):
            resolve_target(path)
    finally:
        server.close()


@pytest.mark.parametrize("command", ["render", "variants"])
def test_an_input_is_never_overwritten(tmp_path: Path, run_cli, command: str) -> None:
    spec = tmp_path / "spec.toml"
    shutil.copy(EXAMPLES / "mazur-variants.toml", spec)
    before = spec.read_bytes()
    link = tmp_path / "link.toml"
    link.symlink_to(spec)
    extra = ["--count", "2", "--seed", "1"] if command == "variants" else []
    for output in (spec, link, tmp_path / "." / "spec.toml"):
        result = run_cli(command, spec, *extra, "-o", output)
        assert result.code == 2 and "is an input of this run" in result.err and result.err.count("\n") == 1
    assert spec.read_bytes() == before and link.is_symlink()


def test_the_template_is_an_input_too(tmp_path: Path, run_cli) -> None:
    page = tmp_path / "page.html.j2"
    page.write_text("<h1>{{ title }}</h1>", encoding="utf-8")
    result = run_cli("render", MAZUR_TOML, "--template", page, "-o", page)
    assert result.code == 2 and "is an input" in result.err
    assert page.read_text(encoding="utf-8") == "<h1>{{ title }}</h1>"


def test_a_template_in_the_template_folder_is_an_input_too(tmp_path: Path, run_cli) -> None:
    own = tmp_path / "mine" / "html"
    own.mkdir(parents=True)
    equation = own / "equation.html.j2"
    equation.write_text("<p>{{ block.name }}</p>", encoding="utf-8")
    result = run_cli("render", MAZUR_TOML, "--format", "html", "--template-dir", tmp_path / "mine", "-o", equation)
    assert result.code == 2 and "is a template in" in result.err and result.err.count("\n") == 1
    assert equation.read_text(encoding="utf-8") == "<p>{{ block.name }}</p>"
    beside = tmp_path / "mine" / "page.html"   # not a template: written
    assert run_cli("render", MAZUR_TOML, "--format", "html", "--template-dir", tmp_path / "mine", "-o", beside).code == 0
    assert "<p>w5+</p>" in beside.read_text(encoding="utf-8")


def test_a_run_writes_all_its_files_or_none(tmp_path: Path, run_cli) -> None:
    (tmp_path / "run.loss-curve.svg").mkdir()  # the second file of the run cannot be written
    result = run_cli("render", TRAINING, "-o", tmp_path / "run.md")
    assert result.code == 2 and "run.loss-curve.svg" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.loss-curve.svg"]
    (tmp_path / "class-solutions.md").mkdir()
    result = run_cli("variants", EXAMPLES / "mazur-variants.toml", "--count", "2", "--seed", "1",
                     "--format", "md", "-o", tmp_path / "class.md")
    assert result.code == 2 and "class-solutions.md" in result.err
    assert not (tmp_path / "class.md").exists() and leftovers(tmp_path) == []


def test_a_failure_while_writing_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text("old a", encoding="utf-8")
    real_stage = outputs._stage

    def disk_full_on_second(target, content, staged):
        if target.path.name == "b.md":
            raise OSError(28, "No space left on device", str(target.given))
        real_stage(target, content, staged)

    monkeypatch.setattr(outputs, "_stage", disk_full_on_second)
    with pytest.raises(OutputError, match="b.md: cannot write .No space left"):
        write_files([(first, "new a"), (second, "new b")])
    assert first.read_text(encoding="utf-8") == "old a" and not second.exists() and leftovers(tmp_path) == []


def test_two_outputs_that_are_one_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "b.md").symlink_to(tmp_path / "a.md")
    with pytest.raises(OutputError, match="same file"):
        write_files([(tmp_path / "a.md", "1"), (tmp_path / "b.md", "2")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.md"]


def test_sigint_while_writing_removes_the_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(source, destination):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # the signal arrives here, as Ctrl-C would

    monkeypatch.setattr(outputs.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_files([(tmp_path / "a.md", "text"), (tmp_path / "b.svg", b"<svg/>")])
    assert list(tmp_path.iterdir()) == []


SLOW_WRITER = """
import sys, time
from stepbystep import outputs
real = outputs._stage
def slow(target, content, staged):
    real(target, content, staged)
    print("staged", flush=True)
    time.sleep(60)
outputs._stage = slow
from stepbystep.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_run_stopped_while_writing_leaves_no_temporary_file(tmp_path: Path, number: int) -> None:
    process = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, "render", str(MAZUR_TOML), "-o",
                                str(tmp_path / "page.md")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "staged\n"
        assert len(leftovers(tmp_path)) == 1
        process.send_signal(number)
        _, errors = process.communicate(timeout=30)
    finally:
        process.kill()
        process.communicate()
    assert list(tmp_path.iterdir()) == []
    assert process.returncode == (143 if number == signal.SIGTERM else 130)
    assert "Traceback" not in errors
