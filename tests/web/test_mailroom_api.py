"""The mailroom's REST API (/api/v1/intake) with real Tesseract: upload, follow the batch,
review a letter, split and merge it, correct and send; the quarantine; and the refusal of
everyone else (every route is also probed in test_api_permissions)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dms.services import files
from dms.services.context import SYSTEM, App
from ingest.models import IntakeBatch, IntakeLetter
from tests.ingest.scans import multi_page_tiff, text_page
from tests.mailroom.test_pipeline import _deploy
from tests.mailroom.test_review import THANKS
from tests.web.conftest import api_token
from tests.web.test_api import API

INTAKE = f"{API}/intake"


@pytest.mark.slow
def test_upload_review_split_merge_and_send(web: TestClient, seeded: App) -> None:
    _deploy(seeded)
    auth = api_token(seeded, "post")
    scan = multi_page_tiff(
        [text_page(THANKS, seed=3).image, text_page(["Anlage", "Kopie des Ausweises"]).image]
    )
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    uploaded = web.post(
        f"{INTAKE}/batches",
        files={"file": ("stapel.tif", scan, "image/tiff")},
        data={"received_on": yesterday, "device": "Scanner 2"},
        headers=auth,
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["processed_inline"] and body["status"] == "done" and body["letters"] == 1
    batch_id = body["batch_id"]

    batches = web.get(f"{INTAKE}/batches", headers=auth).json()
    assert batches[0]["id"] == batch_id and batches[0]["received_on"] == yesterday
    assert batches[0]["device"] == "Scanner 2" and batches[0]["page_count"] == 2
    batch = web.get(f"{INTAKE}/batches/{batch_id}", headers=auth).json()
    (summary,) = batch["letters"]
    assert summary["pages"] == 2 and summary["status"] == "review"
    queue = web.get(f"{INTAKE}/letters", headers=auth).json()
    assert [x["id"] for x in queue] == [summary["id"]]

    letter_id = summary["id"]
    letter = web.get(f"{INTAKE}/letters/{letter_id}", headers=auth).json()
    assert letter["editable"] and [p["position"] for p in letter["pages"]] == [1, 2]
    assert "Beratung" in letter["pages"][0]["text"] and "Ausweises" in letter["pages"][1]["text"]
    date_field = next(f for f in letter["fields"] if f["name"] == "date")
    assert date_field["value"] == "12.11.2026" and "12.11.2026" in date_field["evidence"][0]
    assert letter["routing"]["reason"] and "confidence" in letter["routing"]

    split = web.post(f"{INTAKE}/letters/{letter_id}/split", json={"page": 2}, headers=auth)
    assert split.status_code == 200, split.text
    assert split.json()["ocr_pages"] == 0 and len(split.json()["letter_ids"]) == 2
    new_id = split.json()["letter_ids"][1]
    assert len(web.get(f"{INTAKE}/batches/{batch_id}", headers=auth).json()["letters"]) == 2
    refused = web.post(f"{INTAKE}/letters/{letter_id}/split", json={"page": 2}, headers=auth)
    assert refused.status_code == 422  # a one-page letter has no page 2

    merged = web.post(f"{INTAKE}/letters/{letter_id}/merge", headers=auth)
    assert merged.status_code == 200 and merged.json()["removed_letter_id"] == new_id
    assert web.get(f"{INTAKE}/letters/{new_id}", headers=auth).status_code == 404
    assert web.get(f"{INTAKE}/letters/{letter_id}", headers=auth).json()["letter"]["pages"] == 2

    missing_case = web.post(
        f"{INTAKE}/letters/{letter_id}/send",
        json={"case_reference": "600-9999/2026-01"},
        headers=auth,
    )
    assert missing_case.status_code == 404
    sent = web.post(
        f"{INTAKE}/letters/{letter_id}/send",
        json={"case_reference": "600-0001/2026-01"},
        headers=auth,
    )
    assert sent.status_code == 200, sent.text
    result = sent.json()
    assert result["status"] == "filed" and result["corrected"]
    assert result["case_reference"] == "600-0001/2026-01" and result["office_code"] == "63"
    again = web.post(f"{INTAKE}/letters/{letter_id}/send", headers=auth)
    assert again.status_code == 409
    with seeded.unit(SYSTEM) as ctx:
        case = files.case_by_reference(ctx, "600-0001/2026-01")
        row = ctx.db.get(IntakeLetter, letter_id)
        assert row is not None and row.case_id == case.id and row.filed_by == "post"

    quality = web.get(f"{INTAKE}/batches/{batch_id}/quality", headers=auth).json()
    assert quality["pages_total"] == 2 and len(quality["sample"]) == 1
    index = quality["sample"][0]["index"]
    recorded = web.post(
        f"{INTAKE}/batches/{batch_id}/quality",
        json={"pages": [{"index": index, "ok": True}]},
        headers=auth,
    )
    assert recorded.status_code == 200 and recorded.json()["result"] == "passed"


def test_quarantine_retry_and_discard(web: TestClient, seeded: App) -> None:
    auth = api_token(seeded, "post")
    broken = b"%PDF-1.7\n" + b"\x00garbage" * 100
    uploaded = web.post(
        f"{INTAKE}/batches",
        files={"file": ("kaputt.pdf", broken, "application/pdf")},
        headers=auth,
    )
    assert uploaded.status_code == 201 and uploaded.json()["status"] == "quarantined"
    batch_id = uploaded.json()["batch_id"]
    (listed,) = web.get(f"{INTAKE}/quarantine", headers=auth).json()
    assert listed["id"] == batch_id and "beschädigt" in listed["reason"]
    retried = web.post(f"{INTAKE}/batches/{batch_id}/retry", headers=auth)
    assert retried.status_code == 200 and retried.json()["status"] == "quarantined"
    discarded = web.post(
        f"{INTAKE}/batches/{batch_id}/discard", json={"remark": "neu angefordert"}, headers=auth
    )
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    assert web.get(f"{INTAKE}/quarantine", headers=auth).json() == []
    assert web.post(f"{INTAKE}/batches/{batch_id}/retry", headers=auth).status_code == 409
    assert (
        web.get(f"{INTAKE}/batches", params={"status": "discarded"}, headers=auth).json()[0]["id"]
        == batch_id
    )
    with seeded.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None and seeded.store.exists(batch.sha256)  # nothing lost
    future = (date.today() + timedelta(days=2)).isoformat()
    refused = web.post(
        f"{INTAKE}/batches",
        files={"file": ("a.pdf", broken, "application/pdf")},
        data={"received_on": future},
        headers=auth,
    )
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_input"


@pytest.mark.parametrize("username", ["mueller", "weber", "schmidt"])
def test_clerks_and_finance_are_refused(web: TestClient, seeded: App, username: str) -> None:
    auth = api_token(seeded, username)
    for path in ("/batches", "/letters", "/quarantine", "/batches/1", "/letters/1"):
        response = web.get(f"{INTAKE}{path}", headers=auth)
        assert response.status_code == 403, path
        assert response.json() == {
            "error": "permission_denied",
            "message": "Nur für die Poststelle / mailroom staff only",
        }
    upload = web.post(
        f"{INTAKE}/batches",
        files={"file": ("a.pdf", b"%PDF-1.7\n", "application/pdf")},
        headers=auth,
    )
    assert upload.status_code == 403
    with seeded.unit(SYSTEM) as ctx:
        assert ctx.db.scalar(select(IntakeBatch.id).limit(1)) is None  # nothing stored
