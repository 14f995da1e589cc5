"""The checks every spec field goes through: a table with known keys, a
finite number, a whole number in range, a vector of a length, a choice, text
within a size limit.

Apart from validate.py because they know nothing of networks, and every
refusal they make reads the same: the file, the field path and what was
expected (`layers[2].weights[1]: expected 2 numbers, got 3`).
"""
from __future__ import annotations

import math
from typing import Any

from .model import MAX_NOTE_CHARS, MAX_NOTES, MAX_TITLE_CHARS, SpecError


class FieldChecks:
    """The primitives of validate._Checker and its mixins."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> SpecError:
        return SpecError(self.source, path, message)

    def keys(self, table: dict[str, Any], path: str, known: tuple[str, ...]) -> None:
        for key in table:
            if key not in known:
                hint = ", ".join(known)
                raise self.fail(join_path(path, key), f"unknown key (known keys: {hint}){misplaced(path, key)}")

    def table(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a table, got {kind(value)}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, f"expected a number, got {kind(value)}")
        number = float(value) if not isinstance(value, int) or abs(value) < 2**63 else math.inf
        if not math.isfinite(number):
            shown = repr(value) if isinstance(value, float) else "a whole number too large for a float"
            raise self.fail(path, f"expected a finite number, got {shown}")
        return number

    def integer(self, value: Any, path: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            shown = repr(value) if isinstance(value, float) else kind(value)
            raise self.fail(path, f"expected a whole number, got {shown}")
        if not low <= value <= high:
            shown = value if abs(value) < 10**15 else "a far larger number" if value > 0 else "a far smaller number"
            raise self.fail(path, f"expected a whole number from {low} to {high}, got {shown}")
        return value

    def vector(self, value: Any, path: str, length: int) -> tuple[float, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of {numbers(length)}, got {kind(value)}")
        if len(value) != length:
            raise self.fail(path, f"expected {numbers(length)}, got {len(value)}")
        if all(type(item) is float for item in value) and all(map(math.isfinite, value)):
            return tuple(value)   # what number() makes of each: no field path needed (a spec's hundreds of numbers)
        return tuple(self.number(item, f"{path}[{index}]") for index, item in enumerate(value))

    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in options:
            shown = repr(value) if isinstance(value, str) else kind(value)
            raise self.fail(path, f"unknown value {shown} (expected one of: {', '.join(options)})")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {kind(value)}")
        return value

    def text(self, value: Any, path: str, limit: int | None = None, what: str = "text") -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected text, got {kind(value)}")
        if limit is not None and len(value) > limit:
            raise self.fail(path, f"{len(value):,} characters; at most {limit:,} (the {what} size limit)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # JSON's "\ud800": no file or page could hold it
            raise self.fail(path, "contains a lone surrogate code point (\\ud800-\\udfff), which is not text") from None
        return value

    def title(self, data: dict[str, Any]) -> str | None:
        return self.text(data["title"], "title", MAX_TITLE_CHARS, "title") if "title" in data else None

    def text_table(self, data: dict[str, Any], key: str) -> dict[str, str]:
        table = self.table(data.get(key, {}), key)
        if len(table) > MAX_NOTES:
            raise self.fail(key, f"{len(table):,} notes; at most {MAX_NOTES:,} (the notes limit)")
        return {name: self.text(note, join_path(key, name), MAX_NOTE_CHARS, "note") for name, note in table.items()}


TRAINING_KEYS = ("optimizer", "epochs", "record", "mode", "batch_size", "shuffle_seed", "compare", "parameters",
                 "momentum", "beta1", "beta2", "eps", "alpha", "weight_decay")
LAYER_KIND_KEYS = {"recurrent": '"rnn"', "initial": '"rnn"', "kernels": '"conv2d"', "padding": '"conv2d"',
                   "stride": '"conv2d", "maxpool2d" or "avgpool2d"'}
TOP_LEVEL_KEYS = ("title", "learning_rate", "loss", "reduction", "update_biases", "hidden_deltas_use", "loss_delta")


def misplaced(path: str, key: str) -> str:
    """Where a known key that landed in the wrong table belongs (TOML files
    every key written below a table header into that table)."""
    if path == "training" and key == "learning_rate":
        return "; a network's learning rate is the top-level learning_rate, above the tables"
    if path == "" and key == "learning_rate":
        return "; a computation graph's learning rate goes in its [training] table, beside parameters"
    if path == "" and key in TRAINING_KEYS:
        return "; it belongs in the [training] table"
    if path.startswith("layers[") and key in LAYER_KIND_KEYS:
        return f"; {key} belongs to a layer of type = {LAYER_KIND_KEYS[key]}"
    if path.startswith("samples[") and key in TRAINING_KEYS + TOP_LEVEL_KEYS:
        return ("; a key written below [[samples]] belongs to that sample: move it above the tables"
                + (" or into [training]" if key in TRAINING_KEYS else ""))
    return ""


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def numbers(count: int) -> str:
    return f"{count} number" + ("" if count == 1 else "s")


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "a table"
    if value is None:
        return "nothing (null)"
    return type(value).__name__
