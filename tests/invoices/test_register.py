"""Every e-invoice filed gets a register row with its business terms, its readable view as a
PDF and its attachments in the same case, an audit event and an approval process."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dms.content.extract import extract_text
from dms.errors import InvalidInput, NotFound, PermissionDenied
from dms.models import AuditEvent, Document
from dms.services import documents
from dms.services.context import SYSTEM, App
from ingest.einvoice.model import Identifier, Seller
from ingest.invoice_records import InvoiceRecord
from ingest.invoice_register import seller_key
from tests.einvoice.builders import build, build_zugferd_pdf
from tests.invoices.conftest import LEITWEG_63, import_invoice
from tests.support.actors import as_user
from tests.support.deputies import end_vertretung

SKONTO = {"buyer_reference": LEITWEG_63, "order_reference": "BEST-4711",
          "payment_terms": "#SKONTO#TAGE=10#PROZENT=3.00#\n"}


def _record(app: App, invoice_id: int) -> InvoiceRecord:
    with app.unit(SYSTEM) as ctx:
        record = ctx.db.get(InvoiceRecord, invoice_id)
        assert record is not None
        return record


def _count(app: App) -> int:
    with app.unit(SYSTEM) as ctx:
        return ctx.db.scalar(select(func.count()).select_from(InvoiceRecord)) or 0


def test_import_registers_the_business_terms(finance: App, tmp_path: Path) -> None:
    invoice_id = import_invoice(finance, tmp_path, SKONTO)
    r = _record(finance, invoice_id)
    assert (r.invoice_number, r.seller_name, r.seller_key) == (
        "RE-2025-0001", "Muster Bürobedarf GmbH", "vat:DE123456789")
    assert (r.leitweg_id, r.order_reference, r.currency) == (LEITWEG_63, "BEST-4711", "EUR")
    # 10 x 4.50 net, 19 % VAT
    assert (r.net_cents, r.gross_cents, r.due_cents) == (4500, 5355, 5355)
    assert r.issue_date == date(2025, 3, 14) and r.due_date == date(2025, 4, 13)
    assert r.facts["due_date_source"] == "BT-9"
    assert r.discount_until == date(2025, 3, 24) and r.discount_cents == 161  # 3 % of 53.55
    assert r.profile == "XRechnung 3.x" and r.valid and r.error_count == 0
    assert r.duplicate_of_id is None and r.letter_id is None
    with finance.unit(SYSTEM) as ctx:
        original = ctx.db.get(Document, r.document_id)
        assert original is not None and original.doc_type == "invoice"
        assert original.case.file.kind == "invoice" and original.case.file.office.code == "63"
        actions = list(ctx.db.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "invoice", AuditEvent.object_id == str(invoice_id))))
    assert "invoice.register" in actions
    # the approval process started right after registering
    assert r.instance_id is not None and r.status == "formal_check"
    assert "invoice.status" in actions


def test_the_pdf_view_is_filed_in_the_same_case(finance: App, tmp_path: Path) -> None:
    r = _record(finance, import_invoice(finance, tmp_path, SKONTO))
    view_id = r.facts["view_document_id"]
    with as_user(finance, "schmidt") as ctx:
        view, versions = documents.get_document(ctx, view_id)
        assert view.case_id == r.case_id
        assert view.title == "Rechnung RE-2025-0001 – Sichtansicht"
        assert versions[0].mime_type == "application/pdf"
        pdf = b"".join(documents.open_version(ctx, view_id).chunks())
    path = tmp_path / "view.pdf"
    path.write_bytes(pdf)
    text = extract_text(path, "application/pdf", max_chars=100_000).text
    assert "RE-2025-0001" in text and "Muster Bürobedarf" in text


def test_due_date_from_payment_terms_when_bt9_is_missing(finance: App, tmp_path: Path) -> None:
    spec = {"due_date": None,
            "payment_terms": "Zahlbar innerhalb von 14 Tagen mit 2 % Skonto, 30 Tage netto"}
    r = _record(finance, import_invoice(finance, tmp_path, spec))
    assert r.due_date == date(2025, 4, 13)
    assert r.facts["due_date_source"] == "Zahlungsbedingungen (BT-20)"
    assert r.discount_until == date(2025, 3, 28) and r.discount_cents == 107


def test_embedded_attachments_become_documents_of_the_case(finance: App,
                                                          tmp_path: Path) -> None:
    sheet = b"Pos;Menge\n1;10\n"
    spec = {"attachments": [
        {"reference": "LS-1", "description": "Lieferschein", "filename": "lieferschein.csv",
         "mime": "text/csv", "data": sheet},
        {"reference": "EXT-1", "description": "nur verlinkt"},  # no content: nothing to store
    ]}
    r = _record(finance, import_invoice(finance, tmp_path, spec, syntax="ubl"))
    (attached,) = r.facts["attachments"]
    assert attached["filename"] == "lieferschein.csv"
    with as_user(finance, "schmidt") as ctx:
        document, _ = documents.get_document(ctx, attached["document_id"])
        assert document.case_id == r.case_id and "Lieferschein" in document.title
        assert b"".join(documents.open_version(ctx, document.id).chunks()) == sheet


def test_zugferd_pdf_is_filed_unchanged(finance: App, tmp_path: Path) -> None:
    pdf = build_zugferd_pdf(build({"number": "ZF-77"}))
    r = _record(finance, import_invoice(finance, tmp_path, data=pdf, name="zf.pdf"))
    assert r.invoice_number == "ZF-77" and r.facts["syntax"] == "zugferd-pdf"
    with as_user(finance, "schmidt") as ctx:
        assert b"".join(documents.open_version(ctx, r.document_id).chunks()) == pdf
    assert r.office_id is not None  # no Leitweg-ID of ours: the Kreiskasse


@pytest.mark.parametrize("profile", ["minimum", "basicwl"])
def test_minimum_and_basic_wl_are_registered_but_marked(finance: App, tmp_path: Path,
                                                        profile: str) -> None:
    spec = {"specification_id": f"urn:factur-x.eu:1p0:{profile}", "number": f"M-{profile}"}
    r = _record(finance, import_invoice(finance, tmp_path, spec))
    assert r.facts["is_einvoice"] is False
    assert "keine E-Rechnung" in r.facts["einvoice_note"]


def test_not_an_invoice_is_refused_and_nothing_registered(finance: App, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="keine E-Rechnung"):
        import_invoice(finance, tmp_path, data=b"<html><body>Hallo</body></html>",
                       name="x.xml")
    assert _count(finance) == 0


def test_who_may_import(finance: App, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        import_invoice(finance, tmp_path, SKONTO, username="post")
    end_vertretung(finance)  # weber's demo Vertretung for mueller (office 63) is over
    with pytest.raises((NotFound, PermissionDenied)):  # clerk of the Sozialamt into office 63
        import_invoice(finance, tmp_path, SKONTO, username="weber")
    assert _count(finance) == 0
    # a clerk files an invoice for their own office
    assert _record(finance, import_invoice(finance, tmp_path, SKONTO, username="mueller"))


def test_an_invoice_is_kept_when_its_process_cannot_start(seeded: App, tmp_path: Path) -> None:
    """`seeded` has no process models deployed: the invoice is registered all the same."""
    r = _record(seeded, import_invoice(seeded, tmp_path, SKONTO))
    assert r.status == "received" and r.instance_id is None
    assert r.facts["approval_error"]


def test_seller_key_normalises_identities() -> None:
    assert seller_key(Seller(name="X", vat_id="de 123.456-789")) == "vat:DE123456789"
    assert seller_key(Seller(name="X", tax_registration_id="143/123/45678")) == "tax:14312345678"
    assert seller_key(Seller(name="X", legal_registration_id=Identifier("HRB 1234", "0002"))
                      ) == "legal:0002:HRB1234"
    assert seller_key(Seller(name="Müller & Söhne GmbH & Co. KG")) == "name:mullersohne"
    assert seller_key(Seller(name="Bäckerei Groß GmbH")) == "name:backereigross"
    # the VAT id wins over the name: one supplier writing its name two ways is one supplier
    assert seller_key(Seller(name="A", vat_id="DE1")) == seller_key(Seller(name="B", vat_id="DE1"))
    assert seller_key(Seller(name="Muster GmbH")) == seller_key(Seller(name="muster  gmbh."))
    assert seller_key(None) == "" and seller_key(Seller()) == ""
