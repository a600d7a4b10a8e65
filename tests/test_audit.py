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


def _actions(app: App, object_id: str) -> list[tuple[int, str]]:
    with app.unit(SYSTEM) as ctx:
        return [(e.id, e.action) for e in reversed(audit.history(ctx, "probe", object_id))]


def test_events_of_a_rolled_back_savepoint_vanish_and_the_chain_stays_whole(
        seeded: App) -> None:
    """Events are written in batches; a savepoint rolled back takes its events with it,
    whether or not they were written inside it, and the chain has no gap."""
    with seeded.unit(SYSTEM) as ctx:
        audit.record(ctx, "probe.a", "probe", "sp")
        savepoint = ctx.db.begin_nested()
        audit.record(ctx, "probe.b", "probe", "sp")
        inner = ctx.db.begin_nested()
        audit.record(ctx, "probe.c", "probe", "sp")
        inner.commit()  # releasing a savepoint writes the pending events inside the outer one
        savepoint.rollback()
        audit.record(ctx, "probe.d", "probe", "sp")
        with ctx.db.begin_nested():
            audit.record(ctx, "probe.e", "probe", "sp")
        # read within the same transaction: pending events are written first
        assert [e.action for e in audit.history(ctx, "probe", "sp")] == ["probe.e", "probe.d",
                                                                          "probe.a"]
    events = _actions(seeded, "sp")
    assert [a for _, a in events] == ["probe.a", "probe.d", "probe.e"]
    assert [i for i, _ in events] == list(range(events[0][0], events[0][0] + 3))
    report = _report(seeded)
    assert report.ok, report.problems


def test_first_event_inside_a_rolled_back_savepoint(seeded: App) -> None:
    """The head was first read (and locked) inside the savepoint that is rolled back: the
    next event reads it again rather than continuing the discarded chain."""
    with seeded.unit(SYSTEM) as ctx:
        with ctx.db.begin_nested() as savepoint:
            audit.record(ctx, "probe.lost", "probe", "first")
            savepoint.rollback()
        audit.record(ctx, "probe.kept", "probe", "first")
    assert [a for _, a in _actions(seeded, "first")] == ["probe.kept"]
    report = _report(seeded)
    assert report.ok, report.problems


def test_rolled_back_transaction_writes_nothing(seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        before = audit.verify_chain(ctx.db).events
    try:
        with seeded.unit(SYSTEM) as ctx:
            audit.record(ctx, "probe.gone", "probe", "rb")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with seeded.unit(SYSTEM) as ctx:
        audit.record(ctx, "probe.next", "probe", "rb")
    assert [a for _, a in _actions(seeded, "rb")] == ["probe.next"]
    report = _report(seeded)
    assert report.ok and report.events == before + 1, report.problems
