"""Who may see and change which file: the single place these rules are written down.

Reading something invisible raises NotFound, exactly as if it did not exist, so that a
probing user learns nothing; PermissionDenied is kept for objects the user may see.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from dms.errors import NotFound, PermissionDenied
from dms.models import File, FileShare
from dms.services.context import Actor


def visible_files(actor: Actor) -> ColumnElement[bool]:
    """SQL condition over `File` selecting the files the actor may read."""
    if actor.is_admin:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if actor.has_role("clerk") and actor.office_id is not None:
        conditions.append(File.office_id == actor.office_id)
    if actor.has_role("mailroom"):
        conditions.append(File.kind == "intake")
    if actor.has_role("finance"):
        conditions.append(File.kind == "invoice")
    if actor.user_id is not None:
        grantee = FileShare.user_id == actor.user_id
        if actor.office_id is not None:
            grantee = or_(grantee, FileShare.office_id == actor.office_id)
        conditions.append(File.id.in_(select(FileShare.file_id).where(grantee)))
    return or_(*conditions) if conditions else false()


def can_write(actor: Actor, file: File) -> bool:
    """Shares grant reading only; writing follows office membership and role."""
    if actor.is_admin:
        return True
    if actor.has_role("clerk") and actor.office_id == file.office_id:
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
