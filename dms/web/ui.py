"""Server-rendered German UI: thin pages over the services, which check rights and audit.

Every page opens one unit through `request_unit` (authentication and, for POST, the CSRF
check) and renders its template inside that unit. A snapshot of the caller (`Viewer`) is
taken right after authentication, so even an error page after a rollback can show the header.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from dms.errors import (
    AuthenticationRequired,
    DatabaseUnavailable,
    DmsError,
    InvalidInput,
    NotFound,
)
from dms.models import AuditEvent, User
from dms.search import SearchQuery
from dms.services import (
    audit,
    document_edits,
    documents,
    fileplan,
    files,
    renditions,
    search,
    users,
)
from dms.services.context import Ctx
from dms.services.document_edits import MetadataChange
from dms.services.documents import DOCUMENT_TYPE_LABELS
from dms.web.auth import (
    ANONYMOUS,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    dms_app,
    optional_user,
    request_unit,
)
from dms.web.transfer import CHUNK, content_disposition, spooled_upload

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

PAGE_SIZE = 20
# Shown inline by the browser; every other type is offered as a download only, so that
# uploaded HTML or SVG can never run as a page of this origin.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}

try:
    LOCAL_TZ: Any = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # pragma: no cover - tzdata missing: show UTC rather than fail
    LOCAL_TZ = UTC

ROLE_LABELS = {
    "admin": "Administration",
    "clerk": "Sachbearbeitung",
    "mailroom": "Poststelle",
    "finance": "Finanzwesen",
}
FILE_KIND_LABELS = {"general": "Sachakte", "intake": "Posteingang", "invoice": "Rechnungen"}
STATUS_LABELS = {"open": "offen", "closed": "geschlossen"}
RETENTION_ACTIONS = {"archive": "archivieren", "review": "bewerten", "destroy": "vernichten"}
AUDIT_ACTIONS = {
    "file.create": "Akte angelegt",
    "file.read": "Akte eingesehen",
    "file.share": "Akte freigegeben",
    "file.status": "Status geändert",
    "case.create": "Vorgang angelegt",
    "case.read": "Vorgang eingesehen",
    "document.create": "Dokument angelegt",
    "document.version": "Neue Version",
    "document.read": "Dokument eingesehen",
}
AUDIT_FIELDS = {
    "reference": "Aktenzeichen",
    "title": "Titel",
    "case": "Vorgang",
    "kind": "Art",
    "sensitive": "Schutzbedürftig",
    "status": "Status",
    "doc_type": "Dokumentart",
    "version": "Version",
    "sha256": "SHA-256",
    "size": "Größe",
    "filename": "Datei",
    "comment": "Kommentar",
    "user_id": "Person (Nr.)",
    "office_id": "Amt (Nr.)",
    "file_id": "Akte (Nr.)",
    "plan_node_id": "Aktenplan (Nr.)",
}


# --- formatting -------------------------------------------------------------------------


def de_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ).date()
    return value.strftime("%d.%m.%Y")


def de_datetime(value: datetime | None) -> str:
    if value is None:
        return "–"
    return value.astimezone(LOCAL_TZ).strftime("%d.%m.%Y %H:%M")


def de_size(size: int | None) -> str:
    if size is None:
        return "–"
    if size < 1024:
        return f"{size} Byte"
    for unit in ("KB", "MB", "GB", "TB"):
        size_f = size / 1024
        if size_f < 1024 or unit == "TB":
            return f"{size_f:.1f} {unit}".replace(".", ",")
        size = int(size_f)
    return f"{size} Byte"  # pragma: no cover


def _audit_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if value is None:
        return "–"
    if key == "sha256":
        return str(value)[:12] + "…"
    if key == "size" and isinstance(value, int):
        return de_size(value)
    if key == "doc_type":
        return DOCUMENT_TYPE_LABELS.get(str(value), str(value))
    if key == "kind":
        return FILE_KIND_LABELS.get(str(value), str(value))
    if key == "status":
        return STATUS_LABELS.get(str(value), str(value))
    return str(value)


def audit_rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        details = [
            (AUDIT_FIELDS.get(k, k), _audit_value(k, v))
            for k, v in (event.after or {}).items()
            if v not in (None, "")
        ]
        rows.append(
            {
                "at": event.occurred_at,
                "actor": event.actor,
                "action": AUDIT_ACTIONS.get(event.action, event.action),
                "details": details,
            }
        )
    return rows


TEMPLATES.env.filters.update(de_date=de_date, de_datetime=de_datetime, de_size=de_size)
TEMPLATES.env.globals.update(
    DOC_TYPES=DOCUMENT_TYPE_LABELS,
    FILE_KINDS=FILE_KIND_LABELS,
    STATUS=STATUS_LABELS,
    RETENTION_ACTIONS=RETENTION_ACTIONS,
)


# --- who is looking ---------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Plain copy of the caller for the header; safe to use after the unit has ended."""

    user_id: int
    name: str
    username: str
    office_id: int | None
    office: str | None
    roles: str
    csrf_token: str | None
    may_create_files: bool
    is_admin: bool = False


def _viewer(user: User, csrf_token: str | None) -> Viewer:
    office = f"{user.office.code} {user.office.name}" if user.office else None
    roles = user.roles
    return Viewer(
        user_id=user.id,
        name=user.display_name,
        username=user.username,
        office_id=user.office_id,
        office=office,
        roles=", ".join(ROLE_LABELS.get(r, r) for r in sorted(roles)) or "ohne Rolle",
        csrf_token=csrf_token,
        may_create_files="admin" in roles or "clerk" in roles,
        is_admin="admin" in roles,
    )


@contextmanager
def page_unit(request: Request, csrf_token: str | None = None) -> Iterator[Ctx]:
    """`request_unit` plus the header snapshot every template needs."""
    with request_unit(request, form_token=csrf_token) as ctx:
        request.state.viewer = _viewer(request.state.user, request.state.csrf_token)
        yield ctx


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
    # File contents must not linger in shared caches or the back button after logout.
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, exc: DmsError) -> Response:
    viewer = getattr(request.state, "viewer", None)
    if viewer is None and not isinstance(exc, AuthenticationRequired | DatabaseUnavailable):
        try:
            who = optional_user(request)
        except DmsError:  # the error page itself must not fail
            who = None
        if who is not None:
            viewer = _viewer(who.user, who.csrf_token)
    german, _, english = exc.message.partition(" / ")
    titles = {
        400: "Anfrage nicht möglich",
        401: "Anmeldung erforderlich",
        403: "Keine Berechtigung",
        404: "Nicht gefunden",
        409: "Konflikt",
        415: "Dateiformat nicht unterstützt",
        422: "Eingabe prüfen",
        500: "Interner Fehler",
        503: "Dienst nicht erreichbar",
    }
    return render(
        request,
        "error.html",
        status_code=exc.http_status,
        viewer=viewer,
        title=titles.get(exc.http_status, "Fehler"),
        message=german.strip() or exc.message,
        detail=english.strip(),
        status=exc.http_status,
    )


# --- login ------------------------------------------------------------------------------


def safe_next(value: str | None) -> str:
    """Only local paths: "/x" yes; "//host", "/\\host" and absolute URLs no."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    ):
        return "/"
    return value


def _login_page(request: Request, next_url: str, status_code: int = 200,
                error: str | None = None, username: str = "") -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token):
        token = secrets.token_urlsafe(32)
    response = render(
        request, "login.html", status_code=status_code, viewer=None,
        csrf_token=token, next=next_url, error=error, username=username,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
        secure=dms_app(request).settings.cookie_secure,
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, safe_next(next))


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/"),
) -> Response:
    target = safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(
            request, target, 403, username=username,
            error="Sicherheitstoken fehlt oder ist abgelaufen. Bitte erneut anmelden.",
        )
    settings = dms_app(request).settings
    with dms_app(request).unit(ANONYMOUS) as ctx:
        session = users.login(ctx, username, password, settings.session_hours)
    if session is None:
        return _login_page(request, target, 401, error="Anmeldung fehlgeschlagen. "
                           "Bitte Benutzername und Passwort prüfen.", username=username)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, session.token, httponly=True, samesite="lax",
        secure=settings.cookie_secure, path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    with page_unit(request, csrf_token) as ctx:
        users.end_session(ctx.db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- file plan and files ----------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    with page_unit(request) as ctx:
        visible = files.list_files(ctx, limit=200)
        recent = sorted(visible, key=lambda f: f.created_at, reverse=True)[:50]
        return render(request, "home.html", files=recent, total=len(visible))


def _find_entry(entries: list[fileplan.PlanEntry], node_id: int) -> fileplan.PlanEntry | None:
    for entry in entries:
        if entry.node.id == node_id:
            return entry
        found = _find_entry(entry.children, node_id)
        if found is not None:
            return found
    return None


@router.get("/plan")
def plan(request: Request) -> Response:
    with page_unit(request) as ctx:
        return render(request, "plan.html", tree=fileplan.tree(ctx))


@router.get("/plan/{node_id}")
def plan_node(request: Request, node_id: int) -> Response:
    with page_unit(request) as ctx:
        node = fileplan.get_node(ctx, node_id)
        entry = _find_entry(fileplan.tree(ctx), node.id)
        return render(
            request,
            "plan_node.html",
            node=node,
            crumbs=fileplan.breadcrumb(ctx, node),
            children=entry.children if entry else [],
            files=files.list_files(ctx, plan_node_id=node.id),
            offices=users.list_offices(ctx),
        )


@router.post("/files")
def create_file(
    request: Request,
    plan_node_id: int = Form(...),
    title: str = Form(""),
    office_id: str = Form(""),
    sensitive: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    with page_unit(request, csrf_token) as ctx:
        file = files.create_file(
            ctx,
            plan_node_id=plan_node_id,
            title=title,
            office_id=_optional_int(office_id, "Amt"),
            sensitive=bool(sensitive),
        )
        return RedirectResponse(f"/files/{file.id}", status_code=303)


@router.get("/files/{file_id}")
def file_page(request: Request, file_id: int) -> Response:
    with page_unit(request) as ctx:
        file = files.get_file(ctx, file_id)
        return render(
            request,
            "file.html",
            file=file,
            crumbs=fileplan.breadcrumb(ctx, file.plan_node),
            cases=files.list_cases(ctx, file.id),
            history=audit_rows(audit.history(ctx, "file", file.id)),
        )


@router.post("/files/{file_id}/cases")
def create_case(
    request: Request, file_id: int, title: str = Form(""), csrf_token: str = Form("")
) -> Response:
    with page_unit(request, csrf_token) as ctx:
        case = files.create_case(ctx, file_id=file_id, title=title)
        return RedirectResponse(f"/cases/{case.id}", status_code=303)


# --- cases and documents ----------------------------------------------------------------


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int) -> Response:
    with page_unit(request) as ctx:
        case = files.get_case(ctx, case_id)
        return render(
            request,
            "case.html",
            case=case,
            file=case.file,
            crumbs=fileplan.breadcrumb(ctx, case.file.plan_node),
            documents=documents.list_documents(ctx, case.id),
            today=date.today().isoformat(),
        )


def _optional_int(value: str, what: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{what}: keine gültige Auswahl / invalid choice") from None


def _optional_date(value: str, what: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise InvalidInput(f"{what}: Datum als TT.MM.JJJJ angeben / invalid date {value!r}")


def _with_duplicates(url: str, duplicates: list[Any]) -> str:
    if not duplicates:
        return url
    return url + "?" + urlencode({"dup": ",".join(str(d.id) for d in duplicates)})


@router.post("/cases/{case_id}/documents")
def upload_document(
    request: Request,
    case_id: int,
    file: UploadFile | None = File(None),
    title: str = Form(""),
    doc_type: str = Form(""),
    document_date: str = Form(""),
    sender: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    with page_unit(request, csrf_token) as ctx, spooled_upload(file) as (source, filename):
        result = documents.add_document(
            ctx,
            case_id=case_id,
            source=source,
            filename=filename,
            title=title,
            doc_type=doc_type or None,
            document_date=_optional_date(document_date, "Datum"),
            sender=sender.strip() or None,
        )
        url = _with_duplicates(f"/documents/{result.document.id}", result.duplicates)
        return RedirectResponse(url, status_code=303)


def _parse_ids(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip().isdigit()][:10]


@router.get("/documents/{document_id}")
def document_page(
    request: Request, document_id: int, version: int | None = None, dup: str = ""
) -> Response:
    with page_unit(request) as ctx:
        document, versions = documents.get_document(ctx, document_id)
        shown = versions[0] if version is None else next(
            (v for v in versions if v.number == version), None
        )
        if shown is None:
            raise NotFound(f"Version {version} gibt es nicht / no such version")
        authors = users.display_names(ctx.db, {v.created_by_id for v in versions})
        case = document.case
        return render(
            request,
            "document.html",
            document=document,
            versions=versions,
            shown=shown,
            latest=versions[0],
            authors=authors,
            case=case,
            file=case.file,
            crumbs=fileplan.breadcrumb(ctx, case.file.plan_node),
            duplicates=_parse_ids(dup),
            viewer_kind=_viewer_kind(shown.mime_type),
            history=audit_rows(audit.history(ctx, "document", document.id)),
            reading_copy=renditions.rendition_of(ctx, shown.id),
        )


def _viewer_kind(mime: str) -> str:
    if mime == "application/pdf":
        return "pdf"
    if mime in INLINE_TYPES:
        return "image"
    return "none"


def _stream(request: Request, document_id: int, version: int | None, inline: bool) -> Response:
    with page_unit(request) as ctx:
        opened = documents.open_version(ctx, document_id, version)
    chosen = opened.version
    kind = "inline" if inline and chosen.mime_type in INLINE_TYPES else "attachment"
    return StreamingResponse(
        opened.chunks(CHUNK),
        media_type=chosen.mime_type,
        headers={
            "Content-Disposition": content_disposition(kind, chosen.filename),
            "Content-Length": str(chosen.size),
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/documents/{document_id}/content")
def document_content(request: Request, document_id: int, version: int | None = None) -> Response:
    return _stream(request, document_id, version, inline=True)


@router.get("/documents/{document_id}/download")
def document_download(request: Request, document_id: int, version: int | None = None) -> Response:
    return _stream(request, document_id, version, inline=False)


@router.get("/documents/{document_id}/searchable-copy")
def document_reading_copy(
    request: Request, document_id: int, version: int | None = None
) -> Response:
    """The version's reading copy (Lesefassung (OCR), e.g. of a signed scan), for viewing;
    the version itself stays what is downloaded and whose signatures are checked."""
    with page_unit(request) as ctx:
        opened = renditions.open_rendition(ctx, document_id, version)
    copy = opened.rendition

    def chunks() -> Iterator[bytes]:
        with opened.stream as stream:
            while block := stream.read(CHUNK):
                yield block

    return StreamingResponse(
        chunks(),
        media_type=copy.mime_type,
        headers={
            "Content-Disposition": content_disposition("inline", copy.filename),
            "Content-Length": str(copy.size),
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/documents/{document_id}/versions")
def upload_version(
    request: Request,
    document_id: int,
    file: UploadFile | None = File(None),
    comment: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    with page_unit(request, csrf_token) as ctx, spooled_upload(file) as (source, filename):
        result = documents.add_version(
            ctx,
            document_id=document_id,
            source=source,
            filename=filename,
            comment=comment.strip() or None,
        )
        url = _with_duplicates(f"/documents/{result.document.id}", result.duplicates)
        return RedirectResponse(url, status_code=303)


@router.post("/documents/{document_id}/metadata")
def update_document_metadata(
    request: Request,
    document_id: int,
    title: str = Form(""),
    doc_type: str = Form(""),
    document_date: str = Form(""),
    sender: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Angaben berichtigen: title, type, date and sender as the form sends them."""
    with page_unit(request, csrf_token) as ctx:
        document_edits.update_metadata(ctx, document_id, MetadataChange(
            title=title, doc_type=doc_type or None,
            document_date=_optional_date(document_date, "Datum"), sender=sender))
    return RedirectResponse(f"/documents/{document_id}", status_code=303)


@router.post("/documents/{document_id}/move")
def move_document(
    request: Request,
    document_id: int,
    case_reference: str = Form(""),
    reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Umprotokollieren into the case named by its reference number."""
    with page_unit(request, csrf_token) as ctx:
        target = files.case_by_reference(ctx, case_reference)
        document_edits.move_document(ctx, document_id, case_id=target.id, reason=reason)
    return RedirectResponse(f"/documents/{document_id}", status_code=303)


# --- search -----------------------------------------------------------------------------


@router.get("/search")
def search_page(
    request: Request,
    q: str = "",
    office: str = "",
    plan: str = "",
    date_from: str = "",
    date_to: str = "",
    type: str = "",
    page: int = 1,
) -> Response:
    form = {"q": q, "office": office, "plan": plan, "date_from": date_from,
            "date_to": date_to, "type": type}
    page = max(1, page)
    with page_unit(request) as ctx:
        errors: list[str] = []
        result = None
        plan_ids: tuple[int, ...] = ()
        if plan.strip():
            try:
                plan_ids = (fileplan.node_by_code(ctx, plan.strip()).id,)
            except NotFound:
                errors.append(f"Aktenplan-Kennzeichen „{plan.strip()}“ gibt es nicht.")
        try:
            office_id = _optional_int(office, "Amt")
            start = _optional_date(date_from, "Datum von")
            end = _optional_date(date_to, "Datum bis")
        except InvalidInput as exc:
            errors.append(exc.message.partition(" / ")[0])
            office_id, start, end = None, None, None
        if type and type not in DOCUMENT_TYPE_LABELS:
            errors.append("Unbekannte Dokumentart.")
        if q.strip() and not errors:
            result = search.search(
                ctx,
                SearchQuery(
                    text=q,
                    office_id=office_id,
                    plan_node_ids=plan_ids,
                    date_from=start,
                    date_to=end,
                    doc_type=type or None,
                    limit=PAGE_SIZE,
                    offset=(page - 1) * PAGE_SIZE,
                ),
            )
        pages = 0 if result is None else max(1, -(-result.total // PAGE_SIZE))
        link = {k: v for k, v in form.items() if v}
        return render(
            request,
            "search.html",
            form=form,
            errors=errors,
            result=result,
            page=page,
            pages=pages,
            prev_url=f"/search?{urlencode({**link, 'page': page - 1})}" if page > 1 else None,
            next_url=(f"/search?{urlencode({**link, 'page': page + 1})}"
                      if result is not None and page < pages else None),
            first=(page - 1) * PAGE_SIZE + 1,
            offices=users.list_offices(ctx),
        )
