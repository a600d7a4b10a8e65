"""Ends before payment: an invalid invoice gets a rejection notice listing the findings; a
refused signature ends the approval as rejected with the remark."""

from __future__ import annotations

import io

import pikepdf
import pytest
from sqlalchemy import select

from dms.errors import InvalidInput
from dms.models import Document
from dms.services import documents
from dms.services.context import SYSTEM
from tests.invoice_approval.conftest import Finance

FINDINGS = [
    {"rule": "BR-DE-1", "severity": "error", "message_de": "Zahlungsanweisungen fehlen"},
    {"rule": "BR-DE-15", "severity": "error", "message_de": "Leitweg-ID fehlt"},
    {"rule": "BR-DE-21", "severity": "warning", "message_de": "Nur ein Hinweis"},
]


def _notice_text(finance: Finance, document_id: int) -> str:
    """The text the rejection notice PDF shows (its content stream, WinAnsi)."""
    with finance.app.unit(SYSTEM) as ctx:
        _document, versions = documents.get_document(ctx, document_id)
        with ctx.app.store.open(versions[0].sha256) as handle:
            data = handle.read()
    pdf = pikepdf.open(io.BytesIO(data))
    return b"".join(page.Contents.read_bytes() for page in pdf.pages).decode("cp1252")


def test_invalid_invoice_is_rejected_with_a_notice_listing_the_findings(
        finance: Finance) -> None:
    invoice_id = finance.invoice(valid=False, facts={"findings": FINDINGS})
    finance.work()
    record = finance.record(invoice_id)
    assert record.status == "rejected"
    assert finance.open_tasks(invoice_id) == []
    assert record.facts["rejection"]["findings"] == ["BR-DE-1: Zahlungsanweisungen fehlen",
                                                     "BR-DE-15: Leitweg-ID fehlt"]
    with finance.app.unit(SYSTEM) as ctx:
        notice = ctx.db.scalar(select(Document).where(
            Document.id == record.facts["rejection_document_id"]))
        assert notice is not None and notice.case_id == record.case_id
        assert notice.title.startswith("Zurückweisung Rechnung")
        assert notice.attributes["findings"] == record.facts["rejection"]["findings"]
    text = _notice_text(finance, record.facts["rejection_document_id"])
    assert "Zurückweisung einer Rechnung" in text
    assert "BR-DE-15: Leitweg-ID fehlt" in text and "Nur ein Hinweis" not in text
    assert record.invoice_number in text


def test_duplicate_is_rejected_as_such(finance: Finance) -> None:
    first = finance.invoice()
    second = finance.invoice(start=False)
    with finance.app.unit(SYSTEM) as ctx:
        from ingest.invoice_records import InvoiceRecord
        from workflows.invoice_approval import start_approval

        record = ctx.db.get(InvoiceRecord, second)
        assert record is not None
        record.duplicate_of_id = first
        start_approval(ctx, record)
    finance.work()
    record = finance.record(second)
    assert record.status == "rejected"
    assert any("Doppelte Rechnung" in f for f in record.facts["rejection"]["findings"])


def test_refused_factual_check_ends_rejected_with_the_remark(finance: Finance) -> None:
    invoice_id = finance.invoice()
    finance.work()
    task = finance.task(invoice_id, "Task_FactualCheck")
    with pytest.raises(InvalidInput, match="begründen"):
        finance.complete("schmidt", task.id, approved=False)
    finance.sign("schmidt", invoice_id, "Task_FactualCheck", approved=False,
                 remark="Ware nicht geliefert")
    finance.work()
    record = finance.record(invoice_id)
    assert record.status == "rejected"
    assert record.facts["rejection"]["remark"] == "Ware nicht geliefert"
    assert record.facts["rejection"]["findings"] == [
        "Abgelehnt bei „sachlich richtig“: Ware nicht geliefert"]
    assert finance.open_tasks(invoice_id) == []


def test_refused_payment_order_ends_rejected(finance: Finance) -> None:
    invoice_id = finance.invoice()
    finance.work()
    finance.sign("schmidt", invoice_id, "Task_FactualCheck")
    finance.sign("schmidt", invoice_id, "Task_ArithmeticCheck")
    finance.sign("koch", invoice_id, "Task_PaymentOrder", approved=False,
                 remark="Haushaltsmittel gesperrt")
    finance.work()
    record = finance.record(invoice_id)
    assert record.status == "rejected" and record.exported_at is None
    assert "Anordnung" in record.facts["rejection"]["findings"][0]


def test_the_reject_decision_of_the_task_screen_refuses_too(finance: Finance) -> None:
    from tests.support.actors import as_user
    from workflows import tasks

    invoice_id = finance.invoice()
    finance.work()
    finance.sign("schmidt", invoice_id, "Task_FactualCheck")
    task = finance.task(invoice_id, "Task_ArithmeticCheck")
    with as_user(finance.app, "schmidt") as ctx:
        view = tasks.get_task(ctx, task.id)
        assert [d.id for d in view.decisions] == ["approve", "reject"]
        assert "approved" in view.hidden_fields
        tasks.complete(ctx, task.id, decision="reject", remark="Summe falsch")
    finance.work()
    record = finance.record(invoice_id)
    assert record.status == "rejected"
    assert record.facts["approvals"][-1]["approved"] is False
    assert "rechnerisch richtig" in record.facts["rejection"]["findings"][0]
