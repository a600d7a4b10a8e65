"""REST API of the invoice register: upload, list with filters and totals, detail, and the
decision that completes the open task of the approval process."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dms.services.context import SYSTEM, App
from tests.einvoice.builders import build
from tests.invoices.conftest import LEITWEG_63, import_invoice
from tests.support.deputies import end_vertretung
from tests.web.conftest import api_token
from workflows import jobs
from workflows.models import Task

API = "/api/v1/invoices"
#: Due in a month: no escalation task (Zahlungsfrist überschritten) beside the checks.
CURRENT = {"issue_date": date.today().isoformat(),
           "due_date": (date.today() + timedelta(days=30)).isoformat()}


def _upload(web: TestClient, headers: dict[str, str], xml: bytes, **data: str):  # type: ignore[no-untyped-def]
    return web.post(API, data=data, files={"file": ("rechnung.xml", xml, "application/xml")},
                    headers=headers)


@pytest.mark.slow  # several e-invoices, each with its PDF view (~0.5 s)
def test_upload_list_filters_and_totals(web: TestClient, finance: App, tmp_path: Path) -> None:
    schmidt = api_token(finance, "schmidt")
    first = _upload(web, schmidt, build({"buyer_reference": LEITWEG_63,
                                         "payment_terms": "#SKONTO#TAGE=14#PROZENT=2.00#\n"}))
    assert first.status_code == 201, first.text
    body = first.json()["invoice"]
    assert (body["office_code"], body["gross_cents"], body["discount_cents"]) == ("63", 5355, 107)
    assert body["view_document_id"] and body["is_einvoice"] is True
    again = _upload(web, schmidt, build({"buyer_reference": LEITWEG_63}))
    assert again.status_code == 201
    assert again.json()["invoice"]["duplicate_of_id"] == body["id"]
    assert "Doppelrechnung" in again.json()["duplicate_warning"]
    other = _upload(web, schmidt, build({"number": "K-9", "seller": {"name": "Kopierfix AG",
                                                                     "vat_id": "DE999999999"},
                                         "due_date": "2025-06-30"}), office_code="50")
    assert other.status_code == 201 and other.json()["invoice"]["office_code"] == "50"

    page = web.get(API, headers=schmidt).json()
    assert page["totals"] == {"count": 3, "gross_cents": {"EUR": 3 * 5355},
                              "due_cents": {"EUR": 3 * 5355}, "discount_cents": {"EUR": 107}}
    assert [i["due_date"] for i in page["items"]] == ["2025-04-13", "2025-04-13", "2025-06-30"]

    def ids(**params: str) -> list[str]:
        found = web.get(API, params=params, headers=schmidt)
        assert found.status_code == 200, found.text
        return sorted(i["invoice_number"] for i in found.json()["items"])

    assert ids(office="50") == ["K-9"]
    assert ids(supplier="kopierfix") == ["K-9"]
    assert ids(q="k-9") == ["K-9"]
    assert ids(due_before="2025-05-01") == ["RE-2025-0001", "RE-2025-0001"]
    assert ids(duplicates="true") == ["RE-2025-0001"]
    assert ids(status="formal_check") == ["K-9", "RE-2025-0001", "RE-2025-0001"]
    assert web.get(API, params={"status": "bogus"}, headers=schmidt).status_code == 422

    # clerks see their own office's invoices only; the mailroom does not use the finance desk
    end_vertretung(finance)  # weber's demo Vertretung for mueller (office 63) is over
    assert ids_for(web, finance, "mueller") == ["RE-2025-0001", "RE-2025-0001"]
    assert ids_for(web, finance, "weber") == ["K-9"]
    refused = web.get(API, headers=api_token(finance, "post"))
    assert refused.status_code == 403 and refused.json()["error"] == "permission_denied"


def ids_for(web: TestClient, app: App, username: str) -> list[str]:
    found = web.get(API, headers=api_token(app, username)).json()["items"]
    return sorted(i["invoice_number"] for i in found)


def test_upload_of_something_else_is_refused(web: TestClient, finance: App) -> None:
    response = web.post(API, files={"file": ("brief.xml", b"<brief>Hallo</brief>",
                                             "application/xml")},
                        headers=api_token(finance, "schmidt"))
    assert response.status_code == 422 and "keine E-Rechnung" in response.json()["message"]
    assert web.get(API, headers=api_token(finance, "schmidt")).json()["items"] == []


def _open_task(app: App, instance_id: int) -> Task:
    with app.unit(SYSTEM) as ctx:
        task = ctx.db.scalar(select(Task).where(Task.instance_id == instance_id,
                                                Task.status == "open"))
        assert task is not None
        return task


@pytest.mark.slow  # the whole path: import, formal check, two decisions, rejection notice
def test_approve_and_reject_complete_the_open_task(web: TestClient, finance: App,
                                                   tmp_path: Path) -> None:
    invoice_id = import_invoice(finance, tmp_path, CURRENT)  # no Leitweg-ID: Kreiskasse (21)
    jobs.run_due(finance)  # the formal check (a service task) passes a valid invoice on
    schmidt = api_token(finance, "schmidt")
    detail = web.get(f"{API}/{invoice_id}", headers=schmidt).json()
    assert detail["status"] == "factual_check" and detail["can_decide"] is True
    assert [t["name"] for t in detail["open_tasks"]] == ["Sachlich richtig"]
    assert {f["severity"] for f in detail["findings"]} <= {"info"}  # valid: no errors
    assert "invoice.register" in [h["action"] for h in detail["history"]]
    factual = _open_task(finance, detail["instance_id"])

    approved = web.post(f"{API}/{invoice_id}/approve", json={"remark": "Ware geliefert"},
                        headers=schmidt)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "arithmetic_check"
    with finance.unit(SYSTEM) as ctx:
        done = ctx.db.get(Task, factual.id)
        assert done is not None and done.status == "completed" and done.completed_by == "schmidt"
        assert done.remark == "Ware geliefert"
    assert any(h["action"] == "invoice.approve" for h in approved.json()["history"])

    no_reason = web.post(f"{API}/{invoice_id}/reject", json={"remark": " "}, headers=schmidt)
    assert no_reason.status_code == 422
    rejected = web.post(f"{API}/{invoice_id}/reject", json={"remark": "Summe falsch"},
                        headers=schmidt)
    assert rejected.status_code == 200, rejected.text
    jobs.run_due(finance)  # the rejection notice (a service task) ends it
    final = web.get(f"{API}/{invoice_id}", headers=schmidt).json()
    assert final["status"] == "rejected" and final["open_tasks"] == []
    again = web.post(f"{API}/{invoice_id}/approve", json={}, headers=schmidt)
    assert again.status_code == 409 and again.json()["error"] == "conflict"


def test_a_clerk_of_another_office_cannot_decide(web: TestClient, finance: App,
                                                 tmp_path: Path) -> None:
    invoice_id = import_invoice(finance, tmp_path, CURRENT)
    jobs.run_due(finance)
    response = web.post(f"{API}/{invoice_id}/approve", json={},
                        headers=api_token(finance, "weber"))
    assert response.status_code == 404
    finance_colleague = api_token(finance, "kaiser")  # finance, office 20: not offered the task
    refused = web.post(f"{API}/{invoice_id}/approve", json={}, headers=finance_colleague)
    assert refused.status_code == 403, refused.text
