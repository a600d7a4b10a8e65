"""The readable HTML view (ingest.einvoice.view) and `dms invoice render`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.einvoice import parse_invoice
from ingest.einvoice.model import Amount
from ingest.einvoice.validation import validate
from ingest.einvoice.view import (
    format_date,
    format_iban,
    format_money,
    format_number,
    render_html,
)
from tests.einvoice.builders import build, build_zugferd_pdf

CIUS = "xrechnung-testsuite/src/test/technical-cases/cius"
ZUGFERD_EN16931 = (
    "zugferd-corpus/ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Einfach.pdf"
)
ZUGFERD_MINIMUM = "zugferd-corpus/ZUGFeRDv2/correct/FNFE-factur-x-examples/Facture_FR_MINIMUM.pdf"


def view(source: bytes | Path) -> tuple[str, object]:
    parsed = parse_invoice(source)
    report = validate(parsed)
    return render_html(parsed, report), report


# --- formatting -------------------------------------------------------------------------


def test_german_number_and_money_formats() -> None:
    assert format_money(Amount("1249.5", "EUR")) == "1.249,50 €"
    assert format_money(Decimal("1234567.891")) == "1.234.567,891 €"
    assert format_money(Amount("-12.00")) == "-12,00 €"
    assert format_money(Amount("10.00", "GBP")) == "10,00 GBP"
    assert format_money(Decimal("3"), "USD") == "3,00 USD"
    assert format_number(Decimal("10.0000"), strip=True) == "10"
    assert format_number(Decimal("2.50"), strip=True) == "2,5"
    assert format_number(None) == ""


def test_date_and_iban_formats() -> None:
    assert format_date(date(2026, 11, 3)) == "03.11.2026"
    assert format_date(None) == ""
    assert format_iban("DE02120300000000202051") == "DE02 1203 0000 0000 2020 51"
    assert format_iban("de02 1203 0000 0000 2020 51") == "DE02 1203 0000 0000 2020 51"
    assert format_iban("12345678") == "12345678"  # not an IBAN: as written


# --- builder-made invoices --------------------------------------------------------------


SPEC = {
    "number": "RE-2026-0815",
    "issue_date": "2026-11-03",
    "buyer_reference": "04011000-12345-34",
    "order_reference": "BEST-4711",
    "contract_reference": "V-2026-17",
    "project_reference": "PRJ-9",
    "lines": [
        {"id": "1", "name": "Beratungsleistung", "quantity": "10", "unit": "HUR",
         "price": "105.00", "vat_category": "S", "vat_rate": "19"},
    ],
    "notes": [{"subject": "AAI", "text": "Vielen Dank für Ihren Auftrag."}],
    "attachments": [{"reference": "Anlage-1", "description": "Stundennachweis",
                     "filename": "nachweis.pdf", "mime": "application/pdf",
                     "data": b"%PDF-1.4 test"}],
}


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_builder_invoice_key_values(syntax: str) -> None:
    html, report = view(build(SPEC, syntax=syntax))
    assert report.valid
    assert "RE-2026-0815" in html
    assert "03.11.2026" in html
    assert "04011000-12345-34" in html
    assert "1.249,50 €" in html  # 10 × 105,00 = 1.050,00 net + 199,50 VAT
    assert "1.050,00 €" in html
    assert "199,50 €" in html
    assert "DE02 1203 0000 0000 2020 51" in html  # default IBAN, grouped
    assert "BYLADEM1001" in html
    assert "SEPA-Überweisung" in html
    for value in ("BEST-4711", "V-2026-17", "PRJ-9", "Beratungsleistung", "Std.",
                  "Muster Bürobedarf GmbH", "Stadtverwaltung Musterstadt", "DE123456789",
                  "Vielen Dank für Ihren Auftrag.", "nachweis.pdf", "application/pdf",
                  "Stundennachweis", "Gültig", "Rechnung (380)"):
        assert value in html, value
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()  # standalone: inline CSS only
    assert "<style>" in html


def test_credit_note_type() -> None:
    html, _ = view(build({"type_code": "381"}, syntax="cii"))
    assert "Gutschrift (381)" in html
    html, _ = view(build(None, syntax="ubl-creditnote"))
    assert "Gutschrift" in html


def test_direct_debit_details() -> None:
    spec = {"payment": {"means_code": "59", "iban": None, "bic": None, "account_name": None,
                        "mandate": "MANDAT-77", "creditor_id": "DE98ZZZ09999999999",
                        "debited_iban": "DE75512108001245126199"}}
    html, _ = view(build(spec, syntax="cii"))
    assert "SEPA-Lastschrift" in html
    assert "MANDAT-77" in html
    assert "DE98ZZZ09999999999" in html
    assert "DE75 5121 0800 1245 1261 99" in html


def test_invalid_invoice_shows_findings() -> None:
    html, report = view(build({"totals": {"amount_due": "1.00"}}, syntax="cii"))
    assert not report.valid
    assert "Ungültig" in html
    error = report.errors[0]
    assert f'class="finding {error.severity}"' in html
    assert error.rule_id in html
    assert "Fehler · " in html


def test_missing_leitweg_id_is_flagged() -> None:
    html, report = view(build({"buyer_reference": None}, syntax="ubl"))
    assert "BR-DE-15" in report.rule_ids()
    assert "BR-DE-15" in html
    assert "leitweg missing" in html


def test_hostile_values_are_escaped() -> None:
    evil = '<script>alert("x")</script>'
    spec = {
        "seller": {"name": evil, "contact": {"name": '"><img src=x onerror=alert(1)>'}},
        "notes": [{"subject": "AAI", "text": "<b>fett</b> & mehr"}],
        "lines": [{"id": "1", "name": "<iframe src=//evil>", "quantity": "1", "unit": "C62",
                   "price": "1.00", "vat_category": "S", "vat_rate": "19"}],
    }
    for syntax in ("cii", "ubl"):
        html, _ = view(build(spec, syntax=syntax))
        assert "<script" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        assert "<img" not in html
        assert "<iframe" not in html
        assert "&lt;b&gt;fett&lt;/b&gt; &amp; mehr" in html


def test_render_without_report() -> None:
    parsed = parse_invoice(build(None, syntax="cii"))
    html = render_html(parsed, None)
    assert "nicht geprüft" in html
    assert "RE-2025-0001" in html


def test_zugferd_pdf_from_builder() -> None:
    html, report = view(build_zugferd_pdf(build(SPEC, syntax="cii")))
    assert "1.249,50 €" in html
    assert "aus PDF" in html


# --- public corpora (skipped when ../shared/einvoice is absent) -------------------------


@pytest.mark.parametrize("name", ["01.01_comprehensive_test_ubl.xml",
                                  "01.01_comprehensive_test_uncefact.xml"])
def test_xrechnung_testsuite_instance(corpus: Path, name: str) -> None:
    html, report = view(corpus / CIUS / name)
    assert report.valid
    assert "1234567" in html
    assert "13.04.2018" in html
    assert "90000000-03083-72" in html
    assert "12.829,69 €" in html  # gross total BT-112
    assert "2.048,44 €" in html  # VAT total
    assert "DE79 0000 0000 1234 5678 90" in html
    assert "65002278" in html  # order reference BT-13
    assert "0000000752" in html  # contract reference BT-12
    assert "PIR1234567890" in html and "04.02.2018" in html
    assert "01_15_Anhang_01.pdf" in html
    assert "Gültig" in html


def test_zugferd_corpus_pdf(corpus: Path) -> None:
    path = corpus / ZUGFERD_EN16931
    if not path.is_file():
        pytest.skip(f"{path} absent")
    parsed = parse_invoice(path)
    html = render_html(parsed, validate(parsed))
    inv = parsed.invoice
    assert inv.number and inv.number in html
    assert inv.totals is not None and inv.totals.total_with_vat is not None
    assert format_money(inv.totals.total_with_vat, inv.currency_code) in html
    assert "aus PDF" in html


def test_minimum_profile_note(corpus: Path) -> None:
    path = corpus / ZUGFERD_MINIMUM
    if not path.is_file():
        pytest.skip(f"{path} absent")
    html, report = view(path)
    assert "Keine E-Rechnung im Sinne des § 14 UStG" in html
    assert "Das Profil MINIMUM enthält keine Rechnungspositionen" in html
    assert "The profile" not in html  # German only
    assert not report.valid


def test_cli_render(tmp_path: Path) -> None:
    from dms.cli.main import main

    source = tmp_path / "rechnung.xml"
    source.write_bytes(build(SPEC, syntax="ubl"))
    out = tmp_path / "ansicht.html"
    result = CliRunner().invoke(main, ["invoice", "render", str(source), "--html", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "1.249,50 €" in html and "04011000-12345-34" in html
    assert "gültig" in result.output
