"""The optimizers' registry, walked record by record: every entry complete.

Both halves (spec/optimizers.py for validation, engine/ops/optimizers.py for
the maths) name the same optimizers; each record's numpy step gives the
numbers of its graph expressions over several steps (buffers carried); the
compiled scalar step gives them bit for bit; prose and LaTeX are present.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from stepbystep.engine.fastpath import compile_optimizer
from stepbystep.engine.expressions import Ref
from stepbystep.engine.graph import Graph
from stepbystep.engine.ops import OPTIMIZERS, UnknownOperation
from stepbystep.engine.update import UPDATED, UpdateRule
from stepbystep.spec import optimizers as choices
from stepbystep.spec.optimizers import OptimizerSettings

GRADIENTS = [0.8, -0.3, 0.05, 1.7, -2.2]   # one parameter's gradients over five steps


def test_spec_choices_and_engine_records_name_the_same_optimizers() -> None:
    assert OPTIMIZERS.names() == tuple(choices.OPTIMIZERS)
    for record in OPTIMIZERS:
        assert record.choice is choices.OPTIMIZERS[record.name]
        assert set(record.carried) <= set(record.shown)
        assert set(record.symbols) == set(record.shown)
        assert record.shown == record.choice.buffers   # the spec half names them for its clash check


def test_an_unknown_optimizer_raises_naming_the_known_ones() -> None:
    with pytest.raises(UnknownOperation, match="unknown optimizer 'adamm'.*adamw"):
        OPTIMIZERS.get("adamm")


def settings(name: str, decay: float) -> OptimizerSettings:
    given = {"momentum": 0.8, "beta1": 0.85, "beta2": 0.99, "alpha": 0.9, "eps": 1e-6, "weight_decay": decay}
    keys = {parameter.key for parameter in choices.OPTIMIZERS[name].parameters}
    return OptimizerSettings(name, tuple((key, value) for key, value in given.items() if key in keys))


def graph_run(rule: UpdateRule, start: float) -> list[dict[str, float]]:
    """Five steps of one parameter, written as named nodes as a trace writes them."""
    graph = Graph()
    parameter = graph.given("p0", start)
    previous: dict[str, Ref] | None = None
    found = []
    for t, gradient in enumerate(GRADIENTS, start=1):
        g = graph.given(f"grad{t}", gradient)
        written: dict[str, Ref] = {}

        def own(label: str, t: int = t) -> Ref:
            return Ref(f"{label}{t}")

        plan = rule.plan(parameter, g, None if previous is None else previous.__getitem__,
                         graph.given(f"t{t}", float(t)), True, own)
        for label, expr in plan:
            written[label] = graph.define(f"{label}{t}", expr)
        parameter = written[UPDATED]
        previous = {key: written[key] for key in rule.record.carried}
        found.append({label: graph.values[ref.name] for label, ref in written.items()})
    return found


@pytest.mark.parametrize("decay", [0.0, 0.05])
@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_numpy_step_equals_the_graph(name: str, decay: float) -> None:
    rule = UpdateRule.of(settings(name, decay), 0.1)
    expected = graph_run(rule, 0.6)
    from stepbystep.engine.fastpath_update import ArrayOptimizer

    arrays = ArrayOptimizer(rule, np)
    parameter = np.array([[0.6, 0.6]])
    for t, gradient in enumerate(GRADIENTS, start=1):
        parameter = arrays.apply("p", parameter, np.array([[gradient, gradient]]), t, True)
        assert parameter[0, 1] == pytest.approx(expected[t - 1][UPDATED], rel=1e-14, abs=1e-16)
        for key in rule.record.carried:
            assert np.ravel(arrays.states["p"][key])[1] == pytest.approx(expected[t - 1][key], rel=1e-14, abs=1e-18)


@pytest.mark.parametrize("decay", [0.0, 0.05])
@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_compiled_step_equals_the_graph_bit_for_bit(name: str, decay: float) -> None:
    rule = UpdateRule.of(settings(name, decay), 0.1)
    expected = graph_run(rule, 0.6)
    compiled = compile_optimizer(rule, ["w1"], [True], None)
    params, state = [0.6], None
    for t, gradient in enumerate(GRADIENTS, start=1):
        params, state = compiled.step(params, [gradient], state, t)
        assert params[0] == expected[t - 1][UPDATED]
        assert state == [expected[t - 1][key] for key in rule.record.carried]


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_prose_and_latex_are_present(name: str) -> None:
    record = OPTIMIZERS.get(name)
    for text in (record.prose.title, record.prose.why, record.prose.start, *record.rule):
        assert text.strip() and text.count("$") % 2 == 0, (name, text)
    for line in record.rule:
        assert line.count("{") == line.count("}"), line
    assert record.rule[-1].startswith("p^{+}") or record.rule[-1].startswith(r"p^{+}")


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_numpy_step_on_a_plain_float_with_buffers_handed_in(name: str) -> None:
    """A shared bias is one float, and its buffers come back from the values dict
    as floats between fast-path stretches: the step must not lose them."""
    from stepbystep.engine.fastpath_update import ArrayOptimizer

    rule = UpdateRule.of(settings(name, 0.0), 0.1)
    expected = graph_run(rule, 0.6)
    arrays = ArrayOptimizer(rule, np)
    parameter: float = 0.6
    for t, gradient in enumerate(GRADIENTS, start=1):
        parameter = float(arrays.apply("b", parameter, gradient, t, False))
        arrays.states["b"] = {key: float(value) for key, value in arrays.states.get("b", {}).items()}
        assert parameter == pytest.approx(expected[t - 1][UPDATED], rel=1e-14, abs=1e-16)


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_the_rule_converts_to_typst_math(name: str) -> None:
    """The PDF sets every rule line through the Typst converter: no LaTeX command left as text."""
    from stepbystep.formats.typst_math import latex_to_typst

    for line in OPTIMIZERS.get(name).rule:
        converted = latex_to_typst(line)
        assert not re.search(r"\\[A-Za-z]", converted) and " sqrt " not in f" {converted} ", converted
    assert latex_to_typst(r"\sqrt{\hat{v}} + \epsilon") == "sqrt(hat(v)) + epsilon"
