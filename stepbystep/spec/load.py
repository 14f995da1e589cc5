"""Reading a spec file (TOML or JSON) and handing it to the checks."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from .model import Spec, SpecError
from .validate import validate


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; every failure is a SpecError."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
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
    """TOML, or JSON when the file says .json or starts with `{`."""
    if source.endswith(".json") or text.lstrip().startswith("{"):
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
    if not isinstance(data, dict):
        raise SpecError(source, "", "expected a table (a JSON object) at the top level")
    return data


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> Spec:
    """Validate an already-decoded spec (a dict in the file's structure)."""
    return validate(data, source)
