"""`variants --format qti`: a Canvas QTI 1.2 zip, read back as Canvas's
importer reads it: the manifest names the assessment file, one assessment,
one question group per asked value, N variants' numerical questions in each,
every key right (a forward pass worked out here, by hand) and every accepted
interval the grader's (rtol·|key|, rounded up, never stricter)."""
from __future__ import annotations

import json
import math
import re
import zipfile
from html import unescape
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from conftest import EXAMPLES

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
MANIFEST = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
SPEC = EXAMPLES / "mazur-variants.toml"
COUNT, SEED = 6, 2024


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    from stepbystep.cli import main

    folder = tmp_path_factory.mktemp("qti")
    assert main(["variants", str(SPEC), "--count", str(COUNT), "--seed", str(SEED), "--format", "qti",
                 "-o", str(folder / "quiz.zip")]) == 0
    assert main(["variants", str(SPEC), "--count", str(COUNT), "--seed", str(SEED), "-o", str(folder / "keys.json")]) == 0
    return folder / "quiz.zip", json.loads((folder / "keys.json").read_text(encoding="utf-8"))


def forward_by_hand(spec: dict[str, Any]) -> dict[str, float]:
    """out_o1 and E_total of a 2-2-2 sigmoid net with shared biases and half_sse, written out."""
    def sigmoid(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    hidden, output = spec["layers"][1], spec["layers"][2]
    inputs, targets = spec["samples"][0]["inputs"], spec["samples"][0]["targets"]
    out_h = [sigmoid(row[0] * inputs[0] + row[1] * inputs[1] + hidden["bias"]) for row in hidden["weights"]]
    out_o = [sigmoid(row[0] * out_h[0] + row[1] * out_h[1] + output["bias"]) for row in output["weights"]]
    return {"out_o1": out_o[0], "E_total": sum(0.5 * (t - o) ** 2 for t, o in zip(targets, out_o))}


def read_quiz(path: Path) -> tuple[ElementTree.Element, ElementTree.Element, list[str]]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        manifest = ElementTree.fromstring(archive.read("imsmanifest.xml"))
        resources = manifest.findall(f"{MANIFEST}resources/{MANIFEST}resource")
        assessment_files = [r.find(f"{MANIFEST}file").get("href") for r in resources if r.get("type") == "imsqti_xmlv1p2"]
        assert len(assessment_files) == 1
        for resource in resources:                                   # every file the manifest names is there
            for file in resource.findall(f"{MANIFEST}file"):
                assert file.get("href") in names
        dependencies = {d.get("identifierref") for r in resources for d in r.findall(f"{MANIFEST}dependency")}
        assert dependencies <= {r.get("identifier") for r in resources}
        root = ElementTree.fromstring(archive.read(assessment_files[0]))
    return manifest, root, names


def test_zip_has_the_structure_canvas_imports(exported: tuple[Path, list[dict[str, Any]]]) -> None:
    path, keys = exported
    _, root, names = read_quiz(path)
    assert root.tag == f"{QTI}questestinterop"
    assessments = root.findall(f"{QTI}assessment")
    assert len(assessments) == 1
    asked = keys[0]["questions"]
    groups = assessments[0].findall(f"{QTI}section/{QTI}section")
    assert [group.get("title") for group in groups] == asked
    for group in groups:
        assert group.findtext(f"{QTI}selection_ordering/{QTI}selection/{QTI}selection_number") == "1"
        assert len(group.findall(f"{QTI}item")) == COUNT
    items = root.iter(f"{QTI}item")
    idents = [item.get("ident") for item in items]
    assert len(idents) == COUNT * len(asked) and len(set(idents)) == len(idents)
    assert any(name.endswith("assessment_meta.xml") for name in names)


def item_key(item: ElementTree.Element) -> tuple[float, float, float]:
    fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
              for f in item.iter(f"{QTI}qtimetadatafield")}
    assert fields["question_type"] == "numerical_question" and float(fields["points_possible"]) == 1
    fib = item.find(f"{QTI}presentation/{QTI}response_str/{QTI}render_fib")
    assert fib is not None and fib.get("fibtype") == "Decimal"
    condition = item.find(f"{QTI}resprocessing/{QTI}respcondition")
    assert condition.findtext(f"{QTI}setvar") == "100"
    exact = condition.findtext(f"{QTI}conditionvar/{QTI}or/{QTI}varequal")
    low = condition.findtext(f"{QTI}conditionvar/{QTI}or/{QTI}and/{QTI}vargte")
    high = condition.findtext(f"{QTI}conditionvar/{QTI}or/{QTI}and/{QTI}varlte")
    for number in (exact, low, high):
        assert re.fullmatch(r"-?\d+(\.\d+)?", number), number        # plain decimals, no 1E-4
    return float(exact), float(low), float(high)


def test_every_key_is_right_and_its_margin_is_the_graders(exported: tuple[Path, list[dict[str, Any]]]) -> None:
    path, keys = exported
    _, root, _ = read_quiz(path)
    by_variant = {entry["id"]: entry for entry in keys}
    checked = 0
    for item in root.iter(f"{QTI}item"):
        name, variant = re.fullmatch(r"(.+) \(variant (\d+-\d+)\)", item.get("title")).groups()
        exact, low, high = item_key(item)
        assert exact == by_variant[variant]["answers"][name]
        hand = forward_by_hand(by_variant[variant]["spec"])
        if name in hand:
            assert math.isclose(exact, hand[name], rel_tol=1e-12), (variant, name)
            checked += 1
        margin = max(1e-9, 7e-4 * abs(exact))                     # the default policy, as the README states it
        assert low <= exact - margin * (1 - 1e-9) and high >= exact + margin * (1 - 1e-9)
        assert low >= exact - 1.01 * margin and high <= exact + 1.01 * margin
        text = unescape(unescape(item.findtext(f"{QTI}presentation/{QTI}material/{QTI}mattext")))
        assert variant in text and f"<code>{name}</code>" in text
    assert checked == 2 * COUNT


def test_same_seed_same_bytes(exported: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    from stepbystep.cli import main

    again = tmp_path / "again.zip"
    assert main(["variants", str(SPEC), "--count", str(COUNT), "--seed", str(SEED), "--format", "qti", "-o", str(again)]) == 0
    assert again.read_bytes() == exported[0].read_bytes()


def test_a_check_table_changes_the_margin(tmp_path: Path) -> None:
    from stepbystep.cli import main

    spec = tmp_path / "loose.toml"
    spec.write_text(SPEC.read_text(encoding="utf-8") + "\n[check]\nrtol = 0.01\n", encoding="utf-8")
    assert main(["variants", str(spec), "--count", "2", "--seed", "1", "--format", "qti", "-o", str(tmp_path / "q.zip")]) == 0
    _, root, _ = read_quiz(tmp_path / "q.zip")
    for item in root.iter(f"{QTI}item"):
        exact, low, high = item_key(item)
        assert math.isclose(high - exact, 0.01 * abs(exact), rel_tol=0.01)


def test_qti_needs_an_output_file(run_cli: Any) -> None:
    result = run_cli("variants", SPEC, "--count", "2", "--seed", "1", "--format", "qti")
    assert result.code == 2 and result.out == ""
    assert result.err == "stepbystep: error: --format qti writes a binary file: give -o FILE\n"
