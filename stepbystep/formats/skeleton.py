"""The page and fragment templates, rendered once and kept as skeletons.

templates/html/page.html.j2 and fragment.html.j2 lay out a page around its
body. What they write depends only on the template, the theme and the math
mode; the title, body, stylesheet and loader are filled in. So each is
rendered once by Jinja with a marker in every slot, stored in the cache
folder (formats/templates.cache_folder) under a hash of the template files,
and later renders fill the markers in: the same text, without importing
Jinja (a third of an HTML render's start-up). The filling is one pass over
the skeleton, so nothing filled in is ever read again as a marker. With the
cache off, or when a template writes a slot other than once, Jinja renders
every time.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .templates import cache_folder, template_dir

SLOTS = ("title", "body", "css", "head")
_MARKER = "\ue000sbs-slot-{}\ue001"
_MARKERS = re.compile("\ue000sbs-slot-(title|body|css|head)\ue001")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}


def filled(name: str, theme: str, math: str, values: dict[str, str],
           render: Callable[[dict[str, object]], str]) -> str:
    """The template `name` laid out around `values` (the title as text, the
    rest HTML); `render(context)` runs the template through Jinja."""
    skeleton = _skeleton(name, theme, math, render)
    if skeleton is None:
        return render(values)
    return _MARKERS.sub(lambda found: escape(values["title"]) if found.group(1) == "title"
                        else values[found.group(1)], skeleton)


def escape(text: str) -> str:
    """As markupsafe escapes a value printed into an autoescaped template."""
    return "".join(_ESCAPES.get(char, char) for char in text)


def _skeleton(name: str, theme: str, math: str, render: Callable[[dict[str, object]], str]) -> str | None:
    key = f"{name}|{theme}|{math}"
    stored = _stored()
    if key in stored:
        return stored[key]
    from markupsafe import Markup

    markers = {slot: Markup(_MARKER.format(slot)) for slot in SLOTS}
    text = render(dict(markers))
    if any(text.count(marker) != 1 for marker in markers.values()):
        return None  # a template that transforms or repeats a slot: Jinja every time
    if _path() is not None:
        stored[key] = text
        _save(stored)
    return text


@lru_cache(maxsize=1)
def _path() -> Path | None:
    folder = cache_folder("pages")
    if folder is None:
        return None
    digest = hashlib.sha256()
    for template in ("page.html.j2", "fragment.html.j2"):
        digest.update((template_dir() / "html" / template).read_bytes())
    return folder / f"skeletons-{digest.hexdigest()[:16]}.json"


@lru_cache(maxsize=1)
def _stored() -> dict[str, str]:
    path = _path()
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: text for key, text in data.items() if isinstance(key, str) and isinstance(text, str)
            and all(text.count(_MARKER.format(slot)) == 1 for slot in SLOTS)}


def _save(stored: dict[str, str]) -> None:
    path = _path()
    if path is None:
        return
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(stored, stream, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
