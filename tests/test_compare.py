"""Several optimizers on the same run: `[training] compare = [...]` or
`render --compare`, the loss table's columns and the overlaid curves.

Oracles: f = theta^2 from 5 with eta 0.1 by hand (sgd: theta -> 0.8 theta;
momentum 0.9: 4, 2.3, …), and each compared network run equals that
optimizer's own run (itself proven against torch.optim in
test_optimizers_torch.py) to the last bit."""
from __future__ import annotations

import re

import pytest
from conftest import MAZUR_TOML, mazur_dict

from stepbystep import api
from stepbystep.spec.load import parse_spec
from stepbystep.spec.model import SpecError


def descent(**training: object) -> object:
    return parse_spec({"inputs": {"theta": 5.0}, "nodes": {"f": "theta**2"},
                       "training": {"parameters": ["theta"], "learning_rate": 0.1, "optimizer": "adam", "epochs": 3,
                                    **training}}, "f.toml")


def test_a_descent_compared_by_hand() -> None:
    facts = api.build(descent(compare=["sgd", "momentum", "adam"], momentum=0.9)).trace.facts
    runs = {run.optimizer: run.losses for run in facts.comparison}
    assert set(runs) == {"sgd", "momentum"}   # adam is the run itself
    assert runs["sgd"] == pytest.approx((16.0, 10.24, 6.5536), rel=1e-14)
    # momentum: v = 10, theta 4; v = 9 + 8 = 17, theta 2.3; v = 15.3 + 4.6 = 19.9, theta 0.31
    assert runs["momentum"] == pytest.approx((16.0, 2.3 ** 2, 0.31 ** 2), rel=1e-12)


def test_each_compared_network_run_is_that_optimizers_own_run() -> None:
    data = mazur_dict()
    data["training"] = {"epochs": 30, "record": [1], "compare": ["momentum", "adam", "rmsprop"]}
    facts = api.build(parse_spec(data, "m.toml")).trace.facts
    for run in facts.comparison:
        own = mazur_dict()
        own["training"] = {"epochs": 30, "record": [1], "optimizer": run.optimizer}
        answers = api.build(parse_spec(own, "m.toml")).answers()
        assert run.losses == tuple(answers[f"after{step}.E_total"] for step in range(1, 31)), run.optimizer


def test_compared_runs_are_columns_and_dashed_curves(run_cli, tmp_path) -> None:
    result = run_cli("render", str(MAZUR_TOML.parent / "mazur-10000.toml"), "--compare", "sgd,momentum,adam")
    assert result.code == 0
    assert re.search(r"\| epoch \| after update \| \$E_\{\\mathrm\{total\}\}\$ \(sgd\) \| momentum \| adam \|", result.out)
    out = tmp_path / "page.html"
    assert run_cli("render", str(MAZUR_TOML.parent / "mazur-10000.toml"), "--compare", "momentum,adam",
                   "--format", "html", "-o", str(out)).code == 0
    page = out.read_text()
    assert page.count('class="sbs-loss-compared"') == 2 and ">momentum</text>" in page and ">adam</text>" in page


def test_compare_is_checked() -> None:
    with pytest.raises(SpecError, match=r"training.compare\[1\]: unknown value 'adamm'"):
        descent(compare=["sgd", "adamm"])
    # a hyperparameter of a compared optimizer is accepted, of none is refused
    assert descent(compare=["momentum"], momentum=0.5).training.optimizer.options_for("momentum")[0] == ("momentum", 0.5)
    with pytest.raises(SpecError, match="training.alpha: only rmsprop takes a alpha"):
        descent(compare=["momentum"], alpha=0.5)
    with pytest.raises(SpecError, match="--compare: unknown optimizer 'nope'"):
        api.with_compare(descent(), ["nope"])


def test_a_compared_run_that_diverges_is_reported_not_fatal() -> None:
    """exp(x^2) from 1 with eta 1: sgd jumps to 1 - 2e = -4.44 and overflows; Adam's steps stay about 1 long."""
    spec = parse_spec({"inputs": {"x": 1.0}, "nodes": {"f": "exp(x * x)"},
                       "training": {"parameters": ["x"], "learning_rate": 1.0, "optimizer": "adam", "epochs": 4,
                                    "record": [1], "compare": ["sgd"]}}, "f.toml")
    walk = api.build(spec)
    run = walk.trace.facts.comparison[0]
    assert run.optimizer == "sgd" and run.failed is not None and "overflow" in run.failed
    assert len(run.losses) < 4
    assert "With sgd the descent stopped" in walk.markdown()
