"""Reverse and forward mode on computation graphs, against independent oracles:
published numbers (CS231n, micrograd, Mazur), central differences of the
node texts evaluated by Python itself in the test (the oracle, never the
program), and PyTorch float64 where installed."""
from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepbystep import api
from stepbystep.engine.expr import build_graph_trace
from stepbystep.engine.graph import GraphError
from stepbystep.spec.load import load_spec, parse_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str, **options: Any) -> dict[str, float]:
    trace = build_graph_trace(load_spec(EXAMPLES / name), **options)
    return trace.answers()


# -- published numbers -----------------------------------------------------------
def test_cs231n_add_multiply() -> None:
    values = load("circuit-add-multiply.toml")
    assert values["f"] == -12.0
    assert (values["df/dx"], values["df/dy"], values["df/dz"], values["df/dq"]) == (-4.0, -4.0, 3.0, -4.0)


def test_cs231n_max_circuit_by_hand() -> None:
    # f = 2 (x y + max(z, w)), x=3, y=-4, z=2, w=-1: df/dx = 2y, df/dy = 2x, max routes 2 to z
    values = load("circuit-max.toml")
    assert values["f"] == -20.0
    assert (values["df/dx"], values["df/dy"], values["df/dz"], values["df/dw"]) == (-8.0, 6.0, 2.0, 0.0)


def test_cs231n_sigmoid_neuron() -> None:
    values = load("circuit-sigmoid-neuron.toml")
    assert values["f"] == pytest.approx(0.73, abs=0.005)
    published = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}
    for name, number in published.items():
        assert values[f"df/d{name}"] == pytest.approx(number, abs=0.006), name
    # the notes' closed form: (1 - f) f times the input
    f = values["f"]
    assert values["df/dw0"] == pytest.approx((1 - f) * f * -1.0, rel=1e-12)


def test_micrograd_tanh_neuron() -> None:
    values = load("circuit-tanh-neuron.toml")
    assert values["o"] == pytest.approx(0.7071, abs=1e-4)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "n": 0.5}
    for name, number in expected.items():
        assert values[f"do/d{name}"] == pytest.approx(number, abs=1e-9), name


def test_chain_rule_multiplies_along_the_chain() -> None:
    values = load("circuit-chain.toml")
    a = 0.5
    b = a * a + 1
    c = math.log(b)
    d = 1 / (1 + math.exp(-3 * c))
    assert values["D"] == pytest.approx(d, rel=1e-14)
    assert values["dD/dA"] == pytest.approx(d * (1 - d) * 3 * (1 / b) * 2 * a, rel=1e-13)


def test_mazur_network_as_a_graph_gives_the_published_gradients() -> None:
    """One engine: the dense network written out as a graph spec."""
    nodes = {
        "net_h1": "w1 * i1 + w2 * i2 + b1", "out_h1": "sigmoid(net_h1)",
        "net_h2": "w3 * i1 + w4 * i2 + b1", "out_h2": "sigmoid(net_h2)",
        "net_o1": "w5 * out_h1 + w6 * out_h2 + b2", "out_o1": "sigmoid(net_o1)",
        "net_o2": "w7 * out_h1 + w8 * out_h2 + b2", "out_o2": "sigmoid(net_o2)",
        "E": "0.5 * (t1 - out_o1) ** 2 + 0.5 * (t2 - out_o2) ** 2",
    }
    inputs = {"i1": 0.05, "i2": 0.10, "w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45,
              "w7": 0.50, "w8": 0.55, "b1": 0.35, "b2": 0.60, "t1": 0.01, "t2": 0.99}
    values = api.from_dict({"inputs": inputs, "nodes": nodes}).answers()
    assert values["E"] == pytest.approx(0.298371109, abs=1e-9)
    assert values["dE/dw5"] == pytest.approx(0.082167041, abs=1e-9)
    assert values["dE/dw1"] == pytest.approx(0.000438568, abs=1e-9)
    network = api.load(EXAMPLES / "mazur.toml")
    for weight in ("w1", "w4", "w5", "w8"):
        assert values[f"dE/d{weight}"] == pytest.approx(network.value(f"dE_total/d{weight}"), rel=1e-12)


# -- the backward pass as a person does it ----------------------------------
def test_a_value_used_twice_adds_its_paths() -> None:
    walk = api.from_dict({"inputs": {"x": 3.0, "y": 2.0}, "nodes": {"a": "x * y", "b": "x + y", "f": "a * b"}})
    # f = (x y)(x + y): df/dx = y (x + y) + x y = 10 + 6
    assert walk.value("df/dx") == 16.0 and walk.value("df/dy") == 3 * 5 + 6
    step = next(step for step in walk.trace.steps() if step.name == "df/dx")
    assert step.context["terms"] == 2 and set(step.inputs) == {"da/dx", "df/da", "db/dx", "df/db"}
    text = walk.markdown()
    assert "used by 2 nodes, so its gradient is" in text


def test_the_output_using_a_value_directly_and_indirectly() -> None:
    # f = x * q with q = x + y: df/dx = q + x (the output's own local gradient sits inside the sum)
    walk = api.from_dict({"inputs": {"x": 3.0, "y": 2.0}, "nodes": {"q": "x + y", "f": "x * q"}})
    assert walk.value("df/dx") == 8.0 and walk.value("df/dy") == 3.0 and walk.value("df/dq") == 3.0


def test_backward_order_is_output_first_then_reverse_definition() -> None:
    names = load("circuit-add-multiply.toml")
    order = list(names)
    assert order[order.index("f") + 1:] == ["df/df", "df/dq", "df/dz", "dq/dx", "dq/dy", "df/dx", "df/dy"]


def test_max_and_min_ties_go_to_the_first_argument() -> None:
    walk = api.from_dict({"inputs": {"a": 1.0, "b": 1.0, "c": 0.5},
                          "nodes": {"m": "max(a, b)", "n": "min(c, a, c)", "f": "m + n"}})
    assert (walk.value("df/da"), walk.value("df/db"), walk.value("df/dc")) == (1.0, 0.0, 1.0)


def test_unused_inputs_get_gradient_zero_and_error_carried_forward_works() -> None:
    walk = api.from_dict({"inputs": {"x": -2.0, "y": 5.0, "z": -4.0, "u": 7.0}, "nodes": {"q": "x + y", "f": "q * z"}})
    assert walk.value("df/du") == 0.0
    assert "### Inputs the output does not use" in walk.markdown()
    graph = walk.trace.graph
    # a student who got df/dq = 4 instead of -4 then multiplies correctly: 1 * 4
    assert graph.recompute("df/dx", {"df/dq": 4.0}) == 4.0
    assert graph.recompute("df/dq", {"z": 10.0}) == 10.0


def test_relu_and_abs_at_their_kinks() -> None:
    walk = api.from_dict({"inputs": {"x": 0.0}, "nodes": {"r": "relu(x)", "a": "abs(x)", "f": "r + a + x"}})
    assert walk.value("df/dx") == 1.0  # relu'(0) = 0, |x|'(0) = 0, plus 1


# -- random graphs against independent oracles ------------------------------------
UNARY = ["tanh({a})", "sigmoid({a})", "exp(tanh({a}))", "log(1 + {a} ** 2)", "-{a}", "{a} ** 3", "2.5 * {a}",
         "abs({a}) ** 1.5 + 1", "relu({a}) + {a}"]
BINARY = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / (1 + {b} ** 2)", "({a} * {b} + 1) ** 2", "{a} * {b} - {a}",
          "max({a}, {b})", "min({a}, {b}, 0.25)", "tanh({a} * {b}) / 2"]
PYTHON = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
          "relu": lambda v: max(v, 0.0), "abs": abs, "max": max, "min": min}


def random_graph(rng: random.Random) -> dict[str, Any]:
    inputs = {name: round(rng.uniform(-2, 2), 3) for name in ("x", "y", "z")[: rng.randint(1, 3)]}
    names = list(inputs)
    nodes: dict[str, str] = {}
    for index in range(rng.randint(1, 7)):
        template = rng.choice(BINARY if rng.random() < 0.6 else UNARY)
        a, b = rng.choice(names), rng.choice(names)
        name = f"n{index}"
        nodes[name] = template.format(a=a, b=b)
        names.append(name)
    return {"inputs": inputs, "nodes": nodes}


def python_output(data: dict[str, Any], moved: dict[str, float]) -> float:
    """The oracle: the node texts run by Python's own evaluator on trusted,
    test-made strings."""
    env = {**PYTHON, **data["inputs"], **moved}
    for name, text in data["nodes"].items():
        env[name] = eval(text, {"__builtins__": {}}, env)  # noqa: S307 - the test's own strings
    return env[name]


def kinked(data: dict[str, Any]) -> bool:
    """True where max, min, relu or abs sit within 1e-4 of a kink: a central
    difference straddles the corner there and proves nothing."""
    env = {**PYTHON, **data["inputs"]}
    for name, text in data["nodes"].items():
        for call in ("max(", "min(", "relu(", "abs("):
            start = text.find(call)
            if start >= 0:
                end = text.index(")", start)
                args = [eval(part, {"__builtins__": {}}, env) for part in text[start + len(call):end].split(",")]  # noqa: S307
                args = args + [0.0] if call in ("relu(", "abs(") else args
                if any(abs(p - q) < 1e-4 for i, p in enumerate(args) for q in args[i + 1:]):
                    return True
        env[name] = eval(text, {"__builtins__": {}}, env)  # noqa: S307
    return False


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_graphs_match_central_differences(seed: int) -> None:
    data = random_graph(random.Random(seed))
    try:
        walk = api.from_dict(data)
    except GraphError:
        return  # e.g. an overflow: refused cleanly is all we ask here
    if kinked(data):
        return
    output = walk.trace.facts.output
    for name, x in data["inputs"].items():
        h = 1e-6 * max(1.0, abs(x))
        numeric = (python_output(data, {name: x + h}) - python_output(data, {name: x - h})) / (2 * h)
        assert walk.value(f"d{output}/d{name}") == pytest.approx(numeric, rel=1e-5, abs=1e-6), (data, name)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_forward_mode_equals_reverse_mode(seed: int) -> None:
    data = random_graph(random.Random(seed))
    try:
        spec = parse_spec(data)
        reverse = build_graph_trace(spec).answers()
    except GraphError:
        return
    output = spec.output
    for name in data["inputs"]:
        tangents = build_graph_trace(spec, mode="forward", wrt=name).answers()
        assert tangents[f"forward.d{output}/d{name}"] == pytest.approx(reverse[f"d{output}/d{name}"], rel=1e-12, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_graphs_match_pytorch(seed: int) -> None:
    torch = pytest.importorskip("torch")
    data = random_graph(random.Random(seed))
    try:
        walk = api.from_dict(data)
    except GraphError:
        return
    if kinked(data):
        return
    leaves = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in data["inputs"].items()}
    functions = {"exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
                 "abs": torch.abs, "max": lambda *a: torch.stack(torch.broadcast_tensors(*map(torch.as_tensor, a))).max(0).values,
                 "min": lambda *a: torch.stack(torch.broadcast_tensors(*[torch.as_tensor(v, dtype=torch.float64) for v in a])).min(0).values}
    env: dict[str, Any] = {**functions, **leaves}
    for name, text in data["nodes"].items():
        env[name] = eval(text, {"__builtins__": {}}, env)  # noqa: S307 - the test's own strings
    result = env[name]
    if not result.requires_grad:
        return
    result.backward()
    output = walk.trace.facts.output
    for input_name, leaf in leaves.items():
        expected = 0.0 if leaf.grad is None else leaf.grad.item()
        assert walk.value(f"d{output}/d{input_name}") == pytest.approx(expected, rel=1e-10, abs=1e-12), (data, input_name)


def test_pytorch_on_the_examples() -> None:
    torch = pytest.importorskip("torch")
    t = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
         for name, value in {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}.items()}
    o = torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"])
    o.backward()
    values = load("circuit-tanh-neuron.toml")
    for name, leaf in t.items():
        assert values[f"do/d{name}"] == pytest.approx(leaf.grad.item(), rel=1e-12, abs=1e-15)


def test_gradient_check_rows() -> None:
    facts = build_graph_trace(load_spec(EXAMPLES / "circuit-sigmoid-neuron.toml"), gradient_check=True).facts
    rows = facts.gradient_check
    assert [row.input for row in rows] == ["w0", "x0", "w1", "x1", "w2"]
    for row in rows:
        assert row.agrees and row.step == 1e-6 * max(1.0, abs({"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}[row.input]))


def test_check_grades_a_graph_with_error_carried_forward(tmp_path: Path, run_cli) -> None:
    """A student's wrong df/dq (4, not -4) carried into df/dx = dq/dx * df/dq = 1 * 4."""
    import json

    answers = tmp_path / "student.txt"
    answers.write_text("q = 3\nf = -12\ndf/dq = 4\ndf/dz = 3\ndq/dx = 1\ndf/dx = 4\ndf/dy = -4\n")
    result = run_cli("check", EXAMPLES / "circuit-add-multiply.toml", answers, "--json")
    assert result.code == 1
    status = {row["name"]: row["status"] for row in json.loads(result.out)["answers"]}
    assert status == {"q": "correct", "f": "correct", "df/dq": "wrong", "df/dz": "correct", "dq/dx": "correct",
                      "df/dx": "carried", "df/dy": "correct"}


@pytest.mark.parametrize("text, dx, dn", [
    # by hand at x = 3, n = 2
    ("x ** n", 2 * 3.0, 9 * math.log(3)),
    ("n ** x", 8 * math.log(2), 3 * 4.0),
    ("x / n", 0.5, -3 / 4),
    ("log(x) * exp(n)", math.exp(2) / 3, math.log(3) * math.exp(2)),
    # sigmoid'(1) = s (1 - s) with s = 1 / (1 + e^-1); d/dx tanh(n - x) = -(1 - tanh(-1)^2)
    ("sigmoid(x - n) + tanh(n - x)", math.exp(-1) / (1 + math.exp(-1)) ** 2 - (1 - math.tanh(-1) ** 2), None),
])
def test_derivative_rules_by_hand(text: str, dx: float, dn: float | None) -> None:
    walk = api.from_dict({"inputs": {"x": 3.0, "n": 2.0}, "nodes": {"f": text}})
    assert walk.value("df/dx") == pytest.approx(dx, rel=1e-12)
    if dn is not None:
        assert walk.value("df/dn") == pytest.approx(dn, rel=1e-12)
