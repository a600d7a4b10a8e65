"""Every API route, called by someone without rights, answers 401/403/404 and gives nothing away.

The probe table below names every route under /api/v1. A route added to the API without a
probe makes `test_every_route_refuses_outsiders` fail with the route's name, so new routes are
covered from the day they are written. Object routes must also answer exactly as if the object
did not exist (same status, same message up to the number asked for); listing routes answer
200 with the outsider's objects filtered out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dms.content.text_pdf import text_pdf
from dms.models import AuditEvent
from dms.services import audit, documents, files, users
from dms.services.context import SYSTEM, App
from tests.support.deputies import end_vertretung
from tests.web.conftest import api_token
from tests.web.test_api import API, api_routes
from workflows.models import ProcessInstance, Task

PDF = text_pdf(["Probe", "Nichts von Belang"])


@dataclass(frozen=True)
class Target:
    """A demo file with its first case and document, as looked up by the system operator."""

    office_id: int
    plan_node_id: int
    plan_code: str
    file_id: int
    file_reference: str
    case_id: int
    case_reference: str
    document_id: int
    search_word: str
    secrets: tuple[str, ...] = ()
    task_id: int = 999_999  # a group task of the office's own inbox (see with_workflow)
    instance_id: int = 999_999
    intake_batch_id: int = 999_999  # a processed batch with a letter in review (with_intake)
    intake_letter_id: int = 999_999
    quarantined_batch_id: int = 999_999
    invoice_id: int = 999_999  # an invoice register row on the target's document (with_invoice)


MISSING = Target(
    office_id=999_999,
    plan_node_id=999_999,
    plan_code="999",
    file_id=999_999,
    file_reference="999-9999/1999",
    case_id=999_999,
    case_reference="999-9999/1999-99",
    document_id=999_999,
    search_word="Nichtvorhanden",
)

# Demo files by office code, with a word that occurs only in their documents.
DEMO = {"63": "Lindenweg", "50": "Grundsicherung", "21": "Kopierpapier"}


def load_target(app: App, office_code: str) -> Target:
    with app.unit(SYSTEM) as ctx:
        office = users.office_by_code(ctx, office_code)
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _count), *_ = files.list_cases(ctx, file.id)
        rows = documents.list_documents(ctx, case.id)
        secrets = {file.title, file.reference, case.title, case.reference}
        for document, _version in rows:
            secrets.update(filter(None, [document.title, document.sender]))
        return Target(
            office_id=office.id,
            plan_node_id=file.plan_node_id,
            plan_code=file.plan_node.code,
            file_id=file.id,
            file_reference=file.reference,
            case_id=case.id,
            case_reference=case.reference,
            document_id=rows[0][0].id,
            search_word=DEMO[office_code],
            secrets=tuple(sorted(secrets)),
        )


def with_workflow(app: App, target: Target, office_code: str) -> Target:
    """A letter-distribution process on the target's document: a task in the office queue."""
    from tests.conftest import ROOT
    from workflows import engine

    with app.unit(SYSTEM) as ctx:
        engine.deploy(ctx, (ROOT / "config/processes/letter-distribution.bpmn").read_bytes())
        instance = engine.start(ctx, "letter-distribution", {"office": office_code},
                                business_key=target.case_reference, case_id=target.case_id,
                                document_id=target.document_id)
        (task_id,) = ctx.db.scalars(select(Task.id).where(Task.instance_id == instance.id))
        return replace(target, task_id=task_id, instance_id=instance.id)


def with_intake(app: App, target: Target) -> Target:
    """Mailroom state: a batch with a letter waiting for review, and a quarantined batch."""
    import tempfile
    from pathlib import Path

    from ingest.models import IntakeLetter
    from ingest.pipeline import quarantine, receive

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Stapel-Vertraulich.pdf"
        path.write_bytes(PDF)
        batch_id = receive(app, path, source="upload", operator="post")
        broken = Path(folder) / "Kaputt-Vertraulich.pdf"
        broken.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
        bad_id = receive(app, broken, source="upload", operator="post")
    quarantine(app, bad_id, "beschädigt (Probe)")
    with app.unit(SYSTEM) as ctx:
        letter = IntakeLetter(
            batch_id=batch_id,
            seq=1,
            register_number="PE-2026-424242",
            status="review",
            pages={"indexes": [0]},
            text="Geheimer Brief über Zwetschgenkuchen",
            routing={"office_code": "63", "reason": "Probe"},
        )
        ctx.db.add(letter)
        ctx.db.flush()
        letter_id = letter.id
    secrets = ("PE-2026-424242", "Zwetschgenkuchen", "Stapel-Vertraulich", "Kaputt-Vertraulich")
    return replace(
        target,
        intake_batch_id=batch_id,
        intake_letter_id=letter_id,
        quarantined_batch_id=bad_id,
        secrets=(*target.secrets, *secrets),
    )


def with_invoice(app: App, target: Target) -> Target:
    """An invoice register row on the target's document (no process: nothing to approve)."""
    from ingest.invoice_records import InvoiceRecord

    with app.unit(SYSTEM) as ctx:
        record = InvoiceRecord(
            document_id=target.document_id, case_id=target.case_id, office_id=target.office_id,
            invoice_number="RE-GEHEIM-4242", seller_name="Geheimlieferant Quitte",
            seller_key="name:geheimlieferantquitte", gross_cents=424_242, facts={})
        ctx.db.add(record)
        ctx.db.flush()
        invoice_id = record.id
    secrets = ("RE-GEHEIM-4242", "Geheimlieferant Quitte")
    return replace(target, invoice_id=invoice_id, secrets=(*target.secrets, *secrets))


def _invoice_upload(t: Target) -> Call:
    from tests.einvoice.builders import build_cii

    xml = build_cii({"number": "RE-EINGESCHMUGGELT"})
    return Call("POST", "/invoices", data={"office_code": _office_code(t)},
                files={"file": ("rechnung.xml", xml, "application/xml")})


def _office_code(t: Target) -> str:
    return {v: k for k, v in DEMO.items()}.get(t.search_word, "99")


BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="t"><bpmn:process id="smuggled" isExecutable="true">
  <bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
</bpmn:process></bpmn:definitions>"""


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None

    def send(self, client: TestClient, headers: dict[str, str]) -> Any:
        files_ = {k: (n, c, t) for k, (n, c, t) in self.files.items()} if self.files else None
        return client.request(
            self.method,
            self.url,
            params=self.params,
            json=self.json,
            data=self.data,
            files=files_,
            headers=headers,
        )

    def sent_text(self) -> str:
        return json.dumps([self.url, self.params, self.json, self.data], ensure_ascii=False)


OBJECT = "object"  # refused exactly as if the object did not exist
MAILROOM = "mailroom"  # the mailroom's own routes: like OBJECT for everyone but its staff
REFUSED = "refused"  # refused (nothing to compare with: e.g. creating in a foreign office)
FINANCE_LISTING = "finance-listing"  # like LISTING; mailroom staff are refused (403)
FINANCE_WRITE = "finance-write"  # like REFUSED for everyone but finance staff (they may file)
LISTING = "listing"  # 200, with the outsider's objects filtered out


@dataclass(frozen=True)
class Probe:
    kind: str
    call: Callable[[Target], Call]


def _upload(url: str, **data: str) -> Call:
    return Call("POST", url, data=data, files={"file": ("probe.pdf", PDF, "application/pdf")})


PROBES: dict[tuple[str, str], Probe] = {
    ("GET", "/me"): Probe(LISTING, lambda t: Call("GET", "/me")),
    ("GET", "/offices"): Probe(LISTING, lambda t: Call("GET", "/offices")),
    ("GET", "/plan"): Probe(LISTING, lambda t: Call("GET", "/plan")),
    ("GET", "/plan/{node_id}/files"): Probe(
        LISTING, lambda t: Call("GET", f"/plan/{t.plan_node_id}/files")
    ),
    ("GET", "/files"): Probe(
        LISTING, lambda t: Call("GET", "/files", params={"office_id": t.office_id})
    ),
    ("POST", "/files"): Probe(
        REFUSED,
        lambda t: Call(
            "POST",
            "/files",
            json={"plan_code": t.plan_code, "title": "Eingeschmuggelt", "office_id": t.office_id},
        ),
    ),
    ("GET", "/files/by-reference"): Probe(
        OBJECT, lambda t: Call("GET", "/files/by-reference", params={"reference": t.file_reference})
    ),
    ("GET", "/files/{file_id}"): Probe(OBJECT, lambda t: Call("GET", f"/files/{t.file_id}")),
    ("POST", "/files/{file_id}/shares"): Probe(
        OBJECT, lambda t: Call("POST", f"/files/{t.file_id}/shares", json={"office_id": 1})
    ),
    ("POST", "/files/{file_id}/status"): Probe(
        OBJECT, lambda t: Call("POST", f"/files/{t.file_id}/status", json={"status": "closed"})
    ),
    ("GET", "/files/{file_id}/cases"): Probe(
        OBJECT, lambda t: Call("GET", f"/files/{t.file_id}/cases")
    ),
    ("POST", "/files/{file_id}/cases"): Probe(
        OBJECT,
        lambda t: Call("POST", f"/files/{t.file_id}/cases", json={"title": "Eingeschmuggelt"}),
    ),
    ("GET", "/cases/by-reference"): Probe(
        OBJECT, lambda t: Call("GET", "/cases/by-reference", params={"reference": t.case_reference})
    ),
    ("GET", "/cases/{case_id}"): Probe(OBJECT, lambda t: Call("GET", f"/cases/{t.case_id}")),
    ("GET", "/cases/{case_id}/documents"): Probe(
        OBJECT, lambda t: Call("GET", f"/cases/{t.case_id}/documents")
    ),
    ("POST", "/cases/{case_id}/documents"): Probe(
        OBJECT, lambda t: _upload(f"/cases/{t.case_id}/documents", title="Eingeschmuggelt")
    ),
    ("GET", "/documents/{document_id}"): Probe(
        OBJECT, lambda t: Call("GET", f"/documents/{t.document_id}")
    ),
    ("GET", "/documents/{document_id}/searchable-copy"): Probe(
        OBJECT, lambda t: Call("GET", f"/documents/{t.document_id}/searchable-copy")
    ),
    ("PATCH", "/documents/{document_id}"): Probe(
        OBJECT,
        lambda t: Call("PATCH", f"/documents/{t.document_id}", json={"title": "Probe"}),
    ),
    ("POST", "/documents/{document_id}/move"): Probe(
        OBJECT,
        lambda t: Call("POST", f"/documents/{t.document_id}/move",
                       json={"case_id": t.case_id, "reason": "Probe"}),
    ),
    ("POST", "/documents/{document_id}/versions"): Probe(
        OBJECT, lambda t: _upload(f"/documents/{t.document_id}/versions")
    ),
    ("GET", "/documents/{document_id}/versions/{number}/content"): Probe(
        OBJECT, lambda t: Call("GET", f"/documents/{t.document_id}/versions/1/content")
    ),
    ("GET", "/documents/{document_id}/content"): Probe(
        OBJECT, lambda t: Call("GET", f"/documents/{t.document_id}/content")
    ),
    ("GET", "/documents/{document_id}/history"): Probe(
        OBJECT, lambda t: Call("GET", f"/documents/{t.document_id}/history")
    ),
    ("GET", "/search"): Probe(
        LISTING, lambda t: Call("GET", "/search", params={"q": t.search_word})
    ),
    # --- workflow: the inbox, tasks, processes, instances, incidents, co-signing
    ("GET", "/tasks"): Probe(LISTING, lambda t: Call("GET", "/tasks", params={"view": "all"})),
    ("GET", "/tasks/{task_id}"): Probe(OBJECT, lambda t: Call("GET", f"/tasks/{t.task_id}")),
    ("POST", "/tasks/{task_id}/claim"): Probe(
        OBJECT, lambda t: Call("POST", f"/tasks/{t.task_id}/claim")
    ),
    ("POST", "/tasks/{task_id}/release"): Probe(
        OBJECT, lambda t: Call("POST", f"/tasks/{t.task_id}/release")
    ),
    ("POST", "/tasks/{task_id}/forward"): Probe(
        OBJECT, lambda t: Call("POST", f"/tasks/{t.task_id}/forward", json={"to": "admin"})
    ),
    ("POST", "/tasks/{task_id}/complete"): Probe(
        OBJECT,
        lambda t: Call(
            "POST", f"/tasks/{t.task_id}/complete", json={"variables": {"clerk": "post"}}
        ),
    ),
    ("POST", "/tasks/{task_id}/read"): Probe(
        OBJECT, lambda t: Call("POST", f"/tasks/{t.task_id}/read")
    ),
    ("GET", "/processes"): Probe(LISTING, lambda t: Call("GET", "/processes")),
    ("POST", "/processes"): Probe(
        REFUSED,
        lambda t: Call("POST", "/processes", files={"file": ("x.bpmn", BPMN, "application/xml")}),
    ),
    ("POST", "/processes/{key}/instances"): Probe(
        OBJECT,
        lambda t: Call(
            "POST",
            "/processes/letter-distribution/instances",
            json={"case_id": t.case_id, "variables": {"office": "10"}},
        ),
    ),
    ("GET", "/instances"): Probe(
        LISTING, lambda t: Call("GET", "/instances", params={"status": "all"})
    ),
    ("GET", "/instances/{instance_id}"): Probe(
        OBJECT, lambda t: Call("GET", f"/instances/{t.instance_id}")
    ),
    ("GET", "/incidents"): Probe(REFUSED, lambda t: Call("GET", "/incidents")),
    ("POST", "/incidents/{job_id}/retry"): Probe(
        REFUSED, lambda t: Call("POST", "/incidents/1/retry")
    ),
    ("POST", "/documents/{document_id}/cosign"): Probe(
        OBJECT,
        lambda t: Call(
            "POST", f"/documents/{t.document_id}/cosign", json={"cosigners": ["admin"]}
        ),
    ),
    # --- mailroom (Poststelle): only its staff and administrators
    ("POST", "/intake/batches"): Probe(
        MAILROOM, lambda t: _upload("/intake/batches", received_on="2026-01-02")
    ),
    ("GET", "/intake/batches"): Probe(MAILROOM, lambda t: Call("GET", "/intake/batches")),
    ("GET", "/intake/batches/{batch_id}"): Probe(
        MAILROOM, lambda t: Call("GET", f"/intake/batches/{t.intake_batch_id}")
    ),
    ("POST", "/intake/batches/{batch_id}/retry"): Probe(
        MAILROOM, lambda t: Call("POST", f"/intake/batches/{t.quarantined_batch_id}/retry")
    ),
    ("POST", "/intake/batches/{batch_id}/discard"): Probe(
        MAILROOM,
        lambda t: Call(
            "POST", f"/intake/batches/{t.quarantined_batch_id}/discard", json={"remark": "x"}
        ),
    ),
    ("GET", "/intake/batches/{batch_id}/quality"): Probe(
        MAILROOM, lambda t: Call("GET", f"/intake/batches/{t.intake_batch_id}/quality")
    ),
    ("POST", "/intake/batches/{batch_id}/quality"): Probe(
        MAILROOM,
        lambda t: Call(
            "POST",
            f"/intake/batches/{t.intake_batch_id}/quality",
            json={"pages": [{"index": 0, "ok": True}]},
        ),
    ),
    ("GET", "/intake/quarantine"): Probe(MAILROOM, lambda t: Call("GET", "/intake/quarantine")),
    ("GET", "/intake/letters"): Probe(MAILROOM, lambda t: Call("GET", "/intake/letters")),
    ("GET", "/intake/letters/{letter_id}"): Probe(
        MAILROOM, lambda t: Call("GET", f"/intake/letters/{t.intake_letter_id}")
    ),
    ("POST", "/intake/letters/{letter_id}/send"): Probe(
        MAILROOM,
        lambda t: Call(
            "POST", f"/intake/letters/{t.intake_letter_id}/send", json={"office_code": "63"}
        ),
    ),
    ("POST", "/intake/letters/{letter_id}/rotate"): Probe(
        MAILROOM,
        lambda t: Call(
            "POST", f"/intake/letters/{t.intake_letter_id}/rotate", json={"page": 1, "degrees": 90}
        ),
    ),
    ("POST", "/intake/letters/{letter_id}/move"): Probe(
        MAILROOM,
        lambda t: Call(
            "POST",
            f"/intake/letters/{t.intake_letter_id}/move",
            json={"page": 1, "direction": "next"},
        ),
    ),
    ("POST", "/intake/letters/{letter_id}/split"): Probe(
        MAILROOM,
        lambda t: Call("POST", f"/intake/letters/{t.intake_letter_id}/split", json={"page": 2}),
    ),
    ("POST", "/intake/letters/{letter_id}/merge"): Probe(
        MAILROOM, lambda t: Call("POST", f"/intake/letters/{t.intake_letter_id}/merge")
    ),
    # --- invoice register (Rechnungseingang): finance, clerks of the office, administrators
    ("GET", "/invoices"): Probe(
        FINANCE_LISTING, lambda t: Call("GET", "/invoices", params={"office": _office_code(t)})
    ),
    ("POST", "/invoices"): Probe(FINANCE_WRITE, _invoice_upload),
    ("GET", "/invoices/{invoice_id}"): Probe(
        OBJECT, lambda t: Call("GET", f"/invoices/{t.invoice_id}")
    ),
    ("POST", "/invoices/{invoice_id}/approve"): Probe(
        OBJECT, lambda t: Call("POST", f"/invoices/{t.invoice_id}/approve", json={"remark": "x"})
    ),
    ("POST", "/invoices/{invoice_id}/reject"): Probe(
        OBJECT, lambda t: Call("POST", f"/invoices/{t.invoice_id}/reject", json={"remark": "x"})
    ),
    # --- signatures: keys are handed out by administrators; signing needs the document
    ("GET", "/signing-keys"): Probe(LISTING, lambda t: Call("GET", "/signing-keys")),
    ("POST", "/signing-keys"): Probe(
        REFUSED,
        lambda t: Call("POST", "/signing-keys", data={"passphrase": "x"},
                       files={"file": ("key.p12", PDF, "application/x-pkcs12")}),
    ),
    ("POST", "/signing-keys/uri"): Probe(
        REFUSED, lambda t: Call("POST", "/signing-keys/uri", json={"uri": "pkcs11:token=x"})
    ),
    ("POST", "/documents/{document_id}/signatures"): Probe(
        OBJECT,
        lambda t: Call("POST", f"/documents/{t.document_id}/signatures", json={"key_id": 1}),
    ),
    ("POST", "/documents/{document_id}/signature-checks"): Probe(
        OBJECT, lambda t: Call("POST", f"/documents/{t.document_id}/signature-checks", json={})
    ),
    ("POST", "/tasks/{task_id}/sign"): Probe(
        OBJECT, lambda t: Call("POST", f"/tasks/{t.task_id}/sign", json={"key_id": 1})
    ),
}
#: Users whose role opens the MAILROOM probes (they are no outsiders there).
MAILROOM_STAFF = {"post"}
#: Users who may file e-invoices into any office's invoice file (FINANCE_WRITE probes).
FINANCE_STAFF = {"schmidt"}


def probes_for_app(client: TestClient) -> list[tuple[str, str, Probe]]:
    """The probe of every served API route; fails naming any route that has none."""
    served = sorted(api_routes(client))
    unlisted = [f"{m} {p}" for m, p in served if (m, p.removeprefix(API)) not in PROBES]
    if unlisted:
        pytest.fail(
            "API route(s) without a permission probe in test_api_permissions.PROBES: "
            + ", ".join(unlisted)
        )
    stale = set(PROBES) - {(m, p.removeprefix(API)) for m, p in served}
    assert not stale, f"probes for routes the app no longer serves: {sorted(stale)}"
    return [(m, p, PROBES[(m, p.removeprefix(API))]) for m, p in served]


def _prefixed(call: Call) -> Call:
    return replace(call, url=API + call.url)


def _normalised(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body.get("error", ""), re.sub(r"\d+", "N", body["message"])


def _assert_reveals_nothing(response: Any, call: Call, target: Target, where: str) -> None:
    shown = response.text + json.dumps(_json_or_none(response), ensure_ascii=False)
    for secret in target.secrets:
        if secret in call.sent_text():
            continue  # echoing what the caller sent reveals nothing
        assert secret not in shown, f"{where}: response reveals {secret!r}: {response.text}"


def _json_or_none(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _events_by(app: App, username: str) -> int:
    with app.unit(SYSTEM) as ctx:
        return (
            ctx.db.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == username)
            )
            or 0
        )


# (outsider, office whose demo file they probe): a clerk of another office, the mailroom and
# finance against a general file, a clerk against a sensitive file, two against invoices.
SCENARIOS = [
    ("weber", "63"),
    ("post", "63"),
    ("schmidt", "63"),
    ("mueller", "50"),
    ("post", "21"),
    ("weber", "21"),
]


@pytest.mark.parametrize(
    ("username", "office_code"), SCENARIOS, ids=[f"{u}-vs-{o}" for u, o in SCENARIOS]
)
def test_every_route_refuses_outsiders(
    web: TestClient, seeded: App, username: str, office_code: str
) -> None:
    end_vertretung(seeded)  # weber's demo Vertretung for mueller (office 63) is over
    target = with_workflow(seeded, load_target(seeded, office_code), office_code)
    target = with_invoice(seeded, with_intake(seeded, target))
    auth = api_token(seeded, username)
    events_before = _events_by(seeded, username)
    for method, path, probe in probes_for_app(web):
        if probe.kind == MAILROOM and username in MAILROOM_STAFF:
            continue  # the mailroom's own work (tests/web/test_mailroom_api.py)
        if probe.kind == FINANCE_WRITE and username in FINANCE_STAFF:
            continue  # finance's own work (tests/invoices/test_finance_api.py)
        where = f"{username} {method} {path}"
        call = _prefixed(probe.call(target))
        response = call.send(web, auth)
        if probe.kind == FINANCE_LISTING and username in MAILROOM_STAFF:
            assert response.status_code == 403, f"{where}: {response.text}"
        elif probe.kind in (LISTING, FINANCE_LISTING):
            assert response.status_code == 200, f"{where}: {response.text}"
            if path.endswith("/search"):
                assert response.json()["total"] == 0, where
            if path.endswith(("/files", "/tasks", "/instances", "/invoices")):
                assert response.json()["items"] == [], where
        else:
            assert response.status_code in (401, 403, 404), f"{where}: {response.text}"
            assert response.headers["content-type"].startswith("application/json"), where
            assert "etag" not in response.headers, where
        _assert_reveals_nothing(response, call, target, where)
        if probe.kind in (OBJECT, MAILROOM):
            missing = _prefixed(probe.call(MISSING)).send(web, auth)
            assert _normalised(response) == _normalised(missing), (
                f"{where}: an invisible object must look exactly like a missing one"
            )
    # nothing was changed, created or read on the outsider's behalf
    assert _events_by(seeded, username) == events_before
    with seeded.unit(SYSTEM) as ctx:
        file = files.get_file(ctx, target.file_id)
        assert file.status == "open"
        assert all(c.title != "Eingeschmuggelt" for c, _ in files.list_cases(ctx, file.id))
        _doc, versions = documents.get_document(ctx, target.document_id)
        assert len(versions) == 1
        task = ctx.db.get(Task, target.task_id)
        assert task is not None and task.status == "open" and task.assignee is None
        assert ctx.db.scalar(select(func.count()).select_from(ProcessInstance)) == 1
        assert_intake_untouched(ctx, target)
        assert_invoices_untouched(ctx, target)


def assert_invoices_untouched(ctx: Any, target: Target) -> None:
    from ingest.invoice_records import InvoiceRecord

    (invoice,) = ctx.db.scalars(select(InvoiceRecord)).all()  # nothing smuggled in
    assert invoice.id == target.invoice_id and invoice.status == "received"


def assert_intake_untouched(ctx: Any, target: Target) -> None:
    from ingest.models import IntakeBatch, IntakeLetter

    letter = ctx.db.get(IntakeLetter, target.intake_letter_id)
    assert letter is not None and letter.status == "review" and letter.document_id is None
    assert letter.pages == {"indexes": [0]}
    bad = ctx.db.get(IntakeBatch, target.quarantined_batch_id)
    assert bad is not None and bad.status == "quarantined"
    assert ctx.db.scalar(select(func.count()).select_from(IntakeBatch)) == 2


def test_every_route_requires_authentication(web: TestClient, seeded: App) -> None:
    target = with_invoice(
        seeded, with_intake(seeded, with_workflow(seeded, load_target(seeded, "63"), "63")))
    for method, path, probe in probes_for_app(web):
        call = _prefixed(probe.call(target))
        for headers in ({}, {"Authorization": "Bearer dms_not-a-token"}):
            response = call.send(web, headers)
            assert response.status_code == 401, f"{method} {path}: {response.text}"
            assert response.json()["error"] == "authentication_required"
            _assert_reveals_nothing(response, call, target, f"anonymous {method} {path}")


def test_shared_reader_may_read_but_not_change(web: TestClient, seeded: App) -> None:
    end_vertretung(seeded)  # weber's demo Vertretung for mueller (office 63) is over
    target = load_target(seeded, "63")
    owner, reader = api_token(seeded, "mueller"), api_token(seeded, "weber")
    with seeded.unit(SYSTEM) as ctx:
        weber_id = users.user_by_name(ctx.db, "weber").id
    assert web.get(f"{API}/files/{target.file_id}", headers=reader).status_code == 404

    refused = web.post(
        f"{API}/files/{target.file_id}/shares",
        json={"user_id": weber_id},
        headers=api_token(seeded, "post"),
    )
    assert refused.status_code == 404
    shared = web.post(
        f"{API}/files/{target.file_id}/shares", json={"user_id": weber_id}, headers=owner
    )
    assert shared.status_code == 201, shared.text
    assert shared.json()["user_id"] == weber_id
    both = web.post(
        f"{API}/files/{target.file_id}/shares",
        json={"user_id": weber_id, "office_id": target.office_id},
        headers=owner,
    )
    assert both.status_code == 422 and both.json()["error"] == "invalid_input"

    assert web.get(f"{API}/files/{target.file_id}", headers=reader).status_code == 200
    content = web.get(f"{API}/documents/{target.document_id}/content", headers=reader)
    assert content.status_code == 200 and content.content.startswith(b"%PDF")
    found = web.get(f"{API}/search", params={"q": "Lindenweg"}, headers=reader).json()
    assert found["total"] >= 1
    writes = [
        Call("POST", f"/files/{target.file_id}/cases", json={"title": "Eingeschmuggelt"}),
        Call("POST", f"/files/{target.file_id}/status", json={"status": "closed"}),
        Call("POST", f"/files/{target.file_id}/shares", json={"user_id": weber_id}),
        _upload(f"/cases/{target.case_id}/documents"),
        _upload(f"/documents/{target.document_id}/versions"),
    ]
    for call in writes:
        response = _prefixed(call).send(web, reader)
        assert response.status_code == 403, f"{call.method} {call.url}: {response.text}"
        assert response.json()["error"] == "permission_denied"


def test_reading_a_sensitive_file_is_audited(web: TestClient, seeded: App) -> None:
    target = load_target(seeded, "50")  # Sozialamt: Grundsicherung, marked sensitive
    auth = api_token(seeded, "weber")
    assert web.get(f"{API}/files/{target.file_id}", headers=auth).json()["sensitive"] is True
    assert (
        web.get(
            f"{API}/files/by-reference", params={"reference": target.file_reference}, headers=auth
        ).status_code
        == 200
    )
    assert web.get(f"{API}/cases/{target.case_id}", headers=auth).status_code == 200
    assert web.get(f"{API}/documents/{target.document_id}", headers=auth).status_code == 200
    assert web.get(f"{API}/documents/{target.document_id}/content", headers=auth).status_code == 200

    def reads(object_type: str, object_id: int) -> list[str]:
        with seeded.unit(SYSTEM) as ctx:
            return [
                e.action for e in audit.history(ctx, object_type, object_id) if e.actor == "weber"
            ]

    assert reads("file", target.file_id) == ["file.read", "file.read"]
    assert reads("case", target.case_id) == ["case.read"]
    assert reads("document", target.document_id) == ["document.read", "document.read"]

    # an ordinary file is read without a trace
    mueller = api_token(seeded, "mueller")
    ordinary = load_target(seeded, "63")
    assert web.get(f"{API}/files/{ordinary.file_id}", headers=mueller).status_code == 200
    with seeded.unit(SYSTEM) as ctx:
        assert all(e.action != "file.read" for e in audit.history(ctx, "file", ordinary.file_id))
