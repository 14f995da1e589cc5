"""The walkthrough of examples/mazur.toml against Mazur's published numbers.

Oracle: the table of ../shared/mazur-2015.md (the post as printed, and an
independent float64 recomputation), copied below so the test also runs on a
checkout without ../shared; a separate test checks the copy against the
file when it is there.
"""
from __future__ import annotations

import json
import math
import re
from decimal import Decimal

import pytest
from conftest import MAZUR_TOML, SHARED

# name in the shared table -> (published, exact float64, status)
TABLE: dict[str, tuple[str, float, str]] = {
    "net_h1": ("0.3775", 0.3775, "ok"),
    "out_h1": ("0.593269992", 0.5932699921071872, "ok"),
    "out_h2": ("0.596884378", 0.596884378259767, "ok"),
    "net_o1": ("1.105905967", 1.10590596705977, "ok"),
    "out_o1": ("0.75136507", 0.7513650695523157, "ok"),
    "out_o2": ("0.772928465", 0.7729284653214625, "ok"),
    "E_o1": ("0.274811083", 0.274811083176155, "ok"),
    "E_o2": ("0.023560026", 0.023560025583847746, "ok"),
    "E_total": ("0.298371109", 0.2983711087600027, "ok"),
    "dE_total/dout_o1": ("0.74136507", 0.7413650695523157, "ok"),
    "dout_o1/dnet_o1": ("0.186815602", 0.18681560180895948, "ok"),
    "dnet_o1/dw5 (= out_h1)": ("0.593269992", 0.5932699921071872, "ok"),
    "dE_total/dw5": ("0.082167041", 0.08216704056423078, "ok"),
    "w5+": ("0.35891648", 0.35891647971788465, "ok"),
    "w6+": ("0.408666186", 0.4086661860762334, "ok"),
    "w7+": ("0.511301270", 0.5113012702387375, "ok"),
    "w8+": ("0.561370121", 0.5613701211079891, "ok"),
    "dE_o1/dnet_o1 (delta_o1)": ("0.138498562", 0.13849856162855698, "ok"),
    "dnet_o1/dout_h1 (= w5)": ("0.40", 0.4, "ok"),
    "dE_o1/dout_h1": ("0.055399425", 0.05539942465142279, "ok"),
    "dE_o2/dout_h1": ("-0.019049119", -0.019049118258278114, "last-digit"),
    "dE_total/dout_h1": ("0.036350306", 0.03635030639314468, "ok"),
    "dout_h1/dnet_h1": ("0.241300709", 0.24130070857232525, "ok"),
    "dnet_h1/dw1 (= i1)": ("0.05", 0.05, "ok"),
    "dE_total/dw1": ("0.000438568", 0.00043856773447434685, "ok"),
    "w1+": ("0.149780716", 0.1497807161327628, "ok"),
    "w2+": ("0.19956143", 0.19956143226552567, "ok"),
    "w3+": ("0.24975114", 0.24975114363236958, "ok"),
    "w4+": ("0.29950229", 0.29950228726473915, "ok"),
    "E_total after first round of backpropagation": ("0.291027924", 0.29102777369359933, "MISMATCH"),
}
OK_ROWS = [name for name, (_, _, status) in TABLE.items() if status == "ok"]

# Canonical names (SPEC §2) of table rows that carry a remark or an alias.
CANONICAL = {
    "dE_o1/dnet_o1 (delta_o1)": "dE_total/dnet_o1",
    "E_total after first round of backpropagation": "after1.E_total",
}


def canonical(row: str) -> str:
    return CANONICAL.get(row, row.split(" (")[0])


# -- Mazur's notation, written out here independently of stepbystep.latex ----
def atom(name: str) -> str:
    match = re.fullmatch(r"([wbi])(\d+)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    head, _, tail = name.partition("_")
    if re.search("[a-z]{2}", tail):  # a word as a subscript is a label: upright
        tail = chr(92) + "mathrm{" + tail + "}"
    return f"{head if len(head) == 1 else chr(92) + 'mathit{' + head + '}'}_{{{tail}}}"


def latex_symbol(name: str) -> str:
    if name.endswith("+"):
        return atom(name[:-1]) + "^{+}"
    if name.startswith("d") and "/d" in name:
        top, _, bottom = name[1:].partition("/d")
        return f"\\frac{{\\partial {atom(top)}}}{{\\partial {atom(bottom)}}}"
    return atom(name)


def test_hand_written_notation_matches_the_post() -> None:
    assert latex_symbol("net_h1") == r"\mathit{net}_{h1}"
    assert latex_symbol("w5+") == "w_{5}^{+}"
    assert latex_symbol("dE_total/dw5") == r"\frac{\partial E_{\mathrm{total}}}{\partial w_{5}}"


# -- reading the document ------------------------------------------------------
def displayed_equations(markdown: str) -> list[tuple[str, str]]:
    """(left-hand side, printed value) of every $$ … $$ equation, in order."""
    found = []
    for block in re.findall(r"\$\$(.+?)\$\$", markdown, flags=re.S):
        body = block.replace(r"\begin{aligned}", "").replace(r"\end{aligned}", "")
        body = " ".join(body.replace("&=", "=").replace("\\\\", " ").split())
        parts = [part.strip() for part in body.split(" = ")]
        if len(parts) >= 2:
            found.append((parts[0], parts[-1]))
    return found


def as_decimal(latex: str) -> Decimal:
    match = re.fullmatch(r"(-?[0-9.]+)(?: \\times 10\^\{(-?\d+)\})?", latex)
    assert match, f"not a printed number: {latex!r}"
    number = Decimal(match.group(1))
    return number.scaleb(int(match.group(2))) if match.group(2) else number


def printed_values(markdown: str) -> dict[str, list[Decimal]]:
    values: dict[str, list[Decimal]] = {}
    for left, right in displayed_equations(markdown):
        try:
            values.setdefault(left, []).append(as_decimal(right))
        except AssertionError:
            continue  # a formula-only display (the chain rule written out)
    return values


@pytest.fixture(scope="module")
def document() -> str:
    import stepbystep

    return stepbystep.load(MAZUR_TOML).markdown()


@pytest.fixture(scope="module")
def before_and_after(document: str) -> tuple[dict[str, list[Decimal]], dict[str, list[Decimal]]]:
    # split at the headings, whatever their level and exact wording
    parts = re.split(r"^#+ After .*$", document, maxsplit=1, flags=re.M)
    assert len(parts) == 2, "the walkthrough has no 'After …' section"
    after = re.split(r"^#+ The parameters before and after", parts[1], maxsplit=1, flags=re.M)[0]
    return printed_values(parts[0]), printed_values(after)


def decimals(published: str) -> int:
    return len(published.split(".")[1]) if "." in published else 0


@pytest.mark.parametrize("row", OK_ROWS)
def test_published_number_is_printed(row: str, before_and_after) -> None:
    before, _ = before_and_after
    published, exact, _ = TABLE[row]
    symbol = latex_symbol(canonical(row))
    assert symbol in before, f"{row}: no equation for ${symbol}$ in the walkthrough"
    printed = before[symbol][0]
    # printed to 9 decimals (trailing zeros stripped) ...
    assert -printed.as_tuple().exponent <= 9
    assert printed == Decimal(f"{exact:.9f}")
    # ... and the post's digits are that printed value rounded like the post
    places = decimals(published)
    assert printed.quantize(Decimal(1).scaleb(-places)) == Decimal(published), (row, printed, published)


def test_every_occurrence_of_a_value_agrees(before_and_after) -> None:
    """A value printed in several places (as a factor, later) is the same."""
    before, _ = before_and_after
    for row in OK_ROWS:
        symbol = latex_symbol(canonical(row))
        assert len(set(before[symbol])) == 1, row


def test_first_and_given_values(document: str) -> None:
    assert r"\mathit{net}_{h1} = w_{1} \cdot i_{1} + w_{2} \cdot i_{2} + b_{1} \cdot 1" in document
    assert "0.15 \\cdot 0.05 + 0.2 \\cdot 0.1 + 0.35 \\cdot 1 = 0.3775" in document


def notes(document: str) -> list[str]:
    return [line for line in document.splitlines() if line.startswith("> **Note.**")]


def test_erratum_dE_o2_dout_h1_prints_exact_value_and_note(before_and_after, document: str) -> None:
    before, _ = before_and_after
    published, exact, status = TABLE["dE_o2/dout_h1"]
    assert status == "last-digit"
    printed = before[latex_symbol("dE_o2/dout_h1")][0]
    assert printed == Decimal("-0.019049118") == Decimal(f"{exact:.9f}")
    assert printed != Decimal(published)
    assert any(published in note and "-0.019049118" in note for note in notes(document))


def test_erratum_error_after_first_round(before_and_after, document: str) -> None:
    _, after = before_and_after
    published, exact, _ = TABLE["E_total after first round of backpropagation"]
    printed = after[latex_symbol("E_total")]
    assert printed == [Decimal("0.291027774")] == [Decimal(f"{exact:.9f}")]
    assert any(published in note and "0.291027774" in note for note in notes(document))


def test_typo_in_net_h1_formula_has_a_note(document: str) -> None:
    assert any("w3" in note and "typo" in note for note in notes(document))


def test_answers_equal_the_exact_column(run_cli) -> None:
    result = run_cli("answers", MAZUR_TOML, "--format", "json")
    assert result.code == 0 and result.err == ""
    answers = json.loads(result.out)
    for row, (_, exact, _) in TABLE.items():
        name = canonical(row)
        assert math.isclose(answers[name], exact, rel_tol=1e-15, abs_tol=0), (row, answers[name], exact)


def test_aliases_give_the_same_values() -> None:
    import stepbystep

    walk = stepbystep.load(MAZUR_TOML)
    for alias in ("delta_o1", "dE_o1/dnet_o1", "dE_total/dnet_o1"):
        assert math.isclose(walk.value(alias), 0.13849856162855698, rel_tol=1e-15)


def test_copied_table_matches_the_shared_file() -> None:
    path = SHARED / "mazur-2015.md"
    if not path.is_file():
        pytest.skip("../shared/mazur-2015.md is not in this checkout")
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\| `([^`]+)` \| (\S+) \| (\S+) \| (\S+) \|", line)
        if match:
            rows[match.group(1)] = (match.group(2), float(match.group(3)), match.group(4))
    for row, entry in TABLE.items():
        assert rows[row] == entry, row
    # every ok row of the file is tested here
    assert {row for row, (_, _, status) in rows.items() if status == "ok"} == set(OK_ROWS)


def test_updated_weights_convention_reproduces_the_posts_old_number(mazur_spec) -> None:
    """The errata: 0.291027924 is what the older code's convention (hidden
    deltas through the updated w5…w8) gives: 0.2910279239 in mazur-2015.md."""
    import stepbystep

    mazur_spec["hidden_deltas_use"] = "updated_weights"
    walk = stepbystep.from_dict(mazur_spec)
    assert round(walk.value("after1.E_total"), 10) == 0.2910279239
    assert f"{walk.value('after1.E_total'):.9f}" == "0.291027924"
    # the path weight reported is the moved one, w5+ (SPEC §1)
    assert walk.value("dnet_o1/dout_h1") == walk.value("w5+")
