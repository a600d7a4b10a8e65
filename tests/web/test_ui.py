"""The server-rendered UI, driven through its forms like a browser would (no JavaScript)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from dms.content.text_pdf import text_pdf
from dms.services import documents, fileplan, files
from dms.services.context import SYSTEM, App
from dms.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from dms.web.transfer import content_disposition
from dms.web.ui import safe_next
from tests.web.conftest import DEMO_PASSWORD, login


@dataclass(frozen=True)
class Demo:
    plan_600: int
    building_file: int
    building_case: int
    social_file: int
    social_case: int
    social_document: int


@pytest.fixture
def demo(seeded: App) -> Demo:
    """Ids of the demo objects, looked up through the services as the operator."""
    with seeded.unit(SYSTEM) as ctx:
        node = fileplan.node_by_code(ctx, "600")
        building = next(f for f in files.list_files(ctx) if f.title.startswith("Neubau"))
        social = next(f for f in files.list_files(ctx) if f.sensitive)
        building_case = files.list_cases(ctx, building.id)[0][0]
        social_case = files.list_cases(ctx, social.id)[0][0]
        social_doc = documents.list_documents(ctx, social_case.id)[0][0]
        return Demo(node.id, building.id, building_case.id, social.id, social_case.id,
                    social_doc.id)


def pdf(*lines: str) -> bytes:
    return text_pdf(list(lines), title=lines[0])


def upload(client: TestClient, case_id: int, token: str, content: bytes, *,
           filename: str = "brief.pdf", title: str = "", doc_type: str = "letter",
           mime: str = "application/pdf"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/cases/{case_id}/documents",
        data={"csrf_token": token, "title": title, "doc_type": doc_type,
              "document_date": "2026-03-05", "sender": "Familie Hartmann"},
        files={"file": (filename, content, mime)},
        follow_redirects=False,
    )


def location_id(response, prefix: str) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    match = re.fullmatch(rf"{prefix}(\d+)(\?.*)?", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


# --- login ------------------------------------------------------------------------------


def test_login_page_works_without_javascript(web: TestClient) -> None:
    page = web.get("/login")
    assert page.status_code == 200
    assert '<form method="post" action="/login"' in page.text
    assert 'name="username"' in page.text and 'name="password"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token and web.cookies.get(LOGIN_CSRF_COOKIE) == token.group(1)


def test_login_success_shows_the_user(web: TestClient) -> None:
    login(web, "mueller")
    assert web.cookies.get(SESSION_COOKIE)
    home = web.get("/")
    assert home.status_code == 200
    assert "E-Akte" in home.text and "Maria Müller" in home.text
    assert "63 Bauordnungsamt" in home.text and "Sachbearbeitung" in home.text
    for nav in ('href="/plan"', 'href="/search"', 'action="/logout"'):
        assert nav in home.text
    assert "Neubau Einfamilienhaus, Lindenweg 12" in home.text
    assert "Grundsicherung" not in home.text  # another office's file


def test_login_cookie_flags(web: TestClient) -> None:
    page = web.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = web.post("/login", data={"username": "mueller", "password": DEMO_PASSWORD,
                                        "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/" in cookie and "Secure" not in cookie


def test_wrong_password_is_401_without_session(web: TestClient) -> None:
    page = web.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = web.post("/login", data={"username": "mueller", "password": "falsch-falsch",
                                        "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 401
    assert "Anmeldung fehlgeschlagen" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert web.cookies.get(SESSION_COOKIE) is None
    unknown = web.post("/login", data={"username": "niemand", "password": "x" * 10,
                                       "csrf_token": token}, follow_redirects=False)
    assert unknown.status_code == 401 and "Anmeldung fehlgeschlagen" in unknown.text


def test_login_without_csrf_token_is_rejected(web: TestClient) -> None:
    web.get("/login")  # the cookie alone is not enough: the form field must match it
    for token in ("", "forged-token-forged-token-forged-token"):
        response = web.post("/login", data={"username": "mueller", "password": DEMO_PASSWORD,
                                            "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403
        assert web.cookies.get(SESSION_COOKIE) is None
    fresh = TestClient(web.app)  # no cookie at all, token taken from someone else's page
    response = fresh.post("/login", data={"username": "mueller", "password": DEMO_PASSWORD,
                                          "csrf_token": "x" * 43}, follow_redirects=False)
    assert response.status_code == 403


def test_login_redirects_only_to_local_paths(web: TestClient) -> None:
    for wanted, expected in [("/plan", "/plan"), ("//evil.example/x", "/"),
                             ("https://evil.example/", "/"), ("/\\evil.example", "/")]:
        client = TestClient(web.app)
        page = client.get("/login", params={"next": wanted})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        response = client.post("/login", data={"username": "mueller", "password": DEMO_PASSWORD,
                                               "csrf_token": token, "next": wanted},
                               follow_redirects=False)
        assert response.headers["location"] == expected
    assert safe_next("/files/3?x=1") == "/files/3?x=1"
    assert safe_next("/\tevil") == "/"


@pytest.mark.parametrize("path", ["/", "/plan", "/plan/1", "/files/1", "/cases/1",
                                  "/documents/1", "/documents/1/content", "/search?q=Bau"])
def test_pages_redirect_to_login_when_logged_out(web: TestClient, path: str) -> None:
    response = web.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_logout_ends_the_session(web: TestClient) -> None:
    token = login(web, "mueller")
    old_session = web.cookies.get(SESSION_COOKIE)
    response = web.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert web.get("/", follow_redirects=False).status_code == 303
    web.cookies.set(SESSION_COOKIE, old_session)  # the old token is dead on the server too
    assert web.get("/", follow_redirects=False).status_code == 303


# --- the clerk's day --------------------------------------------------------------------


def test_clerk_files_a_letter_and_finds_it(web: TestClient, demo: Demo) -> None:
    token = login(web, "mueller")

    plan = web.get("/plan")
    assert plan.status_code == 200
    assert "Baugenehmigungsverfahren" in plan.text and f'href="/plan/{demo.plan_600}"' in plan.text

    node = web.get(f"/plan/{demo.plan_600}")
    assert node.status_code == 200
    assert f'href="/files/{demo.building_file}"' in node.text
    assert 'name="csrf_token"' in node.text and "Neue Akte anlegen" in node.text

    file_page = web.get(f"/files/{demo.building_file}")
    assert file_page.status_code == 200
    assert "Neubau Einfamilienhaus" in file_page.text
    assert "Bauantrag Einfamilienhaus mit Garage" in file_page.text
    assert "Akte angelegt" in file_page.text  # the audit history

    created = web.post(f"/files/{demo.building_file}/cases",
                       data={"title": "Nachforderung Unterlagen", "csrf_token": token},
                       follow_redirects=False)
    case_id = location_id(created, "/cases/")
    case_page = web.get(f"/cases/{case_id}")
    assert "Nachforderung Unterlagen" in case_page.text
    assert 'enctype="multipart/form-data"' in case_page.text
    assert f'href="/files/{demo.building_file}"' in case_page.text  # breadcrumb
    assert f'href="/plan/{demo.plan_600}"' in case_page.text

    first = pdf("Nachforderung von Bauvorlagen", "Bitte reichen Sie den Lageplan nach.")
    document_id = location_id(
        upload(web, case_id, token, first, title="Nachforderung Lageplan"), "/documents/")
    doc_page = web.get(f"/documents/{document_id}")
    assert doc_page.status_code == 200
    assert "Nachforderung Lageplan" in doc_page.text
    assert f'src="/documents/{document_id}/content?version=1"' in doc_page.text
    assert "05.03.2026" in doc_page.text and "Schreiben" in doc_page.text
    assert "Dokument angelegt" in doc_page.text

    listed = web.get(f"/cases/{case_id}")
    assert "Nachforderung Lageplan" in listed.text and "application/pdf" in listed.text

    content = web.get(f"/documents/{document_id}/content")
    assert content.status_code == 200 and content.content == first
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["content-disposition"].startswith("inline;")

    second = pdf("Nachforderung von Bauvorlagen", "Ergänzt: Standsicherheitsnachweis Zisterne.")
    response = web.post(f"/documents/{document_id}/versions",
                        data={"csrf_token": token, "comment": "Zisterne ergänzt"},
                        files={"file": ("brief-v2.pdf", second, "application/pdf")},
                        follow_redirects=False)
    assert location_id(response, "/documents/") == document_id
    doc_page = web.get(f"/documents/{document_id}")
    assert "Zisterne ergänzt" in doc_page.text
    assert f'href="/documents/{document_id}/content?version=2"' in doc_page.text
    assert f'href="/documents/{document_id}/content?version=1"' in doc_page.text
    assert "Neue Version" in doc_page.text
    assert web.get(f"/documents/{document_id}/content").content == second
    assert web.get(f"/documents/{document_id}/content?version=1").content == first
    old = web.get(f"/documents/{document_id}?version=1")
    assert f'src="/documents/{document_id}/content?version=1"' in old.text
    download = web.get(f"/documents/{document_id}/download?version=2")
    assert download.content == second
    assert download.headers["content-disposition"].startswith("attachment;")

    found = web.get("/search", params={"q": "Zisterne"})
    assert found.status_code == 200
    assert f'href="/documents/{document_id}"' in found.text
    assert re.search(r"<mark>Zisterne</mark>", found.text)
    assert "1 Treffer" in found.text
    filtered = web.get("/search", params={"q": "Zisterne", "type": "invoice"})
    assert "Keine Treffer" in filtered.text
    by_plan = web.get("/search", params={"q": "Zisterne", "plan": "6"})
    assert f'href="/documents/{document_id}"' in by_plan.text
    bad_plan = web.get("/search", params={"q": "Zisterne", "plan": "999x"})
    assert bad_plan.status_code == 200 and "gibt es nicht" in bad_plan.text
    dated = web.get("/search", params={"q": "Zisterne", "date_from": "2026-04-01"})
    assert "Keine Treffer" in dated.text


def test_clerk_creates_a_file_in_the_plan(web: TestClient, demo: Demo) -> None:
    token = login(web, "mueller")
    response = web.post(
        "/files",
        data={"plan_node_id": demo.plan_600, "title": "Anbau Wintergarten", "office_id": "",
              "csrf_token": token},
        follow_redirects=False,
    )
    file_id = location_id(response, "/files/")
    page = web.get(f"/files/{file_id}")
    assert "Anbau Wintergarten" in page.text and "63 Bauordnungsamt" in page.text
    assert "Schutzbedürftig</span>" not in page.text


def test_duplicate_content_is_pointed_out(web: TestClient, demo: Demo) -> None:
    token = login(web, "mueller")
    content = pdf("Widerspruch gegen den Bescheid", "Aktenzeichen 600")
    first = location_id(upload(web, demo.building_case, token, content), "/documents/")
    again = upload(web, demo.building_case, token, content, title="Nochmal")
    assert again.headers["location"].endswith(f"?dup={first}")
    page = web.get(again.headers["location"])
    assert "Gleicher Inhalt wie Dokument" in page.text
    assert f'href="/documents/{first}"' in page.text


def test_identical_version_is_a_friendly_conflict(web: TestClient, demo: Demo) -> None:
    token = login(web, "mueller")
    content = pdf("Vermerk", "Ortstermin am Montag")
    document_id = location_id(upload(web, demo.building_case, token, content), "/documents/")
    response = web.post(f"/documents/{document_id}/versions", data={"csrf_token": token},
                        files={"file": ("v.pdf", content, "application/pdf")},
                        follow_redirects=False)
    assert response.status_code == 409
    assert "identisch" in response.text and "Maria Müller" in response.text


def test_upload_without_file_is_a_friendly_error(web: TestClient, demo: Demo) -> None:
    token = login(web, "mueller")
    response = web.post(f"/cases/{demo.building_case}/documents",
                        data={"csrf_token": token, "title": "leer"},
                        files={"file": ("", b"", "application/octet-stream")},
                        follow_redirects=False)
    assert response.status_code == 422
    assert "Datei" in response.text and "<html" in response.text


def test_non_pdf_is_offered_as_download_with_encoded_name(web: TestClient, demo: Demo) -> None:
    token = login(web, "mueller")
    html_bytes = b"<html><body><script>alert(1)</script>Notiz</body></html>"
    document_id = location_id(
        upload(web, demo.building_case, token, html_bytes, filename="Notiz Müller.html",
               mime="text/html", doc_type="note"),
        "/documents/",
    )
    response = web.get(f"/documents/{document_id}/content")
    assert response.content == html_bytes
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Notiz%20M%C3%BCller.html" in disposition
    page = web.get(f"/documents/{document_id}")
    assert "keine Vorschau" in page.text and "<iframe" not in page.text


def test_content_disposition_encoding() -> None:
    value = content_disposition("inline", 'Bescheid "Ä";ß%.pdf')
    assert value == (
        "inline; filename=\"Bescheid _A____.pdf\"; "
        "filename*=UTF-8''Bescheid%20%22%C3%84%22%3B%C3%9F%25.pdf"
    )


# --- protection -------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(web: TestClient, seeded: App, demo: Demo) -> None:
    token = login(web, "mueller")
    for data in ({"title": "Ohne Token"}, {"title": "Falsches Token", "csrf_token": "x" * 43}):
        response = web.post(f"/files/{demo.building_file}/cases", data=data,
                            follow_redirects=False)
        assert response.status_code == 403
        assert "Sicherheitstoken" in response.text
        assert "Maria Müller" in response.text  # the header survives the refused request
    response = upload(web, demo.building_case, "", pdf("Ohne Token"))
    assert response.status_code == 403
    response = web.post("/logout", follow_redirects=False)
    assert response.status_code == 403
    with seeded.unit(SYSTEM) as ctx:
        titles = [c.title for c, _ in files.list_cases(ctx, demo.building_file)]
        assert titles == ["Bauantrag Einfamilienhaus mit Garage"]
        assert len(documents.list_documents(ctx, demo.building_case)) == 2
    assert web.get("/").status_code == 200  # still logged in
    assert token


def test_sensitive_file_of_another_office_is_invisible(web: TestClient, demo: Demo) -> None:
    login(web, "mueller")
    for path in (f"/files/{demo.social_file}", f"/cases/{demo.social_case}",
                 f"/documents/{demo.social_document}",
                 f"/documents/{demo.social_document}/content",
                 f"/documents/{demo.social_document}/download"):
        response = web.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert "Nicht gefunden" in response.text
        assert "Grundsicherung" not in response.text
    found = web.get("/search", params={"q": "Grundsicherung"})
    assert f'href="/documents/{demo.social_document}"' not in found.text


def test_owner_sees_sensitive_file_and_read_is_audited(web: TestClient, demo: Demo) -> None:
    login(web, "weber")
    page = web.get(f"/files/{demo.social_file}")
    assert page.status_code == 200 and "Schutzbedürftig" in page.text
    again = web.get(f"/files/{demo.social_file}")
    assert "Akte eingesehen" in again.text and "weber" in again.text


def test_document_title_is_escaped(web: TestClient, demo: Demo) -> None:
    token = login(web, "mueller")
    evil = "<script>alert(1)</script>"
    document_id = location_id(
        upload(web, demo.building_case, token, pdf("Harmlos", "Skriptprobe"), title=evil),
        "/documents/",
    )
    for path in (f"/documents/{document_id}", f"/cases/{demo.building_case}"):
        text = web.get(path).text
        assert evil not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    found = web.get("/search", params={"q": "Skriptprobe"})
    assert evil not in found.text and "&lt;script&gt;" in found.text
    assert "<script>" not in web.get("/search", params={"q": evil}).text.replace(
        '<script src="/static/app.js" defer></script>', "")


def test_error_pages_are_german_and_keep_the_header(web: TestClient) -> None:
    login(web, "mueller")
    response = web.get("/files/999999")
    assert response.status_code == 404
    assert "Nicht gefunden" in response.text and "Maria Müller" in response.text
    assert 'name="csrf-token"' in response.text


def test_pages_send_no_inline_script_or_style(web: TestClient, demo: Demo) -> None:
    login(web, "mueller")
    for path in ("/login", "/", "/plan", f"/plan/{demo.plan_600}", f"/files/{demo.building_file}",
                 f"/cases/{demo.building_case}", "/search?q=Bauantrag"):
        text = web.get(path).text
        assert "style=" not in text and "<style" not in text, path
        assert re.findall(r"<script(?![^>]*\bsrc=)", text) == [], path
    assert web.get("/static/app.css").status_code == 200
    assert web.get("/static/app.js").status_code == 200


def test_logins_are_audited(web: TestClient, seeded: App) -> None:
    from sqlalchemy import select

    from dms.models import AuditEvent

    page = web.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    web.post("/login", data={"username": "mueller", "password": "falsch-falsch",
                             "csrf_token": token}, follow_redirects=False)
    login(web, "mueller")
    with seeded.unit(SYSTEM) as ctx:
        events = ctx.db.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.object_id)
            .where(AuditEvent.action.like("user.login%")).order_by(AuditEvent.id)
        ).all()
    assert [e.action for e in events] == ["user.login_failed", "user.login"]
    assert events[0].object_id == "mueller" and events[1].actor == "mueller"
