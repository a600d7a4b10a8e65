"""REST API for signatures under /api/v1: signing keys (Schlüsselverwaltung), signing or
sealing a document as its next version, checking a document's signatures (the report is
returned and the Prüfprotokoll filed beside it), and the inbox's "sign" action on a
final-signature task. Thin routes over dms.services.signatures and workflows.signing_step.

Secrets (passphrase, PIN) travel in the request body only, never in the address, and are
neither stored nor logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi import File as FormFile
from pydantic import BaseModel, Field

from dms.errors import InvalidInput
from dms.models import SigningKey
from dms.services import signatures
from dms.web.api import _CONFLICT, _ERRORS
from dms.web.auth import dms_app, request_unit
from workflows import signing_step

router = APIRouter(prefix="/api/v1", responses=_ERRORS)

SIGNATURES = "Signaturen / Signatures"
MAX_KEY_BYTES = 1024 * 1024
Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]


class KeyOut(BaseModel):
    id: int
    label: str
    kind: str
    purpose: str
    owner_id: int | None
    office_id: int | None
    subject: str
    issuer: str
    serial: str
    not_after: datetime
    active: bool

    @classmethod
    def of(cls, key: SigningKey) -> KeyOut:
        return cls(id=key.id, label=key.label, kind=key.kind, purpose=key.purpose,
                   owner_id=key.owner_id, office_id=key.office_id, subject=key.subject,
                   issuer=key.issuer, serial=key.serial, not_after=key.not_after,
                   active=key.active)


class KeyUri(BaseModel):
    uri: str = Field(max_length=1000, description="pkcs11:… oder csc:…")
    secret: str | None = Field(default=None, max_length=200, description="PIN")
    label: str | None = Field(default=None, max_length=200)
    purpose: Literal["personal", "seal"] = "personal"
    owner: str | None = None
    office_code: str | None = None


class SignIn(BaseModel):
    key_id: int
    secret: str | None = Field(default=None, max_length=200,
                               description="PIN bzw. Passphrase / PIN or passphrase")
    level: Level | None = None
    visible: bool = True
    reason: str | None = Field(default=None, max_length=300)


class TaskSignIn(SignIn):
    remark: str | None = Field(default=None, max_length=4000)
    variables: dict[str, Any] = Field(default_factory=dict,
                                      description="Formularfelder der Aufgabe / form fields")


class SignOut(BaseModel):
    document_id: int
    version: int
    signed_version: int
    level: str
    key: str


class CheckIn(BaseModel):
    version: int | None = None
    keep: bool = Field(default=True, description="Prüfprotokoll ablegen / file the report")


class CheckOut(BaseModel):
    version: int
    protocol_document_id: int | None
    report: dict[str, Any]


def _signed(result: signatures.SignResult) -> SignOut:
    return SignOut(document_id=result.document.id, version=result.version.number,
                   signed_version=result.signed_version, level=result.level,
                   key=result.key_label)


@router.get("/signing-keys", tags=[SIGNATURES],
            summary="Signaturschlüssel / signing keys (own; administrators: all)")
def list_keys(request: Request) -> list[KeyOut]:
    with request_unit(request) as ctx:
        return [KeyOut.of(k) for k in signatures.list_keys(ctx)]


@router.post("/signing-keys", tags=[SIGNATURES], status_code=201,
             summary="PKCS#12-Schlüssel hinterlegen / add a PKCS#12 key (administrators)")
def add_pkcs12(
    request: Request,
    file: Annotated[UploadFile, FormFile(description="PKCS#12 (.p12/.pfx)")],
    passphrase: Annotated[str, Form(max_length=200)],
    label: Annotated[str | None, Form(max_length=200)] = None,
    purpose: Annotated[Literal["personal", "seal"], Form()] = "personal",
    owner: Annotated[str | None, Form(max_length=64)] = None,
    office_code: Annotated[str | None, Form(max_length=16)] = None,
) -> KeyOut:
    with request_unit(request) as ctx:
        data = file.file.read(MAX_KEY_BYTES + 1)
        if len(data) > MAX_KEY_BYTES:
            raise InvalidInput("Schlüsseldatei zu groß / key file too large")
        return KeyOut.of(signatures.add_pkcs12_key(
            ctx, data=data, passphrase=passphrase, label=label, purpose=purpose, owner=owner,
            office_code=office_code))


@router.post("/signing-keys/uri", tags=[SIGNATURES], status_code=201,
             summary="Token- oder Fernsignatur-Schlüssel / add a PKCS#11 or CSC key")
def add_uri(request: Request, body: KeyUri) -> KeyOut:
    with request_unit(request) as ctx:
        return KeyOut.of(signatures.add_uri_key(
            ctx, uri=body.uri, secret=body.secret, label=body.label, purpose=body.purpose,
            owner=body.owner, office_code=body.office_code))


@router.post("/documents/{document_id}/signatures", tags=[SIGNATURES], status_code=201,
             responses=_CONFLICT,
             summary="Dokument signieren oder siegeln (neue Version) / sign or seal")
def sign_document(request: Request, document_id: int, body: SignIn) -> SignOut:
    with request_unit(request) as ctx:
        actor = ctx.actor
    return _signed(signatures.sign_document_now(
        dms_app(request), actor, document_id=document_id, key_id=body.key_id,
        secret=body.secret, level=body.level, visible=body.visible, reason=body.reason))


@router.post("/documents/{document_id}/signature-checks", tags=[SIGNATURES],
             summary="Signaturen prüfen (Prüfprotokoll) / check signatures")
def check_document(request: Request, document_id: int, body: CheckIn) -> CheckOut:
    with request_unit(request) as ctx:
        result = signatures.check_document(ctx, document_id=document_id,
                                           number=body.version, keep=body.keep)
        return CheckOut(version=result.version,
                        protocol_document_id=result.protocol_document_id,
                        report=result.report.to_json())


@router.post("/tasks/{task_id}/sign", tags=[SIGNATURES], responses=_CONFLICT,
             summary="Schlusszeichnung signieren und abschließen / sign a final-signature task")
def sign_task(request: Request, task_id: int, body: TaskSignIn) -> SignOut:
    with request_unit(request) as ctx:
        actor = ctx.actor
    return _signed(signing_step.sign_task(
        dms_app(request), actor, task_id, key_id=body.key_id, secret=body.secret,
        level=body.level, visible=body.visible, remark=body.remark, variables=body.variables))
