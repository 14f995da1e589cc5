"""Hand-calculation mode (`--round K`) where a rounded value leaves only a tiny constant to divide by.

Adam's second moment of Mazur's w5 is v = (1 - 0.999) * 0.0821670407^2 = 6.75e-6: rounded to
4 decimals it is 0, and p+ = p - eta * mhat / (sqrt(0) + 1e-8) took w5 from 0.4 to -4,099,999.6,
which `check` under `hand_rounding` then accepted as right. A student rounding to 4 decimals
cannot take that step; the run must say so (naming the value), not print nonsense.
"""
from __future__ import annotations

import copy
import math
import subprocess
import sys
from pathlib import Path

import pytest

import stepbystep
from stepbystep import GraphError

ROOT = Path(__file__).resolve().parents[1]
MAZUR = {"learning_rate": 0.5, "loss": "half_sse", "update_biases": False,
         "layers": [{"name": "i", "size": 2},
                    {"name": "h", "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                    {"name": "o", "activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6}],
         "samples": [{"inputs": [0.05, 0.1], "targets": [0.01, 0.99]}]}
DW5 = 0.0821670407   # Mazur's dE_total/dw5 (../shared/mazur-2015.md)


def mazur(optimizer: str, **training: object) -> dict:
    spec = copy.deepcopy(MAZUR)
    spec["training"] = {"optimizer": optimizer, **training}
    return spec


def test_the_oracle_says_v_rounds_to_zero() -> None:
    assert round((1 - 0.999) * DW5 ** 2, 4) == 0.0
    assert round((1 - 0.999) * DW5 ** 2, 7) != 0.0


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "adagrad", "rmsprop"])
def test_a_step_that_divides_by_a_rounded_zero_is_refused_by_name(optimizer: str) -> None:
    # adagrad: G = g^2 = 6.75e-3 survives 4 decimals for w5, but dE/dw1 = 0.000438568 gives
    # G = 1.9e-7 -> 0; rmsprop: s = 0.01 * g^2 -> 0 likewise.
    with pytest.raises(GraphError) as caught:
        stepbystep.from_dict(mazur(optimizer), round_to=4)
    assert "0 at 4 decimals" in caught.value.message
    assert caught.value.name.endswith("+")


def test_the_same_on_the_fast_path_between_recorded_steps() -> None:
    with pytest.raises(GraphError) as caught:
        stepbystep.from_dict(mazur("adam", epochs=3, record=[3]), round_to=4)
    assert "0 at 4 decimals" in caught.value.message
    assert caught.value.name.startswith("step1.")


def test_enough_decimals_still_give_the_hand_chain() -> None:
    # at 8 decimals every v of Mazur's first step is nonzero: the step is Adam's first, eta in size
    walk = stepbystep.from_dict(mazur("adam"), round_to=8)
    assert walk.value("w5+") == pytest.approx(0.4 - 0.5, abs=1e-3)   # 8 decimals of v: 3 significant digits


def test_a_given_small_divisor_is_not_refused() -> None:
    # a graph's given input is written in the spec: the student divides by it as it is
    spec = {"inputs": {"x": 1.0, "y": 0.00002}, "nodes": {"f": "x / y"}}
    walk = stepbystep.from_dict(spec, round_to=3)
    assert walk.value("f") == pytest.approx(50000.0)


def test_render_gives_one_clean_line(tmp_path: Path) -> None:
    spec = tmp_path / "adam.toml"
    spec.write_text((ROOT / "examples" / "mazur.toml").read_text() + '\n[training]\noptimizer = "adam"\n')
    out = tmp_path / "adam.md"
    done = subprocess.run([sys.executable, "-m", "stepbystep", "render", str(spec), "--round", "4", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stepbystep: error: ") and "adam.toml" in lines[0]
    assert "0 at 4 decimals" in lines[0] and not out.exists()


def test_check_does_not_accept_the_collapsed_chain() -> None:
    spec = mazur("adam")
    spec["check"] = {"decimals": 4, "hand_rounding": True}
    report = stepbystep.check(stepbystep.parse_spec(spec, "adam.toml"), texts={"alice.txt": "w5+ = -4099999.6\n"})
    statuses = [answer.status for answer in report.files[0].answers if answer.name == "w5+"]
    assert statuses == ["wrong"]
    assert math.isclose(stepbystep.from_dict(mazur("adam")).value("w5+"), -0.1, abs_tol=1e-6)


def test_a_value_that_rounding_made_impossible_says_so() -> None:
    # bce on a sigmoid output: at 2 decimals out_o1 = sigmoid(5.3) = 0.995 rounds to 1.0 (the oracle:)
    assert round(1 / (1 + math.exp(-5.3)), 2) == 1.0
    spec = {"learning_rate": 0.5, "loss": "bce",
            "layers": [{"size": 1}, {"activation": "sigmoid", "weights": [[5.0]], "bias": 0.3}],
            "samples": [{"inputs": [1.0], "targets": [1.0]}]}
    stepbystep.from_dict(spec)   # exact: fine
    with pytest.raises(GraphError) as caught:
        stepbystep.from_dict(spec, round_to=2)
    assert "rounded to 2 decimals" in caught.value.message
