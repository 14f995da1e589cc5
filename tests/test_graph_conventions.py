"""A graph document states only the conventions that apply to it: the tie
rule where max/min occur, the kink slopes where relu/abs occur."""
from __future__ import annotations

import stepbystep


def _conventions(nodes: dict[str, str]) -> str:
    walk = stepbystep.from_dict({"inputs": {"x": 1.5, "y": -2.0}, "nodes": nodes})
    text = walk.markdown()
    return text.split("## Conventions", 1)[1].split("\n## ", 1)[0]


def test_plain_arithmetic_has_no_kink_or_tie_rules() -> None:
    text = _conventions({"q": "x * y", "f": "q + x"})
    assert "tie" not in text and "relu" not in text and "|x|" not in text


def test_each_rule_appears_where_its_function_is_used() -> None:
    text = _conventions({"q": "min(x, y)", "f": "relu(q) + abs(x)"})
    assert r"$\min$ sends the whole gradient" in text and r"$\max$" not in text
    assert r"$\mathrm{relu}$ has slope 0" in text and "$|x|$ has slope 0" in text
    both = _conventions({"q": "max(x, y)", "f": "min(q, x)"})
    assert r"$\max$ sends the whole gradient" in both and r"$\min$ likewise" in both
