"""Variants as a Canvas quiz: an IMS QTI 1.2 zip for Canvas's "QTI .zip" import.

A Canvas numerical question holds one number, and an exercise asks for
several (the loss, updated weights, …), so each asked value of each variant
is one numerical question, and each question states its variant's numbers
in full. The questions asking for the same value form a question group that
picks one at random, so every student gets their own numbers. Canvas draws
each group on its own, which is why no question relies on another's data.

A question accepts exactly what `stepbystep check` accepts, through the same
functions as the Moodle bank (moodle.py): the spec's [check] policy turned
into a ± margin per key, rounded up, never stricter than the grader.

The zip: `imsmanifest.xml`, and in one folder the assessment (QTI 1.2) and
Canvas's quiz settings (`assessment_meta.xml`). Same seed, same bytes: the
identifiers come from the variant ids, and the zip entries carry a fixed date.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from decimal import Decimal
from html import escape
from typing import Iterable, Sequence

from ..grading.policy import policy_for
from .moodle import question_html, tolerance_text
from .sheets import Problem, Question, problem
from .variants import Variant

QTI_NAMESPACE = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
MANIFEST_NAMESPACE = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NAMESPACE = "http://canvas.instructure.com/xsd/cccv1p0"
_FIXED_DATE = (2000, 1, 1, 0, 0, 0)  # zip entries: the same bytes on every run


def qti_zip(variants: Iterable[Variant]) -> bytes:
    """The whole Canvas import file."""
    views: list[tuple[Variant, Problem]] = [(variant, problem(variant)) for variant in variants]
    if not views:
        raise ValueError("no variants to export")
    first = views[0][0]
    seed = first.id.split("-")[0]
    ident = f"stepbystep-{seed}"
    title = f"{first.base_title or 'stepbystep'} (variants, seed {seed})"
    items = sum(len(view.questions) for _, view in views)
    files = {
        "imsmanifest.xml": manifest_xml(ident),
        f"{ident}/{ident}.xml": assessment_xml(ident, title, views),
        f"{ident}/assessment_meta.xml": meta_xml(ident, title, len(views[0][1].questions), items),
    }
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            entry = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, text.encode("utf-8"))
    return stream.getvalue()


def manifest_xml(ident: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest identifier="{ident}-manifest" xmlns="{MANIFEST_NAMESPACE}">\n'
        "  <metadata>\n    <schema>IMS Content</schema>\n    <schemaversion>1.1.3</schemaversion>\n  </metadata>\n"
        "  <organizations/>\n  <resources>\n"
        f'    <resource identifier="{ident}" type="imsqti_xmlv1p2">\n'
        f'      <file href="{ident}/{ident}.xml"/>\n'
        f'      <dependency identifierref="{ident}-meta"/>\n'
        "    </resource>\n"
        f'    <resource identifier="{ident}-meta" type="associatedcontent/imscc_xmlv1p1/learning-application-resource"'
        f' href="{ident}/assessment_meta.xml">\n'
        f'      <file href="{ident}/assessment_meta.xml"/>\n'
        "    </resource>\n  </resources>\n</manifest>\n")


def assessment_xml(ident: str, title: str, views: Sequence[tuple[Variant, Problem]]) -> str:
    """One assessment; per asked value a group drawing one of its variants' questions."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<questestinterop xmlns="{QTI_NAMESPACE}">',
        f'  <assessment ident="{ident}-assessment" title="{_attribute(title)}">',
        "    <qtimetadata>",
        "      <qtimetadatafield><fieldlabel>cc_maxattempts</fieldlabel><fieldentry>1</fieldentry></qtimetadatafield>",
        "    </qtimetadata>",
        '    <section ident="root_section">',
    ]
    for position, question in enumerate(views[0][1].questions):
        parts += [
            f'      <section ident="{ident}-group-{position + 1}" title="{_attribute(question.name)}">',
            "        <selection_ordering><selection>",
            "          <selection_number>1</selection_number>",
            "          <selection_extension><points_per_item>1</points_per_item></selection_extension>",
            "        </selection></selection_ordering>",
        ]
        for variant, view in views:
            parts.append(item_xml(variant, view, view.questions[position]))
        parts.append("      </section>")
    parts += ["    </section>", "  </assessment>", "</questestinterop>", ""]
    return "\n".join(parts)


def item_xml(variant: Variant, view: Problem, question: Question) -> str:
    """One numerical question: the variant's problem, one value to give, its margin."""
    centre, margin = policy_for(variant.spec).interval(question.value)  # what `check` accepts, as ± around a key
    margin = float(tolerance_text(margin))
    text = question_html(replace(view, questions=[question]), [""])
    ident = f"sbs-{variant.id}-{question.number}"
    fields = (("question_type", "numerical_question"), ("points_possible", "1.0"),
              ("original_answer_ids", f"{ident}-answer"), ("assessment_question_identifierref", f"{ident}-ref"))
    metadata = "".join(f"<qtimetadatafield><fieldlabel>{label}</fieldlabel><fieldentry>{entry}</fieldentry>"
                       "</qtimetadatafield>" for label, entry in fields)
    return (
        f'        <item ident="{ident}" title="{_attribute(f"{question.name} (variant {variant.id})")}">\n'
        f"          <itemmetadata><qtimetadata>{metadata}</qtimetadata></itemmetadata>\n"
        "          <presentation>\n"
        f'            <material><mattext texttype="text/html">{escape(text, quote=False)}</mattext></material>\n'
        '            <response_str ident="response1" rcardinality="Single">\n'
        f'              <render_fib fibtype="Decimal"><response_label ident="{ident}-answer"/></render_fib>\n'
        "            </response_str>\n"
        "          </presentation>\n"
        "          <resprocessing>\n"
        '            <outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/></outcomes>\n'
        '            <respcondition continue="No">\n'
        "              <conditionvar><or>\n"
        f'                <varequal respident="response1">{decimal_text(centre)}</varequal>\n'
        f'                <and><vargte respident="response1">{decimal_text(centre - margin)}</vargte>'
        f'<varlte respident="response1">{decimal_text(centre + margin)}</varlte></and>\n'
        "              </or></conditionvar>\n"
        '              <setvar action="Set" varname="SCORE">100</setvar>\n'
        "            </respcondition>\n"
        "          </resprocessing>\n"
        "        </item>")


def meta_xml(ident: str, title: str, groups: int, items: int) -> str:
    """Canvas's own quiz settings: an unpublished practice-free graded quiz."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<quiz identifier="{ident}-assessment" xmlns="{CANVAS_NAMESPACE}">\n'
        f"  <title>{escape(title, quote=False)}</title>\n"
        f"  <description>{escape(f'{groups} questions, each drawn from {items // max(groups, 1)} variants.')}</description>\n"
        "  <shuffle_answers>false</shuffle_answers>\n"
        "  <scoring_policy>keep_highest</scoring_policy>\n"
        "  <quiz_type>assignment</quiz_type>\n"
        f"  <points_possible>{groups:.1f}</points_possible>\n"
        "  <allowed_attempts>1</allowed_attempts>\n"
        "  <show_correct_answers>true</show_correct_answers>\n"
        "  <available>false</available>\n"
        "</quiz>\n")


def decimal_text(value: float) -> str:
    """A number in plain decimal notation (Canvas New Quizzes refuses 1E-4), every digit of the float."""
    text = format(Decimal(repr(value)), "f")
    return "0" if text in ("-0", "-0.0") else text


def _attribute(text: str) -> str:
    return escape(text, quote=True)
