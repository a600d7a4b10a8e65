"""Audit trail (Protokoll): one hash-chained event per state change, verified end to end.

Each event's hash covers its id, its content and the previous hash; the single head row names
the newest event. Editing any event breaks its hash, deleting one breaks the chain or the
head, so `dms audit verify` detects both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dms.models import AuditEvent, AuditHead, utcnow
from dms.services.context import Ctx

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """JSON-native copy, so what is hashed is exactly what the database hands back later."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def event_hash(
    *,
    id: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    payload = {
        "id": id,
        "at": occurred_at.isoformat(),
        "actor": actor,
        "action": action,
        "type": object_type,
        "object": object_id,
        "before": before,
        "after": after,
        "prev": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    ctx: Ctx,
    action: str,
    object_type: str,
    object_id: int | str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (so it commits or vanishes with the change)."""
    db = ctx.db
    head = _locked_head(db)
    event = AuditEvent(
        id=head.last_id + 1,
        occurred_at=utcnow(),
        actor=ctx.actor.username,
        actor_id=ctx.actor.user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_plain(before),
        after=_plain(after),
        prev_hash=head.last_hash,
    )
    event.hash = _hash_of(event)
    db.add(event)
    head.last_id = event.id
    head.last_hash = event.hash
    db.flush()  # callers rely on their earlier changes being written by now (ids, order)
    return event


_HEAD = "dms.audit.head"


def _locked_head(db: Session) -> AuditHead:
    """The chain head, locked (FOR UPDATE) once per transaction and then kept: every event of
    the transaction extends it in memory. Keyed by the root transaction, so a new transaction
    locks and reads it afresh; a rolled-back savepoint expires the object, which then reloads
    the locked row as it was."""
    transaction = db.get_transaction()  # None until the session's transaction has begun
    cached = db.info.get(_HEAD)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]  # type: ignore[no-any-return]
    head = db.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    db.info[_HEAD] = (db.get_transaction(), head)
    return head


def _hash_of(event: AuditEvent) -> str:
    return event_hash(
        id=event.id,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        before=event.before,
        after=event.after,
        prev_hash=event.prev_hash,
    )


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    problem: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(db: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in id order, streaming, and list every break found."""
    problems: list[ChainProblem] = []
    expected_prev, expected_id, count = GENESIS, 1, 0
    for event in _iter_events(db, batch):
        count += 1
        if event.id != expected_id:
            problems.append(
                ChainProblem(
                    event.id,
                    f"Lücke: Ereignis(se) {expected_id}..{event.id - 1} fehlen / events missing",
                )
            )
        if event.prev_hash != expected_prev:
            problems.append(
                ChainProblem(event.id, "Verkettung gebrochen / previous hash does not match")
            )
        if _hash_of(event) != event.hash:
            problems.append(ChainProblem(event.id, "Inhalt verändert / event content altered"))
        expected_prev, expected_id = event.hash, event.id + 1
    head = db.get(AuditHead, 1)
    if head is None:
        problems.append(ChainProblem(None, "Kopfzeile fehlt / audit head row missing"))
    elif head.last_id != expected_id - 1 or head.last_hash != expected_prev:
        problems.append(
            ChainProblem(
                head.last_id,
                "Ende der Kette passt nicht zum Kopf: Ereignisse am Ende gelöscht? "
                "/ chain tail does not match the head: events deleted at the end?",
            )
        )
    return ChainReport(events=count, problems=problems)


def _iter_events(db: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = db.scalars(
            select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        db.expunge_all()


def history(ctx: Ctx, object_type: str, object_id: int | str, limit: int = 200) -> list[AuditEvent]:
    """Events about one object, newest first (callers check the object's visibility first)."""
    return list(
        ctx.db.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
