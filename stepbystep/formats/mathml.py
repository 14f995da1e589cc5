"""LaTeX to MathML for the HTML walkthrough, with latex2mathml doing the work.

Around the library: speed, an equation is cut at its top-level `=`, `+`, `-`
and `\\cdot`, each piece is converted once (cached) and plain numbers skip
the converter, so a walkthrough, whose formulas repeat the same symbols again
and again, converts quickly; and the converter is imported without two slow
modules it hardly uses. Layout: a display equation becomes one MathML element
per side (`lhs`, `= formula`, `= numbers`, `= value`), which the stylesheet
lays out on a line, in a column (the `aligned` steps, which latex2mathml does
not know) or stacked on a phone, with the value marked. Safety: every result
is checked to hold only MathML elements, else the LaTeX is shown as code.
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from html import escape
from typing import Callable

from .mathml_store import STORE

_OPERATORS = {" = ": "=", " + ": "+", " - ": "\u2212", " \\cdot ": "\u00b7"}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_DECIMAL = re.compile(r"\d+\.\d+")
_BRACKETED_NUMBER = re.compile(r"\\left\((-?\d+(?:\.\d+)?)\\right\)")
_ALIGNED = ("\\begin{aligned}", "\\end{aligned}")
_MATRICES = {"bmatrix": ("[", "]"), "pmatrix": ("(", ")"), "vmatrix": ("|", "|")}
_PARTIAL = "\\partial "
_SCIENTIFIC = re.compile(r"-?\d+(?:\.\d+)? \\times 10\^\{-?\d+\}")
_WRAPPER = re.compile(r'^<math xmlns="http://www.w3.org/1998/Math/MathML" display="\w+">(.*)</math>$', re.S)
_TAG = re.compile(r"</?([A-Za-z][\w:-]*)")
_BARE_AMPERSAND = re.compile(r"&(?!#x?[0-9A-Fa-f]+;|[A-Za-z]+;)")
_MATHML_TAGS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup mfrac msqrt mroot mstyle mpadded mphantom "
    "menclose mover munder munderover mtable mtr mtd mlabeledtr semantics annotation merror mfenced".split())
_NAMESPACE = 'xmlns="http://www.w3.org/1998/Math/MathML"'


@lru_cache(maxsize=4096)
def latex_to_mathml(latex: str, display: bool = False) -> str:
    """`<math>` for one formula; LaTeX the converter cannot read is shown as
    code rather than half-converted."""
    try:
        inner = _chain(latex, mark_value=display)
    except Exception:  # latex2mathml raises many kinds; any of them means "cannot read"
        return _as_code(latex)
    result = f'<math {_NAMESPACE} display="{"block" if display else "inline"}">{inner}</math>'
    return result if is_plain_mathml(result) else _as_code(latex)


def is_plain_mathml(text: str) -> bool:
    """Only MathML elements and well-formed entities: nothing a browser
    could run, whatever text went into the formula."""
    return all(tag in _MATHML_TAGS for tag in _TAG.findall(text)) and not _BARE_AMPERSAND.search(text)


def _as_code(latex: str) -> str:
    return f'<code class="sbs-latex">{escape(latex)}</code>'


@lru_cache(maxsize=4096)
def display_equation(latex: str) -> str:
    """A display equation as HTML: `lhs = a = b = value`, each side a <math>
    of its own, so the page lays the sides out (one line, a column aligned on
    `=` for a long `aligned` step, or stacked on a phone) and the value at the
    end is marked; never half-converted."""
    stacked = latex.startswith(_ALIGNED[0]) and latex.endswith(_ALIGNED[1])
    try:
        sides = _aligned_sides(latex) if stacked else [side.strip() for side, _ in _split(latex.strip(), {" = ": "="})]
        parts = []
        for index, side in enumerate(sides):
            inner = _chain(side, mark_value=index == len(sides) - 1 and index > 0, alone=True)
            if index:
                inner = f"<mrow><mo>=</mo>{inner}</mrow>"
            piece = f'<math {_NAMESPACE} display="inline" displaystyle="true">{inner}</math>'
            if not is_plain_mathml(piece):
                raise ValueError(f"not plain MathML: {side!r}")
            parts.append(f'<span class="sbs-{"rhs" if index else "lhs"}">{piece}</span>')
    except Exception:  # latex2mathml raises many kinds; any of them means "cannot read"
        return f'<div class="sbs-equation">{_as_code(latex)}</div>'
    return f'<div class="sbs-equation sbs-{"stack" if stacked else "flow"}">{"".join(parts)}</div>'


def _aligned_sides(latex: str) -> list[str]:
    """`X &= A \\\\ &= B` -> [X, A, B]."""
    body = latex[len(_ALIGNED[0]):-len(_ALIGNED[1])].strip()
    sides = []
    for row, _ in _split(body, {"\\\\": "row"}):
        left, _, right = row.strip().partition("&")
        if left.strip():
            sides.append(left.strip())
        right = right.strip()
        sides.append(right[1:].strip() if right.startswith("=") else right)
    return sides


def _chain(latex: str, mark_value: bool = False, alone: bool = False) -> str:
    """Pieces between top-level operators, each converted on its own; with
    `mark_value`, a number after the last `=` (or `alone`) is the result."""
    pieces = _split(latex.strip(), _OPERATORS)
    out = []
    for index, (atom, operator) in enumerate(pieces):
        converted = _atom(atom.strip())
        after_equals = pieces[index - 1][1] == "=" if index else alone
        is_value = mark_value and index == len(pieces) - 1 and after_equals
        if is_value and (_NUMBER.fullmatch(atom.strip()) or _SCIENTIFIC.fullmatch(atom.strip())):
            converted = f'<mrow class="sbs-result">{converted}</mrow>'
        out.append(converted)
        if operator:
            out.append(f"<mo>{operator}</mo>")
    return f"<mrow>{''.join(out)}</mrow>"


def _split(latex: str, operators: dict[str, str]) -> list[tuple[str, str]]:
    """[(piece, operator after it)], cutting only outside braces, brackets,
    \\left…\\right and \\begin…\\end."""
    pieces: list[tuple[str, str]] = []
    depth = start = 0
    for match in _tokens(tuple(operators)).finditer(latex):
        token = match.group(0)
        if token in operators:
            if depth == 0 and match.start() > start:
                pieces.append((latex[start:match.start()], operators[token]))
                start = match.end()
        elif token in _OPENING:
            depth += 1
        elif token in _CLOSING:
            depth -= 1
    pieces.append((latex[start:], ""))
    return pieces


_OPENING = frozenset(("{", "(", "[", "\\left", "\\begin"))
_CLOSING = frozenset(("}", ")", "]", "\\right", "\\end"))


@lru_cache(maxsize=None)
def _tokens(operators: tuple[str, ...]) -> re.Pattern[str]:
    """Operators first, then commands (so `\\\\` and `\\{` are skipped whole),
    then brackets."""
    alternatives = [re.escape(op) for op in operators] + [r"\\[A-Za-z]+", r"\\.", r"[{}()\[\]]"]
    return re.compile("|".join(alternatives))


@lru_cache(maxsize=1)
def _converter() -> Callable[[str], str]:
    """latex2mathml's convert, imported on first use, without two costs that
    would make up about a third of its import time and buy nothing here:
    its package __init__ only reads its own version through importlib.metadata,
    and of xml.sax.saxutils (which imports urllib.request, and with it http,
    email, ssl and socket) the converter only uses `unescape`. The package is
    set up without its __init__, and a stand-in holding the same `unescape`
    serves the converter's import only, then is forgotten, so anyone else
    still gets the real module. Any surprise: the ordinary import."""
    stand_in = None
    try:
        import importlib.util
        import types

        if "latex2mathml" not in sys.modules:
            spec = importlib.util.find_spec("latex2mathml")
            if spec is not None and spec.loader is not None:
                sys.modules["latex2mathml"] = importlib.util.module_from_spec(spec)
        if "xml.sax.saxutils" not in sys.modules:
            import xml.sax  # the real package (light); only its saxutils is stood in for

            stand_in = types.ModuleType("xml.sax.saxutils", "stand-in while latex2mathml is imported")
            stand_in.unescape = _unescape  # type: ignore[attr-defined]
            sys.modules["xml.sax.saxutils"] = stand_in
        from latex2mathml.converter import convert
    except ImportError:
        sys.modules.pop("latex2mathml", None)
        from latex2mathml.converter import convert
    finally:
        if stand_in is not None and sys.modules.get("xml.sax.saxutils") is stand_in:
            del sys.modules["xml.sax.saxutils"]
    return convert


def _unescape(data: str, entities: dict[str, str] | None = None) -> str:
    """xml.sax.saxutils.unescape, as the standard library writes it."""
    data = data.replace("&lt;", "<").replace("&gt;", ">")
    for entity, text in (entities or {}).items():
        data = data.replace(entity, text)
    return data.replace("&amp;", "&")


@lru_cache(maxsize=8192)
def _atom(latex: str) -> str:
    if _NUMBER.fullmatch(latex):
        if latex.startswith("-"):
            return f'<mrow><mo form="prefix">\u2212</mo><mn>{latex[1:]}</mn></mrow>'
        return f"<mn>{latex}</mn>"
    fraction = _fraction(latex)
    if fraction:  # \frac{…}{…}: each side is cut into cached pieces too
        top, bottom = fraction
        return f"<mfrac>{_side(top)}{_side(bottom)}</mfrac>"
    bracketed = _BRACKETED_NUMBER.fullmatch(latex)
    if bracketed:  # (-1): a sign, not a subtraction, so no space after it
        return f'<mrow><mo fence="true">(</mo>{_atom(bracketed.group(1))}<mo fence="true">)</mo></mrow>'
    numbers = _DECIMAL.findall(latex)
    if not numbers:
        return _stored(latex)
    # the numbers of one walkthrough in a piece kept for every walkthrough: the piece is
    # converted (or found) with a stand-in for each number, k.25, then each is put back
    count = iter(range(1, len(numbers) + 1))
    converted = _stored(_DECIMAL.sub(lambda _: f"{next(count)}.25", latex))
    for index, number in enumerate(numbers, start=1):
        stand_in = f"<mn>{index}.25</mn>"
        if converted.count(stand_in) != 1:
            return _convert(latex)  # a number the converter did not keep whole: convert as it is
        converted = converted.replace(stand_in, f"<mn>{number}</mn>")
    return converted


def _stored(latex: str) -> str:
    stored = STORE.load().get(latex)
    if stored is not None:
        return stored
    converted = _convert(latex)
    STORE.add(latex, converted)
    return converted


def _convert(latex: str) -> str:
    """One piece by latex2mathml, its words as single identifiers."""
    safe = latex.replace("<", "\\lt ").replace(">", "\\gt ").replace("{aligned}", "{split}")
    for name, (left, right) in _MATRICES.items():  # brackets that stretch to the matrix's height
        safe = safe.replace(f"\\begin{{{name}}}", f"\\left{left}\\begin{{matrix}}")
        safe = safe.replace(f"\\end{{{name}}}", f"\\end{{matrix}}\\right{right}")
    match = _WRAPPER.match(_converter()(safe))
    if match is None:
        raise ValueError(f"unexpected converter output for {latex!r}")
    return join_words(match.group(1))


_UPRIGHT_LETTER = re.compile(r"<mi>&#x000([46][1-9A-Fa-f]|[57][0-9Aa]);</mi>")
_LETTER_RUN = re.compile(r'(?:<mi mathvariant="(normal|italic)">[A-Za-z]</mi>){2,}')
_ONE_LETTER = re.compile(r'<mi mathvariant="(?:normal|italic)">([A-Za-z])</mi>')


def join_words(mathml: str) -> str:
    """A word as one identifier: latex2mathml writes \\mathrm{total} as five
    upright letters and \\mathit{target} as six italic ones (to a reader and
    a screen reader, a product of letters), and \\mathrm{e} as a bare letter
    that a browser sets in italics; here each is one <mi> in its style."""
    mathml = _UPRIGHT_LETTER.sub(lambda found: f'<mi mathvariant="normal">{chr(int(found.group(1), 16))}</mi>', mathml)
    return _LETTER_RUN.sub(
        lambda found: f'<mi mathvariant="{found.group(1)}">{"".join(_ONE_LETTER.findall(found.group(0)))}</mi>', mathml)


def _fraction(latex: str) -> tuple[str, str] | None:
    """The two sides of a LaTeX string that is exactly one \\frac{…}{…}."""
    if not latex.startswith("\\frac{"):
        return None
    sides = []
    i = len("\\frac")
    for _ in range(2):
        if i >= len(latex) or latex[i] != "{":
            return None
        depth, start = 0, i
        while i < len(latex):
            if latex[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(latex[i], 0)
            i += 1
            if depth == 0:
                break
        if depth:
            return None
        sides.append(latex[start + 1:i - 1])
    return (sides[0], sides[1]) if i == len(latex) else None


def _side(latex: str) -> str:
    """One side of a fraction; `\\partial x` keeps its ∂ as an operator."""
    latex = latex.strip()
    if latex.startswith(_PARTIAL):
        return f"<mrow><mo>\u2202</mo>{_atom(latex[len(_PARTIAL):].strip())}</mrow>"
    return _chain(latex)
