"""Letter date: German formats, OCR noise, and the date of the letter rather than the others."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.extract import extract_fields
from ingest.extract.dates import month_number
from tests.ingest_rules.letters import HEADER_ROW, TODAY

HEAD = "Karl Krause\nAm Mühlbach 7\n79100 Oberdorf\n\nLandratsamt Musterkreis\n79110 Lindenau\n\n"


def letter_date(text: str, today: date = TODAY):  # type: ignore[no-untyped-def]
    return extract_fields(text, reference_pattern=None, today=today).date


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Oberdorf, den 03.11.2026", date(2026, 11, 3)),
        ("Oberdorf, 3. November 2026", date(2026, 11, 3)),
        ("3. November 2026", date(2026, 11, 3)),
        ("Datum: 3.11.26", date(2026, 11, 3)),
        ("03. Nov. 2026", date(2026, 11, 3)),
        ("Freiburg i. Br., 2. Okt 2026", date(2026, 10, 2)),
        ("2026-11-03", date(2026, 11, 3)),
        ("Oberdorf, den O3.11.2O26", date(2026, 11, 3)),  # O for 0
        ("Oberdorf, den 3.ll.2026", date(2026, 11, 3)),  # l for 1
        ("Oberdorf, den 03. 11. 2026", date(2026, 11, 3)),  # stray blanks
        ("Oberdorf, 3. Novernber 2026", date(2026, 11, 3)),  # rn for m
        ("Lindenau, 1. März 2026", date(2026, 3, 1)),
        ("Lindenau, 1. Marz 2026", date(2026, 3, 1)),
        ("Wien, am 12. Jänner 2026", date(2026, 1, 12)),
        ("Rechnungsdatum: 28.10.2026", date(2026, 10, 28)),
    ],
)
def test_german_formats(line: str, expected: date) -> None:
    found = letter_date(HEAD + line + "\n\nSehr geehrte Damen und Herren,\n\nText.\n")
    assert found is not None
    assert found.value == expected
    assert found.span is not None and line.endswith(found.span.text) or found.span.text in line


def test_letter_date_beats_deadlines_and_quoted_dates() -> None:
    text = (
        HEAD
        + "Ihr Schreiben vom 12.10.2026\n"
        + "Oberdorf, den 02.11.2026\n\nWiderspruch\n\nSehr geehrte Damen und Herren,\n"
        + "gegen den Bescheid vom 14.10.2026 lege ich Widerspruch ein. Bitte antworten Sie\n"
        + "bis zum 04.11.2026. Geboren bin ich am 01.02.1950.\n"
    )
    found = letter_date(text)
    assert found is not None and found.value == date(2026, 11, 2)
    assert found.confidence >= 0.8
    candidates = extract_fields(text, reference_pattern=None, today=TODAY).date_candidates
    assert [c.value for c in candidates][0] == date(2026, 11, 2)
    others = {c.value: c.confidence for c in candidates[1:]}
    assert all(conf < found.confidence for conf in others.values())


def test_a_bare_date_alone_on_its_line_near_the_top_is_the_letter_date() -> None:
    text = HEAD + "                                   03.11.2026\n\nBetreff: Anfrage\n"
    found = letter_date(text)
    assert found is not None and found.value == date(2026, 11, 3)


def test_future_dates_are_never_the_letter_date() -> None:
    text = HEAD + "Oberdorf, den 12.01.2027\n\nSehr geehrte Damen und Herren,\n"
    assert letter_date(text) is None
    # a few days ahead (post-dated by the sender) is allowed
    soon = HEAD + "Oberdorf, den 07.11.2026\n\nSehr geehrte Damen und Herren,\n"
    found = letter_date(soon)
    assert found is not None and found.value == date(2026, 11, 7)


def test_impossible_dates_are_ignored() -> None:
    assert letter_date(HEAD + "Oberdorf, den 31.02.2026\n") is None
    assert letter_date(HEAD + "Oberdorf, den 00.11.2026\n") is None


def test_deadline_only_gives_no_confident_letter_date() -> None:
    text = "Bitte zahlen Sie bis zum 30.11.2026.\nDer Termin am 01.10.2026 entfällt."
    found = letter_date(text)
    assert found is None or found.confidence < 0.5


def test_old_dates_rank_below_recent_ones() -> None:
    text = HEAD + "Oberdorf, den 03.11.2026\nUnterlagen von 03.11.2019\n"
    found = letter_date(text)
    assert found is not None and found.value == date(2026, 11, 3)


def test_header_row_column_named_datum() -> None:
    found = letter_date(HEADER_ROW)
    assert found is not None and found.value == date(2026, 11, 3)
    assert found.confidence >= 0.8


def test_amounts_and_references_are_not_dates() -> None:
    text = "Gesamtbetrag 1.249,50 EUR\nAz. 600-0001/2026-01\nTel. 0761 12.34.56\n"
    found = extract_fields(text, reference_pattern=None, today=TODAY)
    assert all(c.value.year >= 2000 for c in found.date_candidates)
    assert not any(c.span and "249" in c.span.text for c in found.date_candidates)


def test_two_digit_years_pivot_around_today() -> None:
    found = letter_date(HEAD + "Datum: 03.11.26\n")
    assert found is not None and found.value.year == 2026
    old = extract_fields(HEAD + "geboren 03.11.49\n", reference_pattern=None, today=TODAY)
    assert all(c.value.year == 1949 for c in old.date_candidates)


def test_evidence_points_into_the_text_and_page() -> None:
    pages = [HEAD + "Oberdorf, den 03.11.2026\n", "Seite 2\nbis zum 30.10.2026\n"]
    text = "\f".join(pages)
    result = extract_fields(text, reference_pattern=None, pages=pages, today=TODAY)
    assert result.date is not None
    span = result.date.span
    assert span is not None and text[span.start : span.end] == span.text == "03.11.2026"
    assert span.page == 1
    second = [c for c in result.date_candidates if c.value == date(2026, 10, 30)]
    assert second and second[0].span is not None and second[0].span.page == 2


@pytest.mark.parametrize(
    ("token", "month"),
    [("November", 11), ("Nov", 11), ("novernber", 11), ("Maerz", 3), ("Okt", 10),
     ("0ktober", 10), ("Dezernber", 12), ("Banane", None), ("Mo", None)],
)  # fmt: skip
def test_month_names(token: str, month: int | None) -> None:
    assert month_number(token) == month
