"""Signatures in the e-file: the signing keys people and offices hold, signing and sealing a
document's current version, and checking the signatures a document carries.

The rules live here, as for every service: a personal key signs only for its holder; a seal
only for the system (a process step) or an administrator; signing needs write access to the
case and a PDF; every signature becomes a new, immutable version (the previous one stays)
with an audit event; every check of incoming signatures keeps its Prüfprotokoll beside the
document. Secrets (passphrase, PIN) pass through and are never stored, logged or audited.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from sqlalchemy import or_, select

from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import KEY_PURPOSES, Document, Office, SigningKey, User, Version, utcnow
from dms.services import audit, documents
from dms.services.context import Actor, App, Ctx
from dms.services.files import writable_case
from dms.signatures import keys as key_access
from dms.signatures.config import LEVELS, SignatureSettings, load_signature_settings
from dms.signatures.pades import sign_pdf
from dms.signatures.stamp import StampSpec
from dms.signatures.trust import TrustStore
from dms.signatures.validation import ValidationReport

PDF = "application/pdf"
LEVEL_LABELS = {"B-B": "PAdES B-B", "B-T": "PAdES B-T (mit Zeitstempel)",
                "B-LT": "PAdES B-LT (mit Prüfdaten)", "B-LTA": "PAdES B-LTA (Langzeit)"}


def settings_for(ctx: Ctx) -> SignatureSettings:
    """config/signatures.toml of this installation's config directory, trusting also the
    anchors in $DMS_HOME/trust as validation does (see trust_store)."""
    settings = load_signature_settings(ctx.app.settings.config_dir / "signatures.toml")
    return replace(settings, extra_trust_dirs=(ctx.app.settings.home / "trust",))


def office_level(ctx: Ctx, office_id: int | None) -> str:
    """The PAdES level an office's policy asks for (`[office."CODE"] level` in
    signatures.toml), else the configured default."""
    office = ctx.db.get(Office, office_id) if office_id else None
    return settings_for(ctx).level_for(office.code if office else None)


# --- keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFacts:
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    pem: str


def _facts(cert: asn1_x509.Certificate) -> KeyFacts:
    return KeyFacts(
        subject=cert.subject.human_friendly[:500],
        issuer=cert.issuer.human_friendly[:500],
        serial=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before.astimezone(UTC),
        not_after=cert.not_valid_after.astimezone(UTC),
        pem=asn1_pem.armor("CERTIFICATE", cert.dump()).decode("ascii"),
    )


def _owner_and_office(ctx: Ctx, purpose: str, owner: str | None,
                      office_code: str | None) -> tuple[int | None, int | None]:
    """Keys are handed out by administrators (Schlüsselverwaltung), as certificates are: a
    personal key for its holder (`owner`, default the administrator), a seal for an office
    or, without office, for the whole organisation."""
    if purpose not in KEY_PURPOSES:
        raise InvalidInput(f"Zweck {purpose!r} unbekannt; erlaubt / allowed: "
                           f"{', '.join(KEY_PURPOSES)}")
    if not ctx.actor.is_admin:
        raise PermissionDenied("Signaturschlüssel hinterlegen dürfen nur Administratoren / "
                               "only administrators may add signing keys")
    if purpose == "seal":
        office_id = None
        if office_code:
            office_id = ctx.db.scalar(select(Office.id).where(Office.code == office_code))
            if office_id is None:
                raise NotFound(f"Amt {office_code} unbekannt / unknown office")
        return None, office_id
    if owner is None:
        if ctx.actor.user_id is None:
            raise InvalidInput("Persönlicher Schlüssel braucht eine Inhaberin / a personal key "
                               "needs an owner (--owner)")
        return ctx.actor.user_id, None
    user_id = ctx.db.scalar(select(User.id).where(User.username == owner))
    if user_id is None:
        raise NotFound(f"Benutzer {owner} unbekannt / unknown user")
    return user_id, None


def add_pkcs12_key(ctx: Ctx, *, data: bytes, passphrase: str, label: str | None = None,
                   purpose: str = "personal", owner: str | None = None,
                   office_code: str | None = None) -> SigningKey:
    """Keep a PKCS#12 file as a signing key; opening it with `passphrase` proves it is whole
    and the passphrase right before anything is stored."""
    owner_id, office_id = _owner_and_office(ctx, purpose, owner, office_code)
    opened = key_access.open_pkcs12_data(data, passphrase)
    facts = _facts(opened.certificate)
    blob = ctx.app.store.put(BytesIO(data))
    key = SigningKey(label=(label or opened.holder_name)[:200], kind="pkcs12", purpose=purpose,
                     owner_id=owner_id, office_id=office_id, blob_sha256=blob.sha256)
    return _insert(ctx, key, facts)


def add_uri_key(ctx: Ctx, *, uri: str, secret: str | None, label: str | None = None,
                purpose: str = "personal", owner: str | None = None,
                office_code: str | None = None) -> SigningKey:
    """Register a key on a token (`pkcs11:` URI) or at a remote trust service (`csc:`); it is
    opened once with `secret` to read its certificate."""
    kind = "pkcs11" if uri.startswith("pkcs11:") else "csc" if uri.startswith("csc:") else None
    if kind is None:
        raise InvalidInput("Schlüssel-URI muss mit pkcs11: oder csc: beginnen / key URI must "
                           "start with pkcs11: or csc:")
    owner_id, office_id = _owner_and_office(ctx, purpose, owner, office_code)
    settings = settings_for(ctx)
    with key_access.open_key(uri, secret, pkcs11_module=settings.pkcs11_module) as opened:
        facts = _facts(opened.certificate)
        holder = opened.holder_name
    key = SigningKey(label=(label or holder)[:200], kind=kind, purpose=purpose,
                     owner_id=owner_id, office_id=office_id, uri=uri)
    return _insert(ctx, key, facts)


def _insert(ctx: Ctx, key: SigningKey, facts: KeyFacts) -> SigningKey:
    key.certificate_pem, key.subject, key.issuer = facts.pem, facts.subject, facts.issuer
    key.serial, key.not_before, key.not_after = facts.serial, facts.not_before, facts.not_after
    key.created_by_id = ctx.actor.user_id
    ctx.db.add(key)
    ctx.db.flush()
    audit.record(ctx, "signing_key.add", "signing_key", key.id, after={
        "label": key.label, "kind": key.kind, "purpose": key.purpose, "subject": key.subject,
        "issuer": key.issuer, "serial": key.serial, "not_after": key.not_after.isoformat(),
        "owner_id": key.owner_id, "office_id": key.office_id,
    })
    return key


def list_keys(ctx: Ctx, *, usable_only: bool = False) -> list[SigningKey]:
    """Administrators see every key; everyone else their own personal keys."""
    query = select(SigningKey).order_by(SigningKey.purpose, SigningKey.label, SigningKey.id)
    if not ctx.actor.is_admin:
        query = query.where(SigningKey.owner_id == ctx.actor.user_id)
    if usable_only:
        query = query.where(SigningKey.active.is_(True), SigningKey.not_after > utcnow())
    return list(ctx.db.scalars(query))


def my_keys(ctx: Ctx) -> list[SigningKey]:
    """The keys the current person can sign with: their own, active, not expired."""
    return list(ctx.db.scalars(
        select(SigningKey).where(SigningKey.owner_id == ctx.actor.user_id,
                                 SigningKey.purpose == "personal",
                                 SigningKey.active.is_(True), SigningKey.not_after > utcnow())
        .order_by(SigningKey.label, SigningKey.id)))


def deactivate_key(ctx: Ctx, key_id: int) -> SigningKey:
    key = ctx.db.get(SigningKey, key_id)
    if key is None or not (ctx.actor.is_admin or key.owner_id == ctx.actor.user_id):
        raise NotFound(f"Schlüssel {key_id} nicht gefunden / key not found")
    if key.active:
        key.active = False
        audit.record(ctx, "signing_key.deactivate", "signing_key", key.id,
                     before={"active": True}, after={"active": False})
    return key


def seal_key_for(ctx: Ctx, office_id: int | None) -> SigningKey | None:
    """The office's own seal, else the organisation's (a seal without office)."""
    candidates = list(ctx.db.scalars(
        select(SigningKey).where(SigningKey.purpose == "seal", SigningKey.active.is_(True),
                                 SigningKey.not_after > utcnow(),
                                 or_(SigningKey.office_id == office_id,
                                     SigningKey.office_id.is_(None)))
        .order_by(SigningKey.id.desc())))
    own = [k for k in candidates if k.office_id is not None and k.office_id == office_id]
    return (own or candidates or [None])[0]


@contextmanager
def _opened(app: App, key: _KeyRef, secret: str | None,
            settings: SignatureSettings) -> Iterator[key_access.SigningKey]:
    if key.kind == "pkcs12":
        assert key.blob_sha256 is not None
        with app.store.open(key.blob_sha256) as stream:
            data = stream.read()
        yield key_access.open_pkcs12_data(data, secret, key.label, key.label)
    else:
        assert key.uri is not None
        with key_access.open_key(key.uri, secret, pkcs11_module=settings.pkcs11_module) as k:
            yield k


# --- signing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignResult:
    document: Document
    version: Version  # the new, signed version
    signed_version: int  # the number of the version that was signed
    level: str
    key_label: str


def _stamp(ctx: Ctx, key: SigningKey, document: Document, visible: bool) -> StampSpec | None:
    if not visible:
        return None
    if key.purpose == "seal":
        office = ctx.db.get(Office, key.office_id) if key.office_id else None
        office = office or ctx.db.get(Office, document.case.file.office_id)
        return StampSpec(name=key.label, role="Elektronisches Siegel",
                         office=office.name if office else None)
    user = ctx.db.get(User, ctx.actor.user_id) if ctx.actor.user_id else None
    office = ctx.db.get(Office, user.office_id) if user and user.office_id else None
    return StampSpec(name=user.display_name if user else key.label,
                     role=user.job_title if user else None,
                     office=office.name if office else None)


def stamp_preview(ctx: Ctx, document: Document) -> list[str]:
    """The lines the visible stamp will carry if the current person signs now."""
    from dms.signatures.stamp import stamp_lines

    user = ctx.db.get(User, ctx.actor.user_id) if ctx.actor.user_id else None
    office = ctx.db.get(Office, user.office_id) if user and user.office_id else None
    spec = StampSpec(name=user.display_name if user else ctx.actor.username,
                     role=user.job_title if user else None,
                     office=office.name if office else None)
    return stamp_lines(spec, utcnow())


@dataclass(frozen=True)
class _KeyRef:
    """What signing needs of a key row, read in the planning transaction."""

    id: int
    label: str
    purpose: str
    kind: str
    blob_sha256: str | None
    uri: str | None
    subject: str | None
    serial: str | None


@dataclass(frozen=True)
class _Plan:
    """A signature checked and ready to be made: which version (by number and hash, so
    filing can tell whether the document moved on meanwhile), with which key, how."""

    document_id: int
    number: int
    sha256: str
    filename: str
    key: _KeyRef
    level: str
    stamp: StampSpec | None
    reason: str | None
    visible: bool
    settings: SignatureSettings


def _plan(ctx: Ctx, *, document_id: int, key_id: int, level: str | None, visible: bool,
          reason: str | None) -> _Plan:
    """Every rule, checked before anything slow happens: visible document, write access to
    its case, a PDF, a key the person may use and that is active, a known level."""
    document, versions = documents.get_document(ctx, document_id)
    writable_case(ctx, document.case_id)
    current = versions[0]  # newest first
    if current.mime_type != PDF:
        raise InvalidInput(f"Nur PDF-Dokumente können signiert werden; Version {current.number} "
                           f"ist {current.mime_type} / only PDF documents can be signed")
    key = ctx.db.get(SigningKey, key_id)
    if key is None or not _may_use(ctx, key):
        raise NotFound(f"Schlüssel {key_id} nicht gefunden / key not found")
    if not key.active:
        raise InvalidInput(f"Schlüssel {key.label!r} ist stillgelegt / key is deactivated")
    chosen = level or office_level(ctx, document.case.file.office_id)
    if chosen not in LEVELS:
        raise InvalidInput(f"Signaturstufe {chosen!r} unbekannt; erlaubt / allowed: "
                           f"{', '.join(LEVELS)}")
    return _Plan(
        document_id=document.id, number=current.number, sha256=current.sha256,
        filename=current.filename,
        key=_KeyRef(id=key.id, label=key.label, purpose=key.purpose, kind=key.kind,
                    blob_sha256=key.blob_sha256, uri=key.uri, subject=key.subject,
                    serial=key.serial),
        level=chosen, stamp=_stamp(ctx, key, document, visible), reason=reason,
        visible=visible, settings=settings_for(ctx),
    )


def _produce(app: App, plan: _Plan, secret: str | None) -> bytes:
    """The slow part, needing no database: open the key (PIN, token, remote service), sign,
    fetch the timestamp and the revocation data the level asks for."""
    with app.store.open(plan.sha256) as stream:
        original = stream.read()
    with _opened(app, plan.key, secret, plan.settings) as opened:
        return sign_pdf(original, opened, level=plan.level,  # type: ignore[arg-type]
                        stamp=plan.stamp, reason=plan.reason, settings=plan.settings)


def _file(ctx: Ctx, plan: _Plan, signed: bytes) -> SignResult:
    """The signed PDF as the next version, if the signed version is still the current one."""
    document, versions = documents.get_document(ctx, plan.document_id)
    writable_case(ctx, document.case_id)
    current = versions[0]  # newest first
    if current.number != plan.number or current.sha256 != plan.sha256:
        raise Conflict(
            f"Während des Signierens ist Version {current.number} entstanden; signiert wurde "
            f"Version {plan.number}. Bitte die neue Version prüfen und erneut signieren / the "
            "document got a new version while it was being signed; check it and sign again")
    key = plan.key
    what = "Gesiegelt" if key.purpose == "seal" else "Signiert"
    comment = f"{what}: {key.label} ({LEVEL_LABELS.get(plan.level, plan.level)})"
    with tempfile.TemporaryDirectory(prefix="dms-sign-") as tmp:
        path = Path(tmp) / plan.filename
        path.write_bytes(signed)
        added = documents.add_version(ctx, document_id=document.id, source=path,
                                      filename=plan.filename, comment=comment,
                                      signature_of=plan.number)
    audit.record(ctx, "document.seal" if key.purpose == "seal" else "document.sign",
                 "document", document.id, after={
                     "signed_version": plan.number, "version": added.version.number,
                     "method": "PAdES", "level": plan.level, "key": key.label,
                     "subject": key.subject, "serial": key.serial, "visible": plan.visible,
                 })
    return SignResult(document, added.version, plan.number, plan.level, key.label)


def sign_document(ctx: Ctx, *, document_id: int, key_id: int, secret: str | None,
                  level: str | None = None, visible: bool = True,
                  reason: str | None = None) -> SignResult:
    """Sign (or, with a seal key, seal) the document's current version within the caller's
    transaction: the signed PDF becomes the next version, an incremental update of the one
    before, so earlier signatures stay. For a process step that must sign inside its own
    transaction (the seal before dispatch); people signing at a screen go through
    `sign_document_now`, which holds no transaction while the signature is made."""
    plan = _plan(ctx, document_id=document_id, key_id=key_id, level=level, visible=visible,
                 reason=reason)
    return _file(ctx, plan, _produce(ctx.app, plan, secret))


def sign_document_now(
    app: App, actor: Actor, *, document_id: int, key_id: int, secret: str | None,
    level: str | None = None, visible: bool = True, reason: str | None = None,
    then: Callable[[Ctx, SignResult], None] | None = None,
) -> SignResult:
    """Sign as `actor` in three steps: check everything in one short transaction; make the
    signature with no transaction open (a token's PIN, a remote signing service, the TSA and
    OCSP may take seconds, and on SQLite an open transaction would hold every other writer
    up for as long); then file the new version, and run `then` (e.g. complete the signing
    task), in a second transaction that refuses if the document moved on meanwhile."""
    with app.unit(actor) as ctx:
        plan = _plan(ctx, document_id=document_id, key_id=key_id, level=level,
                     visible=visible, reason=reason)
    signed = _produce(app, plan, secret)
    with app.unit(actor) as ctx:
        result = _file(ctx, plan, signed)
        if then is not None:
            then(ctx, result)
    return result


def _may_use(ctx: Ctx, key: SigningKey) -> bool:
    if key.purpose == "seal":
        return ctx.actor.is_admin
    return key.owner_id is not None and key.owner_id == ctx.actor.user_id


# --- checking incoming signatures -----------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    report: ValidationReport
    version: int
    protocol_document_id: int | None  # the Prüfprotokoll kept beside the document


def check_document(ctx: Ctx, *, document_id: int, number: int | None = None,
                   extra_anchors: Sequence[bytes] = (), keep: bool = True,
                   allow_fetching: bool = True) -> CheckResult:
    """Validate the signatures of a version (default: the current one). With `keep` and
    write access, the Prüfprotokoll is filed beside it and the verdict noted on the document."""
    from dms.signatures.report import protocol_filename, report_html
    from dms.signatures.validation import validate_pdf

    document, version = documents.find_version(ctx, document_id, number)
    if version.mime_type != PDF:
        raise InvalidInput(f"Version {version.number} ist kein PDF ({version.mime_type}) / "
                           "not a PDF")
    with ctx.app.store.open(version.sha256) as stream:
        data = stream.read()
    report = validate_pdf(data, trust=trust_store(ctx), extra_anchors=extra_anchors,
                          allow_fetching=allow_fetching)
    summary = _summary(report, version.number)
    protocol_id = None
    if keep and _can_write(ctx, document):
        with tempfile.TemporaryDirectory(prefix="dms-check-") as tmp:
            path = Path(tmp) / protocol_filename(version.filename)
            path.write_text(report_html(report), encoding="utf-8")
            added = documents.add_document(
                ctx, case_id=document.case_id, source=path, filename=path.name,
                title=f"Prüfprotokoll Signaturen – {document.title} (Version {version.number})",
                doc_type="note", attributes={"protocol_of": document.id,
                                             "verdict": report.verdict})
        protocol_id = added.document.id
        summary["protocol_document_id"] = protocol_id
        before = document.attributes.get("signature_check")
        document.attributes = {**document.attributes, "signature_check": summary}
        audit.record(ctx, "document.signature_check", "document", document.id,
                     before={"signature_check": before} if before else None,
                     after={"version": version.number, "verdict": report.verdict,
                            "signatures": len(report.signatures),
                            "protocol_document": protocol_id})
    return CheckResult(report, version.number, protocol_id)


def trust_store(ctx: Ctx) -> TrustStore:
    """The configured anchors (config/trust/, signatures.toml) plus this installation's own in
    $DMS_HOME/trust (where `dms init --demo` puts its test CA)."""
    from dms.signatures.trust import configured_trust_store, load_trust_dir

    store = configured_trust_store(ctx.app.settings.config_dir)
    local = ctx.app.settings.home / "trust"
    if local.is_dir():
        store = store.with_extra(load_trust_dir(local).anchors, str(local))
    return store


def _summary(report: ValidationReport, version: int) -> dict[str, Any]:
    return {"version": version, "verdict": report.verdict, "summary_de": report.summary_de,
            "summary_en": report.summary_en, "signatures": len(report.signatures),
            "checked_at": report.checked_at.isoformat()}


def _can_write(ctx: Ctx, document: Document) -> bool:
    try:
        writable_case(ctx, document.case_id)
    except (PermissionDenied, NotFound):
        return False
    return True
