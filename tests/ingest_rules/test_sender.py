"""Sender: fuzzy match of letterhead, return address, signature and footer against the
correspondent register; the register's validation."""

from __future__ import annotations

import random

import pytest

from dms.errors import ConfigError
from ingest.extract import CorrespondentRegister, extract_fields, parse_register
from tests.ingest_rules.letters import ALL, TODAY, ocr_noise

EXPECTED = {
    "bau_stellungnahme": "gemeinde-oberdorf",
    "invoice": "schreiber-gmbh",
    "objection": "krause-karl",
    "court": "vg-freiburg",
    "advertising": "bueroversand-direkt",
    "application": "demir-aylin",
    "header_row": "kaiser-bau",
    "amtsgericht": "amtsgericht-lindenau",
}
RECIPIENT = "\n\nLandratsamt Musterkreis\nKreishausstraße 1\n79110 Lindenau\n\nSehr geehrte Damen\n"


def sender(text: str, register: CorrespondentRegister):  # type: ignore[no-untyped-def]
    return extract_fields(text, reference_pattern=None, register=register, today=TODAY).sender


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_letters(name: str, register: CorrespondentRegister) -> None:
    found = sender(ALL[name], register)
    assert found is not None and found.value.correspondent is not None
    assert found.value.correspondent.id == EXPECTED[name]
    assert found.confidence >= 0.85
    assert (
        found.span is not None and ALL[name][found.span.start : found.span.end] == found.span.text
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_letters_with_ocr_noise(name: str, register: CorrespondentRegister) -> None:
    rng = random.Random(name)
    hits = 0
    for _ in range(10):
        found = sender(ocr_noise(ALL[name], rng, rate=0.03), register)
        if found is not None and found.value.correspondent is not None:
            assert found.value.correspondent.id == EXPECTED[name]  # never a wrong entry
            hits += 1
    assert hits >= 8


@pytest.mark.parametrize(
    ("head", "entry"),
    [
        ("Arntsgericht Lindenau", "amtsgericht-lindenau"),  # rn for m
        ("AMTSGERICHT LINDENAU", "amtsgericht-lindenau"),
        ("Amtsgericht Lindenau\n- Familiengericht -", "amtsgericht-lindenau"),
        ("Bürgermeisteramt 0berdorf", "gemeinde-oberdorf"),  # an alias, 0 for O
        ("Buergermeisteramt Oberdorf", "gemeinde-oberdorf"),
        ("Jobcenter Landkreis Musterkreis", "jobcenter-musterkreis"),
        ("Deutsche Rentenversicherung Baden-Württemberg", "drv-bw"),
        ("Krause, Karl\nAm Mühlbach 7", "krause-karl"),
        ("Jan und Lea Hartmann · Lindenweg 10 · 79100 Oberdorf", "hartmann-familie"),
        ("Hartmann & Partner Architekten", "hartmann-architekten"),
    ],
)
def test_variants(head: str, entry: str, register: CorrespondentRegister) -> None:
    found = sender(head + RECIPIENT, register)
    assert found is not None and found.value.correspondent is not None
    assert found.value.correspondent.id == entry


@pytest.mark.parametrize(
    "head",
    ["Amtsgericht Unterdorf", "Landgericht Karlsruhe", "Gemeinde Oberhausen", "Stadt Linden"],
)
def test_similar_names_not_in_the_register_are_not_matched(
    head: str, register: CorrespondentRegister
) -> None:
    found = sender(head + "\nPostfach 12\n" + RECIPIENT, register)
    assert found is None or found.value.correspondent is None


def test_unregistered_sender_read_from_the_letterhead(register: CorrespondentRegister) -> None:
    found = sender(ALL["bussgeld_einspruch"], register)
    assert found is not None and found.value.correspondent is None
    assert found.value.name == "Thomas Reinhardt" and found.confidence < 0.5
    line = "Peter Lustig · Bauwagenweg 1 · 79100 Oberdorf" + RECIPIENT
    guess = sender(line, register)
    assert guess is not None and guess.value.name == "Peter Lustig"


def test_our_own_name_is_never_the_sender(register: CorrespondentRegister) -> None:
    found = sender("Landratsamt Musterkreis\nKreishausstraße 1\n\nSehr geehrte\n", register)
    assert found is None or found.value.name != "Landratsamt Musterkreis"


def test_known_iban_identifies_the_sender(register: CorrespondentRegister) -> None:
    text = "E. V. O.\n\nRechnung\nBitte zahlen Sie auf IBAN DE67 6805 0101 0012 3456 78\n"
    found = sender(text, register)
    assert found is not None and found.value.correspondent is not None
    assert found.value.correspondent.id == "ev-oberdorf"


def test_the_senders_bank_in_the_footer_is_not_the_sender(
    register: CorrespondentRegister,
) -> None:
    found = sender(ALL["invoice"], register)
    assert found is not None and found.value.correspondent.id == "schreiber-gmbh"  # type: ignore[union-attr]
    candidates = extract_fields(ALL["invoice"], reference_pattern=None, register=register)
    assert "sparkasse-lindenau" not in {
        c.value.correspondent.id for c in candidates.sender_candidates if c.value.correspondent
    }


def test_name_in_the_body_ranks_below_the_letterhead(register: CorrespondentRegister) -> None:
    found = extract_fields(ALL["amtsgericht"], reference_pattern=None, register=register)
    ids = [c.value.correspondent.id for c in found.sender_candidates if c.value.correspondent]
    assert ids[0] == "amtsgericht-lindenau"
    body = [c for c in found.sender_candidates if c.value.name == "Hans-Peter Vogel"]
    assert body and body[0].confidence < 0.7


def test_without_register_only_the_letterhead_guess() -> None:
    found = extract_fields(ALL["objection"], reference_pattern=None).sender
    assert found is not None and found.value.name == "Karl Krause"
    assert found.value.correspondent is None


# -- register validation -----------------------------------------------------------------------


def test_shipped_register(register: CorrespondentRegister) -> None:
    kinds = {e.kind for e in register.entries}
    assert {"municipality", "court", "authority", "company", "person"} <= kinds
    assert len(register) >= 25
    assert register.get("schreiber-gmbh").ibans == ("DE02120300000000202051",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"id": "a", "name": "A"}, {"id": "a", "name": "B"}], "Eintrag 2 ('a'): id doppelt"),
        ([{"id": "x", "name": "X", "kind": "alien"}], "Eintrag 1 ('x'): Feld 'kind'"),
        (
            [{"id": "x", "name": "X", "ibans": ["DE03 1203 0000 0000 2020 51"]}],
            "keine gültige IBAN",
        ),
        ([{"id": "x", "name": "X", "fax": "1"}], "unbekanntes Feld fax"),
        ([{"id": "Bad Id", "name": "X"}], "Feld 'id'"),
        ([{"id": "x"}], "Feld 'name' fehlt"),
        ([{"id": "x", "name": "X", "aliases": "Y"}], "Feld 'aliases'"),
    ],
)
def test_register_validation(entries: list[dict], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_register({"correspondent": entries})
