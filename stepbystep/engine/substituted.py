"""An expression printed with its numbers put in, compiled once to one
Python function (the same text as `Expr.latex(printer)`, byte for byte),
which also counts what a reader does not see of it (LaTeX commands and
braces: the document decides by the rest whether an equation fits a line).

The variants of an exercise share their expressions (engine/replay.py) and
print each of them once per variant with other numbers: walking the tree
node by node, a method call per node, was most of a variant's document.
Compiled, the structure is decided once; what depends on the numbers is
decided where the printer does, at run time: a value below 0 is
parenthesised, a power looks at its base's text, a function call (ops/)
prints itself through its record, a class this compiler does not know
prints itself.

An expression is compiled the third time it is printed: a single document
prints each of its expressions once or twice, and compiling costs more than
walking a tree a few times.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from .expressions import _ATOM, _PRODUCT, _SUM, Add, Div, Expr, Mul, Neg, Num, Pow, Printer, Ref, Sub

COMPILE_AT = 3          # the printing of an expression that compiles it
_KEPT_AT_MOST = 16384   # expressions tracked at once (a bank of variants holds a few hundred)
UNSEEN = re.compile(r"\\[a-zA-Z]+|[{}]")   # what a reader does not see of LaTeX: commands and braces
_ENDS_IN_COMMAND = re.compile(r"\\[a-zA-Z]*\Z")   # a letter after it would lengthen the command
_WRAPPING = "\\left(", "\\right)"
_WRAPPING_UNSEEN = len("\\left") + len("\\right")

# (text, its visible length or None where the printing was not compiled)
Compiled = Callable[[Printer], "tuple[str, int | None]"]
_SEEN: dict[int, tuple[Expr, int, Compiled | None]] = {}


def substituted_latex(expr: Expr, printer: Printer) -> str:
    """`expr.latex(printer)` for a substituting printer."""
    return substituted_with_length(expr, printer)[0]


def substituted_with_length(expr: Expr, printer: Printer) -> tuple[str, int | None]:
    """`expr.latex(printer)` for a substituting printer, and its visible
    length (`visible_length` of the text) where known without reading the
    text again; compiled once the expression recurs (kept by the object
    itself: its id stays its own while the entry holds it)."""
    if printer.value_of is None or type(printer) is not Printer:   # compiled for a plain substituting printer
        return expr.latex(printer), None
    kept = _SEEN.get(id(expr))
    if kept is not None and kept[0] is expr:
        compiled = kept[2]
        if compiled is not None:
            return compiled(printer)
        if kept[1] + 1 >= COMPILE_AT:
            compiled = compile_substituted(expr)
            _SEEN[id(expr)] = (expr, kept[1] + 1, compiled)
            return compiled(printer)
        _SEEN[id(expr)] = (expr, kept[1] + 1, None)
        return expr.latex(printer), None
    if len(_SEEN) >= _KEPT_AT_MOST:
        _SEEN.clear()
    _SEEN[id(expr)] = (expr, 1, None)
    return expr.latex(printer), None


def visible_length(latex: str) -> int:
    """Roughly how many characters a reader sees: commands and braces removed."""
    return len(UNSEEN.sub("", latex))


def unseen_length(text: str) -> int:
    """What visible_length leaves out of `text` (a plain number: nothing)."""
    if "\\" not in text and "{" not in text and "}" not in text:
        return 0
    return len(text) - len(UNSEEN.sub("", text))


def compile_substituted(expr: Expr) -> Compiled:
    """One function `f(printer) -> (text, visible length)` that prints `expr`
    as Expr.latex does with a substituting printer."""
    writer = _Writer()
    parts = writer.latex(expr)
    lines = ["def printed(p):", "    vo = p.value_of", "    nt = p.number_text"]
    lines += [f"    {line}" for line in writer.lines]
    text = _joined(parts)
    unseen = _unseen(parts)
    lines.append(f"    text = {text}")
    lines.append("    return text, None" if unseen is None else f"    return text, len(text) - ({unseen})")
    namespace: dict[str, Any] = {"k": tuple(writer.constants), "power": power, "unseen": unseen_length}
    exec(compile("\n".join(lines) + "\n", "<substituted latex>", "exec"), namespace)
    return namespace["printed"]  # type: ignore[no-any-return]


def power(base: str, exponent: str) -> str:
    """Pow.latex once its base (wrapped) and exponent are printed."""
    if base.startswith("\\frac"):
        return f"\\left({base}\\right)^{{{exponent}}}"
    if "^" in base and not base.startswith("\\left("):
        base = "{" + base + "}"
    return f"{base}^{{{exponent}}}"


# A printed piece: (True, text we wrote, "") or (False, the temporary holding
# a text decided at run time, Python counting its unseen characters), in order.
Parts = list[tuple[bool, str, str]]


def _concat(*pieces: Parts) -> Parts:
    merged: Parts = []
    for piece in pieces:
        for fixed, text, unseen in piece:
            if fixed and merged and merged[-1][0]:
                merged[-1] = (True, merged[-1][1] + text, "")
            else:
                merged.append((fixed, text, unseen))
    return merged


def _joined(parts: Parts) -> str:
    """The parts as one Python expression."""
    code = [repr(text) if fixed else text for fixed, text, _ in parts]
    if not code:
        return "''"
    return code[0] if len(code) == 1 else "''.join((" + ", ".join(code) + "))"


def _unseen(parts: Parts) -> str | None:
    """Python counting the unseen characters of the whole text, part by part;
    None where a part's neighbour could lengthen a command across the seam
    (a text we wrote ending in a command or a backslash before a text decided
    at run time, which may start with a letter; two run-time texts side by
    side; a letter we wrote after a run-time text)."""
    fixed_unseen = 0
    counted: list[str] = []
    for index, (fixed, text, unseen) in enumerate(parts):
        following = parts[index + 1] if index + 1 < len(parts) else None
        if fixed:
            fixed_unseen += len(text) - visible_length(text)
            if following is not None and _ENDS_IN_COMMAND.search(text):
                return None
            continue
        if following is not None and (not following[0] or following[1][:1].isalpha()):
            return None
        counted.append(unseen)
    return " + ".join([str(fixed_unseen)] + counted)


def _unseen_of(name: str) -> str:
    """Python for unseen_length of a temporary, its test for a plain number inline (most of them)."""
    return f"(unseen({name}) if '\\\\' in {name} or '{{' in {name} or '}}' in {name} else 0)"


def _fixed(text: str) -> Parts:
    return [(True, text, "")]


def _parenthesised(parts: Parts) -> Parts:
    return _concat(_fixed(_WRAPPING[0]), parts, _fixed(_WRAPPING[1]))


class _Writer:
    """The lines of the compiled function, its temporaries and its constants."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: list[Any] = []
        self.count = 0

    def temp(self, prefix: str = "t") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self, value: Any) -> str:
        self.constants.append(value)
        return f"k[{len(self.constants) - 1}]"

    def runtime(self, code: str) -> Parts:
        """A text computed by `code` when the function runs, in a temporary."""
        name = self.temp()
        self.lines.append(f"{name} = {code}")
        return [(False, name, _unseen_of(name))]

    def latex(self, expr: Expr) -> Parts:
        """What `expr.latex(printer)` prints."""
        kind = type(expr)
        if kind is Ref:
            return self.runtime(f"nt(vo({expr.name!r}))")  # type: ignore[attr-defined]
        if kind is Num:
            return self.runtime(f"nt({self.constant(expr.value)})")  # type: ignore[attr-defined]
        if kind is Add:
            return self._sum(expr)  # type: ignore[arg-type]
        if kind is Sub:
            return _concat(self.latex(expr.left), _fixed(" - "), self.wrapped(expr.right, _SUM + 1))  # type: ignore[attr-defined]
        if kind is Mul:
            pieces: list[Parts] = []
            for index, factor in enumerate(expr.factors):  # type: ignore[attr-defined]
                pieces += [_fixed(" \\cdot ")] if index else []
                pieces.append(self.wrapped(factor, _PRODUCT))
            return _concat(*pieces)
        if kind is Div:
            return _concat(_fixed("\\frac{"), self.latex(expr.numerator), _fixed("}{"),  # type: ignore[attr-defined]
                           self.latex(expr.denominator), _fixed("}"))  # type: ignore[attr-defined]
        if kind is Neg:
            return _concat(_fixed("-"), self.wrapped(expr.arg, _PRODUCT))  # type: ignore[attr-defined]
        if kind is Pow:
            base = _joined(self.wrapped(expr.base, _ATOM))  # type: ignore[attr-defined]
            return self.runtime(f"power({base}, {_joined(self.latex(expr.exponent))})")  # type: ignore[attr-defined]
        return self.runtime(f"{self.constant(expr)}.latex(p)")   # a function call, or a class not known here

    def wrapped(self, expr: Expr, minimum: int) -> Parts:
        """What `expr.wrapped(printer, minimum)` prints."""
        kind = type(expr)
        if kind is Ref:   # Ref.wrapped: parenthesised when its value is below 0
            value, name, unseen = self.temp("v"), self.temp(), self.temp("u")
            self.lines += [f"{value} = vo({expr.name!r})", f"{name} = nt({value})",  # type: ignore[attr-defined]
                           f"{unseen} = {_unseen_of(name)}",
                           f"if {value} < 0: {name} = {_WRAPPING[0]!r} + {name} + {_WRAPPING[1]!r}; "
                           f"{unseen} += {_WRAPPING_UNSEEN}"]   # no command runs across the seams: ( and \
            return [(False, name, unseen)]
        if kind is Num:   # Expr.wrapped and Num.is_negative_number with a substituting printer
            parts = self.latex(expr)
            return _parenthesised(parts) if expr.precedence < minimum or expr.value < 0 else parts  # type: ignore[attr-defined]
        if kind in (Add, Sub, Mul, Div, Neg, Pow):   # Expr.wrapped; Expr.is_negative_number is False
            parts = self.latex(expr)
            return _parenthesised(parts) if expr.precedence < minimum else parts
        return self.runtime(f"{self.constant(expr)}.wrapped(p, {minimum!r})")

    def _sum(self, expr: Add) -> Parts:
        pieces: list[Parts] = []
        for index, term in enumerate(expr.terms):
            if index and isinstance(term, Neg):
                pieces += [_fixed(" - "), self.wrapped(term.arg, _PRODUCT)]
            elif index:
                pieces += [_fixed(" + "), self.wrapped(term, _SUM + 1 if isinstance(term, (Add, Sub)) else _SUM)]
            else:
                pieces.append(self.latex(term))
        return _concat(*pieces)
