"""The library API: load a spec, then ask for the walkthrough in any form.

    >>> import stepbystep
    >>> walk = stepbystep.load("examples/mazur.toml")
    >>> round(walk.value("w5+"), 8)
    0.35891648

Everything is computed once, when the walkthrough is built; the documents
and the answer key are views of the same trace.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from .engine.graph import GraphError
from .formats.errors import UserTemplateError
from .formats.pdf import PdfUnavailable
from .spec.load import load_spec, parse_spec
from .spec.model import GraphSpec, NetworkSpec, Spec, SpecError
from .walkthrough import Walkthrough, gc_paused

if TYPE_CHECKING:
    from .exercises.variants import Variant
    from .grading.policy import GradingPolicy
    from .grading.records import ClassReport

__all__ = ["GraphError", "GraphSpec", "NetworkSpec", "PdfUnavailable", "Spec", "SpecError", "UserTemplateError",
           "Walkthrough", "build", "from_dict", "load", "load_spec", "loads", "parse_spec", "check", "check_report",
           "grading_policy", "variants", "variant", "export_variants", "variant_files", "variant_format_is_binary",
           "with_compare"]


@gc_paused
def build(spec: Spec, round_to: int | None = None, *, mode: str = "reverse", wrt: str | None = None,
          gradient_check: bool = False) -> Walkthrough:
    """The walkthrough of an already-validated spec. For a computation graph:
    mode "reverse" (the backward pass) or "forward" (the tangents with respect
    to the input `wrt`), and `gradient_check` (each gradient against a central
    difference); a ValueError for these on a network spec."""
    if mode == "reverse" and wrt is None and not gradient_check:
        from .engine.build import build_trace

        return Walkthrough(spec, build_trace(spec, round_to), round_to)
    if not isinstance(spec, GraphSpec):
        raise ValueError("mode, wrt and gradient_check are for computation-graph specs (inputs and nodes)")
    from .engine.expr import build_graph_trace

    return Walkthrough(spec, build_graph_trace(spec, round_to, mode=mode, wrt=wrt, gradient_check=gradient_check),
                       round_to)


def with_compare(spec: Spec, optimizers: Sequence[str]) -> Spec:
    """The spec with `compare` set to these optimizers (`render --compare`): the
    same run trained with each, for the overlaid loss curves. A SpecError names
    an unknown optimizer, or a spec that trains nothing."""
    from dataclasses import replace

    from .spec.model import steps_per_epoch
    from .spec.optimizers import OPTIMIZERS
    from .spec.validate_training import ONE_UPDATE

    for name in optimizers:
        if name not in OPTIMIZERS:
            raise SpecError(spec.source, "--compare", f"unknown optimizer {name!r} (expected some of: "
                                                      f"{', '.join(OPTIMIZERS)})")
    training = spec.training
    if training is None:
        raise SpecError(spec.source, "--compare", "a computation graph compares optimizers only when it descends "
                                                  "(a [training] table)")
    updates = (training.epochs if isinstance(spec, GraphSpec) else
               training.epochs * steps_per_epoch(training.mode, training.batch_size, len(spec.samples)))
    if updates < 2:
        raise SpecError(spec.source, "--compare", ONE_UPDATE)
    settings = training.optimizer
    chosen = tuple(dict.fromkeys(name for name in optimizers if name != settings.name))
    return replace(spec, training=replace(training, optimizer=replace(settings, compare=chosen)))  # type: ignore[arg-type]


def load(path: str | Path, round_to: int | None = None, **graph_options: Any) -> Walkthrough:
    """Read, validate and build a spec file (TOML or JSON); `graph_options`
    as for build()."""
    return build(load_spec(path), round_to, **graph_options)


def loads(text: str, source: str = "<spec>", round_to: int | None = None, **graph_options: Any) -> Walkthrough:
    """A spec given as text (TOML, or JSON when it starts with `{`), e.g. inline
    in a course page; `source` names it in error messages."""
    from .spec.load import decode

    return build(parse_spec(decode(text, source), source), round_to, **graph_options)


def from_dict(data: dict[str, Any], round_to: int | None = None, source: str = "<spec>",
              **graph_options: Any) -> Walkthrough:
    """The same from a dict in the spec file's structure (e.g. in a notebook)."""
    return build(parse_spec(data, source), round_to, **graph_options)


# -- grading (SPEC.md §4-§5) ------------------------------------------------------
def check(spec: str | Path | Spec | Walkthrough, answers: Iterable[str | Path] = (), *,
          texts: Mapping[str, str | bytes] | None = None, variant: str | None = None, seed: int | None = None,
          rtol: float | None = None, atol: float | None = None, policy: "GradingPolicy | None" = None,
          time_limit: float | None = None, diagnose: bool = True) -> "ClassReport":
    """Grade answer sheets (files, and/or `texts` as {source: text}) against a
    spec: a path, a Spec, or a Walkthrough (its spec).

    On a spec with [variants] each sheet is graded against the variant its
    `Variant: S-k` line names; a sheet without one gets status `no_variant`.
    `variant` ("S-k", or "k" with `seed`) grades every sheet against that one.
    The policy is `policy`, else --rtol/--atol, else the spec's [check] table,
    else rtol 7e-4 / atol 1e-9. `time_limit` (seconds, default 10) bounds each
    sheet; one sheet's failure is reported on that sheet, the rest are graded.
    Returns a ClassReport (`.files`, `.exit_code`); format it with `check_report`.
    Raises SpecError for a bad spec (or answer files given in its place) and
    ValueError for a `variant` that does not exist."""
    from .exercises.classcheck import grade_class, load_check_spec, sheet_loaders
    from .grading.guard import DEFAULT_TIME_LIMIT

    answers = list(answers)
    loaded = spec.spec if isinstance(spec, Walkthrough) else spec if not isinstance(spec, (str, Path)) \
        else load_check_spec(spec, answers)
    return grade_class(loaded, sheet_loaders(answers, texts), rtol=rtol, atol=atol, policy=policy, variant=variant,
                       seed=seed, time_limit=DEFAULT_TIME_LIMIT if time_limit is None else time_limit,
                       diagnose=diagnose)


def check_report(report: "ClassReport", *, as_json: bool = False, hide_expected: bool = False) -> str:
    """A grading report as text for a terminal, or SPEC §4's JSON. With
    `hide_expected` (the student's self-check) no expected value appears
    anywhere: statuses, carried errors and diagnoses only."""
    from .grading.checkreport import report_json, report_text

    return report_json(report, hide_expected) if as_json else report_text(report, hide_expected)


def grading_policy(spec: str | Path | Spec | None = None, *, rtol: float | None = None, atol: float | None = None
                   ) -> "GradingPolicy":
    """The policy a spec grades by (its [check] table; --rtol/--atol win), with
    `.describe()` in words and `.allows(given, expected)`."""
    from .grading.policy import policy_for

    loaded = load_spec(spec) if isinstance(spec, (str, Path)) else spec
    return policy_for(loaded, rtol, atol)


# -- variants -----------------------------------------------------------------------
def variants(spec: str | Path | Spec, count: int | None = None, seed: int | None = None) -> Iterator["Variant"]:
    """Variants 1..count of `seed`, one at a time (each: `.id`, `.data`, `.trace`,
    `.asked`, `.key()`). `count` and `seed` default to the spec's [variants]
    `count` and `seed` when it records them."""
    from .exercises.variants import iter_variants

    loaded = _spec_of(spec)
    count, seed = _count_and_seed(loaded, count, seed)
    return iter_variants(loaded, count, seed)


def variant(spec: str | Path | Spec, variant_id: str, seed: int | None = None) -> "Variant":
    """One variant by its id ("S-k", or "k" with `seed`); a ValueError says
    why an id does not exist (refused at once, never drawn towards)."""
    from .exercises.variants import make_variant, resolve_variant

    loaded = _spec_of(spec)
    found_seed, index = resolve_variant(variant_id, seed)
    return make_variant(loaded, found_seed, index)


def export_variants(spec: str | Path | Spec, count: int | None = None, seed: int | None = None,
                    fmt: str = "json", output: str | None = None, *, solutions: bool = False,
                    paper: str = "a4") -> list[tuple[str | None, str | bytes]]:
    """Variants written out (json, md, moodle-xml, pdf, qti): (path or None
    for standard output, text or bytes) per file, all rendered before any is
    written. `solutions` and `paper` are for pdf."""
    from itertools import chain

    from .exercises.export import export, refuse_oversized
    from .exercises.variants import iter_variants

    loaded = _spec_of(spec)
    count, seed = _count_and_seed(loaded, count, seed)
    drawn = iter_variants(loaded, count, seed)
    first = next(drawn)
    refuse_oversized(first, count, fmt, loaded.source, solutions=solutions, paper=paper)  # before the other variants
    return export(chain([first], drawn), fmt, output, solutions=solutions, paper=paper)


def variant_format_is_binary(fmt: str) -> bool:
    """A format export_variants writes as bytes (qti, pdf): to a file only, never standard output."""
    from .exercises.export import BINARY_FORMATS

    return fmt in BINARY_FORMATS


def variant_files(fmt: str, output: str) -> list[str]:
    """The files export_variants(..., fmt, output) writes, to check before any
    work: the sheet, and beside a Markdown sheet its solutions."""
    from .exercises.export import solutions_path

    return [output] + ([solutions_path(output)] if fmt == "md" else [])


def _spec_of(spec: str | Path | Spec) -> Spec:
    return load_spec(spec) if isinstance(spec, (str, Path)) else spec


def _count_and_seed(spec: Spec, count: int | None, seed: int | None) -> tuple[int, int]:
    from .exercises.variant_rules import read_rules

    rules = read_rules(spec)
    count = count if count is not None else rules.count
    seed = seed if seed is not None else rules.seed
    if count is None or seed is None:
        missing = " and ".join(name for name, value in (("count", count), ("seed", seed)) if value is None)
        raise ValueError(f"variants: give the {missing} (--count N --seed S, or count/seed in the spec's [variants])")
    return count, seed
