"""Reference numbers: our Aktenzeichen from the configured schemes, and whose number it is."""

from __future__ import annotations

import re

import pytest

from dms.errors import ConfigError
from ingest.extract import ReferencePattern, extract_fields
from tests.ingest_rules.letters import (
    AMTSGERICHT,
    BAU_STELLUNGNAHME,
    BUSSGELD_EINSPRUCH,
    COURT,
    HEADER_ROW,
    INVOICE,
    OBJECTION,
    TODAY,
)


def refs(text: str, pattern: ReferencePattern):  # type: ignore[no-untyped-def]
    return extract_fields(text, reference_pattern=pattern, today=TODAY).references


@pytest.mark.parametrize(
    ("raw", "value", "kind", "plan", "file"),
    [
        ("600-0001/2026-01", "600-0001/2026-01", "case", "600", "600-0001/2026"),
        ("022.31-0004/2026", "022.31-0004/2026", "file", "022.31", "022.31-0004/2026"),
        ("022.31-0004/2026-12", "022.31-0004/2026-12", "case", "022.31", "022.31-0004/2026"),
        ("6OO-OOO1/2O26-O1", "600-0001/2026-01", "case", "600", "600-0001/2026"),
        ("600 - 0001 / 2026 - 01", "600-0001/2026-01", "case", "600", "600-0001/2026"),
        ("600-0001/2026–01", "600-0001/2026-01", "case", "600", "600-0001/2026"),  # en dash
        ("401-12345/2026-101", "401-12345/2026-101", "case", "401", "401-12345/2026"),
    ],
)
def test_our_references_in_any_spelling(
    pattern: ReferencePattern, raw: str, value: str, kind: str, plan: str, file: str
) -> None:
    found = refs(f"Betreff: Bauantrag\nAz. {raw}\n", pattern)
    ours = [r for r in found if r.value.owner == "ours"]
    assert len(ours) == 1
    ref = ours[0].value
    assert (ref.value, ref.kind, ref.plan_code, ref.file_reference) == (value, kind, plan, file)
    assert ours[0].span is not None and ours[0].span.text == raw


def test_parse_and_regex_follow_the_configured_schemes() -> None:
    custom = ReferencePattern("Az. {plan}/{year}/{seq:03d}", "{file}.{seq}", {"600", "43"})
    parsed = custom.parse("Az. 600/2026/007.3")
    assert parsed is not None and parsed.kind == "case"
    assert parsed.value == "Az. 600/2026/007.3" and parsed.file_reference == "Az. 600/2026/007"
    assert custom.parse("Az. 43/2026/012").kind == "file"  # type: ignore[union-attr]
    assert custom.parse("600-0001/2026-01") is None
    found = [r.value.value for r in refs("Ihr Zeichen: Az. 43/2026/012.2\n", custom)]
    assert found == ["Az. 43/2026/012.2"]


def test_year_in_case_scheme_and_two_digit_year() -> None:
    pat = ReferencePattern("{plan}-{seq}-{year:02d}", "{file}/{seq:02d}/{year:02d}")
    parsed = pat.parse("600-17-26/03/26")
    assert parsed is not None and parsed.kind == "case" and parsed.plan_code == "600"


def test_bad_schemes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unbekanntes Feld"):
        ReferencePattern("{plan}-{nummer}/{year}")
    with pytest.raises(ConfigError):
        ReferencePattern("{plan}-{seq:x}/{year}")


def test_a_single_regex_may_be_given(pattern: ReferencePattern) -> None:
    found = extract_fields(
        "Ihr Zeichen: XY-42\n", reference_pattern=r"XY-[0-9]+", today=TODAY
    ).references
    assert [(r.value.value, r.value.owner) for r in found] == [("XY-42", "ours")]


def test_ihr_zeichen_is_ours_unser_zeichen_is_theirs(pattern: ReferencePattern) -> None:
    found = refs(BAU_STELLUNGNAHME, pattern)
    by_owner = {r.value.owner: r for r in found}
    assert by_owner["ours"].value.value == "600-0001/2026-01"
    assert by_owner["ours"].value.label == "Ihr Zeichen"
    assert by_owner["ours"].confidence >= 0.95
    assert by_owner["theirs"].value.value == "BA-2026/117"
    assert by_owner["theirs"].value.label == "Unser Zeichen"


def test_ocr_damaged_label(pattern: ReferencePattern) -> None:
    found = refs("lhr Zeichen: 600-0001/2026-01\n", pattern)
    assert found[0].value.label == "Ihr Zeichen" and found[0].value.owner == "ours"


def test_our_scheme_under_unser_zeichen_belongs_to_the_sender(pattern: ReferencePattern) -> None:
    # another district office with the same scheme: their number is not our case
    found = refs("Unser Zeichen: 600-0003/2026-02\nIhr Zeichen: 401-0001/2026-01\n", pattern)
    owners = {r.value.value: r.value.owner for r in found}
    assert owners == {"600-0003/2026-02": "theirs", "401-0001/2026-01": "ours"}


def test_bare_aktenzeichen_by_scheme(pattern: ReferencePattern) -> None:
    found = refs(OBJECTION, pattern)
    assert [(r.value.value, r.value.owner, r.value.kind) for r in found] == [
        ("401-0012/2026-03", "ours", "case")
    ]
    court = refs(AMTSGERICHT, pattern)
    assert [(r.value.value, r.value.owner, r.value.label) for r in court] == [
        ("2 M 345/26", "theirs", "Aktenzeichen")
    ]


def test_court_geschaeftsnummer_and_our_reference(pattern: ReferencePattern) -> None:
    found = refs(COURT, pattern)
    assert [(r.value.value, r.value.owner) for r in found] == [
        ("600-0007/2025-02", "ours"),
        ("4 K 1234/26", "theirs"),
    ]


def test_invoice_numbers_are_the_senders(pattern: ReferencePattern) -> None:
    found = {r.value.label: r.value.value for r in refs(INVOICE, pattern)}
    assert found == {"Rechnungsnummer": "RE-2026-1187", "Kundennummer": "K-40711"}


def test_file_reference_of_ours(pattern: ReferencePattern) -> None:
    found = refs(BUSSGELD_EINSPRUCH, pattern)
    assert [(r.value.value, r.value.kind, r.value.owner) for r in found] == [
        ("703-0219/2026", "file", "ours")
    ]


def test_unlabelled_reference_in_the_body(pattern: ReferencePattern) -> None:
    found = refs("in der Sache 600-0001/2026-01 teile ich mit, dass ...", pattern)
    assert len(found) == 1 and found[0].value.owner == "ours" and found[0].value.label is None
    assert 0.7 <= found[0].confidence < 0.95


def test_unknown_plan_code_lowers_confidence(pattern: ReferencePattern) -> None:
    known = refs("Ihr Zeichen: 600-0001/2026-01", pattern)[0]
    unknown = refs("Ihr Zeichen: 999-0001/2026-01", pattern)[0]
    assert unknown.value.owner == "ours" and unknown.confidence < known.confidence - 0.2


def test_combined_label_with_message_date(pattern: ReferencePattern) -> None:
    found = refs("Ihr Zeichen, Ihre Nachricht vom: 600-0001/2026-01, 15.10.2026\n", pattern)
    assert [(r.value.value, r.value.owner) for r in found] == [("600-0001/2026-01", "ours")]
    theirs = refs("Unser Zeichen, unsere Nachricht vom: AB-12/26, 01.10.2026\n", pattern)
    assert [(r.value.value, r.value.owner) for r in theirs] == [("AB-12/26", "theirs")]


def test_header_row_with_values_below(pattern: ReferencePattern) -> None:
    found = refs(HEADER_ROW, pattern)
    assert [(r.value.value, r.value.owner, r.value.label) for r in found] == [
        ("600-0001/2026-01", "ours", "Ihr Zeichen"),
        ("KB-77/26", "theirs", "Unser Zeichen"),
    ]


def test_header_row_with_collapsed_columns(pattern: ReferencePattern) -> None:
    text = "Ihr Zeichen Unser Zeichen Datum\n600-0001/2026-01 KB-77/26 03.11.2026\n"
    found = refs(text, pattern)
    assert ("600-0001/2026-01", "ours") in [(r.value.value, r.value.owner) for r in found]


def test_no_false_references_in_prose(pattern: ReferencePattern) -> None:
    text = (
        "Als Zeichen unserer Wertschätzung 2026 laden wir Sie ein.\n"
        "Telefon 0761 1234-56, Fax 0761 1234-57, am 03.11.2026 um 10:00 Uhr.\n"
        "Gesamtbetrag 1.249,50 EUR\n"
    )
    assert refs(text, pattern) == ()


def test_evidence_matches_text(pattern: ReferencePattern) -> None:
    for text in (BAU_STELLUNGNAHME, COURT, HEADER_ROW, INVOICE):
        for ref in refs(text, pattern):
            span = ref.span
            assert span is not None and text[span.start : span.end] == span.text
            assert re.sub(r"\s", "", span.text) != ""
