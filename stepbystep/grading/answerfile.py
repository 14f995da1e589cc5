"""Answer files (SPEC.md §4): a student's numbers, read forgivingly.

A sheet is written by hand, often in a hurry, sometimes in Word: so a bad
line is reported on its line and the rest is still read, a name is matched
however it is spelt (case, spaces, ∂ or d, w5+ / w5_new / w5⁺, aliases), and
only a file that cannot be opened at all stops the grading of that file.
"""
from __future__ import annotations

import codecs
import difflib
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple

MAX_BYTES = 2_000_000  # an answer sheet is a few kB; anything this large is the wrong file
BLANKS = {"", "?", "-", "—", "–", "…", "...", "todo", "tbd"}  # a template's empty slot

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_TIMES_TEN = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:x|×|\*|·|⋅|\\cdot|\\times)10\^?\{?([+-]?\d+)\}?")
_NAME_THEN_NUMBER = re.compile(r"(.*\S)\s+(\S+)")
_PLAIN_LINE = re.compile(r"([^=:\s][^=:]*?)\s*[=:]\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)")
_BAD_BYTE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UPDATED = re.compile(r"(?:\^\+|\+|_?new|_?updated|\(new\)|')$")


class Entry(NamedTuple):
    """One answer as written: `value` is None when `problem` says why.
    (Immutable; a NamedTuple because a class of sheets makes tens of thousands.)"""

    line: int | None      # 1-based line in the file; None when unknown
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


def read_sheet(path: str | Path) -> AnswerSheet:
    """Open and parse one answer file; never raises for a bad file."""
    source = str(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return AnswerSheet(source, (), "no such file", unreadable=True)
    except IsADirectoryError:
        return AnswerSheet(source, (), "is a directory, not an answer file", unreadable=True)
    except OSError as error:
        return AnswerSheet(source, (), f"cannot read ({error.strerror or error})", unreadable=True)
    if len(data) > MAX_BYTES:
        return AnswerSheet(source, (), f"larger than {MAX_BYTES // 1_000_000} MB: not an answer file")
    return parse_sheet(data, source)


def parse_sheet(data: bytes | str, source: str = "<answers>") -> AnswerSheet:
    """Plain text `name = value` / `name: value` lines, or one JSON object."""
    if isinstance(data, bytes):
        if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return AnswerSheet(source, (), "a binary file (a .docx or .pdf?), not a text file of answers")
        text = _decode(data)
    else:
        text = data
    if text.lstrip().startswith("{"):
        return _parse_json(text, source)
    return AnswerSheet(source, tuple(_parse_lines(text)))


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM (Windows Notepad);
    bytes that are not UTF-8 survive as surrogates and are reported per line."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "surrogateescape")


def _parse_lines(text: str) -> Iterable[Entry]:
    suspect = _BAD_BYTE.search(text) is not None
    for number, raw in enumerate(text.splitlines(), start=1):
        body = raw.split("#", 1)[0].strip()
        if not body:
            continue
        entry = _parse_line(number, body, suspect)
        if entry is not None:
            yield entry


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
        return Entry(number, name, text, None, f"{text!r} is not a number")
    return Entry(number, name, text, value)


def result_of_working(text: str) -> float | None:
    """Students show their working: `0.2748 + 0.0236 = 0.2984` or
    `0.5933 (rounded)`. The answer is the number at the end, after the last
    `=` or `≈` and before a closing remark in brackets."""
    final = re.split(r"[=≈]", text)[-1]
    final = re.sub(r"\s*\([^()]*\)\s*$", "", final).strip()
    return parse_number(final) if final and final != text.strip() else None


def _spreadsheet_pair(body: str) -> tuple[str, str] | None:
    """`w5+;0,3589`, `w5+,0.3589` (a spreadsheet saved as CSV) or `w5+ 0.3589`."""
    for separator in (";", ",", "\t"):
        name, found, text = body.partition(separator)
        if found and name.strip() and parse_number(text) is not None:
            return name.strip(), text.strip()
    pair = _NAME_THEN_NUMBER.fullmatch(body)
    if pair is not None and parse_number(pair.group(2)) is not None:
        return pair.group(1), pair.group(2)
    return None


def _separator(body: str) -> int:
    """The first `=`, `:`, `≈` or `~` (hand results are approximate); names never contain them."""
    positions = [index for index in map(body.find, "=:≈~") if index >= 0]
    return min(positions) if positions else -1


def _printable(text: str) -> str:
    return _BAD_BYTE.sub("\ufffd", text)


def parse_number(text: str) -> float | None:
    """A finite number as people write it: 0.3589, -1.9e-2, −0.019, 0,3589,
    4.386 × 10⁻⁴; anything else (words, NaN, 1_000) is None."""
    if _NUMBER.fullmatch(text):
        value = float(text)
        return value if math.isfinite(value) else None
    cleaned = unicodedata.normalize("NFKC", text).replace("−", "-").replace("–", "-")
    cleaned = "".join(cleaned.split()).rstrip(",;").lstrip("≈~=").strip("\"'`$")
    if _NUMBER.fullmatch(cleaned):
        value = float(cleaned)
    elif _DECIMAL_COMMA.fullmatch(cleaned):
        value = float(cleaned.replace(",", "."))
    else:
        match = _TIMES_TEN.fullmatch(cleaned)
        if match is None:
            return None
        value = float(f"{match.group(1)}e{match.group(2)}")
    return value if math.isfinite(value) else None


# -- JSON sheets ----------------------------------------------------------------
def _parse_json(text: str, source: str) -> AnswerSheet:
    if _BAD_BYTE.search(text):
        return AnswerSheet(source, (), "not UTF-8 text")
    try:
        pairs = json.loads(text, object_pairs_hook=lambda items: items, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return AnswerSheet(source, (), f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})")
    except ValueError as error:
        return AnswerSheet(source, (), f"not valid JSON: {error}")
    if not isinstance(pairs, list):
        return AnswerSheet(source, (), "expected one JSON object {name: value}")
    entries = []
    lines = _LineFinder(text)
    for name, raw in pairs:
        line = lines.find(name)
        name = _SURROGATE.sub("\ufffd", name)  # "\ud800" is valid JSON, but not text
        if isinstance(raw, str):
            raw = _SURROGATE.sub("\ufffd", raw)
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            entries.append(Entry(line, name, json.dumps(_plain(raw))[:40], None, f"expected a number, got {_kind(raw)}"))
            continue
        if isinstance(raw, str):
            if raw.strip().lower() in BLANKS:
                continue
            value = parse_number(raw)
            entries.append(Entry(line, name, raw, value, None if value is not None else f"{raw!r} is not a number"))
            continue
        value = float(raw)
        entries.append(Entry(line, name, json.dumps(raw), value if math.isfinite(value) else None,
                             None if math.isfinite(value) else "not a finite number"))
    return AnswerSheet(source, tuple(entries))


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


class _LineFinder:
    """Best-effort line numbers for JSON keys, scanning forward once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.line = 1

    def find(self, key: str) -> int | None:
        found = self.text.find(json.dumps(key, ensure_ascii=False), self.position)
        if found < 0:
            found = self.text.find(json.dumps(key), self.position)
        if found < 0:
            return None
        self.line += self.text.count("\n", self.position, found)
        self.position = found
        return self.line


# -- names -----------------------------------------------------------------------
def name_keys(written: str) -> tuple[str, str, str]:
    """Three ever looser spellings of a name: as written minus spaces and
    notation (∂, braces, w5_new → w5+), then case-folded, then without
    underscores (dEtotal/dw5) and with dE/dw5 read as dE_total/dw5."""
    text = _unquote(unicodedata.normalize("NFKC", written).strip())
    text = text.replace("\\partial", "d").replace("∂", "d").replace("δ", "delta").replace("\\delta", "delta")
    text = "".join(text.replace("\\", "").replace("{", "").replace("}", "").split())
    text = _UPDATED.sub("+", text)
    folded = text.casefold()
    loose = folded.replace("_", "")
    head, dot, tail = loose.rpartition(".")
    if tail.startswith("de/d"):
        loose = head + dot + "detotal/d" + tail[4:]
    return text, folded, loose


def _unquote(text: str) -> str:
    """`"w5+"` or `$w5^+$` → w5+ (a lone trailing ' is kept: w5' means w5+)."""
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`$":
        text = text[1:-1].strip()
    return text


class NameIndex:
    """Matches written names to the trace's canonical names and aliases.

    Each looser spelling is used only where it is unambiguous, so `h2_3`
    and `h23` in one network, or `x` and `X` in one graph, stay apart.
    """

    def __init__(self, names: Iterable[str], aliases: Mapping[str, str]) -> None:
        self.exact: dict[str, str] = {}
        levels: tuple[dict[str, set[str]], ...] = ({}, {}, {})
        for name, canonical in [(name, name) for name in names] + list(aliases.items()):
            self.exact.setdefault(name, canonical)
            for level, key in zip(levels, name_keys(name)):
                level.setdefault(key, set()).add(canonical)
        self.levels = tuple({key: next(iter(found)) for key, found in level.items() if len(found) == 1}
                            for level in levels)
        self.canonical = list(dict.fromkeys(names))
        self._cache: dict[str, str | None] = {}
        self._suggestions: dict[str, tuple[str, ...]] = {}

    def match(self, written: str) -> str | None:
        """The canonical name, or None when no spelling matches."""
        if written in self.exact:
            return self.exact[written]
        if written in self._cache:
            return self._cache[written]
        found = None
        for level, key in zip(self.levels, name_keys(written)):
            if key in level:
                found = level[key]
                break
        if len(self._cache) < 100_000:
            self._cache[written] = found
        return found

    def suggest(self, written: str, count: int = 3) -> tuple[str, ...]:
        """The closest canonical names, for "did you mean …"."""
        key = name_keys(written)[2]
        if key not in self._suggestions:
            loose = self.levels[2]
            cutoff = 0.6 if len(key) > 4 else 0.5  # w9 vs w1 is 0.5 alike
            close = difflib.get_close_matches(key, list(loose), n=count * 2, cutoff=cutoff)
            found = tuple(dict.fromkeys(loose[item] for item in close))[:count]
            self._suggestions[key] = found
        return self._suggestions[key]
