"""IBAN and BIC: checksum-validated, tolerant to blanks and OCR confusions, never wrong."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.extract import extract_fields, format_iban, iban_check_digits, is_valid_iban
from ingest.extract.banking import BBAN_CLASSES, iban_checksum_ok
from tests.ingest_rules.letters import BAU_STELLUNGNAHME, INVOICE, TODAY

VALID = "DE02120300000000202051"


def ibans(text: str) -> list[str]:
    return [f.value for f in extract_fields(text, reference_pattern=None, today=TODAY).ibans]


@pytest.mark.parametrize(
    "iban",
    [
        "DE02120300000000202051",
        "DE89370400440532013000",
        "AT611904300234573201",
        "FR1420041010050500013M02606",
        "GB29NWBK60161331926819",
        "NL91ABNA0417164300",
        "CH9300762011623852957",
        "BE68539007547034",
    ],
)
def test_known_ibans_are_valid(iban: str) -> None:
    assert is_valid_iban(iban)
    assert is_valid_iban(format_iban(iban))
    assert ibans(f"Bankverbindung: IBAN {format_iban(iban)} BIC XXXXXXXX") == [iban]


@pytest.mark.parametrize(
    "written",
    [
        "IBAN: DE02 1203 0000 0000 2020 51",
        "IBAN DE02120300000000202051",
        "IBAN:DE02 12O3 0000 0000 2020 51",  # O for 0
        "IBAN DE02 1203 OOOO OOOO 2O2O 5l",  # many confusions
        "IBAN DEO2 1203 0000 0000 2020 51",  # in the check digits
        "IBAN DE02  1203 0000 00 00 2020 51",  # stray blanks
        "IBAN D E02 1203 0000 0000 2020 51",
        "iban de02 1203 0000 0000 2020 51",
        "Konto DE02|203 0000 0000 2020 51",  # | for 1
    ],
)
def test_noisy_spellings_are_found(written: str) -> None:
    assert ibans(f"Bitte überweisen Sie auf\n{written}\nDanke.") == [VALID]


@pytest.mark.parametrize(
    "written",
    [
        "IBAN DE03 1203 0000 0000 2020 51",  # wrong check digits
        "IBAN DE02 1203 0000 0000 2020 5",  # too short
        "IBAN DE02 1203 0000 0000 2020 5123",  # group goes on: too long
        "IBAN DE02 1203 0000 0000\n2020 51",  # broken by a line end
        "IBAN XX02 1203 0000 0000 2020 51",  # no such country
    ],
)
def test_invalid_ibans_are_not_reported(written: str) -> None:
    assert ibans(written) == []


def test_letters_with_ibans() -> None:
    assert ibans(INVOICE) == [VALID]  # "...2020 5l" in the footer
    assert ibans(BAU_STELLUNGNAHME) == ["DE44500105175407324931"]


def test_confidence_reflects_corrections() -> None:
    clean = extract_fields("IBAN DE02 1203 0000 0000 2020 51", reference_pattern=None).ibans[0]
    noisy = extract_fields("IBAN DE02 12O3 OOOO 0000 2020 51", reference_pattern=None).ibans[0]
    assert clean.confidence > noisy.confidence >= 0.6
    assert clean.span is not None and clean.span.text == "DE02 1203 0000 0000 2020 51"


def test_bics() -> None:
    text = "IBAN DE02 1203 0000 0000 2020 51 BIC: SOLADES1LIN\nSWIFT-BIC GENO DEF1 ABC"
    found = [f.value for f in extract_fields(text, reference_pattern=None).bics]
    assert found == ["SOLADES1LIN", "GENODEF1ABC"]
    bare = extract_fields("IBAN DE02 1203 0000 0000 2020 51  COBADEFFXXX", reference_pattern=None)
    assert [f.value for f in bare.bics] == ["COBADEFFXXX"]
    # without a label and away from an IBAN, capital words are not BICs
    none = extract_fields("BAUANTRAG FUER EINFAMILIENHAUS DEUTSCHE", reference_pattern=None)
    assert none.bics == ()


def test_bic_with_ocr_digit_in_bank_code() -> None:
    found = extract_fields("BIC: S0LADES1LIN", reference_pattern=None).bics
    assert [f.value for f in found] == ["SOLADES1LIN"]


# -- property tests ----------------------------------------------------------------------------

_DIGITS = "0123456789"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@st.composite
def valid_ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["DE", "AT", "FR"]))
    classes = BBAN_CLASSES[country]
    bban = "".join(
        draw(st.sampled_from(_DIGITS if kind == "n" else _ALNUM if kind == "c" else "ABCXYZ"))
        for kind in classes
    )
    return country + iban_check_digits(country, bban) + bban


_OCR = {"0": "O", "1": "l"}


@st.composite
def noisy(draw: st.DrawFn, iban: str) -> str:
    """Print the IBAN as a scan might read it: grouping, stray blanks, O/0 and l/1 in the
    numeric positions (check digits and numeric BBAN positions)."""
    classes = "nn" + BBAN_CLASSES[iban[:2]]
    chars = [iban[0], iban[1]]
    for char, kind in zip(iban[2:], classes, strict=True):
        if kind == "n" and char in _OCR and draw(st.booleans()):
            char = _OCR[char]
        chars.append(char)
    group = draw(st.sampled_from([4, 4, 4, 3, 0]))
    out = []
    for i, char in enumerate(chars):
        if group and i and i % group == 0 or draw(st.integers(0, 30)) == 0:
            out.append(" ")
        out.append(char)
    return "".join(out)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), iban=valid_ibans())
def test_generated_ibans_round_trip_through_noisy_formatting(
    data: st.DataObject, iban: str
) -> None:
    assert is_valid_iban(iban)
    written = data.draw(noisy(iban))
    before = data.draw(st.sampled_from(["IBAN: ", "IBAN ", "Konto ", "", "Bankverbindung IBAN "]))
    after = data.draw(st.sampled_from(["", " BIC XYZ", ".", "\n", ", Sparkasse"]))
    text = f"Bitte überweisen Sie den Betrag auf {before}{written}{after}\nDanke."
    assert iban in ibans(text)


_IBANISH = st.text(alphabet="DEATFR0123456789OolI| \n", max_size=80)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=300), _IBANISH))
def test_random_text_never_yields_a_bad_iban(text: str) -> None:
    result = extract_fields(text, reference_pattern=None)
    for field in result.ibans:
        assert iban_checksum_ok(field.value)
        assert re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", field.value)
        assert len(field.value) == 4 + len(BBAN_CLASSES[field.value[:2]])
        span = field.span
        assert span is not None and text[span.start : span.end] == span.text


def test_check_digits_misread_as_letters_are_still_found() -> None:
    """OCR read "DE50" as "DESO"; the checksum still decides what is accepted."""
    from ingest.extract.banking import find_ibans
    from ingest.extract.text import PageMap

    text = "Bitte überweisen Sie auf IBAN DESO 6878 6413 2427 4921 01 bei der Sparkasse."
    found = find_ibans(text, PageMap(text, None))
    assert [f.value for f in found] == ["DE50687864132427492101"]
