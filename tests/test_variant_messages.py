"""When every draw repeats an earlier variant, the error says the ranges hold
too few numbers (raising max_tries could not help)."""
from __future__ import annotations

from pathlib import Path

from stepbystep.cli import main

SPEC = """
[inputs]
x = 0.5
[nodes]
f = "x * x"
[variants]
inputs = { x = { range = [0, 1], decimals = 1 } }
"""


def test_exhausted_grid_gives_advice_that_can_help(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "g.toml"
    spec.write_text(SPEC)
    # [0, 1] with 1 decimal holds 11 numbers: 12 different variants cannot exist
    assert main(["variants", str(spec), "--count", "12", "--seed", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"stepbystep: error: {spec}: variants: ")
    assert "too few different numbers" in err[0] and "max_tries" not in err[0]


def test_moodle_advice_digits_always_land_within_the_tolerance() -> None:
    """Rounded to the advised number of significant digits, any answer is
    within the tolerance (checked on the worst case just above a power of 10)."""
    from decimal import Decimal

    from stepbystep.exercises.moodle import digits_needed

    for rtol in (7e-4, 5e-4, 1e-3, 1e-2, 3e-5):
        digits = digits_needed(rtol)
        for exact in (Decimal("1.0004999999"), Decimal("1.00049"), Decimal("9.9994999"), Decimal("123.45678")):
            rounded = Decimal(f"{exact:.{digits - 1}e}")
            assert abs(rounded - exact) / exact <= Decimal(rtol)
    assert digits_needed(7e-4) == 4   # the grader's default: 4 significant figures pass
