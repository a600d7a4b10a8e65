"""The mailroom's e-invoice path ends in the register: the letter is filed unchanged, and
the invoice gets its register row (with the letter), PDF view and approval process, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dms.models import Document
from dms.services.context import SYSTEM, App
from ingest.invoice_records import InvoiceRecord
from ingest.invoice_register import register_filed
from ingest.models import IntakeLetter
from ingest.pipeline import INGEST, process_batch, receive
from tests.einvoice.builders import build_ubl
from tests.invoices.conftest import LEITWEG_63


def test_an_einvoice_from_the_mailroom_is_registered_once(finance: App, tmp_path: Path) -> None:
    path = tmp_path / "rechnung.xml"
    path.write_bytes(build_ubl({"buyer_reference": LEITWEG_63,
                                "payment_terms": "#SKONTO#TAGE=14#PROZENT=2.00#\n"}))
    result = process_batch(finance, receive(finance, path, source="upload", operator="post"))
    assert result.status == "done", result.reason
    (letter_row,) = result.letters
    with finance.unit(SYSTEM) as ctx:
        record = ctx.db.scalar(select(InvoiceRecord))
        assert record is not None
        letter = ctx.db.get(IntakeLetter, letter_row["id"])
        assert letter is not None and letter.status == "filed"
        assert record.document_id == letter.document_id and record.letter_id == letter.id
        assert record.discount_cents == 107 and record.instance_id is not None
        view = ctx.db.get(Document, record.facts["view_document_id"])
        assert view is not None and view.case_id == record.case_id
        document_id, record_id = record.document_id, record.id
    # registering the same filed document again (a resumed batch) changes nothing
    assert register_filed(finance, INGEST, document_id, path) == record_id
    assert process_batch(finance, result.batch_id).status == "done"
    with finance.unit(SYSTEM) as ctx:
        assert ctx.db.scalar(select(func.count()).select_from(InvoiceRecord)) == 1


def test_a_crash_between_the_steps_is_finished_on_resume(
        finance: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after the letter was filed but before the register row: the next run of the
    batch registers it (once), instead of leaving an invoice without its row."""
    import ingest.invoice_register as register_module

    path = tmp_path / "rechnung.xml"
    path.write_bytes(build_ubl({"buyer_reference": LEITWEG_63}))
    batch_id = receive(finance, path, source="upload", operator="post")

    def crash(*args: object, **kwargs: object) -> int:
        raise RuntimeError("Stromausfall")

    monkeypatch.setattr(register_module, "register_filed", crash)
    with pytest.raises(RuntimeError, match="Stromausfall"):
        process_batch(finance, batch_id)
    with finance.unit(SYSTEM) as ctx:
        letter = ctx.db.scalar(select(IntakeLetter).where(IntakeLetter.batch_id == batch_id))
        assert letter is not None and letter.status == "filed"
        assert ctx.db.scalar(select(func.count()).select_from(InvoiceRecord)) == 0
    monkeypatch.undo()
    assert process_batch(finance, batch_id).status == "done"
    with finance.unit(SYSTEM) as ctx:
        (record,) = ctx.db.scalars(select(InvoiceRecord)).all()
        assert record.letter_id == letter.id and record.document_id == letter.document_id
