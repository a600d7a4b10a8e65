"""Document type by keyword rules, with a confidence that says how clear the case is."""

from __future__ import annotations

import pytest

from ingest.extract import CorrespondentRegister, classify_by_rules, extract_fields
from tests.ingest_rules.letters import ALL, TODAY

EXPECTED = {
    "invoice": "invoice",
    "objection": "objection",
    "court": "court",
    "advertising": "advertising",
    "application": "application",
    "bussgeld_einspruch": "objection",
    "amtsgericht": "court",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_letters(name: str, register: CorrespondentRegister) -> None:
    result = extract_fields(ALL[name], reference_pattern=None, register=register, today=TODAY)
    assert result.document_type.value == EXPECTED[name]
    assert result.document_type.confidence >= 0.7
    for span in result.document_type.evidence:
        assert ALL[name][span.start : span.end] == span.text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Rechnung Nr. 4711\nUSt-IdNr. DE123456789\nGesamtbetrag 100,00 EUR", "invoice"),
        ("Rechnungsnummer: RE-1\nzahlbar innerhalb 14 Tagen, zzgl. MwSt.", "invoice"),
        ("Hiermit beantrage ich Wohngeld. Antragsteller: Max Muster", "application"),
        ("Antrag auf Erteilung einer Baugenehmigung", "application"),
        ("gegen den Bescheid vom 1.10.2026 lege ich hiermit Widerspruch ein", "objection"),
        ("Ich widerspreche dem Bescheid. Widerspruch", "objection"),
        ("gegen den Bußgeldbescheid lege ich Einspruch ein", "objection"),
        ("Amtsgericht Lindenau\nBeschluss\nGeschäftsnummer 2 C 12/26", "court"),
        ("Im Namen des Volkes\nUrteil\nIn dem Rechtsstreit", "court"),
        ("Ladung zum Termin zur mündlichen Verhandlung", "court"),
        ("Newsletter: 20 % Rabatt! Jetzt bestellen. Abbestellen hier.", "advertising"),
        ("Unser Angebot: gratis testen, Sonderaktion für Neukunden", "advertising"),
    ],
)
def test_keyword_rules(text: str, kind: str) -> None:
    field, scores = classify_by_rules(text)
    assert field.value == kind, scores
    assert field.confidence >= 0.5


def test_no_keywords_is_other_with_low_confidence() -> None:
    field, scores = classify_by_rules("Ich teile Ihnen meine neue Anschrift mit.")
    assert field.value == "other" and field.confidence <= 0.3
    assert field.evidence == ()
    assert set(scores) == {"invoice", "application", "objection", "court", "advertising"}


def test_word_boundaries() -> None:
    # "Rechnungsprüfungsamt" is no invoice, "Widerspruchsbescheid" no objection
    field, _ = classify_by_rules("Das Rechnungsprüfungsamt hat den Widerspruchsbescheid geprüft.")
    assert field.value == "other"


def test_mixed_signals_lower_the_confidence() -> None:
    clear, _ = classify_by_rules("Widerspruch. Hiermit lege ich Widerspruch ein. Bescheid vom")
    mixed, _ = classify_by_rules(
        "Widerspruch. Hiermit lege ich Widerspruch ein. Ich beantrage die Aufhebung, Antrag."
    )
    assert clear.value == mixed.value == "objection"
    assert mixed.confidence < clear.confidence


def test_court_sender_adds_to_court() -> None:
    text = "Verfügung\nDie Verwaltungsakten werden binnen zwei Wochen erbeten."
    plain, _ = classify_by_rules(text)
    court, _ = classify_by_rules(text, sender_kind="court")
    assert court.value == "court" and plain.value == "other"
