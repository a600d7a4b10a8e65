"""Duplicates (same seller, invoice number and amount) are registered with a warning, never
dropped: duplicate_of_id is set, the audit trail says so, the list and detail show it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dms.models import AuditEvent
from dms.services.context import SYSTEM, App
from ingest.invoice_finance import InvoiceFilter, invoice_detail, list_invoices
from ingest.invoice_records import InvoiceRecord
from tests.invoices.conftest import import_invoice
from tests.support.actors import as_user


def _get(app: App, invoice_id: int) -> InvoiceRecord:
    with app.unit(SYSTEM) as ctx:
        record = ctx.db.get(InvoiceRecord, invoice_id)
        assert record is not None
        return record


def test_second_copy_is_registered_as_duplicate(finance: App, tmp_path: Path) -> None:
    first = import_invoice(finance, tmp_path, name="a.xml")
    # the same invoice again, this time as UBL and with the seller's VAT id spaced out
    second = import_invoice(finance, tmp_path, {"seller": {"vat_id": "DE 123 456 789"}},
                            syntax="ubl", name="b.xml")
    assert _get(finance, first).duplicate_of_id is None
    dup = _get(finance, second)
    assert dup.duplicate_of_id == first
    assert f"Rechnung Nr. {first}" in dup.facts["duplicate_warning"]
    with finance.unit(SYSTEM) as ctx:
        event = ctx.db.scalar(select(AuditEvent).where(
            AuditEvent.action == "invoice.duplicate", AuditEvent.object_id == str(second)))
        assert event is not None and event.after["duplicate_of"] == first
    # the approval sees it (the process rejects a duplicate at the formal check)
    with as_user(finance, "schmidt") as ctx:
        rows, totals = list_invoices(ctx, InvoiceFilter(duplicates_only=True))
        assert [r.record.id for r in rows] == [second] and totals.count == 1
        detail = invoice_detail(ctx, first)
        assert [d.id for d in detail.duplicates] == [second]
        assert invoice_detail(ctx, second).duplicate_of is not None


@pytest.mark.slow  # several e-invoices, each with its PDF view (~0.5 s)
def test_other_amount_number_or_seller_is_no_duplicate(finance: App, tmp_path: Path) -> None:
    first = import_invoice(finance, tmp_path, name="a.xml")
    others = [
        import_invoice(finance, tmp_path, {"lines": [{"id": "1", "name": "Toner",
                                                      "quantity": "1", "price": "80.00"}]},
                       name="amount.xml"),
        import_invoice(finance, tmp_path, {"number": "RE-2025-0002"}, name="number.xml"),
        import_invoice(finance, tmp_path, {"seller": {"vat_id": "DE999999999"}},
                       name="seller.xml"),
    ]
    assert _get(finance, first).duplicate_of_id is None
    assert [_get(finance, i).duplicate_of_id for i in others] == [None, None, None]


@pytest.mark.slow  # several e-invoices, each with its PDF view (~0.5 s)
def test_seller_without_vat_id_is_matched_by_tax_number_or_name(finance: App,
                                                               tmp_path: Path) -> None:
    taxed = {"seller": {"vat_id": None, "tax_number": "143/123/45678"}}
    first = import_invoice(finance, tmp_path, taxed, name="a.xml")
    second = import_invoice(finance, tmp_path, taxed, name="b.xml")
    assert _get(finance, first).seller_key == "tax:14312345678"
    assert _get(finance, second).duplicate_of_id == first
    named = {"number": "N-1", "seller": {"vat_id": None, "name": "Kopierfix GmbH"}}
    third = import_invoice(finance, tmp_path, named, name="c.xml")
    renamed = {"number": "N-1", "seller": {"vat_id": None, "name": "KOPIERFIX  gmbh."}}
    fourth = import_invoice(finance, tmp_path, renamed, name="d.xml")
    assert _get(finance, third).seller_key == "name:kopierfix"
    assert _get(finance, fourth).duplicate_of_id == third
