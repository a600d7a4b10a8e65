"""Files (Akte) and cases (Vorgang): creation with Aktenzeichen, listing, sharing, closing."""

from __future__ import annotations

from sqlalchemy import func, select

from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import FILE_KINDS, Case, Document, File, FileShare, Office, User, utcnow
from dms.services import audit
from dms.services.access import (
    may_create_in_office,
    readable_file,
    require_write,
    visible_files,
)
from dms.services.context import Ctx
from dms.services.fileplan import get_node
from dms.services.references import case_reference, file_reference, next_number


def _title(value: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise InvalidInput("Titel darf nicht leer sein / title must not be empty")
    if len(value) > 300:
        raise InvalidInput("Titel ist länger als 300 Zeichen / title longer than 300 characters")
    return value


def _file_state(file: File) -> dict[str, object]:
    return {
        "reference": file.reference,
        "title": file.title,
        "office_id": file.office_id,
        "plan_node_id": file.plan_node_id,
        "kind": file.kind,
        "sensitive": file.sensitive,
        "status": file.status,
    }


def create_file(
    ctx: Ctx,
    *,
    plan_node_id: int,
    title: str,
    office_id: int | None = None,
    kind: str = "general",
    sensitive: bool = False,
    year: int | None = None,
) -> File:
    office_id = office_id or ctx.actor.office_id
    if office_id is None or ctx.db.get(Office, office_id) is None:
        raise InvalidInput(
            "Federführendes Amt fehlt oder ist unbekannt / office missing or unknown"
        )
    if kind not in FILE_KINDS:
        raise InvalidInput(f"Unbekannte Aktenart {kind!r} / unknown file kind")
    if not may_create_in_office(ctx.actor, office_id):
        raise PermissionDenied("Akten nur im eigenen Amt anlegen / files only in your own office")
    node = get_node(ctx, plan_node_id)
    year = year or utcnow().year
    seq = next_number(ctx.db, f"file:{node.code}:{year}")
    reference = file_reference(
        ctx.app.settings.file_reference_scheme, plan=node.code, seq=seq, year=year
    )
    if ctx.db.scalar(select(File.id).where(File.reference == reference)):
        raise Conflict(f"Aktenzeichen {reference} ist bereits vergeben / reference already taken")
    file = File(
        plan_node_id=node.id,
        office_id=office_id,
        seq=seq,
        year=year,
        reference=reference,
        title=_title(title),
        kind=kind,
        sensitive=sensitive,
        created_by_id=ctx.actor.user_id,
    )
    ctx.db.add(file)
    ctx.db.flush()
    audit.record(ctx, "file.create", "file", file.id, after=_file_state(file))
    return file


def get_file(ctx: Ctx, file_id: int) -> File:
    file = readable_file(ctx.db, ctx.actor, file_id)
    note_read(ctx, file, "file", file.id)
    return file


def file_by_reference(ctx: Ctx, reference: str) -> File:
    file = ctx.db.scalar(
        select(File).where(File.reference == reference.strip(), visible_files(ctx.actor))
    )
    if file is None:
        raise NotFound(f"Akte {reference!r} nicht gefunden / file not found")
    note_read(ctx, file, "file", file.id)
    return file


def note_read(ctx: Ctx, file: File, object_type: str, object_id: int) -> None:
    """Reads of sensitive files (e.g. social data) are part of the audit trail."""
    if file.sensitive:
        audit.record(ctx, f"{object_type}.read", object_type, object_id)


def list_files(
    ctx: Ctx,
    *,
    plan_node_id: int | None = None,
    office_id: int | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[File]:
    query = select(File).where(visible_files(ctx.actor))
    if plan_node_id is not None:
        query = query.where(File.plan_node_id == plan_node_id)
    if office_id is not None:
        query = query.where(File.office_id == office_id)
    if status is not None:
        query = query.where(File.status == status)
    query = query.order_by(File.year.desc(), File.reference).limit(limit).offset(offset)
    return list(ctx.db.scalars(query))


def share_file(
    ctx: Ctx, file_id: int, *, user_id: int | None = None, office_id: int | None = None
) -> FileShare:
    file = readable_file(ctx.db, ctx.actor, file_id)
    require_write(ctx.actor, file)
    if (user_id is None) == (office_id is None):
        raise InvalidInput("Genau eine Person oder ein Amt angeben / give one user or one office")
    if user_id is not None and ctx.db.get(User, user_id) is None:
        raise InvalidInput("Unbekannte Person / unknown user")
    if office_id is not None and ctx.db.get(Office, office_id) is None:
        raise InvalidInput("Unbekanntes Amt / unknown office")
    share = FileShare(file_id=file.id, user_id=user_id, office_id=office_id)
    ctx.db.add(share)
    ctx.db.flush()
    audit.record(
        ctx, "file.share", "file", file.id, after={"user_id": user_id, "office_id": office_id}
    )
    return share


def set_file_status(ctx: Ctx, file_id: int, status: str) -> File:
    file = readable_file(ctx.db, ctx.actor, file_id)
    require_write(ctx.actor, file)
    if status not in ("open", "closed"):
        raise InvalidInput("Status ist 'open' oder 'closed' / status must be open or closed")
    if file.status != status:
        before = file.status
        file.status = status
        audit.record(
            ctx, "file.status", "file", file.id, before={"status": before}, after={"status": status}
        )
    return file


def require_open(file: File) -> None:
    if file.status != "open":
        raise Conflict(f"Akte {file.reference} ist geschlossen / file is closed")


def create_case(ctx: Ctx, *, file_id: int, title: str, owner_id: int | None = None) -> Case:
    file = readable_file(ctx.db, ctx.actor, file_id)
    require_write(ctx.actor, file)
    require_open(file)
    if owner_id is not None:
        owner = ctx.db.get(User, owner_id)
        if owner is None or not owner.active:
            raise InvalidInput(f"Federführung: Person {owner_id} unbekannt / unknown owner")
    seq = next_number(ctx.db, f"case:{file.id}")
    reference = case_reference(
        ctx.app.settings.case_reference_scheme, file=file.reference, seq=seq, year=file.year
    )
    if ctx.db.scalar(select(Case.id).where(Case.reference == reference)):
        raise Conflict(f"Aktenzeichen {reference} ist bereits vergeben / reference already taken")
    case = Case(
        file_id=file.id,
        seq=seq,
        reference=reference,
        title=_title(title),
        owner_id=owner_id or ctx.actor.user_id,
        created_by_id=ctx.actor.user_id,
    )
    ctx.db.add(case)
    ctx.db.flush()
    audit.record(
        ctx,
        "case.create",
        "case",
        case.id,
        after={"reference": reference, "title": case.title, "file_id": file.id},
    )
    return case


def _visible_case(ctx: Ctx, case_id: int) -> Case:
    case = ctx.db.scalar(
        select(Case)
        .join(File, File.id == Case.file_id)
        .where(Case.id == case_id, visible_files(ctx.actor))
    )
    if case is None:
        raise NotFound(f"Vorgang {case_id} nicht gefunden / case not found")
    return case


def get_case(ctx: Ctx, case_id: int) -> Case:
    case = _visible_case(ctx, case_id)
    note_read(ctx, case.file, "case", case.id)
    return case


def writable_case(ctx: Ctx, case_id: int) -> Case:
    case = _visible_case(ctx, case_id)
    require_write(ctx.actor, case.file)
    require_open(case.file)
    if case.status != "open":
        raise Conflict(f"Vorgang {case.reference} ist abgeschlossen / case is closed")
    return case


def case_by_reference(ctx: Ctx, reference: str) -> Case:
    case = ctx.db.scalar(
        select(Case)
        .join(File, File.id == Case.file_id)
        .where(Case.reference == reference.strip(), visible_files(ctx.actor))
    )
    if case is None:
        raise NotFound(f"Vorgang {reference!r} nicht gefunden / case not found")
    note_read(ctx, case.file, "case", case.id)
    return case


def list_cases(ctx: Ctx, file_id: int) -> list[tuple[Case, int]]:
    """Cases of a visible file with their document counts."""
    note_read(ctx, readable_file(ctx.db, ctx.actor, file_id), "file", file_id)
    counts = select(Document.case_id, func.count().label("n")).group_by(Document.case_id).subquery()
    rows = ctx.db.execute(
        select(Case, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.case_id == Case.id)
        .where(Case.file_id == file_id)
        .order_by(Case.seq)
    ).all()
    return [(case, int(n)) for case, n in rows]
