"""The fast path gives the traced graph's numbers.

Oracle: the same spec with EVERY step recorded, i.e. computed node by node in
the traced graph (and its after-losses from the graph's own after-pass).
The compiled-scalar engine must agree bit for bit (it replays the graph's
arithmetic, rounding included); the numpy engine to 1e-12 relative.
"""
from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest

from stepbystep.engine import fastpath, nn, ops
from stepbystep.engine.nn import build_trace
from stepbystep.engine.parameters import Mistakes, parameter_names
from stepbystep.spec.load import parse_spec

SHAPES = {
    # name: (activations, loss, output size)
    "sigmoid/half_sse": (("sigmoid", "sigmoid"), "half_sse", 2),
    "tanh-sigmoid/sse": (("tanh", "sigmoid"), "sse", 2),
    "relu-linear/mse": (("relu", "linear"), "mse", 2),
    "leaky-sigmoid/bce": (("leaky_relu", "sigmoid"), "bce", 1),
    "sigmoid-softmax/ce": (("sigmoid", "softmax"), "cross_entropy", 3),
    "linear-tanh/half_sse": (("linear", "tanh"), "half_sse", 2),
    "softplus-silu/mae": (("softplus", "silu"), "mae", 2),
    "elu-linear/huber": (("elu", "linear"), "huber", 2),
    "silu-elu/sse": (("silu", "elu"), "sse", 2),
    "tanh-linear/hinge": (("tanh", "linear"), "hinge", 1),
    "relu-linear/svm": (("relu", "linear"), "multiclass_hinge", 3),
}
MODES = {
    "online": {"mode": "online", "epochs": 3},
    "batch": {"mode": "batch", "epochs": 5},
    "minibatch": {"mode": "minibatch", "batch_size": 2, "epochs": 3, "shuffle_seed": 7},
}


def make_spec(shape: str, mode: str, bias: str, update_biases: bool, hidden: str, reduction: str,
              seed: int = 1, hidden_size: int = 3, inputs: int = 2) -> dict[str, Any]:
    rng = random.Random(seed)
    activations, loss, outputs = SHAPES[shape]
    sizes = [inputs, hidden_size, outputs]
    layers: list[dict[str, Any]] = [{"name": "i", "size": inputs}]
    for index, (name, activation) in enumerate(zip(("h", "o"), activations), start=1):
        layer: dict[str, Any] = {"name": name, "activation": activation,
                                 "weights": [[round(rng.uniform(-0.9, 0.9), 3) for _ in range(sizes[index - 1])]
                                             for _ in range(sizes[index])]}
        if bias == "shared":
            layer["bias"] = round(rng.uniform(-0.5, 0.5), 3)
        elif bias == "per-neuron":
            layer["bias"] = [round(rng.uniform(-0.5, 0.5), 3) for _ in range(sizes[index])]
        layers.append(layer)
    samples = []
    for _ in range(3):
        if loss in ("cross_entropy", "multiclass_hinge"):
            hot = rng.randrange(outputs)
            targets = [1.0 if k == hot else 0.0 for k in range(outputs)]
        elif loss == "bce":
            targets = [float(rng.randrange(2))]
        elif loss == "hinge":
            targets = [rng.choice((-1.0, 1.0))]
        else:
            targets = [round(rng.uniform(0.05, 0.95), 2) for _ in range(outputs)]
        samples.append({"inputs": [round(rng.uniform(-1, 1), 2) for _ in range(inputs)], "targets": targets})
    rate = 0.05 if "linear" in shape else 0.4  # linear outputs diverge fast with a large step
    return {"learning_rate": rate, "loss": loss, "reduction": reduction, "update_biases": update_biases,
            "hidden_deltas_use": hidden, "layers": layers, "samples": samples, "training": dict(MODES[mode])}


def steps_of(data: dict[str, Any]) -> int:
    return len(nn.training_plan(parse_spec(data, "t.toml")))


def graph_run(data: dict[str, Any], monkeypatch: pytest.MonkeyPatch, round_to: int | None = None,
              mistakes: Mistakes = Mistakes()) -> dict[str, float]:
    """Every step recorded and every after-loss from the graph's after-pass."""
    data = dict(data, training=dict(data["training"], record=list(range(1, steps_of(data) + 1))))
    with monkeypatch.context() as patch:
        patch.setattr(nn._NetworkBuilder, "_fast_loss", nn._NetworkBuilder._graph_loss)
        patch.setattr(nn._NetworkBuilder, "_trainer", _no_fast_path)
        patch.setattr(nn._NetworkBuilder, "_exact_run", lambda self: None)
        return build_trace(parse_spec(data, "t.toml"), round_to, mistakes).answers()


def _no_fast_path(self: Any) -> Any:
    raise AssertionError("the oracle run must not use the fast path")


def fast_run(data: dict[str, Any], round_to: int | None = None, mistakes: Mistakes = Mistakes()) -> dict[str, float]:
    data = dict(data, training=dict(data["training"], record=[]))
    return build_trace(parse_spec(data, "t.toml"), round_to, mistakes).answers()


def compared(graph: dict[str, float], fast: dict[str, float]) -> list[str]:
    """The after-values both runs give: every after{N}.E_total and the last after-pass."""
    names = [name for name in fast if name.startswith("after")]
    assert names and all(name in graph for name in names)
    return names


def assert_close(graph: dict[str, float], fast: dict[str, float], exact: bool) -> None:
    for name in compared(graph, fast):
        if exact:
            assert fast[name] == graph[name], name
        else:
            assert math.isclose(fast[name], graph[name], rel_tol=1e-12, abs_tol=1e-15), (name, fast[name], graph[name])


def test_the_shapes_cover_every_operation() -> None:
    """Every activation and loss of the registry goes through both fast paths."""
    assert {name for activations, _, _ in SHAPES.values() for name in activations} == set(ops.ACTIVATIONS.names())
    assert {loss for _, loss, _ in SHAPES.values()} == set(ops.LOSSES.names())


CASES = [
    (shape, mode, bias, update_biases, hidden, reduction)
    for (shape, mode), (bias, update_biases, hidden, reduction) in zip(
        itertools.product(SHAPES, MODES),
        itertools.cycle([("shared", False, "original_weights", "sum"),
                         ("per-neuron", True, "updated_weights", "mean"),
                         ("none", True, "original_weights", "mean"),
                         ("shared", True, "updated_weights", "sum"),
                         ("per-neuron", False, "original_weights", "sum")]))
]


@pytest.mark.parametrize("engine", ["scalar", "numpy"])
@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, case)) for case in CASES])
def test_fast_path_equals_traced_graph(case: tuple, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_spec(*case)
    graph = graph_run(data, monkeypatch)
    monkeypatch.setattr(fastpath, "NUMPY_FROM_WORK", 0 if engine == "numpy" else 10**9)
    assert_close(graph, fast_run(data), exact=engine == "scalar")


@pytest.mark.parametrize("shape", list(SHAPES))
def test_hand_calculation_mode_is_replayed_exactly(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_spec(shape, "minibatch", "per-neuron", True, "updated_weights", "mean", seed=5)
    assert_close(graph_run(data, monkeypatch, round_to=4), fast_run(data, round_to=4), exact=True)


@pytest.mark.parametrize("mistake", ["wrong_sign", "no_activation_derivative", "derivative_from_net", "wrong_input_neuron"])
def test_student_mistakes_are_replayed_exactly(mistake: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_spec("tanh-sigmoid/sse", "online", "shared", True, "updated_weights", "sum", seed=3)
    mistakes = Mistakes(**{mistake: True})
    assert_close(graph_run(data, monkeypatch, mistakes=mistakes), fast_run(data, mistakes=mistakes), exact=True)


def test_numpy_is_chosen_for_larger_long_runs_only() -> None:
    def trainer(hidden: int, epochs: int, plain: bool = True) -> str:
        data = make_spec("sigmoid/half_sse", "batch", "shared", False, "original_weights", "sum", hidden_size=hidden, inputs=8)
        data["training"]["epochs"] = epochs
        spec = parse_spec(data, "t.toml")
        names = tuple(parameter_names(spec).all_names())
        conventions = fastpath.Conventions(0.5, "sum", (True,) * len(names), False, None)
        template = nn._NetworkBuilder(spec, None, Mistakes())._sample_template
        return type(nn.make_trainer(spec, names, conventions, plain, template)).__name__

    assert trainer(16, 1000) == "NumpyTrainer"       # 160 weights x 3 samples a step, 480,000 in all
    assert trainer(16, 5) == "ScalarTrainer"          # too short to repay importing numpy
    assert trainer(2, 1000) == "ScalarTrainer"        # 20 weights x 3 samples: compiled scalars are faster
    assert trainer(16, 1000, plain=False) == "ScalarTrainer"   # rounding or a mistake: the graph's own arithmetic


@pytest.mark.parametrize("engine", ["scalar", "numpy"])
def test_overflow_is_an_error_naming_the_step_never_a_silent_nan(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from stepbystep.engine.graph import GraphError

    data = make_spec("relu-linear/mse", "batch", "shared", True, "original_weights", "sum")
    data["learning_rate"] = 1e6
    data["training"]["epochs"] = 40
    monkeypatch.setattr(fastpath, "NUMPY_FROM_WORK", 0 if engine == "numpy" else 10**9)
    with pytest.raises(GraphError) as error:
        fast_run(data)
    assert "step" in str(error.value)
