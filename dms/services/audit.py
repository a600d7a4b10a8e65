"""Audit trail (Protokoll): one hash-chained event per state change, verified end to end.

Each event's hash covers its id, its content and the previous hash; the single head row names
the newest event. Editing any event breaks its hash, deleting one breaks the chain or the
head, so `dms audit verify` detects both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

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
) -> None:
    """Append one event in the caller's transaction (so it commits or vanishes with the change).

    The caller's pending ORM changes are flushed first, as callers have always relied on
    (ids, order). The event itself is chained in memory and reaches the database with the
    transaction's other events in one multi-row INSERT and one UPDATE of the head, when the
    transaction (or a savepoint) commits or when someone reads the trail: one event per
    state change, without two statements per event.
    """
    db = ctx.db
    db.flush()
    chain = _chain(db)
    if not chain.locked:
        head = db.execute(
            select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
            .with_for_update()
        ).one()
        chain.locked, chain.last_id, chain.last_hash = True, head.last_id, head.last_hash
    row = {
        "id": chain.last_id + 1,
        "occurred_at": utcnow(),
        "actor": ctx.actor.username,
        "actor_id": ctx.actor.user_id,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": _plain(before),
        "after": _plain(after),
        "prev_hash": chain.last_hash,
    }
    row["hash"] = event_hash(
        id=row["id"], occurred_at=row["occurred_at"], actor=row["actor"], action=action,
        object_type=object_type, object_id=row["object_id"], before=row["before"],
        after=row["after"], prev_hash=row["prev_hash"],
    )
    chain.events.append(row)
    chain.last_id, chain.last_hash = row["id"], row["hash"]


def write_pending(db: Session) -> None:
    """Write the events recorded but not yet written in this transaction (readers of the
    trail within the same transaction call this first)."""
    chain: _Chain | None = db.info.get(_CHAIN)
    if chain is None or chain.written == len(chain.events):
        return
    rows = chain.events[chain.written:]
    events, head = AuditEvent.__table__, AuditHead.__table__  # Core: plain statements
    db.execute(events.insert(), rows)
    db.execute(head.update().where(head.c.id == 1)
               .values(last_id=chain.last_id, last_hash=chain.last_hash))
    chain.written = len(chain.events)


_CHAIN = "dms.audit.chain"
_SAVEPOINTS = "dms.audit.savepoints"


@dataclass
class _Chain:
    """The audit chain as this session's transaction sees it: the head (locked FOR UPDATE
    once per transaction, so appenders are serialised and the chain never forks), the events
    recorded so far and how many of them are written."""

    locked: bool = False
    last_id: int = 0
    last_hash: str = GENESIS
    events: list[dict[str, Any]] = field(default_factory=list)
    written: int = 0

    def snapshot(self) -> tuple[bool, int, str, int, int]:
        return self.locked, self.last_id, self.last_hash, len(self.events), self.written


def _chain(db: Session) -> _Chain:
    chain: _Chain | None = db.info.get(_CHAIN)
    if chain is None:
        chain = db.info[_CHAIN] = _Chain()
    return chain


# Listening on every Session (not per session, lazily) so that a savepoint begun before the
# transaction's first event is known too. A savepoint remembers the chain's state when it
# begins and restores it when it is rolled back: its events, its rows and, on PostgreSQL,
# the head's row lock if it was taken inside it, are gone with it.


@sa_event.listens_for(Session, "before_commit")
def _before_commit(db: Session) -> None:
    write_pending(db)  # fires for the release of a savepoint too: its events go inside it


@sa_event.listens_for(Session, "after_transaction_create")
def _savepoint_begins(db: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        chain: _Chain | None = db.info.get(_CHAIN)
        saved = db.info.setdefault(_SAVEPOINTS, {})
        saved[id(transaction)] = chain.snapshot() if chain is not None else None


@sa_event.listens_for(Session, "after_soft_rollback")
def _rolled_back(db: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        saved = db.info.get(_SAVEPOINTS, {}).pop(id(transaction), None)
        chain: _Chain | None = db.info.get(_CHAIN)
        if chain is None:
            return
        if saved is None:
            db.info.pop(_CHAIN, None)  # nothing was recorded before the savepoint
            return
        chain.locked, chain.last_id, chain.last_hash, count, chain.written = saved
        del chain.events[count:]
    elif transaction.parent is None:
        _reset(db)


@sa_event.listens_for(Session, "after_transaction_end")
def _transaction_ends(db: Session, transaction: SessionTransaction) -> None:
    # A savepoint's snapshot stays until the root ends: SQLAlchemy ends a savepoint before it
    # reports the rollback (after_soft_rollback), which needs the snapshot still.
    if transaction.parent is None and not transaction.nested:
        _reset(db)  # committed (written by then) or rolled back


def _reset(db: Session) -> None:
    db.info.pop(_CHAIN, None)
    db.info.pop(_SAVEPOINTS, None)


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
    write_pending(db)
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
    head = db.execute(select(AuditHead.last_id, AuditHead.last_hash)
                      .where(AuditHead.id == 1)).one_or_none()
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
    write_pending(ctx.db)
    return list(
        ctx.db.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
