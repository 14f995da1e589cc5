"""A walkthrough inside someone else's page (MkDocs, Sphinx, Jupyter Book).

Each site generator reads its own block syntax (a fenced block, a
directive) and hands the pieces here: the options as text, the spec as a
path or inline TOML, and where the block sits. So the options mean the same
everywhere and a bad spec fails any site build with the same one line:
`stepbystep: error: PAGE:LINE: SPEC: field.path: message`.
Like every integration, this module reaches the package through api.py only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from . import api

MATH_MODES = ("mathml", "mathjax", "katex", "arithmatex")
NOTATIONS = ("scalar", "matrix")
OPTIONS = ("spec", "precision", "round", "notation", "math")


class EmbedError(ValueError):
    """A block that cannot become a walkthrough; `str()` is the one line to show."""


@dataclass(frozen=True)
class EmbedOptions:
    """What one block asks for (None: the site's or the library's default)."""

    spec: str | None = None          # a path to a spec file …
    inline: str = ""                 # … or the spec itself, as TOML (or JSON)
    precision: int | None = None
    round: int | None = None
    notation: str = "scalar"
    math: str | None = None


@dataclass(frozen=True)
class Place:
    """Where a block sits, for error messages and relative paths."""

    page: str         # as the site names it, e.g. `week3/backprop.md`
    line: int         # 1-based line of the block in the page
    base_dir: Path    # a relative spec path is read from here

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def embed_options(values: Mapping[str, str | None], inline: str = "") -> EmbedOptions:
    """Options as a page writes them (text), checked: ValueError names the option."""
    unknown = sorted(set(values) - set(OPTIONS))
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} (options: {', '.join(OPTIONS)})")
    spec = (values.get("spec") or "").strip() or None
    if spec is None and not inline.strip():
        raise ValueError("no spec: give `spec: path/to/spec.toml` or the spec's TOML in the block")
    if spec is not None and inline.strip():
        raise ValueError("both a spec path and an inline spec: give one of them")
    return EmbedOptions(
        spec=spec,
        inline=inline,
        precision=_whole_number("precision", values.get("precision")),
        round=_whole_number("round", values.get("round")),
        notation=_choice("notation", values.get("notation"), NOTATIONS) or "scalar",
        math=_choice("math", values.get("math"), MATH_MODES),
    )


def _whole_number(name: str, text: str | None) -> int | None:
    if text is None or not str(text).strip():
        return None
    try:
        number = int(str(text).strip())
    except ValueError:
        raise ValueError(f"{name}: expected a whole number from 0 to 15, got {text!r}") from None
    if not 0 <= number <= 15:
        raise ValueError(f"{name}: expected a whole number from 0 to 15, got {number}")
    return number


def _choice(name: str, text: str | None, choices: tuple[str, ...]) -> str | None:
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def block_error(place: Place, message: str) -> EmbedError:
    """The one line a site build shows for a bad block."""
    return EmbedError(f"stepbystep: error: {place}: {' '.join(str(message).split())}")


def load_walkthrough(options: EmbedOptions, place: Place, spec_path: Path | None = None) -> api.Walkthrough:
    """The block's spec: the file `spec_path` (default: the written path, relative
    to the page's base folder; errors name it as written), or parsed inline."""
    try:
        if options.spec is None:
            return api.loads(options.inline, "inline spec", round_to=options.round)
        path = spec_path if spec_path is not None else place.base_dir / options.spec
        return api.loads(_read(path, options.spec), options.spec, round_to=options.round)
    except (api.SpecError, api.GraphError) as error:
        raise block_error(place, str(error)) from None


def _read(path: Path, written: str) -> str:
    """The spec file's text; a failure is a SpecError naming the path as the page wrote it."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise api.SpecError(written, "", f"no such file (looked for {path})") from None
    except IsADirectoryError:
        raise api.SpecError(written, "", "is a directory, not a spec file") from None
    except UnicodeDecodeError as error:
        raise api.SpecError(written, "", f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise api.SpecError(written, "", f"cannot read ({error.strerror})") from None


def render_block(options: EmbedOptions, place: Place, default_math: str = "mathml",
                 spec_path: Path | None = None) -> str:
    """The walkthrough as an HTML fragment (its CSS scoped under `.stepbystep`)."""
    walkthrough = load_walkthrough(options, place, spec_path)
    math = options.math or default_math
    try:
        html = walkthrough.html(fragment=True, math="mathjax" if math == "arithmatex" else math,
                                precision=options.precision, notation=options.notation)
    except (api.GraphError, ValueError) as error:
        raise block_error(place, str(error)) from None
    return arithmatex_classes(html) if math == "arithmatex" else html


def render_latex_block(options: EmbedOptions, place: Place, spec_path: Path | None = None) -> str:
    """The walkthrough as a LaTeX piece (for Sphinx's LaTeX/PDF builder; the
    document it goes into loads amsmath)."""
    walkthrough = load_walkthrough(options, place, spec_path)
    try:
        return walkthrough.latex(fragment=True, precision=options.precision, notation=options.notation)
    except (api.GraphError, ValueError) as error:
        raise block_error(place, str(error)) from None


def arithmatex_classes(html: str) -> str:
    """MkDocs Material's MathJax set-up (pymdownx.arithmatex) typesets only
    elements of class `arithmatex`: mark each formula of the fragment so."""
    return (html.replace('class="sbs-math ', 'class="sbs-math arithmatex ')
                .replace('class="sbs-equation ', 'class="sbs-equation arithmatex '))
