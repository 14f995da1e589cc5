"""The bounds a user's template runs under, and the checks that keep them.

A `--template` may come from anywhere (a colleague, a course site), and an
instructor runs it on a course server. Jinja's sandbox stops a template from
reaching Python's internals; it does not stop one from looping for hours,
building a ten-gigabyte string or recursing until Python gives up. Every
operation that can grow text or work without limit passes through `Budget`,
which refuses it *before* the work with a `TemplateBound` naming the bound.
"""
from __future__ import annotations

import re
import string
import time
from functools import lru_cache
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

# Documented in the README ("Template limits").
MAX_TEMPLATE_BYTES = 1_000_000     # one template file
MAX_LOOP_STEPS = 10_000_000        # loop iterations, each counted by the size of its body
MAX_TEXT = 32_000_000              # characters of one text (or list) the template builds
MAX_BUILT = 128_000_000            # characters of everything one render builds or prints
MAX_WIDTH = 100_000                # a width, padding or count given to a filter, method or % format
MAX_INT_BITS = 14_000              # a whole number the template computes (about 4,200 digits)
MAX_CALL_DEPTH = 64                # macros, caller() and recursive loops inside each other
MAX_LOADS = 1_000                  # templates included, imported or extended in one render
MAX_SECONDS = 30.0                 # wall-clock time of one render


class TemplateBound(Exception):
    """A user template broke one of the bounds above: `bound` names it."""

    def __init__(self, bound: str, detail: str) -> None:
        super().__init__(f"{bound}: {detail}")
        self.bound = bound


@dataclass(frozen=True)
class Limits:
    """The bounds of one render. Text bounds grow with the context: a page of
    a 20,000-weight network is 150 MB of HTML, and `{{ walkthrough }}` must fit."""

    text: int = MAX_TEXT
    built: int = MAX_BUILT
    loop_steps: int = MAX_LOOP_STEPS
    width: int = MAX_WIDTH
    int_bits: int = MAX_INT_BITS
    call_depth: int = MAX_CALL_DEPTH
    loads: int = MAX_LOADS
    seconds: float = MAX_SECONDS

    def for_context(self, largest_given: int) -> "Limits":
        text = max(self.text, 2 * largest_given + self.text // 4)
        return Limits(text, max(self.built, 4 * text), self.loop_steps, self.width, self.int_bits,
                      self.call_depth, self.loads, self.seconds)


class Budget:
    """What one render has used so far; every check raises before the work."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.steps = 0
        self.built = 0
        self.depth = 0
        self.loads = 0
        self.deadline = time.monotonic() + limits.seconds

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateBound("time bound", f"the render took more than {self.limits.seconds:g} seconds")

    def loop_step(self, cost: int) -> None:
        self.steps += cost
        if self.steps > self.limits.loop_steps:
            raise TemplateBound("loop bound", f"more than {self.limits.loop_steps:,} loop steps "
                                              "(an iteration counts the nodes of its body)")
        self.tick()

    def text(self, size: int, what: str = "a text") -> None:
        """A text (or list) of `size` characters is about to be built."""
        if size > self.limits.text:
            raise TemplateBound("text size bound", f"{what} of {size:,} characters; at most {self.limits.text:,}")
        self.built += size
        if self.built > self.limits.built:
            raise TemplateBound("text size bound", f"more than {self.limits.built:,} characters built in all")
        self.tick()

    def width(self, value: Any, what: str) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > self.limits.width:
            raise TemplateBound("width bound", f"{what} {value:,}; at most {self.limits.width:,}")

    def integer(self, bits: int) -> None:
        if bits > self.limits.int_bits:
            raise TemplateBound("number size bound", f"a whole number of about {bits:,} bits; "
                                                     f"at most {self.limits.int_bits:,}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.call_depth:
            raise TemplateBound("recursion bound", f"calls nested more than {self.limits.call_depth} deep")
        self.tick()

    def leave(self) -> None:
        self.depth -= 1

    def load(self, name: str) -> None:
        self.loads += 1
        if self.loads > self.limits.loads:
            raise TemplateBound("include bound", f"more than {self.limits.loads:,} templates loaded "
                                                 f"(the last: {name!r})")

    def size_of(self, value: Any) -> int:
        """An upper estimate of `str(value)`, refused once above the text bound
        (a list of lists of the same list is exponential in its text, not in memory)."""
        if isinstance(value, str):
            return len(value)
        if isinstance(value, (float, bool)) or value is None:
            return 32
        if isinstance(value, (tuple, list)) and len(value) <= 16 and all(isinstance(item, (str, float)) for item in value):
            return 2 + sum(len(item) + 4 if isinstance(item, str) else 32 for item in value)  # the common case, fast
        return text_size(value, self.limits.text)


def text_size(value: Any, limit: int) -> int:
    """How long `str(value)` would be, walking containers without building
    anything (each shared container measured once, a cycle counted as `...`);
    raises TemplateBound as soon as a part passes `limit`."""
    sizes: dict[int, int] = {}
    open_containers: set[int] = set()
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, children_done = stack.pop()
        key = id(item)
        if key in sizes:
            continue
        children = _children(item)
        if children is None:
            sizes[key] = _leaf_size(item)
        elif not children_done:
            open_containers.add(key)
            stack.append((item, True))
            stack.extend((child, False) for child in children
                         if id(child) not in sizes and id(child) not in open_containers)
        else:
            open_containers.discard(key)
            sizes[key] = 16 + 2 * len(children) + sum(sizes.get(id(child), 5) for child in children)
        if sizes.get(key, 0) > limit:
            raise TemplateBound("text size bound", f"a text of more than {limit:,} characters")
    return sizes[id(value)]


def _children(item: Any) -> list[Any] | None:
    """The parts `str(item)` shows, or None for a leaf."""
    if isinstance(item, str):
        return None
    if isinstance(item, (list, tuple, set, frozenset)):
        return list(item)
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if type(item).__name__ == "Namespace":  # jinja2.utils.Namespace: its repr shows its attributes
        return [object.__getattribute__(item, "_Namespace__attrs")]
    if is_dataclass(item) and not isinstance(item, type):
        return [getattr(item, field.name) for field in fields(item)]
    return None


def _leaf_size(item: Any) -> int:
    if isinstance(item, str):
        return len(item) + 2
    if isinstance(item, int):
        return item.bit_length() // 3 + 2
    return 32


# %-formatting: flags, then a width and a precision that may each be `*`.
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


def percent_widths(template: str, arguments: Any) -> list[Any]:
    """The widths and precisions a `%` format would use (`*` takes them from the arguments)."""
    values = list(arguments) if isinstance(arguments, tuple) else [arguments]
    widths: list[Any] = []
    position = 0
    for width, precision, conversion in _percent_specs(template):
        for part in width, precision:
            if part == "*":
                widths.append(values[position] if position < len(values) else 0)
                position += 1
            elif part:
                widths.append(int(part) if len(part) < 12 else 10**12)
        position += conversion != "%"
    return widths


@lru_cache(maxsize=256)
def _percent_specs(template: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((match.group(1) or "", match.group(2) or "", match.group(3)) for match in _PERCENT.finditer(template))


def format_widths(template: str) -> list[int]:
    """The widths and precisions of a `str.format` template (nested `{…}` specs are refused)."""
    widths: list[int] = []
    for _, _, spec, _ in string.Formatter().parse(template):
        if spec and "{" in spec:
            raise TemplateBound("width bound", "a format width taken from a value ({…} inside a format spec)")
        widths += [int(digits) if len(digits) < 12 else 10**12 for digits in re.findall(r"\d+", spec or "")]
    return widths
