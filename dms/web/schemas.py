"""Request and response models of the REST API (/api/v1): what openapi.json documents.

Models are plain data: `from_*` constructors copy what the API shows out of the ORM rows the
services return, inside the request's unit of work, so nothing is loaded lazily afterwards.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dms.models import (
    DOCUMENT_TYPES,
    FILE_KINDS,
    AuditEvent,
    Case,
    Document,
    File,
    FileShare,
    Office,
    PlanNode,
    User,
    Version,
)
from dms.services.documents import DOCUMENT_TYPE_LABELS
from dms.services.fileplan import PlanEntry
from dms.services.search import SearchHit, SearchResult


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- organisation ------------------------------------------------------------------------


class OfficeOut(Schema):
    """Amt / office."""

    id: int
    code: str = Field(examples=["63"])
    name: str = Field(examples=["Bauordnungsamt"])
    parent_id: int | None = None

    @classmethod
    def of(cls, office: Office) -> OfficeOut:
        return cls(id=office.id, code=office.code, name=office.name, parent_id=office.parent_id)


class MeOut(Schema):
    """The calling user: who, with which roles, in which office."""

    id: int | None
    username: str
    display_name: str
    job_title: str | None = None
    email: str | None = None
    roles: list[str]
    office: OfficeOut | None

    @classmethod
    def of(cls, user: User) -> MeOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            job_title=user.job_title,
            email=user.email,
            roles=sorted(user.roles),
            office=OfficeOut.of(user.office) if user.office else None,
        )


# --- file plan ---------------------------------------------------------------------------


class PlanNodeRef(Schema):
    id: int
    code: str = Field(examples=["600"])
    title: str

    @classmethod
    def of(cls, node: PlanNode) -> PlanNodeRef:
        return cls(id=node.id, code=node.code, title=node.title)


class PlanNodeOut(Schema):
    """A node of the Aktenplan with the number of files the caller may see."""

    id: int
    code: str
    title: str
    parent_id: int | None
    retention_years: int | None
    retention_action: str | None
    visible_files: int = Field(description="Sichtbare Akten direkt an dieser Position")
    visible_files_total: int = Field(description="Sichtbare Akten einschließlich Unterpositionen")
    children: list[PlanNodeOut] = Field(default_factory=list)

    @classmethod
    def of(cls, entry: PlanEntry) -> PlanNodeOut:
        children = [cls.of(child) for child in entry.children]
        node = entry.node
        return cls(
            id=node.id,
            code=node.code,
            title=node.title,
            parent_id=node.parent_id,
            retention_years=node.retention_years,
            retention_action=node.retention_action,
            visible_files=entry.visible_files,
            visible_files_total=entry.visible_files + sum(c.visible_files_total for c in children),
            children=children,
        )


# --- files and cases ---------------------------------------------------------------------


class FileOut(Schema):
    """Akte / file."""

    id: int
    reference: str = Field(description="Aktenzeichen", examples=["600-0001/2026"])
    title: str
    year: int
    kind: str = Field(json_schema_extra={"enum": list(FILE_KINDS)})
    sensitive: bool
    status: str = Field(json_schema_extra={"enum": ["open", "closed"]})
    office: OfficeOut
    plan_node: PlanNodeRef
    created_at: datetime

    @classmethod
    def of(cls, file: File) -> FileOut:
        return cls(
            id=file.id,
            reference=file.reference,
            title=file.title,
            year=file.year,
            kind=file.kind,
            sensitive=file.sensitive,
            status=file.status,
            office=OfficeOut.of(file.office),
            plan_node=PlanNodeRef.of(file.plan_node),
            created_at=file.created_at,
        )


class FilePage(Schema):
    items: list[FileOut]
    limit: int
    offset: int


class FileCreate(Schema):
    """New file: give the plan position by id or by code (Aktenplan-Kennzeichen)."""

    plan_node_id: int | None = None
    plan_code: str | None = Field(default=None, examples=["600"])
    title: str = Field(examples=["Neubau Garage, Am Bach 3"])
    office_id: int | None = Field(
        default=None, description="Federführendes Amt; ohne Angabe das eigene / default: own"
    )
    kind: str = Field(default="general", json_schema_extra={"enum": list(FILE_KINDS)})
    sensitive: bool = Field(
        default=False, description="Lesezugriffe werden protokolliert / reads are audited"
    )

    @model_validator(mode="after")
    def _one_position(self) -> FileCreate:
        if (self.plan_node_id is None) == (self.plan_code is None):
            raise ValueError(
                "Genau eines von plan_node_id oder plan_code angeben "
                "/ give exactly one of plan_node_id or plan_code"
            )
        return self


class ShareCreate(Schema):
    """Grant reading to one user or to one office (exactly one of both)."""

    user_id: int | None = None
    office_id: int | None = None


class ShareOut(Schema):
    id: int
    file_id: int
    user_id: int | None
    office_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, share: FileShare) -> ShareOut:
        return cls(
            id=share.id,
            file_id=share.file_id,
            user_id=share.user_id,
            office_id=share.office_id,
            created_at=share.created_at,
        )


class StatusChange(Schema):
    status: Literal["open", "closed"]


class CaseOut(Schema):
    """Vorgang / case."""

    id: int
    reference: str = Field(description="Aktenzeichen des Vorgangs", examples=["600-0001/2026-01"])
    title: str
    status: str
    file_id: int
    file_reference: str
    owner_id: int | None
    created_at: datetime
    document_count: int | None = Field(default=None, description="Only in case lists")

    @classmethod
    def of(cls, case: Case, document_count: int | None = None) -> CaseOut:
        return cls(
            id=case.id,
            reference=case.reference,
            title=case.title,
            status=case.status,
            file_id=case.file_id,
            file_reference=case.file.reference,
            owner_id=case.owner_id,
            created_at=case.created_at,
            document_count=document_count,
        )


class CaseCreate(Schema):
    """The caller becomes the owner (Federführung). No owner_id here until
    files.create_case validates it (an unknown id fails at the database)."""

    title: str = Field(examples=["Bauantrag Carport"])


# --- documents ---------------------------------------------------------------------------


class VersionOut(Schema):
    """One immutable version; `sha256` is also the ETag of its content."""

    number: int
    sha256: str
    size: int
    mime_type: str
    filename: str
    page_count: int | None
    text_method: str
    comment: str | None
    created_at: datetime
    created_by_id: int | None
    content_url: str

    @classmethod
    def of(cls, version: Version) -> VersionOut:
        return cls(
            number=version.number,
            sha256=version.sha256,
            size=version.size,
            mime_type=version.mime_type,
            filename=version.filename,
            page_count=version.page_count,
            text_method=version.text_method,
            comment=version.comment,
            created_at=version.created_at,
            created_by_id=version.created_by_id,
            content_url=(
                f"/api/v1/documents/{version.document_id}/versions/{version.number}/content"
            ),
        )


class DocumentOut(Schema):
    """Dokument / document metadata."""

    id: int
    title: str
    doc_type: str = Field(json_schema_extra={"enum": list(DOCUMENT_TYPES)})
    doc_type_label: str
    document_date: date | None
    sender: str | None
    attributes: dict[str, Any]
    case_id: int
    case_reference: str
    file_id: int
    file_reference: str
    created_at: datetime

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        return cls(
            id=document.id,
            title=document.title,
            doc_type=document.doc_type,
            doc_type_label=DOCUMENT_TYPE_LABELS.get(document.doc_type, document.doc_type),
            document_date=document.document_date,
            sender=document.sender,
            attributes=dict(document.attributes or {}),
            case_id=document.case_id,
            case_reference=document.case.reference,
            file_id=document.case.file_id,
            file_reference=document.case.file.reference,
            created_at=document.created_at,
        )


class DocumentUpdate(Schema):
    """Fields to correct; those left out stay as they are, an empty sender clears it."""

    title: str | None = Field(default=None, max_length=300, examples=["Statik Wintergarten"])
    doc_type: str | None = Field(default=None, json_schema_extra={"enum": list(DOCUMENT_TYPES)})
    document_date: date | None = None
    sender: str | None = Field(default=None, max_length=300)


class DocumentMove(Schema):
    """Umprotokollierung: the target case, by id or by reference number, and why."""

    case_id: int | None = None
    case_reference: str | None = Field(default=None, examples=["601-0007/2026-01"])
    reason: str = Field(min_length=1, max_length=500,
                        examples=["Falsch zugeordnet, gehört zum Bauantrag Birkenweg 9"])


class DocumentSummary(DocumentOut):
    """A document in a case listing, with its current version."""

    current_version: VersionOut

    @classmethod
    def with_version(cls, document: Document, version: Version) -> DocumentSummary:
        base = DocumentOut.of(document).model_dump()
        return cls(**base, current_version=VersionOut.of(version))


class DocumentDetail(DocumentOut):
    """A document with all its versions, newest first."""

    versions: list[VersionOut]

    @classmethod
    def with_versions(cls, document: Document, versions: list[Version]) -> DocumentDetail:
        base = DocumentOut.of(document).model_dump()
        return cls(**base, versions=[VersionOut.of(v) for v in versions])


class UploadResult(Schema):
    """Result of an upload: the document, the version created, and visible documents that
    already hold the same bytes (possible duplicates)."""

    document: DocumentOut
    version: VersionOut
    duplicates: list[int] = Field(description="IDs sichtbarer Dokumente mit gleichem Inhalt")


# --- audit and search --------------------------------------------------------------------


class AuditEventOut(Schema):
    id: int
    occurred_at: datetime
    actor: str
    action: str = Field(examples=["document.version"])
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            id=event.id,
            occurred_at=event.occurred_at,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            before=event.before,
            after=event.after,
        )


class SearchHitOut(Schema):
    document_id: int
    title: str
    doc_type: str
    document_date: date | None
    case_id: int
    case_reference: str
    file_reference: str
    file_title: str
    snippet: str = Field(description="HTML-escaped excerpt, matches wrapped in <mark>")
    score: float

    @classmethod
    def of(cls, hit: SearchHit) -> SearchHitOut:
        return cls(
            document_id=hit.document_id,
            title=hit.title,
            doc_type=hit.doc_type,
            document_date=hit.document_date,
            case_id=hit.case_id,
            case_reference=hit.case_reference,
            file_reference=hit.file_reference,
            file_title=hit.file_title,
            snippet=hit.snippet,
            score=hit.score,
        )


class SearchOut(Schema):
    query: str
    total: int
    total_exact: bool = Field(description="False: mehr als `total` Treffer / more than total")
    limit: int
    offset: int
    hits: list[SearchHitOut]

    @classmethod
    def of(cls, result: SearchResult) -> SearchOut:
        return cls(
            query=result.query.text,
            total=result.total,
            total_exact=result.total_exact,
            limit=result.query.limit,
            offset=result.query.offset,
            hits=[SearchHitOut.of(h) for h in result.hits],
        )


class ErrorOut(Schema):
    """Body of every error the services raise (4xx/5xx except FastAPI's own 422)."""

    error: str = Field(examples=["not_found"])
    message: str = Field(examples=["Akte 7 nicht gefunden / file not found"])
