"""The audit chain detects edits, deletions in the middle and truncation of the tail."""

from __future__ import annotations

from sqlalchemy import delete, update

from dms.models import AuditEvent, AuditHead
from dms.services import audit
from dms.services.context import SYSTEM, App


def _report(app: App) -> audit.ChainReport:
    with app.unit(SYSTEM) as ctx:
        return audit.verify_chain(ctx.db)


def test_untouched_chain_verifies(seeded: App) -> None:
    report = _report(seeded)
    assert report.ok, report.problems
    assert report.events > 50


def test_edited_event_is_detected(seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        ctx.db.execute(update(AuditEvent).where(AuditEvent.id == 10).values(actor="mallory"))
    report = _report(seeded)
    assert not report.ok
    assert any(p.event_id == 10 and "verändert" in p.problem for p in report.problems)


def test_deleted_event_in_the_middle_is_detected(seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        ctx.db.execute(delete(AuditEvent).where(AuditEvent.id == 5))
    report = _report(seeded)
    assert any(p.event_id == 6 for p in report.problems)


def test_truncated_tail_is_detected(seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        head = ctx.db.get(AuditHead, 1)
        assert head is not None
        ctx.db.execute(delete(AuditEvent).where(AuditEvent.id == head.last_id))
    assert not _report(seeded).ok


def test_recomputed_chain_after_edit_still_fails_at_the_head(seeded: App) -> None:
    """Rewriting one event and its own hash still breaks the link to the next event."""
    with seeded.unit(SYSTEM) as ctx:
        event = ctx.db.get(AuditEvent, 3)
        assert event is not None
        event.actor = "mallory"
        event.hash = audit._hash_of(event)
    report = _report(seeded)
    assert any(p.event_id == 4 and "Verkettung" in p.problem for p in report.problems)
