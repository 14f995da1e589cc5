"""A student's spelling of a value's name, matched to the trace's name.

Names are matched forgivingly (SPEC.md §4): case, spaces, ∂ or d, w5+ /
w5_new / w5⁺, m̂ or \\hat{m} for mhat, the aliases, and on a spec of one step `w5+` for `step1.w5+`
where that is the only value it can mean. Each looser spelling is used only
where it is unambiguous.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Iterable, Mapping

_UPDATED = re.compile(r"(?:\^\+|\+|_?new|_?updated|\(new\)|')$")
_HAT = re.compile("([A-Za-z])\u0302")                   # m̂_w5 → mhat_w5, as the walkthrough writes it
_LATEX_HAT = re.compile(r"\\hat\s*\{?\s*([A-Za-z])\s*\}?")   # \hat{m}_{w5} → mhat_w5
MAX_NAME_CHARS = 200  # a name longer than this is no value's name (and gets no suggestions)


def name_keys(written: str) -> tuple[str, str, str]:
    """Three ever looser spellings of a name: as written minus spaces and
    notation (∂, braces, w5_new → w5+), then case-folded, then without
    underscores (dEtotal/dw5) and with dE/dw5 read as dE_total/dw5."""
    hats = _HAT.sub(r"\1hat", _LATEX_HAT.sub(r"\1hat", unicodedata.normalize("NFD", written)))
    text = _unquote(unicodedata.normalize("NFKC", hats).strip())
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


def one_step_aliases(names: Iterable[str]) -> dict[str, str]:
    """On a spec of one training step, `w5+` for `step1.w5+` and
    `sample2.out_o1` for `step1.sample2.out_o1`: the prefix says nothing
    there. (A bare `out_o1` on two samples stays unknown: which sample?)"""
    names = list(names)
    if any(name.startswith("step2.") for name in names):
        return {}
    taken = set(names)
    return {name[len("step1."):]: name for name in names
            if name.startswith("step1.") and name[len("step1."):] not in taken}


class NameIndex:
    """Matches written names to the trace's canonical names and aliases.

    Each looser spelling is used only where it is unambiguous, so `h2_3`
    and `h23` in one network, or `x` and `X` in one graph, stay apart.
    """

    def __init__(self, names: Iterable[str], aliases: Mapping[str, str]) -> None:
        self.exact: dict[str, str] = {}
        self.canonical = list(dict.fromkeys(names))
        levels: tuple[dict[str, set[str]], ...] = ({}, {}, {})
        for name, canonical in [(name, name) for name in self.canonical] + list(aliases.items()):
            self.exact.setdefault(name, canonical)
            for level, key in zip(levels, name_keys(name)):
                level.setdefault(key, set()).add(canonical)
        self.levels = tuple({key: next(iter(found)) for key, found in level.items() if len(found) == 1}
                            for level in levels)
        self._cache: dict[str, str | None] = {}
        self._suggestions: dict[str, tuple[str, ...]] = {}
        self._by_tail: dict[str, list[str]] | None = None

    def match(self, written: str) -> str | None:
        """The canonical name, or None when no spelling matches."""
        if written in self.exact:
            return self.exact[written]
        if written in self._cache:
            return self._cache[written]
        found = None
        if len(written) <= MAX_NAME_CHARS:
            for level, key in zip(self.levels, name_keys(written)):
                if key in level:
                    found = level[key]
                    break
        if len(self._cache) < 100_000:
            self._cache[written] = found
        return found

    def suggest(self, written: str, count: int = 3) -> tuple[str, ...]:
        """The closest canonical names, for "did you mean …": the prefixed
        names a bare name stands for (`out_o1` → `step1.sample1.out_o1`, …),
        else the most alike spellings."""
        if len(written) > MAX_NAME_CHARS:
            return ()
        key = name_keys(written)[2]
        if key not in self._suggestions:
            prefixed = self._tails().get(key, [])
            if prefixed:
                found = tuple(prefixed[:count])
            else:
                loose = self.levels[2]
                cutoff = 0.6 if len(key) > 4 else 0.5  # w9 vs w1 is 0.5 alike
                close = difflib.get_close_matches(key, list(loose), n=count * 2, cutoff=cutoff)
                found = tuple(dict.fromkeys(loose[item] for item in close))[:count]
            if len(self._suggestions) < 10_000:
                self._suggestions[key] = found
            return found
        return self._suggestions[key]

    def _tails(self) -> dict[str, list[str]]:
        """Loose spelling of the part after the last prefix -> prefixed names."""
        if self._by_tail is None:
            tails: dict[str, list[str]] = {}
            for name in self.canonical:
                if "." in name:
                    tails.setdefault(name_keys(name.rsplit(".", 1)[1])[2], []).append(name)
            self._by_tail = tails
        return self._by_tail
