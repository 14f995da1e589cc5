"""Limits checked before a spec is parsed, and the one walk that refuses
NaN and infinity anywhere in it.

Python's TOML reader needs gigabytes of memory for 200 KB of dotted keys
(`a.a.a.….a = 1`), and JSON or TOML nested a thousand deep exhausts the
stack; so the file's size and nesting are measured on the text first, with
a tokenizer that only skips strings and comments and counts brackets and
dots, and a file beyond them is refused in well under a second.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from .model import MAX_SPEC_BYTES, MAX_SPEC_NESTING, SpecError

_TOML_TOKENS = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*'
                          r"|[\[\]{}=,.\n]")
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def read_spec_bytes(path: str | Path) -> bytes:
    """The file's bytes, refused above MAX_SPEC_BYTES without reading the rest."""
    with open(path, "rb") as stream:
        data = stream.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(str(path), "", f"the file is larger than the spec size limit of {MAX_SPEC_BYTES:,} bytes")
    return data


def check_text(text: str, source: str, is_json: bool) -> None:
    """Size and nesting of a spec's text, before any parser sees it."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(source, "", f"the text is longer than the spec size limit of {MAX_SPEC_BYTES:,} characters")
    depth = _json_depth(text) if is_json else _toml_depth(text)
    if depth is not None:
        raise SpecError(source, "", f"nested more than {MAX_SPEC_NESTING} levels deep at line {depth} "
                                    f"(the spec nesting limit: tables, arrays and dotted keys inside each other)")


def _json_depth(text: str) -> int | None:
    """The line where brackets nest deeper than the limit, or None."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_SPEC_NESTING:
                return text.count("\n", 0, token.start()) + 1
        elif char in "]}":
            depth -= 1
    return None


def _toml_depth(text: str) -> int | None:
    """As _json_depth for TOML, where dotted keys (`a.b.c = 1`) and table
    headers (`[a.b.c]`) nest too: a conservative count (it may count a float's
    dot or a top-level array as a level, never less) of the brackets open, the
    dots since the last separator and the depth of the last header's table."""
    brackets = 0     # arrays, inline tables and headers open
    dots = 0         # dots since the last separator
    header_dots = 0  # the most dots inside the brackets of the current line's header or array
    table = 0        # depth of the table the last header opened
    line = 1
    for token in _TOML_TOKENS.finditer(text):
        char = token.group()
        if char == ".":
            dots += 1
            if brackets:
                header_dots = max(header_dots, dots)
        elif char in "[{":
            if brackets == 0:
                header_dots = 0
            brackets += 1
            dots = 0
        elif char in "]}":
            brackets = max(0, brackets - 1)
            if brackets == 0 and char == "]":
                table = header_dots + 1
            dots = 0
        elif char == "\n":
            line += 1
            if brackets == 0:
                dots = 0
        elif char in "=,":
            dots = 0
        else:  # a string or a comment
            line += char.count("\n")
            continue
        if brackets + dots + table > MAX_SPEC_NESTING:
            return line
    return None


def refuse_non_finite(data: Any, source: str) -> None:
    """NaN or infinity anywhere in a decoded spec, in any table ([check] and
    [variants] too), is refused with its field path; so is nesting beyond the
    limit in a dict handed over directly (the file's text was checked already).
    A spec with neither is passed at once, without a field path for every
    number (each variant of an exercise is a spec: the paths were most of it)."""
    if not _finite_and_shallow(data):
        refuse_with_path(data, source)


def refuse_with_path(data: Any, source: str) -> None:
    """The first non-finite number or too deep table, in file order, with its field path."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise SpecError(source, path, f"expected a finite number, got {value!r}")
        if isinstance(value, dict):
            children = [(item, f"{path}.{key}" if path else str(key)) for key, item in value.items()]
        elif isinstance(value, (list, tuple)):
            children = [(item, f"{path}[{index}]") for index, item in enumerate(value)]
        else:
            continue
        if depth >= MAX_SPEC_NESTING and children:
            raise SpecError(source, path, f"nested more than {MAX_SPEC_NESTING} levels deep (the spec nesting limit)")
        stack.extend((item, where, depth + 1) for item, where in reversed(children))


def _finite_and_shallow(data: Any) -> bool:
    """Whether refuse_non_finite has nothing to refuse: its walk (depth first,
    so a structure that holds itself meets the depth limit at once), without
    the paths it names a problem by."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return False
            continue
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, (list, tuple)):
            children = value
        else:
            continue
        if children and depth >= MAX_SPEC_NESTING:
            return False
        below = depth + 1
        stack.extend([(item, below) for item in children])
    return True
