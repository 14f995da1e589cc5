"""Converted formulas kept between runs, beside the compiled templates.

A walkthrough's formulas are made of the same pieces again and again
(\\mathit{net}_{h1}, \\frac{…}{…}); converting them is, with importing the
converter, a sixth of an HTML render. The pieces converted once are stored
in the cache folder (formats/templates.cache_folder; STEPBYSTEP_CACHE_DIR=off
turns it off), keyed by the converter's own file and this format's version,
so a new converter or a change to our post-processing starts afresh. What a
stored piece becomes is checked where every formula is checked, when it is
put together (mathml.py: only MathML elements, else the LaTeX is shown as
code), so the file can never bring anything else into a page.
"""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

FORMAT = 1            # bump when the conversion's post-processing changes
MAX_ENTRIES = 50_000  # beyond this the store starts afresh


class Store:
    def __init__(self) -> None:
        self.path: Path | None = None
        self.entries: dict[str, str] = {}
        self.added = 0
        self.loaded = False

    def load(self) -> dict[str, str]:
        if not self.loaded:
            self.loaded = True
            self.path = _store_path()
            if self.path is not None:
                self.entries = _read(self.path)
        return self.entries

    def add(self, latex: str, mathml: str) -> None:
        self.entries[latex] = mathml
        self.added += 1

    def save(self) -> None:
        """Write the store if this run converted anything new (atomically; a
        failure only means no store)."""
        if not self.added or self.path is None:
            return
        entries = self.entries if len(self.entries) <= MAX_ENTRIES else {}
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, self.path)
            self.added = 0
        except OSError:
            temporary.unlink(missing_ok=True)


def _store_path() -> Path | None:
    from .templates import cache_folder

    spec = importlib.util.find_spec("latex2mathml")
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        converter = os.stat(os.path.join(next(iter(spec.submodule_search_locations)), "converter.py"))
    except OSError:
        return None
    folder = cache_folder("mathml")
    if folder is None:
        return None
    return folder / f"pieces-{FORMAT}-{converter.st_size}-{int(converter.st_mtime)}.json"


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {latex: mathml for latex, mathml in data.items() if isinstance(latex, str) and isinstance(mathml, str)}


STORE = Store()
