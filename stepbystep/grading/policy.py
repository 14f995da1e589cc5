"""The grading policy (SPEC.md §5): when a student's number is right.

An instructor says either "give 4 decimals" (`decimals`), "give 4
significant digits" (`significant`) or "within a relative tolerance"
(`rtol`/`atol`, the default). One record holds the choice; the grader,
the report, the problem sheets and Moodle's tolerances all read it here, so
a sheet that says "4 decimals" is graded by 4 decimals.

Under `decimals = D` the accepted answers are the exact value rounded to D
decimals, r, and r ± one unit of the last digit (round-half cases,
truncation); a number with more digits is right when it rounds to one of
those, i.e. when |given − r| ≤ 1.5 units. Two units off is always wrong.
The comparison is done in exact decimal arithmetic where floats could tip it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any, Mapping

from ..spec.model import SpecError

# 4 significant figures are off by at most 5.0e-4 relative (rounding 1.0005);
# one unit off in the third significant figure is at least 1.0e-3 relative
# (9.99 vs 9.98): 7e-4 accepts the first and refuses the second. The floor
# 1e-9 (one unit in the 9th decimal the walkthrough prints) lets an answer of
# 0 pass where the exact value is 0 up to float noise.
DEFAULT_RTOL = 7e-4
DEFAULT_ATOL = 1e-9
MAX_DECIMALS = 15
MAX_SIGNIFICANT = 15
SLACK = Decimal("1.5")  # units of the last asked digit: r ± 1, and what rounds to it
KEYS = ("decimals", "significant", "rtol", "atol", "hand_rounding")


@dataclass(frozen=True)
class GradingPolicy:
    """When a given number counts as the expected one.

    `rtol`/`atol`: |given − expected| ≤ max(atol, rtol·|expected|).
    `decimals` / `significant` (at most one): the correctly rounded value, its
    last digit ±1, or more digits that round to one of those; `atol`, when
    set, is an extra floor. `hand_rounding` (with `decimals`): the value of
    rounding every step to `decimals` as one goes is right too.
    """

    rtol: float = DEFAULT_RTOL
    atol: float = None  # type: ignore[assignment]  # left out: 1e-9, or 0 when digits are asked
    decimals: int | None = None
    significant: int | None = None
    hand_rounding: bool = False

    def __post_init__(self) -> None:
        if self.decimals is not None and self.significant is not None:
            raise ValueError("a grading policy asks for decimals or significant digits, not both")
        if self.hand_rounding and self.decimals is None:
            raise ValueError("hand_rounding needs decimals (the chain rounds every step to that many decimals)")
        if self.atol is None:
            object.__setattr__(self, "atol", 0.0 if self.digits_asked else DEFAULT_ATOL)

    @property
    def digits_asked(self) -> bool:
        return self.decimals is not None or self.significant is not None

    def allows(self, given: float, expected: float) -> bool:
        """True when `given` is an accepted answer for `expected`."""
        difference = abs(given - expected)
        if difference <= self.atol:
            return True
        if not self.digits_asked:
            return difference <= self.rtol * abs(expected)
        unit = self.unit(expected)
        if unit is None:  # the exact value is 0 under `significant`: only 0 is right
            return given == 0
        scale = float(unit)
        if scale > 1e-12 * max(1.0, abs(expected)):  # floats resolve the unit: decide the clear cases fast
            if difference <= 0.9 * scale:  # |given − r| ≤ |given − e| + 0.5 unit < 1.5 units
                return True
            if difference >= 2.1 * scale:  # |given − r| ≥ |given − e| − 0.5 unit > 1.5 units
                return False
        rounded = Decimal(expected).quantize(unit, ROUND_HALF_EVEN)
        return abs(Decimal(repr(given)) - rounded) <= SLACK * unit

    def unit(self, expected: float) -> Decimal | None:
        """One unit of the last asked digit for this value (None: a 0 under `significant`)."""
        if self.decimals is not None:
            return Decimal(1).scaleb(-self.decimals)
        if expected == 0 or not math.isfinite(expected):
            return None
        assert self.significant is not None
        exact = Decimal(expected)
        place = exact.adjusted() - self.significant + 1
        if abs(exact.quantize(Decimal(1).scaleb(place), ROUND_HALF_EVEN)).adjusted() > exact.adjusted():
            place += 1  # 0.99996 at 4 digits is 1.000
        return Decimal(1).scaleb(place)

    def rounded(self, expected: float) -> float:
        """The correctly rounded value (the key a sheet of this policy shows)."""
        unit = self.unit(expected) if self.digits_asked else None
        if unit is None:
            return expected
        return float(Decimal(expected).quantize(unit, ROUND_HALF_EVEN))

    def interval(self, expected: float) -> tuple[float, float]:
        """(centre, ± half-width) of the accepted numbers, for an LMS that
        knows only absolute tolerances (Moodle's NUMERICAL blanks)."""
        if not self.digits_asked:
            return expected, max(self.atol, self.rtol * abs(expected))
        unit = self.unit(expected)
        if unit is None:
            return 0.0, self.atol
        return self.rounded(expected), max(self.atol, float(SLACK * unit))

    def asked_digits(self) -> str:
        """"4 decimals", "4 significant digits" (rtol: the significant digits that always land inside it)."""
        if self.decimals is not None:
            return f"{self.decimals} decimal{'s' if self.decimals != 1 else ''}"
        digits = self.significant if self.significant is not None else significant_needed(self.rtol)
        return f"{digits} significant digit{'s' if digits != 1 else ''}"

    def describe(self) -> str:
        """The policy in one or two sentences, for sheets, questions and reports."""
        if self.digits_asked:
            text = (f"Give every answer to {self.asked_digits()}: the exact value rounded to {self.asked_digits()} "
                    "is right, and so is a last digit off by one; more digits are fine when they round to that.")
            if self.hand_rounding:
                text += (f" Rounding every intermediate result to {self.asked_digits()} as you go is accepted too.")
            else:
                text += " Keep more digits in intermediate results than in the answers."
            if self.atol > 0:
                text += f" An answer within {self.atol:g} of the exact value is always right."
            return text
        return (f"An answer is right when it is within {self.rtol * 100:g}\u00a0% of the exact value (or within "
                f"{self.atol:g} of it): give at least {self.asked_digits()}, and keep more in intermediate results.")

    def summary(self) -> dict[str, Any]:
        """The policy as JSON fields (`rtol`, `atol` always; the others when set)."""
        found: dict[str, Any] = {"rtol": self.rtol, "atol": self.atol}
        if self.decimals is not None:
            found["decimals"] = self.decimals
        if self.significant is not None:
            found["significant"] = self.significant
        if self.hand_rounding:
            found["hand_rounding"] = True
        return found


def significant_needed(rtol: float) -> int:
    """Significant digits that always land within `rtol`: rounding to d digits
    is off by at most 5·10^-d relative (4 for the default 7e-4)."""
    return max(1, math.ceil(math.log10(5 / rtol) - 1e-12)) if rtol > 0 else 17


def written_digits(text: str, given: float) -> Decimal:
    """The number as written, trailing zeros kept (`0.3500` has 4 decimals);
    from the float when the text is in another notation (4.386 × 10⁻⁴)."""
    cleaned = text.strip().replace("−", "-").replace(",", ".").replace(" ", "")
    try:
        found = Decimal(cleaned)
    except ArithmeticError:
        return Decimal(repr(given))
    return found if found.is_finite() and float(found) == given else Decimal(repr(given))


def too_few_digits(policy: GradingPolicy, given: float, expected: float, text: str = "",
                   truncated: bool = False) -> str | None:
    """When a wrong answer is the exact value to fewer digits than asked
    (0.0004 for 0.000438568 when 6 decimals are asked), the advice to give;
    otherwise None. The value must be the exact one correctly rounded to the
    digits written (with `truncated`, cut off there is enough too)."""
    if not math.isfinite(expected):
        return None
    written = written_digits(text, given)
    exponent = written.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    if policy.decimals is not None:
        if decimals >= policy.decimals:
            return None
    else:
        asked = policy.significant if policy.significant is not None else significant_needed(policy.rtol)
        if written != 0 and len(written.normalize().as_tuple().digits) >= asked:
            return None
    if abs(given - expected) > 10.0 ** -decimals:  # not even within a unit of its own last digit
        return None
    place = Decimal(1).scaleb(-decimals)
    exact = Decimal(expected)
    if written == exact.quantize(place, ROUND_HALF_EVEN) or (truncated and written == exact.quantize(place, ROUND_DOWN)):
        return f"give {policy.asked_digits()}"
    return None


# -- the [check] table -------------------------------------------------------------
def policy_for(spec: Any, rtol: float | None = None, atol: float | None = None,
               override: GradingPolicy | None = None) -> GradingPolicy:
    """Command-line values first (an explicit policy, or --rtol/--atol, which
    mean a tolerance policy), then the spec's [check] table, then the defaults."""
    if override is not None:
        return override
    table = check_table(getattr(spec, "check", None) or {}, getattr(spec, "source", "<spec>"))
    if rtol is not None or atol is not None:
        return GradingPolicy(rtol if rtol is not None else table.get("rtol", DEFAULT_RTOL),
                             atol if atol is not None else table.get("atol", DEFAULT_ATOL))
    return GradingPolicy(rtol=table.get("rtol", DEFAULT_RTOL), atol=table.get("atol"),
                         decimals=table.get("decimals"), significant=table.get("significant"),
                         hand_rounding=table.get("hand_rounding", False))


def check_table(table: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Validate a spec's raw [check] table; each refusal names its field."""
    found: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            raise SpecError(source, f"check.{key}", f"unknown field (expected one of: {', '.join(KEYS)})")
        found[key] = _field(key, value, source)
    if "decimals" in found and "significant" in found:
        raise SpecError(source, "check.significant", "give decimals or significant, not both")
    if "rtol" in found and ("decimals" in found or "significant" in found):
        raise SpecError(source, "check.rtol", "rtol is the other policy: give decimals, significant or rtol, only one")
    if found.get("hand_rounding") and "decimals" not in found:
        raise SpecError(source, "check.hand_rounding", "needs decimals = K (the chain rounds every step to K decimals)")
    return found


def _field(key: str, value: Any, source: str) -> Any:
    path = f"check.{key}"
    if key == "hand_rounding":
        if not isinstance(value, bool):
            raise SpecError(source, path, f"expected true or false, got {value!r}")
        return value
    if key in ("decimals", "significant"):
        low, high = (0, MAX_DECIMALS) if key == "decimals" else (1, MAX_SIGNIFICANT)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SpecError(source, path, f"expected a whole number from {low} to {high}, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(source, path, f"expected a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise SpecError(source, path, f"expected a finite number >= 0, got {value!r}")
    if key == "rtol" and value >= 1:
        raise SpecError(source, path, f"expected a relative tolerance below 1, got {value!r}")
    return float(value)
