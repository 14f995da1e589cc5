"""LaTeX math, as the document writes it, into Typst math.

The walkthrough's formulas are LaTeX made by our own code (symbols, numbers,
fractions, aligned steps, matrices), a small and known subset. They are read
into a little tree (a group, a command with its arguments, a script, an
environment of rows and cells) and printed back as Typst, so nothing is
guessed with string replacement. A command outside the subset raises
ValueError: a test renders every example, so a new command is noticed at once.

Typst math differs from LaTeX in ways that matter here: adjacent letters
form one identifier (so every letter is its own token), `(…)` after `_`, `^`
and `/` only groups, `,` and `;` separate arguments, `/` makes a fraction.
So every atom is printed apart and such characters are escaped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+(?:\.\d+)?|\s+|.", re.S)

SYMBOLS = {
    "partial": "partial", "cdot": "dot.op", "times": "times", "odot": "dot.o", "eta": "eta", "delta": "delta",
    "Delta": "Delta", "sigma": "sigma", "alpha": "alpha", "beta": "beta", "lambda": "lambda", "mu": "mu",
    "epsilon": "epsilon", "varepsilon": "epsilon.alt", "theta": "theta", "gamma": "gamma", "top": "top",
    "ge": ">=", "geq": ">=", "le": "<=", "leq": "<=", "ne": "!=", "neq": "!=", "infty": "infinity",
    "approx": "approx", "to": "arrow.r", "rightarrow": "arrow.r", "leftarrow": "arrow.l", "pm": "plus.minus",
    "sum": "sum", "prod": "product", "ln": "ln", "log": "log", "exp": "exp", "tanh": "tanh", "max": "max",
    "min": "min", "sqrt": "sqrt", "ldots": "dots.h", "dots": "dots.h", "cdots": "dots.c", "in": "in",
    "lvert": "bar.v", "rvert": "bar.v", "vert": "bar.v", "mid": "bar.v", "langle": "⟨", "rangle": "⟩", "star": "star.op",
    "quad": "quad", "qquad": "wide", ",": "thin", ";": "med", ":": "med", "!": "", " ": "space",
    "{": "\\{", "}": "\\}", "%": "%", "_": "\\_", "$": "\\$", "&": "\\&", "#": "\\#",
}
IGNORED = {"displaystyle", "textstyle", "limits", "nolimits"}
TEXT_COMMANDS = {"mathit": "italic", "mathrm": "upright", "text": "", "operatorname": "op", "textrm": "", "mathbf": "bold"}
DELIMITERS = {"(": "(", ")": ")", "[": "[", "]": "]", "\\{": "{", "\\}": "}", "|": "|", "\\lvert": "|", "\\rvert": "|", ".": ""}
_ESCAPED = {",": "\\,", ";": "\\;", "(": "\\(", ")": "\\)", "[": "\\[", "]": "\\]", "/": "\\/", "*": "\\*",
            "|": "bar.v", '"': '\\"', "#": "\\#", "$": "\\$", "@": "\\@", "~": "tilde.op", "\\": "\\\\"}


@dataclass(frozen=True)
class Group:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Atom:
    typst: str          # already Typst


@dataclass(frozen=True)
class Script:
    base: "Node | None"
    sub: "Node | None"
    sup: "Node | None"


@dataclass(frozen=True)
class Call:
    function: str       # frac, dot, bold, lr, …
    args: tuple["Node", ...]


@dataclass(frozen=True)
class Environment:
    name: str           # aligned, bmatrix, pmatrix, cases, matrix
    rows: tuple[tuple[Group, ...], ...]


Node = Union[Group, Atom, Script, Call, Environment]


def latex_to_typst(latex: str) -> str:
    """Typst math (without the `$`) for one LaTeX formula of the walkthrough."""
    return _convert(latex)


@lru_cache(maxsize=4096)
def _convert(latex: str) -> str:
    parser = _Parser(_TOKEN.findall(latex), latex)
    tree = parser.sequence(stop=())
    return _print(tree)


class _Parser:
    def __init__(self, tokens: list[str], source: str) -> None:
        self.tokens = tokens
        self.position = 0
        self.source = source

    def fail(self, message: str) -> ValueError:
        return ValueError(f"LaTeX to Typst: {message} in {self.source!r}")

    def peek(self, spaces: bool = False) -> str | None:
        """The next token; white space is skipped except inside text (`spaces`)."""
        while not spaces and self.position < len(self.tokens) and self.tokens[self.position].isspace():
            self.position += 1
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, spaces: bool = False) -> str:
        token = self.peek(spaces)
        if token is None:
            raise self.fail("unexpected end")
        self.position += 1
        return token

    def sequence(self, stop: tuple[str, ...]) -> Group:
        items: list[Node] = []
        while (token := self.peek()) is not None and token not in stop:
            if token in ("_", "^"):
                self.take()
                base = items.pop() if items else None
                sub, sup = (base.sub, base.sup) if isinstance(base, Script) and base.base is not None else (None, None)
                base = base.base if isinstance(base, Script) and base.base is not None else base
                argument = self.argument()
                items.append(Script(base, argument, sup) if token == "_" else Script(base, sub, argument))
            else:
                items.append(self.atom())
        return Group(tuple(items))

    def argument(self) -> Node:
        """One argument: a braced group, or a single token."""
        if self.peek() == "{":
            self.take()
            group = self.sequence(stop=("}",))
            self.take()
            return group
        return self.atom()

    def raw_argument(self) -> str:
        """A braced argument taken as plain text (\\text{…}, \\mathit{…})."""
        if self.take() != "{":
            raise self.fail("expected {")
        depth, parts = 0, []
        while True:
            token = self.take(spaces=True)
            if token == "}" and depth == 0:
                return "".join(parts)
            depth += (token == "{") - (token == "}")
            parts.append(token[1:] if token in ("\\{", "\\}", "\\_", "\\%", "\\&", "\\$", "\\#")
                         else " " if token.isspace() else token)

    def atom(self) -> Node:
        token = self.take()
        if token == "{":
            group = self.sequence(stop=("}",))
            self.take()
            return group
        if token.startswith("\\") and len(token) > 1:
            return self.command(token[1:])
        if token[0].isdigit():
            return Atom(token)
        if token.isalpha():
            return Atom(token if len(token) == 1 and token.isascii() else f'"{token}"')
        if token == "'":
            return Atom("'")
        return Atom(_ESCAPED.get(token, token))

    def command(self, name: str) -> Node:
        if name in IGNORED:
            return Group(())
        if name == "\\":
            raise self.fail("a line break outside an environment")
        if name == "sqrt":   # an optimizer's sqrt(v-hat) + eps (engine/ops/optimizers.py)
            return Call("sqrt", (self.argument(),))
        if name in SYMBOLS:
            return Atom(SYMBOLS[name])
        if name in TEXT_COMMANDS:
            return self.text_command(name)
        if name == "frac":
            return Call("frac", (self.argument(), self.argument()))
        if name in ("dot", "hat", "bar", "tilde", "vec"):
            return Call({"bar": "overline"}.get(name, name), (self.argument(),))
        if name == "left":
            return self.left_right()
        if name == "begin":
            return self.environment(self.raw_argument())
        raise self.fail(f"unknown command \\{name}")

    def text_command(self, name: str) -> Node:
        function = TEXT_COMMANDS[name]
        if name == "mathbf":
            return Call("bold", (self.argument(),))
        text = _string(self.raw_argument())
        return Atom(f"{function}({text})" if function else text)

    def left_right(self) -> Node:
        opening = DELIMITERS.get(self.take())
        body = self.sequence(stop=("\\right",))
        self.take()
        closing = DELIMITERS.get(self.take())
        if opening is None or closing is None:
            raise self.fail("an unknown \\left or \\right delimiter")
        return Call("lr", (Atom(_delimiter(opening)), body, Atom(_delimiter(closing))))

    def environment(self, name: str) -> Node:
        if name not in ("aligned", "bmatrix", "pmatrix", "matrix", "cases", "array"):
            raise self.fail(f"unknown environment {name}")
        if name == "array":
            self.raw_argument()
        rows: list[tuple[Group, ...]] = []
        cells: list[Group] = []
        while True:
            cells.append(self.sequence(stop=("&", "\\\\", "\\end")))
            token = self.take()
            if token == "&":
                continue
            rows.append(tuple(cells))
            cells = []
            if token == "\\end":
                self.raw_argument()
                break
        if rows and all(not cell.items for cell in rows[-1]) and len(rows) > 1:
            rows.pop()  # a trailing \\ before \end
        return Environment(name, tuple(rows))


def _delimiter(symbol: str) -> str:
    return {"(": "(", ")": ")", "[": "[", "]": "]", "{": "{", "}": "}", "|": "|", "": ""}[symbol]


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _print(node: Node | None) -> str:
    if node is None:
        return '""'
    if isinstance(node, Atom):
        return node.typst
    if isinstance(node, Group):
        return " ".join(part for part in (_print(item) for item in node.items) if part)
    if isinstance(node, Script):
        if _compound(node.base):
            scripts = [f"{key}: {_print(part)}" for key, part in (("b", node.sub), ("t", node.sup)) if part is not None]
            return f"attach({_print(node.base)}, {', '.join(scripts)})"  # a braced base: scripts on all of it
        text = _print(node.base) if node.base is not None else '""'
        if node.sub is not None:
            text += f"_({_print(node.sub)})"
        if node.sup is not None:
            text += f"^({_print(node.sup)})"
        return text
    if isinstance(node, Call):
        if node.function == "lr":
            opening, body, closing = node.args
            return f"lr({_print(opening)} {_print(body)} {_print(closing)})"
        return f"{node.function}(" + ", ".join(_print(arg) or '""' for arg in node.args) + ")"
    return _environment(node)


def _compound(base: Node | None) -> bool:
    """A base that a script must cover whole: a braced group of several atoms, or one already scripted."""
    if isinstance(base, Group):
        return len(base.items) > 1 or (len(base.items) == 1 and _compound(base.items[0]))
    return isinstance(base, Script)


def _environment(node: Environment) -> str:
    rows = [[_print(cell) for cell in row] for row in node.rows]
    if node.name == "aligned":
        return " \\\n".join(" & ".join(row) for row in rows)
    if node.name == "cases":
        return "cases(" + ", ".join(" & ".join(row) for row in rows) + ")"
    delimiter = {"bmatrix": '"["', "pmatrix": '"("', "matrix": "#none", "array": "#none"}[node.name]
    return f"mat(delim: {delimiter}, " + "; ".join(", ".join(cell or "zws" for cell in row) for row in rows) + ")"
