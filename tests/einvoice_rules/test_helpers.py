"""The small checks some rules are built on."""

from __future__ import annotations

import base64

import pytest

from ingest.einvoice.validation.rules.dms import leitweg_id_valid
from ingest.einvoice.validation.rules.schema import base64_valid, split_bilingual
from ingest.einvoice.validation.rules.xrechnung import SKONTO, email_plausible, iban_valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("DE02120300000000202051", True),
        ("DE02 1203 0000 0000 2020 51", True),
        ("GB29NWBK60161331926819", True),
        ("DE02120300000000202052", False),
        ("DE0212030000000020205", False),
        ("0212030000000020205123", False),
        ("", False),
    ],
)
def test_iban(value: str, valid: bool) -> None:
    assert iban_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("04011000-12345-03", True),
        ("991-33333TEST-33", True),
        ("1234567890-54321-40", True),
        ("04011000-12345-34", False),  # check digits
        ("04011000-1234-", False),
        ("Leitweg-ID", False),
        ("1-12345-03", False),  # coarse address of one digit
    ],
)
def test_leitweg_id(value: str, valid: bool) -> None:
    assert leitweg_id_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "plausible"),
    [
        ("hans.muster@muster-buero.example", True),
        ("ab@cd", True),
        ("a@bc.de", False),  # one character before the @
        ("hans@.example", False),
        ("hans.@example.de", False),
        ("hans@@example.de", False),
        ("hans muster@example.de", False),
        (".hans@example.de", False),
    ],
)
def test_email(value: str, plausible: bool) -> None:
    assert email_plausible(value) is plausible


@pytest.mark.parametrize(
    ("line", "valid"),
    [
        ("#SKONTO#TAGE=14#PROZENT=2.00#", True),
        ("#SKONTO#TAGE=7#PROZENT=3.25#BASISBETRAG=100.00#", True),
        ("#SKONTO#TAGE=7#PROZENT=3.25#BASISBETRAG=-100.00#", True),
        ("#SKONTO#TAGE=14#PROZENT=2#", False),
        ("#SKONTO#TAGE=14#PROZENT=2,00#", False),
        ("#SKONTO#TAGE=14#PROZENT=2.00", False),
        ("#SKONTO#TAGE=vierzehn#PROZENT=2.00#", False),
    ],
)
def test_skonto_format(line: str, valid: bool) -> None:
    assert (SKONTO.fullmatch(line) is not None) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        (base64.b64encode(b"%PDF-1.4 test").decode(), True),
        (base64.encodebytes(b"x" * 200).decode(), True),
        ("  " + base64.b64encode(b"ab").decode() + "\n", True),
        ("", True),
        ("###", False),
        ("QUJD=", False),  # length not a multiple of four
        ("QU=JD", False),
        ("QUJDRA=a", False),
        ("ÄÖÜ=", False),
    ],
)
def test_base64(text: str, valid: bool) -> None:
    assert base64_valid(text) is valid


def test_split_bilingual() -> None:
    assert split_bilingual("Eins. / One.") == ("Eins.", "One.")
    text = "A (fehlt / missing) fehlt. / A (fehlt / missing) is missing."
    assert split_bilingual(text) == (
        "A (fehlt / missing) fehlt.",
        "A (fehlt / missing) is missing.",
    )
    assert split_bilingual("only one") == ("only one", "only one")
