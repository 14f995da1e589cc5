"""Running a user's template: Jinja's sandbox, a closed set of files, and bounds.

A template handed to `render --template` is untrusted code. It may read only
what it is given: the context, the project's own templates, and files the
user named on the command line (`--template-include`); never a file merely
lying beside it (an `id_rsa` in the same folder) and never one a symlink
points to from the project's folder. Loops, texts, numbers, recursion,
includes and time are bounded (sandbox_bounds.py); breaking a bound is one
`UserTemplateError` naming the template and the bound.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import UserTemplateError
from .sandbox_bounds import Budget, Limits, TemplateBound, format_widths, percent_widths
from .sandbox_files import FolderLoader, NamedFilesLoader

__all__ = ["BoundedEnvironment", "FolderLoader", "NamedFilesLoader", "UserTemplateError", "render_user_template_file",
           "template_errors"]


def render_user_template_file(path: str | Path, context: Mapping[str, Any], *,
                              filters: Mapping[str, Callable[..., Any]] | None = None,
                              includes: Iterable[str | Path] = (),
                              project_templates: Path | None = None,
                              limits: Limits = Limits()) -> str:
    """`path` rendered with `context` in the bounded sandbox. `includes` are
    the other files it may include/import/extend (by file name);
    `project_templates` is the folder of the project's own templates (by
    their path inside it)."""
    path = Path(path)
    named = {Path(extra).name: Path(extra) for extra in includes}
    named[path.name] = path
    largest = max((len(value) for value in context.values() if isinstance(value, str)), default=0)
    environment = BoundedEnvironment(Budget(limits.for_context(largest)),
                                     NamedFilesLoader(named, project_templates), _escapes(path.name))
    for name, function in (filters or {}).items():
        environment.filters[name] = environment.guarded(function, name)
    with template_errors(str(path)):
        return environment.get_template(path.name).render(dict(context))


@contextmanager
def template_errors(where: str) -> Iterator[None]:
    """Whatever a user's template does wrong becomes one UserTemplateError naming it."""
    try:
        yield
    except UserTemplateError:
        raise
    except TemplateBound as error:
        raise UserTemplateError(f"{where}: {error}") from None
    except jinja2.TemplateSyntaxError as error:
        named = Path(error.filename or error.name or "").name
        inner = f"{named}: " if named and named != Path(where).name else ""
        raise UserTemplateError(f"{where}: {inner}line {error.lineno}: {error.message}") from None
    except jinja2.TemplateNotFound as error:
        raise UserTemplateError(f"{where}: {error.message}") from None
    except jinja2.exceptions.SecurityError as error:
        raise UserTemplateError(f"{where}: refused by the sandbox: {error}") from None
    except RecursionError:
        raise UserTemplateError(f"{where}: recursion bound: macros, includes or expressions nested "
                                "deeper than Python allows") from None
    except MemoryError:
        raise UserTemplateError(f"{where}: memory bound: the render ran out of memory") from None
    except UnicodeDecodeError:
        raise UserTemplateError(f"{where}: not a UTF-8 text file") from None
    except Exception as error:  # the template's own failure (a division by zero, a bad filter argument)
        raise UserTemplateError(f"{where}: {type(error).__name__}: {error}") from None


class BoundedTemplate(jinja2.Template):
    """A template of the bounded environment: its failures are one UserTemplateError naming its file."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        with template_errors(self.filename or self.name or "template"):
            return super().render(*args, **kwargs)


def _escapes(name: str) -> bool:
    stem = name[:-3] if name.endswith(".j2") else name[:-6] if name.endswith(".jinja") else name
    return stem.lower().endswith((".html", ".htm", ".xml", ".svg"))


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's compiler, with every loop counted (its iterable wrapped in
    `environment.bounded_loop(…, size of the body)`) and every `~` measured first."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            body_size = sum(1 for part in loop.body for _ in part.find_all(nodes.Node)) + len(loop.body)
            counted = nodes.EnvironmentAttribute("bounded_loop", lineno=loop.lineno)
            loop.iter = nodes.Call(counted, [loop.iter, nodes.Const(max(1, body_size))], [], None, None,
                                   lineno=loop.lineno)
        super().visit_Template(node, frame)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"environment.bounded_join({join}, (")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


_WIDTH_METHODS = {"center": 0, "ljust": 0, "rjust": 0, "zfill": 0, "expandtabs": 0}
_WIDTH_FILTERS = {"center": "width", "indent": "width", "wordwrap": "width", "truncate": "length",
                  "batch": "linecount", "slice": "slices", "tojson": "indent", "urlize": "trim_url_limit"}
# Filters that turn their input into text: its whole text size is measured first (a list of
# lists of one list is tiny in memory and exponential as text). The others only rearrange
# references; their result is charged by its length.
_TEXT_FILTERS = {"string", "join", "format", "tojson", "pprint", "e", "escape", "forceescape", "safe", "upper",
                 "lower", "title", "capitalize", "trim", "striptags", "urlize", "urlencode", "wordcount", "xmlattr",
                 "center", "indent", "wordwrap", "truncate", "replace", "filesizeformat", "int", "float"}


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with a `Budget`: loops, texts, numbers,
    calls, includes and time all counted, and refused before the work."""

    code_generator_class = BoundedCodeGenerator
    template_class = BoundedTemplate
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, budget: Budget, loader: jinja2.BaseLoader, autoescape: bool) -> None:
        super().__init__(loader=loader, undefined=jinja2.StrictUndefined, autoescape=autoescape,
                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                         finalize=self._finalize, auto_reload=False)
        self.budget = budget
        self.filters = {name: self.guarded(function, name) for name, function in self.filters.items()}

    # -- what the compiled template calls -----------------------------------
    def bounded_loop(self, iterable: Any, cost: int) -> Iterator[Any]:
        for item in iterable:
            self.budget.loop_step(cost)
            yield item

    def bounded_join(self, join: Callable[[Any], str], parts: tuple[Any, ...]) -> str:
        self.budget.text(sum(self.budget.size_of(part) for part in parts), "a joined text (~)")
        return join(parts)

    def concat(self, parts: Iterable[str]) -> str:  # type: ignore[override]
        """Every output and every captured block (`{% set %}…`, a macro's body) is joined here."""
        kept, size = [], 0
        for part in parts:
            kept.append(part)
            size += len(part)
            if size > self.budget.limits.text:
                self.budget.text(size, "the output")
        self.budget.text(size, "the output")
        return "".join(kept)

    def _finalize(self, value: Any) -> Any:
        """Every `{{ … }}` printed (or captured) is copied once more: counted before."""
        self.budget.text(self.budget.size_of(value), "a printed value")
        return value

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        self.budget.load(name)
        return super()._load_template(name, globals)

    # -- operators, calls, filters ------------------------------------------
    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        budget = self.budget
        budget.tick()
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) and count > 0:
                    budget.text(budget.size_of(sequence) * count, "a repeated text or list (*)")
            if _is_int(left) and _is_int(right):
                budget.integer(left.bit_length() + right.bit_length())
        elif operator == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            budget.integer(left.bit_length() * right if right < 2**40 else 2**40)
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            budget.text(budget.size_of(left) + budget.size_of(right), "a joined text or list (+)")
        elif operator == "%" and isinstance(left, str):
            self._check_percent(left, right)
        return super().call_binop(context, operator, left, right)

    def _check_percent(self, template: str, arguments: Any) -> None:
        widths = percent_widths(template, arguments)
        for width in widths:
            self.budget.width(width, "a % format width of")
        self.budget.text(len(template) + self.budget.size_of(arguments) + sum(abs(w) for w in widths if _is_int(w)),
                         "a % formatted text")

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget = __self.budget
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            __self._check_str_method(owner, name, args, kwargs)
        if isinstance(__obj, jinja2.runtime.LoopContext) and args:  # loop(children) in a recursive loop
            args = (__self.bounded_loop(args[0], 16), *args[1:])
        budget.enter()
        try:
            return super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.leave()

    def _check_str_method(self, owner: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        budget = self.budget
        for value in (*args, *kwargs.values()):
            budget.size_of(value)
        if name in _WIDTH_METHODS and args:
            budget.width(args[0], f"str.{name} width")
            tabs = owner.count("\t") if name == "expandtabs" else 1
            budget.text(len(owner) + tabs * abs(args[0]) if _is_int(args[0]) else len(owner), f"str.{name}")
        elif name == "replace" and len(args) >= 2 and isinstance(args[1], str):
            budget.text(len(owner) + (len(owner) + 1) * len(args[1]), "str.replace")
        elif name == "join" and args:
            items = list(args[0]) if not isinstance(args[0], (list, tuple, str)) else args[0]
            budget.text(budget.size_of(items) + len(owner) * len(items), "str.join")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        formatter = super().wrap_str_format(value)
        if formatter is None:
            return None
        template: str = value.__self__
        budget = self.budget

        @wraps(formatter)
        def bounded(*args: Any, **kwargs: Any) -> str:
            widths = format_widths(template)
            for width in widths:
                budget.width(width, "a format width of")
            budget.text(len(template) + sum(widths) + sum(budget.size_of(v) for v in (*args, *kwargs.values())),
                        "a formatted text")
            return formatter(*args, **kwargs)
        return bounded

    def guarded(self, function: Callable[..., Any], name: str) -> Callable[..., Any]:
        """Filter `name`, measuring its input before the work and its output after.
        Filters of our own (math, md_text) count as text filters."""
        passes = jinja2.utils._PassArg.from_obj(function) is not None
        width_argument = _WIDTH_FILTERS.get(name)
        makes_text = name in _TEXT_FILTERS or name not in jinja2.filters.FILTERS

        @wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            budget = self.budget
            budget.tick()
            values = args[1:] if passes else args
            if makes_text:
                for value in (*values, *kwargs.values()):
                    budget.size_of(value)
            if width_argument is not None:
                for value in (*values[1:2], kwargs.get(width_argument)):
                    budget.width(value, f"|{name} {width_argument}")
            self._estimate_filter(name, values, kwargs)
            result = function(*args, **kwargs)
            if isinstance(result, str):
                budget.text(len(result), f"the result of |{name}")
            elif isinstance(result, (list, tuple)):
                budget.text(len(result), f"the result of |{name}")
            return result
        return run

    def _estimate_filter(self, name: str, values: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """The filters whose output can be a product of their input and an argument."""
        budget = self.budget
        if not values:
            return
        text = values[0]
        arguments = list(values[1:]) + list(kwargs.values())
        if name == "indent" and isinstance(text, str):
            width = next((a for a in arguments if _is_int(a)), 4)
            budget.text(len(text) + (text.count("\n") + 1) * abs(width), "an indented text")
        elif name == "replace" and isinstance(text, str) and len(arguments) >= 2:
            budget.text(len(text) + (len(text) + 1) * len(str(arguments[1])), "a replaced text")
        elif name == "join" and not isinstance(text, str):
            separator = next((a for a in arguments if isinstance(a, str)), "")
            items = list(text) if not isinstance(text, (list, tuple)) else text
            budget.text(budget.size_of(items) + len(separator) * len(items), "a joined text (|join)")
        elif name == "format" and isinstance(text, str):
            self._check_percent(text, tuple(values[1:]) or kwargs)
        elif name == "tojson":
            indent = next((a for a in arguments if _is_int(a)), 0)
            budget.text(budget.size_of(text) * (1 + abs(indent)), "a JSON text")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

