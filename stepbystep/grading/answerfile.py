"""Answer files (SPEC.md §4): a student's numbers, read forgivingly.

A sheet is written by hand, often in a hurry, sometimes in Word: so a bad
line is reported on its line and the rest is still read, a name is matched
however it is spelt (names.py), and only a file that cannot be opened at all
stops the grading of that file. A hostile file costs bounded time: the file
size and the line length have limits, nothing here backtracks, and a JSON
sheet nested deeper than a flat object is refused before it is decoded.
"""
from __future__ import annotations

import codecs
import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .guard import NO_DEADLINE, Deadline
from .header import VariantMark, is_variant_line, mark_from_text, read_variant_line
from .names import NameIndex, name_keys  # noqa: F401  (re-exported: the answer-file API in one place)
from .working import evaluate
from .written import final_number_text, parse_number, result_of_working  # noqa: F401

MAX_BYTES = 2_000_000  # an answer sheet is a few kB; anything this large is the wrong file
MAX_LINE_CHARS = 1000   # a line longer than this is reported, not parsed (working fits in 200)
MAX_JSON_DEPTH = 3      # {name: value}, a value at most a short list: anything deeper is no sheet
BLANKS = {"", "?", "-", "—", "–", "…", "...", "todo", "tbd"}  # a template's empty slot
SPEC_MARKERS = ("[[layers]]", "[[samples]]", "[nodes]", "[inputs]", "learning_rate")

# `name = number` in one anchored match: the name holds no separator, so the
# greedy name backtracks at most once per character — linear, never nested.
_PLAIN_LINE = re.compile(r"([^=:≈~]*[^=:≈~\s])[ \t]*[=:≈~][ \t]*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)")
_BAD_BYTE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Entry(NamedTuple):
    """One answer as written: `value` is None when `problem` says why.
    (Immutable; a NamedTuple because a class of sheets makes tens of thousands.)"""

    line: int | None      # 1-based line in the file; None in a JSON sheet (its key names it)
    written: str          # the name as the student wrote it
    text: str             # the value as the student wrote it
    value: float | None
    problem: str | None = None


@dataclass(frozen=True)
class AnswerSheet:
    source: str
    entries: tuple[Entry, ...]
    error: str | None = None   # nothing could be read as answers (reported; the sheet scores 0)
    unreadable: bool = False   # the file could not be opened at all (bad input: exit 2)
    variant: VariantMark | None = None             # the variant the sheet names
    fields: tuple[tuple[str, str], ...] = ()       # header fields read off the variant line
    keyed: bool = False        # a JSON sheet: answers are found by their key, not a line
    notes: tuple[str, ...] = ()


def read_sheet(path: str | Path, deadline: Deadline = NO_DEADLINE) -> AnswerSheet:
    """Open and parse one answer file; never raises for a bad file, never
    waits on a named pipe or a device."""
    source = str(path)
    try:
        data = _read_regular_file(path)
    except FileNotFoundError:
        return AnswerSheet(source, (), "no such file", unreadable=True)
    except IsADirectoryError:
        return AnswerSheet(source, (), "is a directory, not an answer file", unreadable=True)
    except OSError as error:
        return AnswerSheet(source, (), f"cannot read ({error.strerror or error})", unreadable=True)
    if data is None:
        return AnswerSheet(source, (), "not a regular file (a named pipe, device or socket), not an answer file",
                           unreadable=True)
    if len(data) > MAX_BYTES:
        return AnswerSheet(source, (), f"larger than {MAX_BYTES // 1_000_000} MB: not an answer file")
    return parse_sheet(data, source, deadline)


def _read_regular_file(path: str | Path) -> bytes | None:
    """At most MAX_BYTES + 1 bytes of a regular file; None for anything else.
    Opened without blocking, so a FIFO with no writer cannot hang the class."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(info.st_mode):
            return None
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(descriptor, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def parse_sheet(data: bytes | str, source: str = "<answers>", deadline: Deadline = NO_DEADLINE) -> AnswerSheet:
    """Plain text `name = value` / `name: value` lines, or one JSON object."""
    if isinstance(data, bytes):
        if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return AnswerSheet(source, (), "a binary file (a .docx or .pdf?), not a text file of answers")
        text = _decode(data)
    else:
        text = data
    if len(text) > MAX_BYTES:
        return AnswerSheet(source, (), f"larger than {MAX_BYTES // 1_000_000} MB: not an answer file")
    if text.lstrip().startswith("{"):
        return _parse_json(text, source)
    return _parse_text(text, source, deadline)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM (Windows Notepad);
    bytes that are not UTF-8 survive as surrogates and are reported per line."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "surrogateescape")


# -- text sheets -------------------------------------------------------------------
def _parse_text(text: str, source: str, deadline: Deadline) -> AnswerSheet:
    entries: list[Entry] = []
    variant: VariantMark | None = None
    fields: list[tuple[str, str]] = []
    notes: list[str] = []
    suspect = _BAD_BYTE.search(text) is not None
    spec_like = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not number & 63:
            deadline.check()
        if len(raw) > MAX_LINE_CHARS:
            entries.append(Entry(number, "", "", None, f"a line of {len(raw):,} characters (the limit is "
                                                       f"{MAX_LINE_CHARS:,}): not read"))
            continue
        body = raw.strip()
        body = body.split("#", 1)[0].rstrip() if body[:1] != "#" else _markdown_heading(body)
        if not body:
            continue
        if body[0] in "[l":
            spec_like += body.startswith(SPEC_MARKERS)
        elif body[0] in "vV*_>|#" and is_variant_line(body) and parse_number(_value_part(body)) is None:
            mark, found = read_variant_line(body, f"line {number}")
            if variant is None:
                variant = mark
            elif mark.written != variant.written:
                notes.append(f"{mark.where} names variant {mark.written!r} too; {variant.where} counts")
            fields.extend(found)
            continue
        entry = _parse_line(number, body, suspect)
        if entry is not None:
            entries.append(entry)
    if spec_like >= 2 and not any(entry.value is not None and entry.written.startswith(("w", "out", "net", "dE"))
                                  for entry in entries):
        return AnswerSheet(source, (), "this is a spec file, not an answer file (the spec comes first: "
                                       "stepbystep check SPEC ANSWERS...)")
    return AnswerSheet(source, tuple(entries), variant=variant, fields=tuple(fields), notes=tuple(notes))


def _markdown_heading(body: str) -> str:
    """`# Variant 2024-7` (a sheet kept in Markdown) is a header line; other `#` lines are comments."""
    return body if is_variant_line(body) else ""


def _value_part(body: str) -> str:
    cut = _separator(body)
    return body[cut + 1:].strip() if cut >= 0 else ""


def _parse_line(number: int, body: str, suspect: bool = True) -> Entry | None:
    plain = None if suspect else _PLAIN_LINE.fullmatch(body)
    if plain is not None:  # the common case, `w5+ = 0.3589`, without further ado
        value = float(plain.group(2))
        if math.isfinite(value):
            return Entry(number, plain.group(1), plain.group(2), value)
    cut = _separator(body)
    if cut < 0:
        pair = _spreadsheet_pair(body)
        if pair is None:
            return Entry(number, _printable(body), "", None, "expected `name = value` or `name: value`")
        name, text = pair
    else:
        name, text = body[:cut].strip(), body[cut + 1:].strip().lstrip("=≈~").strip()  # `w5+ := 0.3589`
    if _BAD_BYTE.search(body):
        return Entry(number, _printable(name), _printable(text), None, "not UTF-8 text (a byte that is not UTF-8 on this line)")
    if not name:
        return Entry(number, "", text, None, "no name before the value")
    if text.strip().lower() in BLANKS:
        return None  # an unanswered slot of a template
    value = parse_number(text)
    if value is None:
        value = result_of_working(text)
    if value is None:
        final = final_number_text(text)
        if evaluate(final) is not None:  # `0.15*0.05 + 0.2*0.1 + 0.35`: working, and no result after it
            problem = "the working has no final number: finish it, as in `… = 0.123`"
        else:
            problem = f"{text[:80]!r} is not a number"
        return Entry(number, name, text, None, problem)
    return Entry(number, name, text, value)


def _spreadsheet_pair(body: str) -> tuple[str, str] | None:
    """`w5+;0,3589`, `w5+,0.3589` (a spreadsheet saved as CSV) or `w5+ 0.3589`."""
    for separator in (";", ",", "\t"):
        name, found, text = body.partition(separator)
        if found and name.strip() and parse_number(text) is not None:
            return name.strip(), text.strip()
    pieces = body.rsplit(None, 1)
    if len(pieces) == 2 and parse_number(pieces[1]) is not None:
        return pieces[0].strip(), pieces[1]
    return None


def _separator(body: str) -> int:
    """The first `=`, `:`, `≈` or `~` (hand results are approximate); names never contain them."""
    positions = [index for index in map(body.find, "=:≈~") if index >= 0]
    return min(positions) if positions else -1


def _printable(text: str) -> str:
    return _BAD_BYTE.sub("\ufffd", text)


# -- JSON sheets ----------------------------------------------------------------
def _parse_json(text: str, source: str) -> AnswerSheet:
    if _BAD_BYTE.search(text):
        return AnswerSheet(source, (), "not UTF-8 text")
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        return AnswerSheet(source, (), f"JSON nested {depth} levels deep: an answer file is one flat object "
                                       "{name: value}")
    try:
        pairs = json.loads(text, object_pairs_hook=lambda items: items, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return AnswerSheet(source, (), f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})")
    except ValueError as error:
        return AnswerSheet(source, (), f"not valid JSON: {error}")
    if not isinstance(pairs, list):
        return AnswerSheet(source, (), "expected one JSON object {name: value}")
    entries = []
    variant: VariantMark | None = None
    for name, raw in pairs:
        name = _SURROGATE.sub("\ufffd", name)  # "\ud800" is valid JSON, but not text
        if isinstance(raw, str):
            raw = _SURROGATE.sub("\ufffd", raw)
        if name.strip().casefold() == "variant" and isinstance(raw, (str, int)) and not isinstance(raw, bool):
            if variant is None:
                variant = mark_from_text(str(raw), f"key {json.dumps(name, ensure_ascii=False)}")
            continue
        entry = _json_entry(name, raw)
        if entry is not None:
            entries.append(entry)
    return AnswerSheet(source, tuple(entries), variant=variant, keyed=True)


def _json_entry(name: str, raw: Any) -> Entry | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        return Entry(None, name, json.dumps(_plain(raw))[:40], None, f"expected a number, got {_kind(raw)}")
    if isinstance(raw, str):
        if raw.strip().lower() in BLANKS:
            return None
        value = parse_number(raw)
        if value is None:
            value = result_of_working(raw)
        return Entry(None, name, raw[:MAX_LINE_CHARS], value, None if value is not None else f"{raw[:80]!r} is not a number")
    value = float(raw) if isinstance(raw, float) or abs(raw) < 10**300 else math.inf
    finite = math.isfinite(value)
    return Entry(None, name, json.dumps(raw)[:40], value if finite else None, None if finite else "not a finite number")


def json_depth(text: str) -> int:
    """The deepest nesting of objects and lists, outside strings (one linear scan)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _plain(value: Any) -> Any:
    """Nested pairs (from object_pairs_hook) back to dicts, for display."""
    if isinstance(value, list) and all(isinstance(item, tuple) and len(item) == 2 for item in value) and value:
        return {key: _plain(item) for key, item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, list) and value and all(isinstance(item, tuple) for item in value):
        return "an object"
    return "a list" if isinstance(value, list) else type(value).__name__

