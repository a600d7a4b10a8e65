"""REST API under /api/v1: thin routes over the services, typed for openapi.json.

Every route opens exactly one unit of work with `request_unit` (authentication, CSRF check for
cookie sessions) and calls services, which check permissions and write the audit trail.
Responses are built inside that unit, so nothing is loaded from the database afterwards.
Errors of the services become {"error": code, "message": ...} in dms.web.app.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi import File as FormFile
from fastapi.responses import Response, StreamingResponse

from dms.errors import InvalidInput
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
from dms.services.documents import AddResult
from dms.web import schemas as s
from dms.web.auth import request_unit
from dms.web.transfer import CHUNK, content_disposition, spooled_upload

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": s.ErrorOut, "description": "Nicht angemeldet / authentication required"},
    403: {"model": s.ErrorOut, "description": "Keine Berechtigung / permission denied"},
    404: {"model": s.ErrorOut, "description": "Nicht gefunden oder nicht sichtbar / not found"},
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": s.ErrorOut, "description": "Konflikt mit dem Zustand / conflict"},
}
_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Inhalt der Version / the version's bytes",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    304: {"description": "Unverändert (If-None-Match) / not modified"},
}

router = APIRouter(prefix="/api/v1", responses=_ERRORS)

ACCOUNT = "Konto / Account"
PLAN = "Aktenplan / File plan"
FILES = "Akten / Files"
CASES = "Vorgänge / Cases"
DOCUMENTS = "Dokumente / Documents"
SEARCH = "Suche / Search"

Limit = Annotated[int, Query(ge=1, le=500, description="Höchstzahl / page size")]
Offset = Annotated[int, Query(ge=0, description="Überspringen / items to skip")]


# --- account and organisation ------------------------------------------------------------


@router.get("/me", tags=[ACCOUNT], summary="Angemeldete Person / current user")
def me(request: Request) -> s.MeOut:
    with request_unit(request):
        return s.MeOut.of(request.state.user)


@router.get("/offices", tags=[ACCOUNT], summary="Ämter / offices")
def offices(request: Request) -> list[s.OfficeOut]:
    with request_unit(request) as ctx:
        return [s.OfficeOut.of(o) for o in users.list_offices(ctx)]


# --- file plan -----------------------------------------------------------------------------


@router.get(
    "/plan",
    tags=[PLAN],
    summary="Aktenplan mit sichtbaren Akten / file plan tree with visible file counts",
)
def plan(request: Request) -> list[s.PlanNodeOut]:
    with request_unit(request) as ctx:
        return [s.PlanNodeOut.of(entry) for entry in fileplan.tree(ctx)]


@router.get(
    "/plan/{node_id}/files",
    tags=[PLAN],
    summary="Akten einer Aktenplan-Position / files under a plan node",
)
def plan_files(
    request: Request, node_id: int, limit: Limit = 100, offset: Offset = 0
) -> s.FilePage:
    with request_unit(request) as ctx:
        node = fileplan.get_node(ctx, node_id)
        rows = files.list_files(ctx, plan_node_id=node.id, limit=limit, offset=offset)
        return s.FilePage(items=[s.FileOut.of(f) for f in rows], limit=limit, offset=offset)


# --- files ---------------------------------------------------------------------------------


@router.get("/files", tags=[FILES], summary="Akten auflisten / list files")
def list_files(
    request: Request,
    plan_node_id: int | None = None,
    office_id: int | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> s.FilePage:
    with request_unit(request) as ctx:
        rows = files.list_files(
            ctx,
            plan_node_id=plan_node_id,
            office_id=office_id,
            status=status,
            limit=limit,
            offset=offset,
        )
        return s.FilePage(items=[s.FileOut.of(f) for f in rows], limit=limit, offset=offset)


@router.post("/files", tags=[FILES], status_code=201, summary="Akte anlegen / create a file")
def create_file(request: Request, body: s.FileCreate) -> s.FileOut:
    with request_unit(request) as ctx:
        node_id = body.plan_node_id
        if node_id is None:
            node_id = fileplan.node_by_code(ctx, body.plan_code or "").id
        file = files.create_file(
            ctx,
            plan_node_id=node_id,
            title=body.title,
            office_id=body.office_id,
            kind=body.kind,
            sensitive=body.sensitive,
        )
        return s.FileOut.of(file)


@router.get(
    "/files/by-reference",
    tags=[FILES],
    summary="Akte zum Aktenzeichen / file by reference number",
)
def file_by_reference(
    request: Request, reference: Annotated[str, Query(min_length=1, max_length=200)]
) -> s.FileOut:
    with request_unit(request) as ctx:
        return s.FileOut.of(files.file_by_reference(ctx, reference))


@router.get("/files/{file_id}", tags=[FILES], summary="Akte lesen / read a file")
def get_file(request: Request, file_id: int) -> s.FileOut:
    with request_unit(request) as ctx:
        return s.FileOut.of(files.get_file(ctx, file_id))


@router.post(
    "/files/{file_id}/shares",
    tags=[FILES],
    status_code=201,
    summary="Akte freigeben (Lesen) / share a file for reading",
)
def share_file(request: Request, file_id: int, body: s.ShareCreate) -> s.ShareOut:
    with request_unit(request) as ctx:
        share = files.share_file(ctx, file_id, user_id=body.user_id, office_id=body.office_id)
        return s.ShareOut.of(share)


@router.post(
    "/files/{file_id}/status",
    tags=[FILES],
    summary="Akte schließen oder öffnen / close or reopen a file",
)
def set_file_status(request: Request, file_id: int, body: s.StatusChange) -> s.FileOut:
    with request_unit(request) as ctx:
        return s.FileOut.of(files.set_file_status(ctx, file_id, body.status))


# --- cases ---------------------------------------------------------------------------------


@router.get("/files/{file_id}/cases", tags=[CASES], summary="Vorgänge einer Akte / cases of a file")
def list_cases(request: Request, file_id: int) -> list[s.CaseOut]:
    with request_unit(request) as ctx:
        return [s.CaseOut.of(case, n) for case, n in files.list_cases(ctx, file_id)]


@router.post(
    "/files/{file_id}/cases",
    tags=[CASES],
    status_code=201,
    summary="Vorgang anlegen / create a case",
    responses=_CONFLICT,
)
def create_case(request: Request, file_id: int, body: s.CaseCreate) -> s.CaseOut:
    with request_unit(request) as ctx:
        case = files.create_case(ctx, file_id=file_id, title=body.title)
        return s.CaseOut.of(case, 0)


@router.get(
    "/cases/by-reference",
    tags=[CASES],
    summary="Vorgang zum Aktenzeichen / case by reference number",
)
def case_by_reference(
    request: Request, reference: Annotated[str, Query(min_length=1, max_length=200)]
) -> s.CaseOut:
    with request_unit(request) as ctx:
        return s.CaseOut.of(files.case_by_reference(ctx, reference))


@router.get("/cases/{case_id}", tags=[CASES], summary="Vorgang lesen / read a case")
def get_case(request: Request, case_id: int) -> s.CaseOut:
    with request_unit(request) as ctx:
        return s.CaseOut.of(files.get_case(ctx, case_id))


# --- documents -----------------------------------------------------------------------------


def _upload_result(result: AddResult) -> s.UploadResult:
    return s.UploadResult(
        document=s.DocumentOut.of(result.document),
        version=s.VersionOut.of(result.version),
        duplicates=[d.id for d in result.duplicates],
    )


@router.get(
    "/cases/{case_id}/documents",
    tags=[DOCUMENTS],
    summary="Dokumente eines Vorgangs / documents of a case",
)
def list_documents(request: Request, case_id: int) -> list[s.DocumentSummary]:
    with request_unit(request) as ctx:
        return [
            s.DocumentSummary.with_version(d, v) for d, v in documents.list_documents(ctx, case_id)
        ]


@router.post(
    "/cases/{case_id}/documents",
    tags=[DOCUMENTS],
    status_code=201,
    summary="Dokument hochladen / upload a document",
    description="Multipart: `file` plus optional metadata. `duplicates` lists visible "
    "documents that already hold the same bytes.",
    responses={
        **_CONFLICT,
        415: {"model": s.ErrorOut, "description": "Inhalt abgelehnt / unsupported content"},
    },
)
def upload_document(
    request: Request,
    case_id: int,
    file: Annotated[UploadFile, FormFile(description="Datei / the file")],
    title: Annotated[str | None, Form(max_length=300)] = None,
    doc_type: Annotated[str | None, Form(description=", ".join(documents.DOCUMENT_TYPES))] = None,
    document_date: Annotated[date | None, Form()] = None,
    sender: Annotated[str | None, Form(max_length=300)] = None,
    comment: Annotated[str | None, Form(max_length=1000)] = None,
) -> s.UploadResult:
    with request_unit(request) as ctx, spooled_upload(file) as (source, _name):
        result = documents.add_document(
            ctx,
            case_id=case_id,
            source=source,
            filename=file.filename or "",
            title=title,
            doc_type=doc_type,
            document_date=document_date,
            sender=sender,
            comment=comment,
        )
        return _upload_result(result)


@router.get(
    "/documents/{document_id}",
    tags=[DOCUMENTS],
    summary="Dokument mit Versionen / document metadata and versions",
)
def get_document(request: Request, document_id: int) -> s.DocumentDetail:
    with request_unit(request) as ctx:
        document, versions = documents.get_document(ctx, document_id)
        return s.DocumentDetail.with_versions(document, versions)


@router.patch(
    "/documents/{document_id}",
    tags=[DOCUMENTS],
    responses=_CONFLICT,
    summary="Metadaten berichtigen / correct title, type, date or sender",
)
def update_document(request: Request, document_id: int, body: s.DocumentUpdate) -> s.DocumentOut:
    with request_unit(request) as ctx:
        document = document_edits.update_metadata(ctx, document_id, MetadataChange(
            title=body.title, doc_type=body.doc_type, document_date=body.document_date,
            sender=body.sender))
        return s.DocumentOut.of(document)


@router.post(
    "/documents/{document_id}/move",
    tags=[DOCUMENTS],
    responses=_CONFLICT,
    summary="In einen anderen Vorgang umprotokollieren / move to another case",
)
def move_document(request: Request, document_id: int, body: s.DocumentMove) -> s.DocumentOut:
    with request_unit(request) as ctx:
        document = document_edits.move_document(
            ctx, document_id, case_id=_target_case(ctx, body), reason=body.reason)
        return s.DocumentOut.of(document)


def _target_case(ctx: Ctx, body: s.DocumentMove) -> int:
    if (body.case_id is None) == (not body.case_reference):
        raise InvalidInput("Genau einen Zielvorgang angeben: case_id oder case_reference / give "
                           "one target case")
    if body.case_id is not None:
        return body.case_id
    return files.case_by_reference(ctx, body.case_reference or "").id


@router.post(
    "/documents/{document_id}/versions",
    tags=[DOCUMENTS],
    status_code=201,
    summary="Neue Version hochladen / upload a new version",
    responses={
        **_CONFLICT,
        415: {"model": s.ErrorOut, "description": "Inhalt abgelehnt / unsupported content"},
    },
)
def add_version(
    request: Request,
    document_id: int,
    file: Annotated[UploadFile, FormFile(description="Datei / the file")],
    comment: Annotated[str | None, Form(max_length=1000)] = None,
) -> s.UploadResult:
    with request_unit(request) as ctx, spooled_upload(file) as (source, _name):
        result = documents.add_version(
            ctx,
            document_id=document_id,
            source=source,
            filename=file.filename or "",
            comment=comment,
        )
        return _upload_result(result)


def _content(request: Request, document_id: int, number: int | None) -> Response:
    opened = None
    try:
        with request_unit(request) as ctx:
            opened = documents.open_version(ctx, document_id, number)
            version = opened.version
            etag = f'"{version.sha256}"'
            headers = {
                "ETag": etag,
                "Content-Length": str(version.size),
                "Content-Disposition": content_disposition("attachment", version.filename),
                "Cache-Control": "private, no-cache",
            }
            media_type = version.mime_type
    except BaseException:
        if opened is not None:
            opened.stream.close()
        raise
    wanted = request.headers.get("if-none-match", "")
    if etag in {tag.strip() for tag in wanted.split(",")}:
        opened.stream.close()
        del headers["Content-Length"]
        return Response(status_code=304, headers=headers)
    return StreamingResponse(opened.chunks(CHUNK), media_type=media_type, headers=headers)


@router.get(
    "/documents/{document_id}/content",
    tags=[DOCUMENTS],
    summary="Inhalt der neuesten Version / content of the latest version",
    response_class=StreamingResponse,
    responses=_CONTENT,
)
def latest_content(request: Request, document_id: int) -> Response:
    return _content(request, document_id, None)


@router.get(
    "/documents/{document_id}/versions/{number}/content",
    tags=[DOCUMENTS],
    summary="Inhalt einer Version / content of one version",
    response_class=StreamingResponse,
    responses=_CONTENT,
)
def version_content(request: Request, document_id: int, number: int) -> Response:
    return _content(request, document_id, number)


@router.get(
    "/documents/{document_id}/searchable-copy",
    tags=[DOCUMENTS],
    summary="Lesefassung (OCR) einer Version / searchable copy of a version (signed scans)",
    response_class=StreamingResponse,
    responses=_CONTENT,
)
def searchable_copy(request: Request, document_id: int, version: int | None = None) -> Response:
    """The OCR'd PDF/A kept beside a version that must not be rewritten (a signed scan);
    404 when the version has none. The version itself is what `.../content` returns."""
    with request_unit(request) as ctx:
        opened = renditions.open_rendition(ctx, document_id, version)
    copy = opened.rendition
    headers = {
        "ETag": f'"{copy.sha256}"',
        "Content-Length": str(copy.size),
        "Content-Disposition": content_disposition("attachment", copy.filename),
        "Cache-Control": "private, no-cache",
    }

    def chunks() -> Iterator[bytes]:
        with opened.stream as stream:
            while block := stream.read(CHUNK):
                yield block

    return StreamingResponse(chunks(), media_type=copy.mime_type, headers=headers)


@router.get(
    "/documents/{document_id}/history",
    tags=[DOCUMENTS],
    summary="Protokoll des Dokuments / audit events of the document",
)
def document_history(
    request: Request,
    document_id: int,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[s.AuditEventOut]:
    with request_unit(request) as ctx:
        documents.get_document(ctx, document_id)  # visibility first (and a read if sensitive)
        events = audit.history(ctx, "document", document_id, limit=limit)
        return [s.AuditEventOut.of(e) for e in events]


# --- search --------------------------------------------------------------------------------


@router.get("/search", tags=[SEARCH], summary="Volltextsuche / full-text search")
def search_documents(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Suchbegriffe")],
    office_id: int | None = None,
    plan_node_id: Annotated[
        int | None, Query(description="Mit Unterpositionen / including sub-nodes")
    ] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    doc_type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
) -> s.SearchOut:
    query = SearchQuery(
        text=q,
        office_id=office_id,
        plan_node_ids=(plan_node_id,) if plan_node_id is not None else (),
        date_from=date_from,
        date_to=date_to,
        doc_type=doc_type or None,
        limit=limit,
        offset=offset,
    )
    with request_unit(request) as ctx:
        return s.SearchOut.of(search.search(ctx, query))
