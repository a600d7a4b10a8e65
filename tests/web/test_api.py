"""REST API: the clerk's whole way through it, error answers, CSRF for cookies, openapi.json."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from dms.content.text_pdf import text_pdf
from dms.services import files, users
from dms.services.context import SYSTEM, App
from dms.services.users import start_session, user_by_name
from tests.web.conftest import api_token

API = "/api/v1"


def pdf(*lines: str) -> bytes:
    return text_pdf(list(lines), title=lines[0])


def upload(name: str, content: bytes, **fields: str) -> dict[str, Any]:
    return {"files": {"file": (name, content, "application/pdf")}, "data": fields}


def find_node(nodes: list[dict[str, Any]], code: str) -> dict[str, Any]:
    for node in nodes:
        if node["code"] == code:
            return node
        try:
            return find_node(node["children"], code)
        except LookupError:
            continue
    raise LookupError(code)


def contains(node: dict[str, Any], code: str) -> bool:
    return node["code"] == code or any(contains(c, code) for c in node["children"])


def demo_case_id(app: App, office_code: str) -> int:
    with app.unit(SYSTEM) as ctx:
        office = users.office_by_code(ctx, office_code)
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _count), *_ = files.list_cases(ctx, file.id)
        return case.id


def api_routes(client: TestClient) -> set[tuple[str, str]]:
    """(method, path) of every API route the app serves under /api/v1.

    FastAPI >= 0.137 keeps included routers as one opaque entry in `app.routes`; its own
    `iter_route_contexts` (what openapi.json is built from) flattens them again.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        entries = [
            (r, getattr(r, "path", ""), getattr(r, "methods", None)) for r in client.app.routes
        ]
    else:
        entries = [
            (c.original_route, c.path or "", c.methods)
            for c in iter_route_contexts(client.app.routes)
        ]
    routes = {
        (method, path)
        for route, path, methods in entries
        if isinstance(route, APIRoute) and path.startswith(API + "/")
        for method in methods or ()
    }
    assert routes, "found no API routes at all: route enumeration is broken"
    return routes


def test_clerk_files_a_letter_from_plan_to_history(web: TestClient, seeded: App) -> None:
    auth = api_token(seeded, "mueller")

    me = web.get(f"{API}/me", headers=auth)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "mueller"
    assert me.json()["roles"] == ["clerk"]
    assert me.json()["office"]["code"] == "63"
    office_63 = me.json()["office"]["id"]
    assert any(o["code"] == "63" for o in web.get(f"{API}/offices", headers=auth).json())

    plan = web.get(f"{API}/plan", headers=auth)
    assert plan.status_code == 200, plan.text
    node = find_node(plan.json(), "600")
    assert node["visible_files"] == 1  # the demo Bauantrag file of office 63
    assert find_node(plan.json(), "401")["visible_files"] == 0  # Sozialamt: not for mueller
    root = next(n for n in plan.json() if contains(n, "600"))
    assert root["visible_files_total"] >= 1

    created = web.post(
        f"{API}/files",
        json={"plan_code": "600", "title": "Neubau Carport, Birkenweg 4", "kind": "general"},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    file = created.json()
    assert file["reference"].startswith("600-")
    assert file["office"]["id"] == office_63
    assert file["plan_node"]["id"] == node["id"]
    assert file["status"] == "open" and file["sensitive"] is False

    under_node = web.get(f"{API}/plan/{node['id']}/files", headers=auth).json()["items"]
    assert file["id"] in [f["id"] for f in under_node]
    listed = web.get(
        f"{API}/files", params={"office_id": office_63, "status": "open"}, headers=auth
    ).json()
    assert {f["id"] for f in listed["items"]} >= {file["id"]}
    assert web.get(f"{API}/files/{file['id']}", headers=auth).json() == file
    by_ref = web.get(
        f"{API}/files/by-reference", params={"reference": file["reference"]}, headers=auth
    )
    assert by_ref.status_code == 200 and by_ref.json()["id"] == file["id"]

    case = web.post(
        f"{API}/files/{file['id']}/cases", json={"title": "Bauantrag Carport"}, headers=auth
    )
    assert case.status_code == 201, case.text
    case_id, case_ref = case.json()["id"], case.json()["reference"]
    assert case_ref.startswith(file["reference"])
    assert web.get(f"{API}/cases/{case_id}", headers=auth).json()["title"] == "Bauantrag Carport"
    assert (
        web.get(f"{API}/cases/by-reference", params={"reference": case_ref}, headers=auth).json()[
            "id"
        ]
        == case_id
    )
    cases = web.get(f"{API}/files/{file['id']}/cases", headers=auth).json()
    assert [(c["id"], c["document_count"]) for c in cases] == [(case_id, 0)]

    first = pdf("Antrag auf Genehmigung eines Carports", "Zwetschgenbaum an der Grenze bleibt")
    added = web.post(
        f"{API}/cases/{case_id}/documents",
        headers=auth,
        **upload(
            "Lageplan Müller.pdf",
            first,
            title="Antrag Carport",
            doc_type="application",
            document_date="2026-03-02",
            sender="Herr Müller",
        ),
    )
    assert added.status_code == 201, added.text
    body = added.json()
    document_id = body["document"]["id"]
    assert body["duplicates"] == []
    assert body["document"]["title"] == "Antrag Carport"
    assert body["document"]["document_date"] == "2026-03-02"
    assert body["document"]["case_reference"] == case_ref
    assert body["version"]["number"] == 1
    assert body["version"]["sha256"] == hashlib.sha256(first).hexdigest()
    assert body["version"]["mime_type"] == "application/pdf"
    assert body["version"]["filename"] == "Lageplan Müller.pdf"

    listed_docs = web.get(f"{API}/cases/{case_id}/documents", headers=auth).json()
    assert [d["id"] for d in listed_docs] == [document_id]
    assert listed_docs[0]["current_version"]["number"] == 1

    second = pdf("Antrag auf Genehmigung eines Carports", "Zwetschgenbaum wird versetzt")
    version = web.post(
        f"{API}/documents/{document_id}/versions",
        headers=auth,
        files={"file": ("Lageplan Müller v2.pdf", second, "application/pdf")},
        data={"comment": "Baum versetzt"},
    )
    assert version.status_code == 201, version.text
    assert version.json()["version"]["number"] == 2
    assert version.json()["version"]["comment"] == "Baum versetzt"

    detail = web.get(f"{API}/documents/{document_id}", headers=auth).json()
    assert [v["number"] for v in detail["versions"]] == [2, 1]
    assert detail["doc_type"] == "application" and detail["sender"] == "Herr Müller"

    latest = web.get(f"{API}/documents/{document_id}/content", headers=auth)
    assert latest.status_code == 200, latest.text
    assert latest.content == second
    assert latest.headers["etag"].strip('"') == hashlib.sha256(second).hexdigest()
    assert latest.headers["content-type"] == "application/pdf"
    assert latest.headers["content-length"] == str(len(second))
    disposition = latest.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Lageplan Müller v2.pdf', safe='')}" in disposition
    assert 'filename="Lageplan Muller v2.pdf"' in disposition

    old = web.get(f"{API}/documents/{document_id}/versions/1/content", headers=auth)
    assert old.status_code == 200 and old.content == first
    assert old.headers["etag"].strip('"') == hashlib.sha256(first).hexdigest()
    unchanged = web.get(
        f"{API}/documents/{document_id}/versions/1/content",
        headers={**auth, "If-None-Match": old.headers["etag"]},
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    missing = web.get(f"{API}/documents/{document_id}/versions/7/content", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"

    found = web.get(f"{API}/search", params={"q": "Zwetschgenbaum"}, headers=auth)
    assert found.status_code == 200, found.text
    assert found.json()["total"] == 1
    (hit,) = found.json()["hits"]
    assert hit["document_id"] == document_id and hit["case_reference"] == case_ref
    assert "<mark>" in hit["snippet"]
    filtered = web.get(
        f"{API}/search",
        params={
            "q": "Zwetschgenbaum",
            "office_id": office_63,
            "plan_node_id": node["id"],
            "date_from": "2026-03-01",
            "date_to": "2026-03-31",
            "doc_type": "application",
        },
        headers=auth,
    )
    assert filtered.json()["total"] == 1
    assert (
        web.get(
            f"{API}/search", params={"q": "Zwetschgenbaum", "doc_type": "invoice"}, headers=auth
        ).json()["total"]
        == 0
    )

    history = web.get(f"{API}/documents/{document_id}/history", headers=auth)
    assert history.status_code == 200, history.text
    events = history.json()
    assert [e["action"] for e in events] == ["document.version", "document.create"]
    assert {e["actor"] for e in events} == {"mueller"}
    assert events[0]["after"]["version"] == 2

    closed = web.post(f"{API}/files/{file['id']}/status", json={"status": "closed"}, headers=auth)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    refused = web.post(
        f"{API}/files/{file['id']}/cases", json={"title": "Noch einer"}, headers=auth
    )
    assert refused.status_code == 409 and refused.json()["error"] == "conflict"


def test_upload_errors_and_duplicates(web: TestClient, seeded: App) -> None:
    auth = api_token(seeded, "mueller")
    case_id = demo_case_id(seeded, "63")

    empty = web.post(f"{API}/cases/{case_id}/documents", headers=auth, **upload("leer.pdf", b""))
    assert empty.status_code == 422, empty.text
    assert empty.json()["error"] == "invalid_input"
    assert "leer" in empty.json()["message"]  # German first

    content = pdf("Nachreichung Statik", "Tragwerksplanung Lindenweg 12")
    first = web.post(
        f"{API}/cases/{case_id}/documents",
        headers=auth,
        **upload("statik.pdf", content, title="Statik"),
    )
    assert first.status_code == 201, first.text
    assert first.json()["duplicates"] == []
    document_id = first.json()["document"]["id"]

    same = web.post(
        f"{API}/documents/{document_id}/versions",
        headers=auth,
        files={"file": ("statik.pdf", content, "application/pdf")},
    )
    assert same.status_code == 409, same.text
    assert same.json()["error"] == "conflict"
    assert "identisch" in same.json()["message"]

    again = web.post(
        f"{API}/cases/{case_id}/documents",
        headers=auth,
        **upload("statik-kopie.pdf", content, title="Statik (Kopie)"),
    )
    assert again.status_code == 201, again.text
    assert again.json()["duplicates"] == [document_id]

    versions = web.get(f"{API}/documents/{document_id}", headers=auth).json()["versions"]
    assert [v["number"] for v in versions] == [1]  # the refused version left nothing behind

    bad_type = web.post(
        f"{API}/cases/{case_id}/documents",
        headers=auth,
        **upload("x.pdf", pdf("Sonstiges"), doc_type="telegram"),
    )
    assert bad_type.status_code == 422 and bad_type.json()["error"] == "invalid_input"
    not_a_pdf = web.post(
        f"{API}/cases/{case_id}/documents",
        headers=auth,
        files={"file": ("kaputt.pdf", b"%PDF-1.7\ngarbage", "application/pdf")},
    )
    assert not_a_pdf.status_code in (415, 422), not_a_pdf.text
    assert not_a_pdf.json()["error"] in ("unsupported_content", "invalid_input")


def test_create_file_validation(web: TestClient, seeded: App) -> None:
    auth = api_token(seeded, "mueller")
    both = web.post(
        f"{API}/files", json={"plan_code": "600", "plan_node_id": 1, "title": "x"}, headers=auth
    )
    assert both.status_code == 422
    unknown = web.post(f"{API}/files", json={"plan_code": "999.9", "title": "x"}, headers=auth)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    blank = web.post(f"{API}/files", json={"plan_code": "600", "title": "   "}, headers=auth)
    assert blank.status_code == 422 and blank.json()["error"] == "invalid_input"
    kind = web.post(
        f"{API}/files", json={"plan_code": "600", "title": "x", "kind": "secret"}, headers=auth
    )
    assert kind.status_code == 422 and kind.json()["error"] == "invalid_input"


def test_cookie_session_needs_csrf_header_for_changes(web: TestClient, seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        session = start_session(ctx.db, user_by_name(ctx.db, "mueller"), hours=1)
    case_id = demo_case_id(seeded, "63")
    with seeded.unit(SYSTEM) as ctx:
        file_id = files.get_case(ctx, case_id).file_id
    web.cookies.set("dms_session", session.token)

    assert web.get(f"{API}/me").json()["username"] == "mueller"  # reading needs no token
    forged = web.post(f"{API}/files/{file_id}/cases", json={"title": "Untergeschoben"})
    assert forged.status_code == 403, forged.text
    assert forged.json()["error"] == "permission_denied"
    wrong = web.post(
        f"{API}/files/{file_id}/cases",
        json={"title": "Untergeschoben"},
        headers={"X-CSRF-Token": "not-the-token"},
    )
    assert wrong.status_code == 403
    forged_upload = web.post(
        f"{API}/cases/{case_id}/documents", **upload("x.pdf", pdf("Untergeschoben"))
    )
    assert forged_upload.status_code == 403
    assert web.get(f"{API}/files/{file_id}/cases").json()[0]["document_count"] == 2

    ok = web.post(
        f"{API}/files/{file_id}/cases",
        json={"title": "Nachtrag"},
        headers={"X-CSRF-Token": session.csrf_token},
    )
    assert ok.status_code == 201, ok.text
    titles = [c["title"] for c in web.get(f"{API}/files/{file_id}/cases").json()]
    assert "Untergeschoben" not in titles and "Nachtrag" in titles


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer dms_wrong"}, {"Cookie": "dms_session=forged"}]
)
def test_unauthenticated_requests_get_401(web: TestClient, headers: dict[str, str]) -> None:
    for path in ("/me", "/plan", "/files", "/documents/1/content", "/search?q=Bauantrag"):
        response = web.get(API + path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"] == "authentication_required"
    posted = web.post(f"{API}/files", json={"plan_code": "600", "title": "x"}, headers=headers)
    assert posted.status_code == 401


def test_openapi_documents_every_route(web: TestClient) -> None:
    response = web.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    routes = api_routes(web)
    assert routes <= documented, routes - documented
    expected = {
        ("GET", "/me"),
        ("GET", "/offices"),
        ("GET", "/plan"),
        ("GET", "/plan/{node_id}/files"),
        ("GET", "/files"),
        ("POST", "/files"),
        ("GET", "/files/{file_id}"),
        ("GET", "/files/by-reference"),
        ("POST", "/files/{file_id}/shares"),
        ("POST", "/files/{file_id}/status"),
        ("GET", "/files/{file_id}/cases"),
        ("POST", "/files/{file_id}/cases"),
        ("GET", "/cases/{case_id}"),
        ("GET", "/cases/by-reference"),
        ("GET", "/cases/{case_id}/documents"),
        ("POST", "/cases/{case_id}/documents"),
        ("GET", "/documents/{document_id}"),
        ("POST", "/documents/{document_id}/versions"),
        ("GET", "/documents/{document_id}/versions/{number}/content"),
        ("GET", "/documents/{document_id}/content"),
        ("GET", "/documents/{document_id}/history"),
        ("GET", "/search"),
    }
    assert {(m, API + p) for m, p in expected} <= routes
    for path, ops in spec["paths"].items():
        if not path.startswith(API):
            continue
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            assert op.get("tags"), where
            assert " / " in op.get("summary", ""), f"{where}: German / English summary"
            ok = next(op["responses"][c] for c in ("200", "201") if c in op["responses"])
            assert ok.get("content"), f"{where}: success response undocumented"
            assert "401" in op["responses"], where
    upload_op = spec["paths"][f"{API}/cases/{{case_id}}/documents"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    assert web.get(f"{API}/docs").status_code == 200
