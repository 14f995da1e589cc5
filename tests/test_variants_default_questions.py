"""The default questions of a variant sheet come from the first step shown in full.

A spec recording steps 2 and 5 only (step 1 on the fast path) got a problem sheet asking for one
number, the loss after training: the default looked for `step1.` values, which a step not
recorded does not have. A graph's descent already asked its first recorded step.
"""
from __future__ import annotations

import stepbystep
from stepbystep.exercises.variant_rules import read_rules
from stepbystep.exercises.variants import asked_names

SPEC = {"learning_rate": 0.5, "loss": "half_sse",
        "layers": [{"name": "i", "size": 2},
                   {"name": "h", "activation": "tanh", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                   {"name": "o", "activation": "sigmoid", "weights": [[0.4, 0.45]], "bias": 0.6}],
        "samples": [{"inputs": [0.05, 0.1], "targets": [0.01]}, {"inputs": [0.5, 0.2], "targets": [0.9]}],
        "training": {"mode": "online", "epochs": 2, "record": [2, 3]}}


def test_the_first_recorded_step_is_asked() -> None:
    spec = stepbystep.parse_spec(SPEC, "run.toml")
    asked = asked_names(spec, read_rules(spec))
    assert asked[0] == "step2.E_total"
    assert {f"step2.w{k}+" for k in (1, 2, 3, 4, 5, 6)} | {"step2.b1+", "step2.b2+"} <= set(asked)
    assert asked[-1] == "after4.E_total"
    assert not any(name.startswith(("step1.", "step3.")) for name in asked)
