"""Words in math set as words: `E_{total}` with an upright subscript, `target`
as one italic name, not six letters multiplied.

In LaTeX (and so in MathJax, KaTeX, GitHub and MathML) `target` is t·a·r·g·e·t,
six variables side by side. A word that is a subscript is a label and set
upright (`E_{\\mathrm{total}}`, ISO 80000-2); a word anywhere else is a name
and set as one italic word (`\\mathit{target}`). Commands, and whatever is
already inside \\text, \\mathrm, \\mathit, \\operatorname or an environment's
name, are left alone.
"""
from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]+|[{}_^]|[^A-Za-z\\{}_^]+")
_KEEPS_ITS_ARGUMENT = frozenset(("\\text", "\\mathrm", "\\mathit", "\\mathbf", "\\mathsf", "\\mathtt",
                                 "\\operatorname", "\\begin", "\\end", "\\mathcal"))
_INLINE_MATH = re.compile(r"\$([^$]+)\$")


_BARE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2}")


def words_set_apart(latex: str) -> str:
    """`latex` with every bare word of two letters or more set as a word."""
    if _BARE_WORD.search(latex) is None:  # most formulas: symbols and numbers only
        return latex
    return _set_apart(latex)


@lru_cache(maxsize=8192)
def _set_apart(latex: str) -> str:
    out: list[str] = []
    depth = 0                    # braces open
    kept_at: list[int] = []      # depths whose group is an argument left alone
    subscript_at: list[int] = []  # depths whose group is a subscript
    pending: str | None = None   # a command or `_` waiting for its argument
    for token in _TOKEN.findall(latex):
        if token == "{":
            depth += 1
            if pending in _KEEPS_ITS_ARGUMENT:
                kept_at.append(depth)
            elif pending == "_":
                subscript_at.append(depth)
            pending = None
        elif token == "}":
            if kept_at and kept_at[-1] == depth:
                kept_at.pop()
            if subscript_at and subscript_at[-1] == depth:
                subscript_at.pop()
            depth -= 1
        elif token[0] == "\\" or token in "_^":
            pending = token
        elif token[0].isalpha() and len(token) > 1 and not kept_at:
            subscript = pending == "_" or bool(subscript_at)
            token = f"\\mathrm{{{token}}}" if subscript else f"\\mathit{{{token}}}"
            pending = None
        elif not token.isspace():
            pending = None
        out.append(token)
    return "".join(out)


def words_set_apart_in_text(text: str) -> str:
    """The same inside every $…$ of a sentence."""
    return _INLINE_MATH.sub(lambda match: "$" + words_set_apart(match.group(1)) + "$", text)
