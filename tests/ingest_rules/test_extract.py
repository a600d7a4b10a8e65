"""extract_fields on whole letters: every field at once, evidence spans, robustness."""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extract import CorrespondentRegister, Extraction, ReferencePattern, extract_fields
from tests.ingest_rules.letters import ALL, BAU_STELLUNGNAHME, INVOICE, TODAY, ocr_noise


def test_bau_letter_all_fields(register: CorrespondentRegister, pattern: ReferencePattern) -> None:
    result = extract_fields(
        BAU_STELLUNGNAHME, reference_pattern=pattern, register=register, today=TODAY
    )
    assert result.date is not None and result.date.value == date(2026, 11, 3)
    assert result.sender is not None
    assert result.sender.value.correspondent.id == "gemeinde-oberdorf"  # type: ignore[union-attr]
    assert [r.value.value for r in result.case_references] == ["600-0001/2026-01"]
    assert [r.value.value for r in result.their_references] == ["BA-2026/117"]
    assert result.iban is not None and result.iban.value == "DE44500105175407324931"
    assert [b.value for b in result.bics] == ["SOLADES1LIN"]


def test_invoice_all_fields(register: CorrespondentRegister, pattern: ReferencePattern) -> None:
    result = extract_fields(INVOICE, reference_pattern=pattern, register=register, today=TODAY)
    assert result.date is not None and result.date.value == date(2026, 10, 28)
    assert result.sender is not None and result.sender.value.name == "Schreiber GmbH"
    assert result.amount is not None and result.amount.value.value == Decimal("1249.50")
    assert str(result.amount.value) == "1.249,50 EUR"
    assert result.document_type.value == "invoice"
    assert result.our_references == ()


def test_evidence_spans_point_into_the_text(
    register: CorrespondentRegister, pattern: ReferencePattern
) -> None:
    for text in ALL.values():
        result = extract_fields(text, reference_pattern=pattern, register=register, today=TODAY)
        for _name, field in result.fields():
            for span in field.evidence:
                assert text[span.start : span.end] == span.text
                assert 0 <= field.confidence <= 1


def test_to_dict_is_json(register: CorrespondentRegister, pattern: ReferencePattern) -> None:
    for text in ALL.values():
        result = extract_fields(text, reference_pattern=pattern, register=register, today=TODAY)
        data = json.loads(json.dumps(result.to_dict()))
        assert set(data) >= {"date", "sender", "references", "ibans", "amount", "document_type"}
    data = extract_fields(INVOICE, reference_pattern=pattern, register=register).to_dict()
    assert data["amount"]["value"] == "1249.50"
    assert data["sender"]["correspondent_id"] == "schreiber-gmbh"


def test_pages_only_and_page_numbers(pattern: ReferencePattern) -> None:
    pages = [
        "Karl Krause\n\nOberdorf, den 03.11.2026\n",
        "Seite 2\nIBAN DE02 1203 0000 0000 2020 51",
    ]
    result = extract_fields(None, reference_pattern=pattern, pages=pages, today=TODAY)
    assert result.date is not None and result.date.span.page == 1  # type: ignore[union-attr]
    assert result.iban is not None and result.iban.span.page == 2  # type: ignore[union-attr]
    joined = "\n\n".join(pages)  # the caller's own joining is found again
    again = extract_fields(joined, reference_pattern=pattern, pages=pages, today=TODAY)
    assert again.iban.span.page == 2  # type: ignore[union-attr]
    assert joined[again.iban.span.start : again.iban.span.end] == again.iban.span.text  # type: ignore[union-attr]


def test_form_feeds_mark_pages_without_page_list(pattern: ReferencePattern) -> None:
    text = "Oberdorf, den 03.11.2026\n\fIBAN DE02 1203 0000 0000 2020 51"
    result = extract_fields(text, reference_pattern=pattern, today=TODAY)
    assert result.iban.span.page == 2  # type: ignore[union-attr]


def test_empty_and_huge_inputs(pattern: ReferencePattern) -> None:
    empty = extract_fields("", reference_pattern=pattern)
    assert isinstance(empty, Extraction) and empty.document_type.value == "other"
    assert empty.date is None and empty.sender is None and empty.references == ()
    huge = extract_fields(INVOICE * 2000, reference_pattern=pattern, today=TODAY, max_chars=50_000)
    assert len(huge.text) == 50_000 and huge.iban is not None


def test_noisy_letters_keep_their_key_fields(
    register: CorrespondentRegister, pattern: ReferencePattern
) -> None:
    """Light OCR noise: date, our reference and IBAN survive in almost every trial."""
    rng = random.Random(3)
    trials = hits = 0
    for _ in range(30):
        text = ocr_noise(BAU_STELLUNGNAHME, rng, rate=0.01)
        result = extract_fields(text, reference_pattern=pattern, register=register, today=TODAY)
        trials += 3
        hits += result.date is not None and result.date.value == date(2026, 11, 3)
        hits += any(r.value.value == "600-0001/2026-01" for r in result.our_references)
        hits += result.iban is not None and result.iban.value == "DE44500105175407324931"
    assert hits / trials >= 0.9


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_random_text_never_crashes(text: str) -> None:
    result = extract_fields(text, reference_pattern=None, today=TODAY)
    assert result.document_type.value in {
        "invoice", "application", "objection", "court", "advertising", "other",
    }  # fmt: skip
    json.dumps(result.to_dict())
    for _name, field in result.fields():
        for span in field.evidence:
            assert text[span.start : span.end] == span.text


_LETTERISH = st.lists(
    st.sampled_from(
        ["Ihr Zeichen:", "Unser Zeichen", "Az.", "600-0001/2026-01", "03.11.2026", "IBAN",
         "DE02", "1203", "0000", "2020 51", "1.249,50", "EUR", "€", "Gesamtbetrag", "\n",
         " ", "  ", "O", "l", "Rechnung", "Widerspruch", "Amtsgericht Lindenau", "·",
         "Datum", "den", ",", "2. November 2026", "\f"]
    ),
    max_size=60,
).map("".join)  # fmt: skip


@settings(max_examples=300)
@given(_LETTERISH)
def test_letter_like_noise_never_crashes(
    text: str,
) -> None:
    pattern = ReferencePattern(plan_codes={"600"})
    result = extract_fields(text, reference_pattern=pattern, today=TODAY)
    json.dumps(result.to_dict())
    if result.date is not None:
        assert result.date.value <= date(2026, 11, 8)
