"""The command line: arguments in, one document or one clean error out.

Library errors (a refused spec, a value that overflows) become one line
`stepbystep: error: …` and exit code 2 here, at the boundary; nothing below
this module prints or exits. The commands call the library only through
api.py (and write files through outputs.py); the options are cli_arguments.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Sequence

from . import api
from .cli_arguments import Run, UsageError, build_parser, refuse_render_combinations
from .outputs import OutputError, check_outputs, write_files

if TYPE_CHECKING:
    from .outputs import Target

EXIT_OK, EXIT_WRONG, EXIT_USAGE = 0, 1, 2


def _load_for_render(args: argparse.Namespace) -> api.Walkthrough:
    """A network, or a graph with the graph-only options (--mode, --wrt, --gradient-check)."""
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
    inputs = [args.spec, *([args.template] if args.template else []), *args.template_include,
              *([args.template_dir] if args.template_dir else [])]
    target = check_outputs([args.output], inputs)[0] if args.output else None  # before any work
    walkthrough = _load_for_render(args)
    refuse_render_combinations(args, walkthrough.is_graph)
    try:
        text = _render_text(walkthrough, args, target, inputs)
    except api.UserTemplateError as error:  # --template or a --template-dir template: one line naming it
        raise UsageError(str(error)) from None
    if text is None:
        return EXIT_OK
    _emit(text, args.output, inputs)
    return EXIT_OK


def _render_text(walkthrough: api.Walkthrough, args: argparse.Namespace, target: Target | None,
                 inputs: list[str]) -> str | bytes | None:
    """The rendered document; None when it was written already (Markdown with its pictures)."""
    precision = args.precision
    if args.template:
        return walkthrough.render_template(args.template, math=args.math or "mathml", precision=precision,
                                           includes=tuple(args.template_include))
    if args.format == "html":
        return walkthrough.html(fragment=args.fragment, math=args.math or "mathml", precision=precision,
                                notation=args.notation, theme=args.theme, templates=args.template_dir)
    if args.format in ("latex", "pdf", "ipynb"):
        return _print_format(walkthrough, args)
    beside = _figure_files(walkthrough, precision, target)
    text = walkthrough.markdown(precision=precision, notation=args.notation,
                                figure_files={figure_id: path.name for figure_id, path, _ in beside},
                                templates=args.template_dir)
    if target is not None:  # the page and its pictures: all written, or none
        write_files([(path, svg) for _, path, svg in beside] + [(args.output, text)], inputs)
        return None
    return text


def _print_format(walkthrough: api.Walkthrough, args: argparse.Namespace) -> str | bytes:
    """LaTeX, PDF or a notebook: formats of the document tree beyond the page."""
    if args.format == "latex":
        return walkthrough.latex(fragment=args.fragment, precision=args.precision, notation=args.notation,
                                 paper=args.paper or "a4")
    if args.format == "ipynb":
        return walkthrough.notebook(precision=args.precision, notation=args.notation)
    try:
        return walkthrough.pdf(precision=args.precision, notation=args.notation, paper=args.paper or "a4")
    except api.PdfUnavailable as error:
        raise UsageError(str(error)) from None


FIGURES_AS_FILES = ("loss-curve",)  # Markdown with -o: written beside the output and linked


def _figure_files(walkthrough: api.Walkthrough, precision: int | None, target: Target | None
                  ) -> list[tuple[str, Path, str]]:
    """(figure id, file, SVG) for the pictures a Markdown file links: `OUT.loss-curve.svg` beside `OUT.md`
    (beside the file a symlink leads to). On standard output, a device or a pipe there is nowhere
    to put them; the tables hold the same numbers."""
    if target is None or target.direct:
        return []
    path = target.path
    return [(figure.id, path.with_name(f"{path.stem}.{figure.id}.svg"), figure.svg + "\n")
            for figure in walkthrough.figures(precision) if figure.id in FIGURES_AS_FILES]


def _answers(args: argparse.Namespace) -> int:
    walkthrough = api.load(args.spec, round_to=args.round)
    _emit(json.dumps(walkthrough.answers(), indent=2) + "\n", None)
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
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
    if api.variant_format_is_binary(args.format) and args.output is None:
        raise UsageError(f"--format {args.format} writes a binary file: give -o FILE")
    if args.paper != "a4" and args.format != "pdf":
        raise UsageError("--paper goes with --format pdf")
    if args.solutions and args.format != "pdf":
        raise UsageError("--solutions goes with --format pdf (md always writes the solution sheet)")
    if args.output is not None:  # before any work: the sheet and its solutions, neither the spec
        check_outputs(api.variant_files(args.format, args.output), [args.spec])
    try:
        files = api.export_variants(args.spec, args.count, args.seed, args.format, args.output, paper=args.paper,
                                    solutions=args.solutions)
    except api.PdfUnavailable as error:
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
    handled: tuple[type[BaseException], ...] = (UsageError, api.SpecError, OutputError)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        return _fail("no command given; `stepbystep --help` lists the commands (render, answers, check, variants)")
    args: argparse.Namespace | None = None
    try:
        args = build_parser(_render, _answers, _check, _variants).parse_args(arguments)
        run: Run = args.run
        return run(args)
    except handled as error:
        return _fail(str(error))
    except api.GraphError as error:
        spec = getattr(args, "spec", None)
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
