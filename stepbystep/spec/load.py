"""Reading a spec file (TOML or JSON) and handing it to the checks."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from .limits import check_text, read_spec_bytes, refuse_non_finite
from .model import Spec, SpecError
from .validate import validate


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; every failure is a SpecError."""
    source = str(path)
    try:
        text = read_spec_bytes(path).decode("utf-8")
    except FileNotFoundError:
        raise SpecError(source, "", "no such file") from None
    except IsADirectoryError:
        raise SpecError(source, "", "is a directory, not a spec file") from None
    except UnicodeDecodeError as error:
        raise SpecError(source, "", f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise SpecError(source, "", f"cannot read ({error.strerror})") from None
    return parse_spec(decode(text, source), source)


def decode(text: str, source: str) -> dict[str, Any]:
    """TOML, or JSON when the file says .json or starts with `{`; a UTF-8
    byte-order mark at the start is skipped. Size and nesting are checked
    before the parser runs (limits.py)."""
    text = text[1:] if text.startswith("\ufeff") else text
    is_json = source.endswith(".json") or text.lstrip().startswith("{")
    check_text(text, source, is_json)
    if is_json:
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            raise SpecError(source, "", f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
        except ValueError as error:
            raise SpecError(source, "", f"not valid JSON: {error}") from None
    else:
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError) as error:  # ValueError: an integer of > 4300 digits
            raise SpecError(source, "", f"not valid TOML: {error}") from None
        except RecursionError:  # not expected within the nesting limit; one line all the same
            raise SpecError(source, "", "not valid TOML: nested too deeply") from None
    if not isinstance(data, dict):
        raise SpecError(source, "", "expected a table (a JSON object) at the top level")
    return data


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> Spec:
    """Validate an already-decoded spec (a dict in the file's structure); NaN
    or infinity anywhere in it, in any table, is refused with its field path."""
    refuse_non_finite(data, source)
    return validate(data, source)
