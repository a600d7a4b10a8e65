"""Vertretung over the REST API: the deputy opens the absent colleague's file, case and
document, and works in the case; once the Vertretung has ended, they are unknown again."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import delete

from dms.content.text_pdf import text_pdf
from dms.models import Deputy
from dms.services import audit, users
from dms.services.context import SYSTEM, App
from tests.support.deputies import end_vertretung
from tests.web.conftest import api_token
from tests.web.test_api import API
from tests.web.test_api_permissions import load_target

PDF = text_pdf(["Stellungnahme der Vertretung"])


def _only_vertretung(app: App, absent: str, deputy: str, ends_on: date | None) -> None:
    """Replace the demo Vertretung by `deputy` standing in for `absent` from today."""
    with app.unit(SYSTEM) as ctx:
        ctx.db.execute(delete(Deputy))
        users.add_deputy(ctx, absent, deputy, date.today(), ends_on)


def _reads(web: TestClient, auth: dict[str, str], file_id: int, case_id: int,
           document_id: int) -> list[int]:
    return [
        web.get(f"{API}/files/{file_id}", headers=auth).status_code,
        web.get(f"{API}/cases/{case_id}", headers=auth).status_code,
        web.get(f"{API}/documents/{document_id}", headers=auth).status_code,
        web.get(f"{API}/documents/{document_id}/content", headers=auth).status_code,
    ]


def _found(web: TestClient, auth: dict[str, str], word: str) -> int:
    response = web.get(f"{API}/search", params={"q": word}, headers=auth)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_deputy_reads_and_works_until_the_vertretung_ends(web: TestClient, seeded: App) -> None:
    target = load_target(seeded, "63")  # Bauamt: mueller's office
    _only_vertretung(seeded, "mueller", "weber", date.today() + timedelta(days=14))
    weber = api_token(seeded, "weber")
    ids = (target.file_id, target.case_id, target.document_id)

    assert _reads(web, weber, *ids) == [200, 200, 200, 200]
    listed = web.get(f"{API}/files", params={"office_id": target.office_id}, headers=weber)
    assert [f["id"] for f in listed.json()["items"]] == [target.file_id]
    assert _found(web, weber, target.search_word) >= 1
    content = web.get(f"{API}/documents/{target.document_id}/content", headers=weber)
    assert content.content.startswith(b"%PDF")
    uploaded = web.post(f"{API}/cases/{target.case_id}/documents", headers=weber,
                        data={"title": "Stellungnahme"},
                        files={"file": ("stellungnahme.pdf", PDF, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text

    # a colleague of weber's office who stands in for no one sees nothing of it
    with seeded.unit(SYSTEM) as ctx:
        users.create_user(ctx, username="fischer", display_name="Fritz Fischer", password=None,
                          roles=["clerk"], office_code="50")
    fischer = api_token(seeded, "fischer")
    assert _reads(web, fischer, *ids) == [404, 404, 404, 404]
    assert _found(web, fischer, target.search_word) == 0

    assert end_vertretung(seeded) == 1
    assert _reads(web, weber, *ids) == [404, 404, 404, 404]
    assert _found(web, weber, target.search_word) == 0
    missing = web.get(f"{API}/files/999999", headers=weber).json()
    ended = web.get(f"{API}/files/{target.file_id}", headers=weber).json()
    assert ended["error"] == missing["error"] == "not_found"
    refused = web.post(f"{API}/cases/{target.case_id}/documents", headers=weber,
                       files={"file": ("nachtrag.pdf", PDF, "application/pdf")})
    assert refused.status_code == 404


def test_deputys_reads_of_a_sensitive_file_are_audited(web: TestClient, seeded: App) -> None:
    target = load_target(seeded, "50")  # Sozialamt: Grundsicherung, marked sensitive
    _only_vertretung(seeded, "weber", "mueller", None)
    mueller = api_token(seeded, "mueller")
    ids = (target.file_id, target.case_id, target.document_id)
    assert _reads(web, mueller, *ids) == [200, 200, 200, 200]

    def reads(object_type: str, object_id: int) -> list[str]:
        with seeded.unit(SYSTEM) as ctx:
            return [e.action for e in audit.history(ctx, object_type, object_id)
                    if e.actor == "mueller"]

    assert reads("file", target.file_id) == ["file.read"]
    assert reads("case", target.case_id) == ["case.read"]
    assert reads("document", target.document_id) == ["document.read", "document.read"]
