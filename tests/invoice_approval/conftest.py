"""Invoice approval fixtures: the seeded e-file with the shipped models deployed, and register
rows made directly (the register service is tested on its own), each with its own document in
the Kreiskasse's invoice file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dms.content.text_pdf import text_pdf
from dms.models import Case, File, Office
from dms.services import documents
from dms.services.context import SYSTEM, App
from ingest.invoice_records import InvoiceRecord
from tests.support.actors import as_user
from workflows import jobs, shipped, tasks
from workflows.inbox import InboxFilter, list_inbox
from workflows.invoice_approval import start_approval
from workflows.models import Task


@dataclass
class Finance:
    """Drive the approval: make invoices, run the worker, act as people."""

    app: App
    counter: int = 0

    def invoice(self, *, gross_cents: int = 124_950, valid: bool = True,
                office: str = "21", facts: dict[str, Any] | None = None,
                due_in_days: int = 30, discount_in_days: int | None = 10,
                start: bool = True, original: bytes | None = None) -> int:
        """A register row; `original` is the filed e-invoice XML (else a PDF stands in and
        the payee facts are set on the row)."""
        self.counter += 1
        today = date.today()
        with self.app.unit(SYSTEM) as ctx:
            case = ctx.db.scalar(
                select(Case).join(File, File.id == Case.file_id)
                .join(Office, Office.id == File.office_id)
                .where(Office.code == "21").order_by(Case.id).limit(1))
            assert case is not None
            office_id = ctx.db.scalar(select(Office.id).where(Office.code == office))
            data = original or text_pdf([f"Rechnung R-{self.counter}", "Schreiber GmbH"],
                                        title=f"Rechnung R-{self.counter}")
            suffix = ".xml" if original else ".pdf"
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                handle.write(data)
                handle.flush()
                doc = documents.add_document(
                    ctx, case_id=case.id, source=Path(handle.name),
                    filename=f"rechnung-{self.counter}{suffix}",
                    title=f"Rechnung R-{self.counter}", doc_type="invoice").document
            payee = {} if original else {"BT-31": "DE123456789",
                                         "BT-84": "DE02120300000000202051",
                                         "BT-86": "BYLADEM1001"}
            record = InvoiceRecord(
                document_id=doc.id, case_id=case.id, office_id=office_id,
                invoice_number=f"R-2026-{self.counter:04d}", issue_date=today,
                seller_name="Schreiber GmbH", seller_key="DE123456789",
                leitweg_id="08111-21-00", order_reference="B-77", currency="EUR",
                net_cents=round(gross_cents / 1.19), gross_cents=gross_cents,
                due_cents=gross_cents, due_date=today + timedelta(days=due_in_days),
                discount_until=(today + timedelta(days=discount_in_days)
                                if discount_in_days is not None else None),
                discount_cents=round(gross_cents * 0.02) if discount_in_days else None,
                valid=valid, error_count=0 if valid else 1,
                facts={**payee, **(facts or {})},
            )
            ctx.db.add(record)
            ctx.db.flush()
            if start:
                start_approval(ctx, record)
            return record.id

    def record(self, invoice_id: int) -> InvoiceRecord:
        with self.app.unit(SYSTEM) as ctx:
            record = ctx.db.get(InvoiceRecord, invoice_id)
            assert record is not None
            ctx.db.expunge(record)
            return record

    def work(self, now: datetime | None = None) -> None:
        outcomes = jobs.run_due(self.app, now=now)
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]

    def open_tasks(self, invoice_id: int) -> list[Task]:
        instance_id = self.record(invoice_id).instance_id
        with self.app.unit(SYSTEM) as ctx:
            rows = list(ctx.db.scalars(select(Task).where(
                Task.instance_id == instance_id, Task.status == "open").order_by(Task.id)))
            for row in rows:
                ctx.db.expunge(row)
            return rows

    def task(self, invoice_id: int, element_id: str) -> Task:
        found = [t for t in self.open_tasks(invoice_id) if t.element_id == element_id]
        assert found, f"no open {element_id}: {[t.element_id for t in self.open_tasks(invoice_id)]}"
        return found[0]

    def inbox(self, user: str) -> list[Task]:
        with as_user(self.app, user) as ctx:
            items, _ = list_inbox(ctx, InboxFilter(limit=200))
            return [i.task for i in items]

    def complete(self, user: str, task_id: int, **variables: Any) -> None:
        with as_user(self.app, user) as ctx:
            tasks.complete(ctx, task_id, variables=variables)

    def sign(self, user: str, invoice_id: int, element_id: str, approved: bool = True,
             remark: str = "") -> None:
        self.complete(user, self.task(invoice_id, element_id).id, approved=approved,
                      remark=remark)


@pytest.fixture
def finance(seeded: App) -> Iterator[Finance]:
    with seeded.unit(SYSTEM) as ctx:
        shipped.deploy_shipped(ctx)
    yield Finance(seeded)
