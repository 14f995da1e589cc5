"""The command line's arguments: one parser per command, the types of their
values, and which render options go together.

Apart from cli.py, which runs the commands, because the options are most of
the command line's text and change for other reasons (a new option, a new
format) than the running does.
"""
from __future__ import annotations

import argparse
from typing import Any, Callable, NoReturn

from . import __version__


class UsageError(Exception):
    """Bad input or usage: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


Run = Callable[[argparse.Namespace], int]


def build_parser(render: Run, answers: Run, check: Run, variants: Run) -> argparse.ArgumentParser:
    """The parser of `stepbystep`; each command's namespace carries `run`, the
    function (given here) that carries it out."""
    parser = _Parser(prog="stepbystep", description="Step-by-step numeric worked examples of backpropagation.")
    parser.add_argument("--version", action="version", version=f"stepbystep {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    _render_arguments(commands).set_defaults(run=render)
    _answers_arguments(commands).set_defaults(run=answers)
    _check_arguments(commands).set_defaults(run=check)
    _variants_arguments(commands).set_defaults(run=variants)
    return parser


def _render_arguments(commands: Any) -> argparse.ArgumentParser:
    render = commands.add_parser("render", help="write the walkthrough (Markdown, HTML, LaTeX, PDF, notebook)")
    render.add_argument("spec", metavar="SPEC")
    render.add_argument("--format", choices=("md", "html", "latex", "pdf", "ipynb"), default="md",
                        help="latex: a standalone document (amsmath only); pdf: printed by stepbystep (needs -o); "
                             "ipynb: a Jupyter notebook")
    render.add_argument("--fragment", action="store_true",
                        help="HTML: an embeddable piece, no <html>/<head>/<body>; LaTeX: a piece to \\input")
    render.add_argument("--paper", choices=("a4", "letter"), default=None, help="pdf, latex: the paper size (default a4)")
    render.add_argument("--math", choices=("mathml", "mathjax", "katex"), default=None,
                        help="HTML: formulas as MathML (default, no JavaScript) or as LaTeX for MathJax/KaTeX")
    render.add_argument("--template", metavar="FILE",
                        help="render your own Jinja template (sandboxed) with the walkthrough as its context")
    render.add_argument("--template-include", metavar="FILE", action="append", default=[],
                        help="a file the --template may include, import or extend (by its file name); repeatable")
    render.add_argument("--template-dir", metavar="DIR",
                        help="your template folder, searched first: DIR/html/equation.html.j2 lays out every "
                             "equation of the HTML, DIR/md/note.md.j2 every note of the Markdown (sandboxed)")
    render.add_argument("--theme", choices=("host", "auto", "light", "dark"), default=None,
                        help="HTML: host (the host page's colours and font; the fragment's default), auto (light or "
                             "dark as the reader's system says; the page's default), light or dark")
    render.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of standard output")
    render.add_argument("--precision", type=_whole_number(0, 15), default=None, metavar="N",
                        help="decimals printed (default 9; with --round K, K, or as many as the spec's own numbers have)")
    render.add_argument("--round", type=_whole_number(0, 15), default=None, metavar="K",
                        help="hand-calculation mode: round every value to K decimals as it is computed")
    render.add_argument("--notation", choices=("scalar", "matrix"), default="scalar",
                        help="matrix: each recorded step in vectorized form (Z = W·A + b, dW = dZ·Aᵀ, …)")
    render.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                        help="computation graphs: the backward pass (default) or forward-mode tangents")
    render.add_argument("--wrt", metavar="INPUT", help="computation graphs, --mode forward: the input to differentiate by")
    render.add_argument("--gradient-check", action="store_true",
                        help="computation graphs: check each gradient against a central difference")
    render.add_argument("--compare", metavar="OPTIMIZERS",
                        help="train the same run with these optimizers too (sgd,momentum,adam) and overlay their "
                             "loss curves; instead of the spec's [training] compare")
    return render


def _answers_arguments(commands: Any) -> argparse.ArgumentParser:
    answers = commands.add_parser("answers", help="every named value as one JSON object")
    answers.add_argument("spec", metavar="SPEC")
    answers.add_argument("--format", choices=("json",), default="json")
    answers.add_argument("--round", type=_whole_number(0, 15), default=None, metavar="K")
    return answers


def _check_arguments(commands: Any) -> argparse.ArgumentParser:
    check = commands.add_parser("check", help="grade answer files against the spec (one, or a whole class)")
    check.add_argument("spec", metavar="SPEC")
    check.add_argument("answers", metavar="ANSWERS", nargs="+", help="answer files: `name = value` lines or a JSON object")
    check.add_argument("--json", action="store_true", help="SPEC §4 JSON (a list of objects for several files)")
    check.add_argument("--rtol", type=_tolerance, default=None, metavar="R", help="relative tolerance (default: the spec's [check] table, else 7e-4)")
    check.add_argument("--atol", type=_tolerance, default=None, metavar="A", help="absolute floor (default: the spec's [check] table, else 1e-9)")
    check.add_argument("--variant", metavar="ID", help="grade against the student's own variant: S-k (seed S, k-th), or k with --seed S")
    check.add_argument("--seed", type=_whole_number(0, 2**63 - 1), default=None, metavar="S", help="the seed of --variant k")
    check.add_argument("--hide-expected", action="store_true",
                       help="a student's self-check: statuses, carried errors and diagnoses, no expected value anywhere")
    check.add_argument("--time-limit", type=_seconds, default=None, metavar="SECONDS",
                       help="per sheet (default 10): a sheet that takes longer is reported, the rest are graded")
    return check


def _variants_arguments(commands: Any) -> argparse.ArgumentParser:
    variants = commands.add_parser("variants", help="randomized variants with answer keys (JSON, Moodle XML, Markdown sheets)")
    variants.add_argument("spec", metavar="SPEC")
    variants.add_argument("--count", type=_whole_number(1, 100_000), required=True, metavar="N",
                          help="how many variants (S-1 … S-N)")
    variants.add_argument("--seed", type=_whole_number(0, 2**63 - 1), required=True, metavar="S",
                          help="the same seed gives the same variants, byte for byte")
    variants.add_argument("--format", choices=("json", "moodle-xml", "md", "qti", "pdf"), default="json",
                          help="md: a problem sheet, and with -o FILE a solution sheet FILE-solutions.md beside it; "
                               "qti: a Canvas quiz (QTI 1.2 zip); pdf: one printed problem sheet per variant "
                               "(qti and pdf need -o)")
    variants.add_argument("--paper", choices=("a4", "letter"), default="a4", help="pdf: the paper size (default a4)")
    variants.add_argument("--solutions", action="store_true",
                          help="pdf: each problem sheet followed by its key and worked solution")
    variants.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of standard output")
    return variants


def refuse_render_combinations(args: argparse.Namespace, is_graph: bool) -> None:
    """Render options that do not go together, each refused with one line
    (checked after the spec is read, so a bad spec is reported first)."""
    if args.fragment and (args.format not in ("html", "latex") or args.template):
        raise UsageError("--fragment needs --format html or latex (and no --template)")
    if args.paper and (args.format not in ("pdf", "latex") or args.fragment):
        raise UsageError("--paper goes with --format pdf or latex (a whole document)")
    if args.format == "pdf" and args.output is None:
        raise UsageError("--format pdf writes a binary file: give -o FILE")
    if args.format in ("latex", "pdf", "ipynb") and (args.template or args.template_dir):
        raise UsageError(f"--template and --template-dir go with --format md or html, not {args.format}")
    if args.math and args.format != "html" and not args.template:
        raise UsageError("--math needs --format html or --template")
    if args.theme and args.format != "html":
        raise UsageError("--theme needs --format html")
    if args.template_dir and args.template:
        raise UsageError("--template-dir goes with --format md or html, not with --template")
    if args.template_include and not args.template:
        raise UsageError("--template-include goes with --template")
    if args.notation != "scalar" and args.template:
        raise UsageError("--notation matrix goes with --format md or html, not with --template")
    if args.notation != "scalar" and is_graph:  # was silently ignored
        raise UsageError("--notation matrix is for network specs; a computation graph has no weight matrices")


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {value}")
        return value
    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0 (at most a day), got {text}")
    return value


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 up to (not including) 1, got {text}")
    return value
