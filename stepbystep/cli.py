"""The command line: arguments in, one document or one clean error out.

Library errors (a refused spec, a value that overflows) become one line
`stepbystep: error: …` and exit code 2 here, at the boundary; nothing below
this module prints or exits.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NoReturn, Sequence

from .outputs import OutputError, check_outputs, write_files

if TYPE_CHECKING:
    from . import api
    from .outputs import Target

EXIT_OK, EXIT_WRONG, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input or usage: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stepbystep", description="Step-by-step numeric worked examples of backpropagation.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"stepbystep {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

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
    render.set_defaults(run=_render)

    answers = commands.add_parser("answers", help="every named value as one JSON object")
    answers.add_argument("spec", metavar="SPEC")
    answers.add_argument("--format", choices=("json",), default="json")
    answers.add_argument("--round", type=_whole_number(0, 15), default=None, metavar="K")
    answers.set_defaults(run=_answers)

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
    check.set_defaults(run=_check)

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
    variants.set_defaults(run=_variants)
    return parser


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


def _load_for_render(args: argparse.Namespace) -> "api.Walkthrough":
    """A network, or a graph with the graph-only options (--mode, --wrt, --gradient-check)."""
    from . import api

    if args.compare is not None:
        spec = api.with_compare(api.load_spec(args.spec), [name.strip() for name in args.compare.split(",")])
        if args.mode == "reverse" and args.wrt is None and not args.gradient_check:
            return api.build(spec, args.round)
    elif args.mode == "reverse" and args.wrt is None and not args.gradient_check:
        return api.load(args.spec, round_to=args.round)
    else:
        spec = api.load_spec(args.spec)
    if not isinstance(spec, api.GraphSpec):
        raise UsageError("--mode, --wrt and --gradient-check are for computation-graph specs (inputs and nodes)")
    if args.mode == "forward" and args.wrt is None:
        raise UsageError("--mode forward needs --wrt INPUT, the input to differentiate by")
    if args.mode == "reverse" and args.wrt is not None:
        raise UsageError("--wrt goes with --mode forward")
    return api.build(spec, args.round, mode=args.mode, wrt=args.wrt, gradient_check=args.gradient_check)


def _render(args: argparse.Namespace) -> int:
    inputs = [args.spec, *([args.template] if args.template else []), *args.template_include]
    target = check_outputs([args.output], inputs)[0] if args.output else None  # before any work
    walkthrough = _load_for_render(args)
    precision = args.precision if args.precision is not None else None
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
    if args.notation != "scalar" and walkthrough.is_graph:  # was silently ignored
        raise UsageError("--notation matrix is for network specs; a computation graph has no weight matrices")
    from .api import UserTemplateError

    try:
        text = _render_text(walkthrough, args, precision, target, inputs)
    except UserTemplateError as error:  # --template or a --template-dir template: one line naming it
        raise UsageError(str(error)) from None
    if text is None:
        return EXIT_OK
    _emit(text, args.output, inputs)
    return EXIT_OK


def _render_text(walkthrough: "api.Walkthrough", args: argparse.Namespace, precision: int | None,
                 target: "Target | None", inputs: list[str]) -> str | bytes | None:
    """The rendered document; None when it was written already (Markdown with its pictures)."""
    if args.template:
        return walkthrough.render_template(args.template, math=args.math or "mathml", precision=precision,
                                           includes=tuple(args.template_include))
    if args.format == "html":
        return walkthrough.html(fragment=args.fragment, math=args.math or "mathml", precision=precision,
                                notation=args.notation, theme=args.theme, templates=args.template_dir)
    if args.format in ("latex", "pdf", "ipynb"):
        return _print_format(walkthrough, args, precision)
    beside = _figure_files(walkthrough, precision, target)
    text = walkthrough.markdown(precision=precision, notation=args.notation,
                                figure_files={figure_id: path.name for figure_id, path, _ in beside},
                                templates=args.template_dir)
    if target is not None:  # the page and its pictures: all written, or none
        write_files([(path, svg) for _, path, svg in beside] + [(args.output, text)], inputs)
        return None
    return text


def _print_format(walkthrough: "api.Walkthrough", args: argparse.Namespace, precision: int | None) -> str | bytes:
    """LaTeX, PDF or a notebook: formats of the document tree beyond the page."""
    if args.format == "latex":
        return walkthrough.latex(fragment=args.fragment, precision=precision, notation=args.notation,
                                 paper=args.paper or "a4")
    if args.format == "ipynb":
        return walkthrough.notebook(precision=precision, notation=args.notation)
    from .formats.pdf import PdfUnavailable

    try:
        return walkthrough.pdf(precision=precision, notation=args.notation, paper=args.paper or "a4")
    except PdfUnavailable as error:
        raise UsageError(str(error)) from None


FIGURES_AS_FILES = ("loss-curve",)  # Markdown with -o: written beside the output and linked


def _figure_files(walkthrough: "api.Walkthrough", precision: int | None, target: "Target | None") -> list[tuple[str, Path, str]]:
    """(figure id, file, SVG) for the pictures a Markdown file links: `OUT.loss-curve.svg` beside `OUT.md`
    (beside the file a symlink leads to). On standard output, a device or a pipe there is nowhere
    to put them; the tables hold the same numbers."""
    if target is None or target.direct or not hasattr(walkthrough, "figures"):
        return []
    path = target.path
    return [(figure.id, path.with_name(f"{path.stem}.{figure.id}.svg"), figure.svg + "\n")
            for figure in walkthrough.figures(precision) if figure.id in FIGURES_AS_FILES]


def _answers(args: argparse.Namespace) -> int:
    from . import api

    walkthrough = api.load(args.spec, round_to=args.round)
    _emit(json.dumps(walkthrough.answers(), indent=2) + "\n", None)
    return EXIT_OK


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


def _check(args: argparse.Namespace) -> int:
    from . import api

    try:
        report = api.check(args.spec, args.answers, variant=args.variant, seed=args.seed, rtol=args.rtol,
                           atol=args.atol, time_limit=args.time_limit)
    except ValueError as error:  # a --variant that does not exist, or --seed without --variant
        raise UsageError(str(error)) from None
    _emit(api.check_report(report, as_json=args.json, hide_expected=args.hide_expected), None)
    for sheet in report.files:
        if sheet.unreadable:
            sys.stderr.write(f"stepbystep: error: {sheet.source}: {sheet.error}\n")
    return report.exit_code


def _variants(args: argparse.Namespace) -> int:
    from . import api
    from .exercises.export import BINARY_FORMATS, solutions_path

    if args.format in BINARY_FORMATS and args.output is None:
        raise UsageError(f"--format {args.format} writes a binary file: give -o FILE")
    if args.paper != "a4" and args.format != "pdf":
        raise UsageError("--paper goes with --format pdf")
    if args.solutions and args.format != "pdf":
        raise UsageError("--solutions goes with --format pdf (md always writes the solution sheet)")
    if args.output is not None:  # before any work: the sheet and its solutions, neither the spec
        check_outputs([args.output] + ([solutions_path(args.output)] if args.format == "md" else []), [args.spec])
    from .formats.pdf import PdfUnavailable

    try:
        files = api.export_variants(args.spec, args.count, args.seed, args.format, args.output, paper=args.paper,
                                    solutions=args.solutions)
    except PdfUnavailable as error:
        raise UsageError(str(error)) from None
    written = [(path, text) for path, text in files if path is not None]
    if written:
        write_files(written, [args.spec])
    for path, text in files:
        if path is None:
            _emit(text, None)
    return EXIT_OK


def _emit(text: str | bytes, output: str | None, inputs: Sequence[str] = ()) -> None:
    if output is None:
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_files([(output, text)], inputs)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `stepbystep` and `python -m stepbystep`."""
    from .engine.graph import GraphError
    from .spec.model import SpecError

    handled: tuple[type[BaseException], ...] = (UsageError, SpecError, OutputError)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        return _fail("no command given; `stepbystep --help` lists the commands (render, answers, check, variants)")
    try:
        args = build_parser().parse_args(arguments)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except handled as error:
        return _fail(str(error))
    except GraphError as error:
        spec = getattr(locals().get("args"), "spec", None)
        return _fail(f"{spec}: {error}" if spec else str(error))
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:
        return _fail(f"{error.filename or ''}: {error.strerror}".lstrip(": "))
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug of ours: still one line, never a traceback
        return _fail(f"internal error ({type(error).__name__}: {error}); please report this with the spec file")


def _fail(message: str) -> int:
    sys.stderr.write(f"stepbystep: error: {' '.join(message.split())}\n")
    return EXIT_USAGE


def run() -> NoReturn:
    sys.exit(main())
