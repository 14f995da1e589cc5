"""Properties of every walkthrough, on random specs (hypothesis).

- every answer is a finite number, or the spec is refused cleanly
  (SpecError / GraphError, never anything else);
- the trace is in topological order: every step comes after its inputs;
- rendering is deterministic: byte-identical twice, and in a fresh process;
- names are unique and follow SPEC §2 (w1…, b1 / b_h1, step/sample prefixes).
"""
from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys
from typing import Any

import pytest
from conftest import layer_neurons, random_network_spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stepbystep
from stepbystep.engine.graph import GraphError
from stepbystep.spec.model import SpecError

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RENDER_SETTINGS = settings(SETTINGS, max_examples=70)


def spec_strategy(training: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda seed, deltas, wild: random_network_spec(random.Random(seed), hidden_deltas_use=deltas,
                                                       training=training, wild=wild),
        st.integers(0, 2**32 - 1), st.sampled_from(("original_weights", "updated_weights")), st.booleans())


def build(spec: dict[str, Any]) -> stepbystep.Walkthrough | None:
    """The walkthrough, or None when refused with a clean, explained error."""
    try:
        return stepbystep.from_dict(spec)
    except (SpecError, GraphError) as error:
        assert str(error).strip() and "\n" not in str(error)
        return None


# -- the plan of steps, worked out here from the spec (SPEC §1) --------------
def plan(spec: dict[str, Any]) -> list[list[int]]:
    """1-based sample numbers of each step."""
    training = spec.get("training", {})
    count = len(spec["samples"])
    mode, epochs = training.get("mode", "batch"), training.get("epochs", 1)
    steps: list[list[int]] = []
    for _ in range(epochs):
        numbers = list(range(1, count + 1))
        if mode == "batch":
            steps.append(numbers)
        elif mode == "online":
            steps.extend([n] for n in numbers)
        else:
            size = training["batch_size"]
            steps.extend(numbers[start:start + size] for start in range(0, count, size))
    return steps


def parameter_names(spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(weights, biases) as SPEC §2 names them: w1… row by row; b1 / b_h1."""
    neurons = layer_neurons(spec)
    weights, biases, counter = [], [], 0
    for index, layer in enumerate(spec["layers"][1:], start=1):
        for row in layer["weights"]:
            for _ in row:
                counter += 1
                weights.append(f"w{counter}")
        if isinstance(layer.get("bias"), list):
            biases.extend(f"b_{neuron}" for neuron in neurons[index])
        elif "bias" in layer:
            biases.append(f"b{index}")
    return weights, biases


def check_names(spec: dict[str, Any], names: list[str]) -> None:
    neurons = layer_neurons(spec)
    alt = lambda items: "(?:" + "|".join(map(re.escape, items)) + ")"  # noqa: E731
    inputs, outputs = alt(neurons[0]), alt(neurons[-1])
    units = alt([n for layer in neurons[1:] for n in layer])
    weights, biases = parameter_names(spec)
    param = alt(weights + biases)
    forward = (rf"{inputs}|target_{outputs}|(?:net|out)_{units}|E_{outputs}|E_total")
    per_sample = re.compile(
        rf"(?:{forward}|dE_total/dout_{units}|dout_{units}/dnet_{units}|dE_total/dnet_{units}"
        rf"|dnet_{units}/d{param}|dE_total/d{param}|dnet_{units}/dout_{units}|dE_{units}/dout_{units}"
        rf"|dE_total/d{inputs})")
    per_step = re.compile(rf"{param}\+?|E_total|dE_total/d{param}")
    after = re.compile(rf"{param}|{forward}")
    steps = plan(spec)
    record = spec.get("training", {}).get("record", [1])
    bare = len(steps) == 1 and len(steps[0]) == 1
    several = len(spec["samples"]) > 1
    for name in names:
        prefix, _, value = name.rpartition(".")
        if bare and not prefix:
            assert per_sample.fullmatch(value) or per_step.fullmatch(value), name
            continue
        parts = prefix.split(".")
        assert 1 <= len(parts) <= 2, name
        kind, number = re.fullmatch(r"(step|after)(\d+)", parts[0]).groups()  # type: ignore[union-attr]
        number = int(number)
        assert 1 <= number <= len(steps), name
        if kind == "step":
            assert not bare and number in record, name
            if len(parts) == 2:
                sample = int(re.fullmatch(r"sample(\d+)", parts[1]).group(1))  # type: ignore[union-attr]
                assert sample in steps[number - 1] and per_sample.fullmatch(value), name
            else:
                assert per_step.fullmatch(value), name
        else:
            last = number == len(steps)
            assert last or (value == "E_total" and len(parts) == 1), name
            if len(parts) == 2:
                assert several and re.fullmatch(r"sample(\d+)", parts[1]), name
                assert 1 <= int(parts[1][6:]) <= len(spec["samples"]) and after.fullmatch(value), name
            else:
                assert after.fullmatch(value) and (value in weights + biases + ["E_total"] or not several), name
    # what must be there
    present = set(names)
    for number in range(1, len(steps) + 1):
        assert f"after{number}.E_total" in present
    start = "" if bare else f"step{record[0]}."
    for name in weights + biases:
        assert start + name in present and f"after{len(steps)}.{name}" in present
        assert (start + name + "+" in present) == (name.startswith("w") or spec["update_biases"])


# -- the properties --------------------------------------------------------------
@SETTINGS
@given(spec_strategy(training=True))
def test_answers_finite_trace_ordered_names_unique_and_canonical(spec: dict[str, Any]) -> None:
    walk = build(spec)
    if walk is None:
        return
    names = walk.trace.names()
    assert len(names) == len(set(names)), "a name is used twice"
    assert not set(walk.trace.aliases) & set(names), "an alias hides a canonical name"
    answers = walk.answers()
    assert list(answers) == names
    assert all(isinstance(value, float) and math.isfinite(value) for value in answers.values())
    seen: set[str] = set()
    for step in walk.trace.steps():
        assert all(name in seen for name in step.inputs), (step.name, step.inputs)
        assert set(step.inputs) == set(step.expr.refs()) if step.expr is not None else not step.inputs
        seen.add(step.name)
    check_names(spec, names)
    # answers are plain JSON numbers
    assert json.loads(json.dumps(answers)) == answers


@RENDER_SETTINGS
@given(spec_strategy(training=True), st.integers(0, 15))
def test_rendering_is_deterministic(spec: dict[str, Any], precision: int) -> None:
    walk = build(spec)
    if walk is None:
        return
    first = walk.markdown(precision=precision)
    assert first == stepbystep.from_dict(spec).markdown(precision=precision)
    assert first.endswith("\n") and not first.endswith("\n\n")
    assert "{{" not in first and "{%" not in first


@pytest.mark.parametrize("seed", [3, 7])
def test_rendering_is_identical_in_a_fresh_process(seed: int, tmp_path) -> None:
    spec = random_network_spec(random.Random(seed), training=seed == 7)
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    here = stepbystep.load(path).markdown()
    fresh = subprocess.run([sys.executable, "-m", "stepbystep", "render", str(path)],
                           capture_output=True, check=True)
    assert fresh.stdout == here.encode("utf-8")


def test_mazur_names_are_the_posts(mazur_spec) -> None:
    names = stepbystep.from_dict(mazur_spec).trace.names()
    check_names(mazur_spec, names)
    assert [name for name in names if re.fullmatch(r"w\d", name)] == [f"w{n}" for n in range(1, 9)]
    assert {"b1", "b2", "dE_total/db1", "dE_total/db2"} <= set(names)
    assert "b1+" not in names  # update_biases = false


# Found by a wider random search: 50 online epochs that saturate, so the
# loss curve is flat to 1e-16 and plot._nice's tick loop never advanced.
FLAT_LOSS_CURVE = json.loads('{"learning_rate":1000.0,"loss":"sse","reduction":"mean","update_biases":false,"hidden_deltas_use":"original_weights","layers":[{"size":2},{"activation":"leaky_relu","weights":[[-36.39223330761132,-87.41406730225476],[-96.6,-85.9],[-8.0,74.0],[91.03920259111247,-65.0]],"negative_slope":0.253,"size":4},{"activation":"leaky_relu","weights":[[-46.0,-19.562785512484183,98.2,-19.51251895956494],[63.36761662714863,20.858426915793316,28.000000000000004,-94.6082588108624],[92.0,13.0,27.934912308384273,-25.42199062263879],[83.0,78.4,64.0,-50.11108719625514]],"bias":[0.201,0.362,0.6993526267965298,-0.37],"negative_slope":0.432},{"activation":"sigmoid","weights":[[48.0,-65.42698731135246,-92.30000000000001,85.74424426028133],[-54.99835857317794,-6.481028853166304,17.41987492029835,-47.9],[26.345992703561592,51.1,-87.70552512134758,81.3]],"bias":0.06},{"activation":"tanh","weights":[[-65.60000000000001,-46.0,52.87378851010691]],"bias":-0.13,"size":1}],"samples":[{"inputs":[0.24,-0.34113747728380295],"targets":[-0.65]},{"inputs":[0.73,-0.05],"targets":[0.86]},{"inputs":[-0.73,0.8203561380290749],"targets":[-0.12028346155110259]}],"training":{"mode":"online","epochs":50}}')


def test_a_loss_curve_flat_to_float_resolution_renders() -> None:
    walk = stepbystep.from_dict(FLAT_LOSS_CURVE)
    assert walk.markdown(precision=7).startswith("# ")


LINE_BREAKS = st.sampled_from(["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1e"])
UNTRUSTED = st.lists(st.text(max_size=12) | LINE_BREAKS | st.sampled_from(["---", "===", "> ", "- ", "    ", "1. "]),
                     min_size=1, max_size=6).map("".join)


@settings(max_examples=60, deadline=None)
@given(UNTRUSTED, UNTRUSTED)
def test_untrusted_title_and_notes_are_inert(title: str, note: str) -> None:
    """Markdown renderers pass raw HTML through: a title or note must not
    bring tags, and cannot break out of its line."""
    from conftest import mazur_dict

    spec = mazur_dict()
    spec["title"] = "<script>alert(1)</script>" + title
    spec["notes"] = {"w5+": "<img src=x onerror=alert(1)>" + note}
    document = stepbystep.from_dict(spec).markdown()
    assert "<script>" not in document and "<img" not in document
    lines = document.split("\n")
    assert lines[0].startswith("# &lt;script&gt;") and lines[1] == ""   # the title stays on its line
    notes = [index for index, line in enumerate(lines) if line.startswith("> **Note.** &lt;img")]
    assert len(notes) == 1 and lines[notes[0] + 1] == ""                # and so does the note
    assert len(document.splitlines()) == len(lines) - 1                 # no other line breaks hide inside
