"""`check` without --variant on a spec with a [variants] table grades each
sheet against the variant its `Variant: S-k` line names. The expected numbers
are worked out here by hand from the variant's drawn inputs and weights."""
from __future__ import annotations

import math
from pathlib import Path

from stepbystep.cli import main
from stepbystep.exercises.variants import make_variant
from stepbystep.spec.load import load_spec

SPEC = Path(__file__).resolve().parents[1] / "examples" / "mazur-variants.toml"


def _by_hand(data: dict) -> tuple[float, float]:
    """E_total and w5+ of a 2-2-2 sigmoid net with shared biases (Mazur's rules)."""
    sigmoid = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    (hidden, output) = data["layers"][1], data["layers"][2]
    sample = data["samples"][0]
    out_h = [sigmoid(sum(w * i for w, i in zip(row, sample["inputs"])) + hidden["bias"]) for row in hidden["weights"]]
    out_o = [sigmoid(sum(w * h for w, h in zip(row, out_h)) + output["bias"]) for row in output["weights"]]
    e_total = sum(0.5 * (t - o) ** 2 for t, o in zip(sample["targets"], out_o))
    delta_o1 = (out_o[0] - sample["targets"][0]) * out_o[0] * (1 - out_o[0])
    w5_new = output["weights"][0][0] - data["learning_rate"] * delta_o1 * out_h[0]
    return e_total, w5_new


def test_sheets_are_graded_against_the_variant_they_name(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    variant = make_variant(load_spec(SPEC), 2024, 3)
    e_total, w5_new = _by_hand(variant.data)
    own = tmp_path / "own.txt"
    own.write_text(f"Name: Dana\nVariant: 2024-3\nE_total = {e_total:.6g}\nw5+ = {w5_new:.6g}\n")
    assert main(["check", str(SPEC), str(own)]) == 0
    capsys.readouterr()
    # the same numbers without the Variant line are graded against the spec's own network
    bare = tmp_path / "bare.txt"
    bare.write_text(f"E_total = {e_total:.6g}\nw5+ = {w5_new:.6g}\n")
    assert main(["check", str(SPEC), str(own), str(bare)]) == 1
    out = capsys.readouterr().out
    assert "2024-3" in out


def test_an_explicit_variant_still_wins(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    variant = make_variant(load_spec(SPEC), 2024, 2)
    e_total, _ = _by_hand(variant.data)
    sheet = tmp_path / "s.txt"
    sheet.write_text(f"Variant: 2024-3\nE_total = {e_total:.6g}\n")
    assert main(["check", str(SPEC), str(sheet), "--variant", "2024-2"]) == 0
