"""Graph specs: expressions parsed safely, refusals as one clear line.

Values are checked against numbers worked out by hand in the test, never
against the program's own earlier output.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from stepbystep import api
from stepbystep.engine.expressions import Call, Num, Ref
from stepbystep.engine.graph import GraphError
from stepbystep.spec.load import parse_spec
from stepbystep.spec.model import SpecError


def graph(nodes: dict[str, str], inputs: dict[str, float] | None = None, **extra: object) -> api.Walkthrough:
    data = {"inputs": inputs if inputs is not None else {"x": 3.0, "y": -4.0, "z": 2.0}, "nodes": nodes, **extra}
    return api.from_dict(data, source="g.toml")


def refusal(nodes: dict[str, str], inputs: dict[str, float] | None = None) -> str:
    with pytest.raises(SpecError) as caught:
        graph(nodes, inputs)
    return str(caught.value)


def test_operators_precedence_and_functions_by_hand() -> None:
    walk = graph({
        "a": "x + y * z",          # 3 + (-8)
        "b": "-x ** 2",            # -(9), Python's precedence
        "c": "(x + y) / z",        # -0.5
        "d": "max(x, y, z) - min(x, z)",  # 3 - 2
        "e": "relu(y) + abs(y) + +x",     # 0 + 4 + 3
        "f": "exp(0) + log(1) + tanh(0) + sigmoid(0)",  # 1.5
        "g": "2 ** -1 + 1e-1",     # 0.6
    })
    expected = {"a": -5.0, "b": -9.0, "c": -0.5, "d": 1.0, "e": 7.0, "f": 1.5, "g": 0.6}
    for name, value in expected.items():
        assert walk.value(name) == pytest.approx(value, abs=1e-15), name


def test_output_defaults_to_the_last_node_and_can_be_chosen() -> None:
    assert graph({"q": "x + y", "f": "q * z"}).trace.facts.output == "f"
    walk = graph({"q": "x + y", "f": "q * z"}, output="q")
    assert walk.trace.facts.output == "q"
    assert walk.value("dq/dx") == 1.0 and "df/dx" not in walk.answers()


def test_expressions_become_graph_expressions() -> None:
    walk = graph({"m": "max(x, 2.5)"})
    assert walk.trace.node("m").expr == Call("max", (Ref("x"), Num(2.5)))


@pytest.mark.parametrize("text, message", [
    ("x +", "nodes.f: not a valid expression"),
    ("k * x", "nodes.f: unknown name 'k' (known here: x, y, z)"),
    ("later + 1", "nodes.f: uses later before it is defined"),
    ("f + 1", "nodes.f: uses itself"),
    ("sin(x)", "nodes.f: unknown function 'sin' (allowed: exp, log, tanh, sigmoid, relu, abs, max, min)"),
    ("exp(x, y)", "nodes.f: exp takes 1 argument, got 2"),
    ("max(x)", "nodes.f: max takes 2 or more arguments, got 1"),
    ("exp(x=1)", "nodes.f: exp takes plain arguments"),
    ("exp(*x)", "nodes.f: exp takes plain arguments"),
    ("exp + 1", "nodes.f: exp is a function: write exp(...)"),
    ("x ^ 2", "nodes.f: ^ is not a power here: write x**2"),
    ("x // 2", "nodes.f: the operator // is not allowed"),
    ("x % 2", "nodes.f: the operator % is not allowed"),
    ("~x", "nodes.f: the operator ~ is not allowed"),
    ("not x", "nodes.f: the operator not is not allowed"),
    ("x < y", "nodes.f: a comparison is not allowed"),
    ("x if y else z", "nodes.f: if/else is not allowed"),
    ("'text'", "nodes.f: 'text' is not a number"),
    ("True", "nodes.f: True is not a number"),
    ("1j", "nodes.f: 1j is not a number"),
    ("1e400", "nodes.f: inf is not a finite number"),
    ("", "nodes.f: the expression is empty"),
])
def test_bad_expressions_are_refused_with_the_field(text: str, message: str) -> None:
    assert message in refusal({"f": text, "later": "x"})
    assert refusal({"f": text, "later": "x"}).startswith("g.toml: nodes.f: ")


@pytest.mark.parametrize("text", [
    "__import__('os')",
    "__import__('os').system('echo hacked')",
    "x.__class__",
    "x.real",
    "(lambda: 1)()",
    "lambda: 1",
    "[a for a in (x, y)]",
    "{a for a in (x, y)}",
    "{a: a for a in (x, y)}",
    "sum(a for a in (x, y))",
    "(x, y)[0]",
    "[x, y]",
    "{'a': x}",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('import os')",
    "globals()",
    "().__class__.__bases__[0].__subclasses__()",
    "f'{x}'",
    "(y := 2)",
    "x and y",
    "exp.__globals__",
    "max(*(x, y))",
    "import os",
    "x; y",
])
def test_hostile_expressions_are_refused_cleanly(text: str) -> None:
    message = refusal({"f": text})
    assert message.startswith("g.toml: nodes.f: ")
    assert "\n" not in message


def test_hostile_input_never_reaches_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No eval, no exec, no import: the refusal happens before anything runs."""
    import builtins

    calls: list[str] = []
    original = builtins.__import__

    def spy(name: str, *args: object, **kwargs: object) -> object:
        if name == "os" and args and isinstance(args[0], dict) and "x" in args[0]:
            calls.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", spy)
    monkeypatch.setattr(builtins, "eval", lambda *a, **k: calls.append("eval"))
    monkeypatch.setattr(builtins, "exec", lambda *a, **k: calls.append("exec"))
    refusal({"f": "__import__('os').system('touch " + str(tmp_path / "owned") + "')"})
    assert calls == [] and not (tmp_path / "owned").exists()


@pytest.mark.parametrize("text", ["9 ** 9 ** 9", "10.0 ** 400", "exp(1000)", "x ** 1e6", "(2 ** 1000) ** 2"])
def test_huge_exponents_are_an_overflow_error_not_a_hang(text: str) -> None:
    with pytest.raises(GraphError, match=r"^f: overflow"):
        graph({"f": text})


@pytest.mark.parametrize("text", ["1" * 5000, "(" * 300 + "x" + ")" * 300, "-" * 999 + "x", "x" + " + x" * 400])
def test_enormous_or_deep_expressions_are_refused(text: str) -> None:
    message = refusal({"f": text})
    assert message.startswith("g.toml: nodes.f: ") and "\n" not in message


def test_a_long_sum_is_fine_up_to_the_fan_in_limit() -> None:
    from stepbystep.engine.expr import MAX_OPERANDS

    assert graph({"f": " + ".join(["x"] * MAX_OPERANDS)}).value("f") == 3.0 * MAX_OPERANDS
    with pytest.raises(SpecError, match=rf"^g.toml: nodes.f: the expression has more than {MAX_OPERANDS} names and "
                                        r"numbers \(the fan-in limit\)$"):
        graph({"f": " + ".join(["x"] * (MAX_OPERANDS + 1))})


def test_evaluation_errors_name_the_node() -> None:
    with pytest.raises(GraphError, match=r"^f: division by zero$"):
        graph({"f": "x / (y + 4)"})
    with pytest.raises(GraphError, match=r"^f: math domain error \(log of -4.0, which is not positive\)$"):
        graph({"f": "log(y)"})
    with pytest.raises(GraphError, match=r"^f: math domain error"):
        graph({"f": "y ** 0.5"})


def test_names_that_are_functions_are_refused() -> None:
    with pytest.raises(SpecError, match=r"^g.toml: inputs.exp: exp is a function name"):
        graph({"f": "exp * 2"}, {"exp": 1.0})
    with pytest.raises(SpecError, match=r"^g.toml: nodes.max: max is a function name"):
        graph({"max": "x"})


def test_spec_level_refusals() -> None:
    with pytest.raises(SpecError, match=r"output: 'x' is not a node"):
        parse_spec({"inputs": {"x": 1}, "nodes": {"f": "x"}, "output": "x"}, "g.toml")
    with pytest.raises(SpecError, match=r"nodes: expected at least one node"):
        parse_spec({"inputs": {"x": 1}, "nodes": {}}, "g.toml")
    with pytest.raises(SpecError, match=r"nodes.f: expected text"):
        parse_spec({"inputs": {"x": 1}, "nodes": {"f": 3}}, "g.toml")
    with pytest.raises(SpecError, match=r"nodes.x: is also an input"):
        parse_spec({"inputs": {"x": 1}, "nodes": {"x": "1"}}, "g.toml")


def test_cli_errors_are_one_line_exit_2(tmp_path: Path, run_cli) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text('[inputs]\nx = 1\n[nodes]\nf = "__import__(\'os\')"\n')
    result = run_cli("render", spec)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"stepbystep: error: {spec}: nodes.f: unknown function '__import__'")
    assert result.err.count("\n") == 1
    spec.write_text('[inputs]\nx = 0\n[nodes]\nf = "1 / x"\n')
    result = run_cli("answers", spec)
    assert (result.code, result.err) == (2, f"stepbystep: error: {spec}: f: division by zero\n")
    out = tmp_path / "out.md"
    result = run_cli("render", spec, "-o", out)
    assert result.code == 2 and not out.exists()


def test_cli_mode_options(tmp_path: Path, run_cli) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "circuit-add-multiply.toml"
    assert run_cli("render", example, "--mode", "forward").err.startswith("stepbystep: error: --mode forward needs --wrt")
    result = run_cli("render", example, "--mode", "forward", "--wrt", "nope")
    assert result.code == 2 and "--wrt: 'nope' is not an input (inputs: x, y, z)" in result.err
    assert "--wrt goes with --mode forward" in run_cli("render", example, "--wrt", "x").err
    mazur = Path(__file__).resolve().parents[1] / "examples" / "mazur.toml"
    assert "are for computation-graph specs" in run_cli("render", mazur, "--gradient-check").err
    result = run_cli("render", example, "--mode", "forward", "--wrt", "x", "--gradient-check")
    assert result.code == 0 and "## Gradient check" in result.out and "agrees" in result.out


def test_hand_calculation_mode_rounds_every_value() -> None:
    walk = graph({"f": "exp(x) * y"}, {"x": 0.5, "y": 1.0}, )
    rounded = api.from_dict({"inputs": {"x": 0.5, "y": 1.0}, "nodes": {"f": "exp(x) * y"}}, round_to=3)
    assert rounded.value("f") == 1.649 and walk.value("f") == pytest.approx(math.exp(0.5))
    assert rounded.value("df/dx") == 1.649  # exp(x) * y, rounded: d/dx = e^x * y


def test_names_start_with_a_letter_and_a_graph_may_have_no_inputs() -> None:
    with pytest.raises(SpecError, match=r"inputs._x: '_x' is not a name"):
        graph({"f": "_x"}, {"_x": 1.0})
    walk = graph({"a": "2", "f": "a * 3"}, {})
    assert walk.answers() == {"a": 2.0, "f": 6.0, "df/df": 1.0, "df/da": 3.0}
    assert "<svg" in document_figures(walk)


def document_figures(walk: api.Walkthrough) -> str:
    return "".join(figure.svg for figure in walk.figures())
