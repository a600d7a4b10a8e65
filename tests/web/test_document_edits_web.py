"""Correcting a document's metadata and moving it to another case, through the pages (as a
browser without JavaScript would) and through the REST API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dms.services import audit, documents, files
from dms.services.context import SYSTEM, App
from tests.web.conftest import api_token, login
from tests.web.test_ui import Demo, demo, location_id, pdf, upload  # noqa: F401 - fixture

API = "/api/v1"


@pytest.fixture
def letter(web: TestClient, demo: Demo) -> int:  # noqa: F811 - the fixture above
    token = login(web, "mueller")
    return location_id(upload(web, demo.building_case, token, pdf("Nachreichung Statik")),
                       "/documents/")


def _second_case(app: App, demo: Demo) -> tuple[int, str]:  # noqa: F811
    with app.unit(SYSTEM) as ctx:
        case = files.create_case(ctx, file_id=demo.building_file, title="Garage")
        return case.id, case.reference


def test_pages_offer_and_apply_corrections_and_the_move(
        web: TestClient, seeded: App, demo: Demo, letter: int) -> None:  # noqa: F811
    token = login(web, "mueller")
    page = web.get(f"/documents/{letter}")
    assert f'action="/documents/{letter}/metadata"' in page.text
    assert f'action="/documents/{letter}/move"' in page.text
    done = web.post(f"/documents/{letter}/metadata", data={
        "csrf_token": token, "title": "Statik Garage", "doc_type": "application",
        "document_date": "02.11.2026", "sender": "Ingenieurbüro Lange"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/documents/{letter}"
    page = web.get(f"/documents/{letter}")
    assert "Statik Garage" in page.text and "Ingenieurbüro Lange" in page.text
    case_id, reference = _second_case(seeded, demo)
    moved = web.post(f"/documents/{letter}/move", data={
        "csrf_token": token, "case_reference": reference, "reason": "gehört zur Garage"},
        follow_redirects=False)
    assert moved.status_code == 303
    with seeded.unit(SYSTEM) as ctx:
        document, _ = documents.get_document(ctx, letter)
        assert document.case_id == case_id
        actions = [e.action for e in audit.history(ctx, "document", letter)]
        assert actions[:2] == ["document.move", "document.update"]
    # a move without a reason is refused with a message, and changes nothing
    refused = web.post(f"/documents/{letter}/move", data={
        "csrf_token": token, "case_reference": f"{reference}", "reason": ""},
        follow_redirects=False)
    assert refused.status_code == 422 and "Grund" in refused.text
    # without the CSRF token nothing happens
    forged = web.post(f"/documents/{letter}/metadata", data={"title": "Gefälscht"},
                      follow_redirects=False)
    assert forged.status_code in (400, 403)
    with seeded.unit(SYSTEM) as ctx:
        assert documents.get_document(ctx, letter)[0].title == "Statik Garage"


def test_api_patch_and_move(web: TestClient, seeded: App, demo: Demo,  # noqa: F811
                            letter: int) -> None:
    headers = api_token(seeded, "mueller")
    patched = web.patch(f"{API}/documents/{letter}", headers=headers,
                        json={"title": "Statik", "document_date": "2026-11-02"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["title"] == "Statik"
    assert patched.json()["document_date"] == "2026-11-02"
    bad = web.patch(f"{API}/documents/{letter}", headers=headers, json={"doc_type": "gedicht"})
    assert bad.status_code == 422 and "Dokumentart" in bad.json()["message"]
    case_id, reference = _second_case(seeded, demo)
    both = web.post(f"{API}/documents/{letter}/move", headers=headers,
                    json={"case_id": case_id, "case_reference": reference, "reason": "x"})
    assert both.status_code == 422 and "Zielvorgang" in both.json()["message"]
    moved = web.post(f"{API}/documents/{letter}/move", headers=headers,
                     json={"case_reference": reference, "reason": "gehört zur Garage"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["case_id"] == case_id and moved.json()["case_reference"] == reference
    # someone from another office learns nothing
    outsider = api_token(seeded, "schmidt")
    assert web.patch(f"{API}/documents/{letter}", headers=outsider,
                     json={"title": "x"}).status_code == 404
