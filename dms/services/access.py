"""Who may see and change which file: the single place these rules are written down.

Reading something invisible raises NotFound, exactly as if it did not exist, so that a
probing user learns nothing; PermissionDenied is kept for objects the user may see.

Vertretung (deputies): while A is absent and B deputises for A (today within starts_on ..
ends_on, an open end meaning until further notice), B reads what A reads as a clerk: the files
of A's office (if A holds the clerk role) and the files shared with A or with A's office. A's
other roles (admin, mailroom, finance) do not pass to B. B also *writes* where A writes by
office membership (new cases, documents and versions in A's office files, closing them,
sharing them), because the deputy finishes A's work on those cases, and a deputy who could
only read could not. B opens no new files in A's office (`may_create_in_office`): a
Vertretung carries on existing work.
Shares to A stay read-only for B, as they are for A. Everything B does is audited under B's
name; reads of sensitive files are logged like any other reader's (`files.note_read`).
The Vertretungen are resolved once per actor (`context.actor_for`), not per row.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from dms.errors import NotFound, PermissionDenied
from dms.models import File, FileShare
from dms.services.context import Actor


def office_ids_by_membership(actor: Actor) -> frozenset[int]:
    """Offices whose files the actor reads and writes as a clerk: their own, and those of
    the clerks they stand in for today."""
    offices = {d.office_id for d in actor.deputising if d.clerk and d.office_id is not None}
    if actor.has_role("clerk") and actor.office_id is not None:
        offices.add(actor.office_id)
    return frozenset(offices)


def _is_one_of(column: InstrumentedAttribute[Any], ids: Collection[int]) -> ColumnElement[bool]:
    """`column = x` for one id (the same SQL as before Vertretung existed), IN for several."""
    if len(ids) == 1:
        return column == next(iter(ids))
    return column.in_(sorted(ids))


def visible_files(actor: Actor) -> ColumnElement[bool]:
    """SQL condition over `File` selecting the files the actor may read."""
    if actor.is_admin:
        return true()
    conditions: list[ColumnElement[bool]] = []
    offices = office_ids_by_membership(actor)
    if offices:
        conditions.append(_is_one_of(File.office_id, offices))
    if actor.has_role("mailroom"):
        conditions.append(File.kind == "intake")
    if actor.has_role("finance"):
        conditions.append(File.kind == "invoice")
    if actor.user_id is not None:
        user_ids = {actor.user_id, *(d.user_id for d in actor.deputising)}
        share_offices = {d.office_id for d in actor.deputising if d.office_id is not None}
        if actor.office_id is not None:
            share_offices.add(actor.office_id)
        grantee = _is_one_of(FileShare.user_id, user_ids)
        if share_offices:
            grantee = or_(grantee, _is_one_of(FileShare.office_id, share_offices))
        conditions.append(File.id.in_(select(FileShare.file_id).where(grantee)))
    return or_(*conditions) if conditions else false()


def can_write(actor: Actor, file: File) -> bool:
    """Shares grant reading only; writing follows office membership (own, or of the clerk
    one deputises for) and role."""
    if actor.is_admin:
        return True
    if file.office_id in office_ids_by_membership(actor):
        return True
    if actor.has_role("mailroom") and file.kind == "intake":
        return True
    return actor.has_role("finance") and file.kind == "invoice"


def readable_file(db: Session, actor: Actor, file_id: int) -> File:
    file = db.scalar(select(File).where(File.id == file_id, visible_files(actor)))
    if file is None:
        raise NotFound(f"Akte {file_id} nicht gefunden / file not found")
    return file


def writable_file(db: Session, actor: Actor, file_id: int) -> File:
    file = readable_file(db, actor, file_id)
    require_write(actor, file)
    return file


def require_write(actor: Actor, file: File) -> None:
    if not can_write(actor, file):
        raise PermissionDenied(
            f"Keine Schreibrechte für Akte {file.reference} / no write permission on this file"
        )


def may_create_in_office(actor: Actor, office_id: int) -> bool:
    return actor.is_admin or (actor.has_role("clerk") and actor.office_id == office_id)
