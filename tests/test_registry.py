"""The operations registry, walked record by record: every entry complete.

For each activation and loss: the value against its mathematical definition
(tests/oracles.py, written independently), the derivative against central
finite differences (away from kinks), the numpy forms against the scalar
graph, the prose and LaTeX present. For each graph function: compiled
Python equal to the graph's own evaluation bit for bit, the derivative
against finite differences. And the two halves of the registry (spec/choices.py
for validation, engine/ops/ for the maths) name the same operations.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

import numpy as np
import oracles
import pytest

from stepbystep.engine.straightline import compile_expression
from stepbystep.engine.expressions import Call, Mul, Num, Printer, Ref
from stepbystep.engine.ops import ACTIVATIONS, FUNCTIONS, LOSSES, UnknownOperation
from stepbystep.spec import choices

GRID = [-3.7, -1.2, -0.5, -1e-3, 0.0, 2e-3, 0.3, 0.9, 1.6, 4.2]
H = 1e-6


def central(function: Callable[[float], float], x: float) -> float:
    return (function(x + H) - function(x - H)) / (2 * H)


def options_for(parameters: tuple[choices.Parameter, ...], varied: bool) -> dict[str, float]:
    """The defaults, or values off the default (inside the range) to prove they are read."""
    return {p.key: (p.default * 0.5 + (0.1 if p.default == 0 else 0.0)) if varied else p.default for p in parameters}


def near_kink(x: float, kinks: tuple[float, ...]) -> bool:
    return any(abs(x - kink) < 10 * H for kink in kinks)


# -- the two halves agree --------------------------------------------------------
def test_spec_choices_and_engine_records_name_the_same_operations() -> None:
    assert ACTIVATIONS.names() == tuple(choices.ACTIVATIONS)
    assert LOSSES.names() == tuple(choices.LOSSES)
    for record in ACTIVATIONS:
        assert record.choice is choices.ACTIVATIONS[record.name]
    for record in LOSSES:
        assert record.choice is choices.LOSSES[record.name]


def test_the_oracles_cover_every_operation() -> None:
    """A new operation needs its definition in tests/oracles.py, written by hand."""
    assert set(oracles.ACTIVATIONS) == set(ACTIVATIONS.names())
    assert set(oracles.LOSSES) == set(LOSSES.names())
    keys = {p.key for choice in [*choices.ACTIVATIONS.values(), *choices.LOSSES.values()] for p in choice.parameters}
    assert keys == set(oracles.DEFAULTS)
    for choice in [*choices.ACTIVATIONS.values(), *choices.LOSSES.values()]:
        for parameter in choice.parameters:
            assert parameter.default == oracles.DEFAULTS[parameter.key], parameter


@pytest.mark.parametrize("registry", [FUNCTIONS, ACTIVATIONS, LOSSES], ids=lambda r: r.family)
def test_an_unknown_name_raises_naming_the_known_ones(registry: Any) -> None:
    with pytest.raises(UnknownOperation) as caught:
        registry.get("softmaxx")
    message = str(caught.value)
    assert "softmaxx" in message and registry.family in message
    assert all(name in message for name in registry.names())


def test_a_call_of_an_unknown_function_raises_when_built() -> None:
    with pytest.raises(UnknownOperation, match="unknown graph function 'softplux'"):
        Call("softplux", (Ref("x"),))


# -- activations ---------------------------------------------------------------------
ELEMENTWISE = [record.name for record in ACTIVATIONS if record.elementwise]


def activation_value(name: str, x: float, options: dict[str, float]) -> float:
    return ACTIVATIONS.get(name).output([Ref("net")], 0, options).evaluate({"net": x})


def activation_slope(name: str, x: float, options: dict[str, float]) -> float:
    record = ACTIVATIONS.get(name)
    expr = record.slope(0, 0, [Ref("out")], [Ref("net")], options)
    return expr.evaluate({"net": x, "out": activation_value(name, x, options)})


@pytest.mark.parametrize("varied", [False, True])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_value_and_slope(name: str, varied: bool) -> None:
    record = ACTIVATIONS.get(name)
    options = options_for(record.choice.parameters, varied)
    oracle = oracles.ACTIVATIONS[name]
    assert oracle.value is not None and oracle.slope is not None
    for x in GRID:
        assert activation_value(name, x, options) == pytest.approx(oracle.value(x, options), rel=1e-14, abs=1e-15)
        slope = activation_slope(name, x, options)
        assert slope == pytest.approx(oracle.slope(x, options), rel=1e-12, abs=1e-14), x
        if not near_kink(x, record.kinks):
            numeric = central(lambda z: activation_value(name, z, options), x)
            assert slope == pytest.approx(numeric, rel=1e-6, abs=1e-8), x


@pytest.mark.parametrize("name", [record.name for record in ACTIVATIONS if not record.elementwise])
def test_whole_layer_activation_value_and_jacobian(name: str) -> None:
    record = ACTIVATIONS.get(name)
    oracle = oracles.ACTIVATIONS[name]
    assert oracle.layer is not None and oracle.jacobian is not None
    nets = [0.4, -1.3, 2.2]
    env = {f"net{j}": z for j, z in enumerate(nets)}
    refs = [Ref(f"net{j}") for j in range(3)]
    outs = [record.output(refs, j, {}).evaluate(env) for j in range(3)]
    assert outs == pytest.approx(oracle.layer(nets), rel=1e-14)
    env.update({f"out{j}": value for j, value in enumerate(outs)})
    out_refs = [Ref(f"out{j}") for j in range(3)]
    jacobian = oracle.jacobian(nets)
    for k in range(3):
        for j in range(3):
            found = record.slope(k, j, out_refs, refs, {}).evaluate(env)
            assert found == pytest.approx(jacobian[k][j], rel=1e-12, abs=1e-15)

            def out_k(z: float, k: int = k, j: int = j) -> float:
                return record.output(refs, k, {}).evaluate({**env, f"net{j}": z})
            assert found == pytest.approx(central(out_k, nets[j]), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("varied", [False, True])
@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_activation_numpy_forms_match_the_graph(name: str, varied: bool) -> None:
    """The numpy fast path against the scalar graph, to a few ulps."""
    record = ACTIVATIONS.get(name)
    options = options_for(record.choice.parameters, varied)
    rng = np.random.default_rng(7)
    net = np.array([GRID, list(reversed(GRID)), [x * 0.37 for x in GRID]]).T   # 10 neurons x 3 samples
    upstream = rng.normal(size=net.shape)
    out = record.numpy_forward(np, net.copy(), options)
    delta = record.numpy_delta(np, upstream.copy(), net.copy(), out.copy(), options)
    neurons = net.shape[0]
    nets = [Ref(f"net{j}") for j in range(neurons)]
    outs = [Ref(f"out{j}") for j in range(neurons)]
    for column in range(net.shape[1]):
        env = {f"net{j}": float(net[j, column]) for j in range(neurons)}
        scalar = [record.output(nets, j, options).evaluate(env) for j in range(neurons)]
        np.testing.assert_allclose(out[:, column], scalar, rtol=1e-14, atol=1e-15)
        env.update({f"out{j}": value for j, value in enumerate(scalar)})
        for j in range(neurons):
            ks = [j] if record.elementwise else range(neurons)
            expected = math.fsum(float(upstream[k, column]) * record.slope(k, j, outs, nets, options).evaluate(env)
                                 for k in ks)
            assert delta[j, column] == pytest.approx(expected, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_activation_prose_and_latex_are_present(name: str) -> None:
    record = ACTIVATIONS.get(name)
    for text in (record.prose.squash, record.prose.slope, record.symbol, record.formula):
        assert text.strip() and text.count("$") % 2 == 0, (name, text)
    assert record.prose.squash.endswith(":") and record.prose.slope.endswith(":")
    assert record.elementwise == (record.prose.delta is None)


# -- losses ---------------------------------------------------------------------------
def loss_value(name: str, t: float, o: float, count: int, options: dict[str, float]) -> float:
    return LOSSES.get(name).term(Ref("t"), Ref("o"), count, options).evaluate({"t": t, "o": o})


def loss_derivative(name: str, t: float, o: float, count: int, options: dict[str, float]) -> float:
    return LOSSES.get(name).derivative(Ref("t"), Ref("o"), count, options).evaluate({"t": t, "o": o})


# losses written per output (E_ok from t_k and o_k); multiclass_hinge reads the whole layer
# and is walked in tests/test_margin_losses.py
PER_OUTPUT = [record.name for record in LOSSES if record.layer_term is None]
PAIRS = [(0.0, 0.3), (1.0, 0.3), (0.25, 0.8), (0.7, 0.7 + 3e-3), (0.5, 0.05), (1.0, 0.999)]
WIDE_PAIRS = [(-0.4, 1.9), (2.0, -1.5), (0.1, 0.1 + 5e-3), (0.6, -0.2)]


@pytest.mark.parametrize("varied", [False, True])
@pytest.mark.parametrize("name", PER_OUTPUT)
def test_loss_value_and_derivative(name: str, varied: bool) -> None:
    record = LOSSES.get(name)
    options = options_for(record.choice.parameters, varied)
    oracle = oracles.LOSSES[name]
    bounded = record.choice.target_low is not None
    for t, o in PAIRS + ([] if bounded else WIDE_PAIRS):
        for count in (1, 3):
            value = loss_value(name, t, o, count, options)
            assert value == pytest.approx(oracle.term(t, o, count, options), rel=1e-13, abs=1e-15), (t, o)
            derivative = loss_derivative(name, t, o, count, options)
            assert derivative == pytest.approx(oracle.derivative(t, o, count, options), rel=1e-12, abs=1e-14)
            if not near_kink(t - o, record.kinks(options)):
                numeric = central(lambda z: loss_value(name, t, z, count, options), o)
                assert derivative == pytest.approx(numeric, rel=1e-6, abs=1e-8), (t, o)


@pytest.mark.parametrize("varied", [False, True])
@pytest.mark.parametrize("name", PER_OUTPUT)
def test_loss_numpy_forms_match_the_graph(name: str, varied: bool) -> None:
    record = LOSSES.get(name)
    options = options_for(record.choice.parameters, varied)
    pairs = PAIRS + ([] if record.choice.target_low is not None else WIDE_PAIRS)
    targets = np.array([[t for t, _ in pairs]] * 2).T   # outputs x 2 samples
    outs = np.array([[o for _, o in pairs]] * 2).T
    count = targets.shape[0]
    terms = record.numpy_term(np, targets, outs, options)
    slopes = record.numpy_derivative(np, targets, outs, options)
    for k, (t, o) in enumerate(pairs):
        assert terms[k, 0] == pytest.approx(loss_value(name, t, o, count, options), rel=1e-14, abs=1e-16)
        assert slopes[k, 1] == pytest.approx(loss_derivative(name, t, o, count, options), rel=1e-14, abs=1e-16)
    if record.squared_scale is not None:   # the numpy path's shortcut: E = c (t - o)^2
        assert terms.sum() == pytest.approx(record.squared_scale(count) * ((targets - outs) ** 2).sum(), rel=1e-14)


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_prose_and_latex_are_present(name: str) -> None:
    record = LOSSES.get(name)
    prose = record.prose
    for text in (prose.convention, prose.error, prose.derivative, record.formula):
        assert text.strip() and text.count("$") % 2 == 0, (name, text)
    assert prose.derivative.endswith(":")
    if prose.simplifies is not None:   # said on the output delta: only for a loss that fixes its output
        assert record.choice.output_activation is not None


# -- graph functions ------------------------------------------------------------------
def call_of(name: str, arguments: int, param: float | None) -> Call:
    record = FUNCTIONS.get(name)
    args: list[Any] = [Ref(f"a{index}") for index in range(arguments)]
    if record.arity[0] == 3:   # picks_max/min: the first argument is the index of the one asked about
        args[0] = Num(1.0)
    return Call(name, tuple(args), param)


def function_cases() -> list[tuple[str, int, float | None]]:
    cases = []
    for record in FUNCTIONS:
        param = 0.07 if record.takes_param else None
        for count in sorted({record.arity[0], record.arity[0] + 1 if record.arity[1] is None else record.arity[0]}):
            cases.append((record.name, count, param))
    return cases


def argument_sets(name: str, count: int) -> list[list[float]]:
    record = FUNCTIONS.get(name)
    low = record.domain[0]
    grid = [x for x in GRID if low is None or x > low] + ([0.05, 7.5] if low is not None else [])
    return [[grid[(i + shift * 3) % len(grid)] * (1 + 0.1 * shift) for shift in range(count)] for i in range(len(grid))]


@pytest.mark.parametrize("name,count,param", function_cases())
def test_compiled_python_equals_the_graph_bit_for_bit(name: str, count: int, param: float | None) -> None:
    """Plain names take the inlined form, compound arguments the call of `evaluate`:
    both give the graph's own numbers."""
    call = call_of(name, count, param)
    compound = Call(name, tuple(arg if isinstance(arg, Num) else Mul((arg, Num(1.5))) for arg in call.args), param)
    names = [f"a{index}" for index in range(count)]
    for expr in (call, compound):
        compiled = compile_expression(expr, names)
        for values in argument_sets(name, count):
            assert compiled(*values) == expr.evaluate(dict(zip(names, values))), values


@pytest.mark.parametrize("name,count,param", function_cases())
def test_function_derivative_against_finite_differences(name: str, count: int, param: float | None) -> None:
    record = FUNCTIONS.get(name)
    call = call_of(name, count, param)
    outer = record.derivative(call, call)
    assert len(outer) == len(call.args)
    names = [f"a{index}" for index in range(count)]
    for values in argument_sets(name, count):
        env = dict(zip(names, values))
        for position, arg in enumerate(call.args):
            if not isinstance(arg, Ref):
                continue
            x = env[arg.name]
            others = [value for key, value in env.items() if key != arg.name]
            if near_kink(x, record.kinks(param)) or any(abs(x - other) < 10 * H for other in others):
                continue   # a kink, or a tie of max/min
            numeric = central(lambda z: call.evaluate({**env, arg.name: z}), x)
            assert outer[position].evaluate(env) == pytest.approx(numeric, rel=1e-6, abs=1e-7), (values, position)


@pytest.mark.parametrize("name", FUNCTIONS.names())
def test_function_latex_is_present(name: str) -> None:
    record = FUNCTIONS.get(name)
    call = call_of(name, record.arity[0], 0.07 if record.takes_param else None)
    symbolic = Printer(lambda ref: ref, lambda number: f"{number:g}")
    substituted = Printer(lambda ref: ref, lambda number: f"{number:g}", lambda ref: 0.25)
    for printer in (symbolic, substituted):
        text = call.latex(printer)
        assert text.strip() and text.count("{") == text.count("}"), text
    assert not re.search(r"\ba\d\b", call.latex(substituted))   # numbers put in: no name left
