"""Vertretung in access control: a deputy reads (and works in) the absent colleague's files
while the Vertretung lasts, and nothing more; resolved once per actor, not per row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ColumnElement, delete, event, or_, select

from dms.content.text_pdf import text_pdf
from dms.errors import NotFound, PermissionDenied
from dms.models import Deputy, File, FileShare
from dms.search import SearchQuery
from dms.services import audit, documents, files, users
from dms.services.access import visible_files
from dms.services.context import SYSTEM, App, Ctx, Deputised, actor_for
from dms.services.search import search
from tests.support.actors import as_user
from tests.support.deputies import end_vertretung

TODAY = date.today()


@contextmanager
def as_user_on(app: App, username: str, today: date) -> Iterator[Ctx]:
    """Acting as `username` with the Vertretungen that are active on `today`."""
    with app.unit(SYSTEM) as ctx:
        actor = actor_for(ctx.db, users.user_by_name(ctx.db, username), today=today)
    with app.unit(actor) as ctx:
        yield ctx


def _office_file(app: App, office_code: str) -> tuple[int, int, int]:
    """The demo file of an office with its first case and first document."""
    with app.unit(SYSTEM) as ctx:
        office = users.office_by_code(ctx, office_code)
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _count), *_ = files.list_cases(ctx, file.id)
        (document, _version), *_ = documents.list_documents(ctx, case.id)
        return file.id, case.id, document.id


def _deputise(app: App, absent: str, deputy: str, starts_on: date, ends_on: date | None) -> None:
    with app.unit(SYSTEM) as ctx:
        users.add_deputy(ctx, absent, deputy, starts_on, ends_on)


def _add_clerk(app: App, username: str, office_code: str) -> None:
    with app.unit(SYSTEM) as ctx:
        users.create_user(ctx, username=username, display_name=username.title(), password=None,
                          roles=["clerk"], office_code=office_code)


def _drop_demo_vertretung(app: App) -> None:
    with app.unit(SYSTEM) as ctx:
        ctx.db.execute(delete(Deputy))


@pytest.fixture
def bau(seeded: App) -> tuple[int, int, int]:
    """Office 63's demo file, case and document; the demo Vertretung is replaced by one of
    three days, from today, so that each test states the Vertretung it relies on."""
    _drop_demo_vertretung(seeded)
    _deputise(seeded, "mueller", "weber", TODAY, TODAY + timedelta(days=2))
    return _office_file(seeded, "63")


def test_deputy_of_another_office_reads_file_case_and_document(
    seeded: App, bau: tuple[int, int, int]
) -> None:
    file_id, case_id, document_id = bau
    with as_user(seeded, "weber") as ctx:
        assert ctx.actor.deputising and ctx.actor.deputising[0].clerk
        assert files.get_file(ctx, file_id).id == file_id
        assert files.get_case(ctx, case_id).id == case_id
        document, versions = documents.get_document(ctx, document_id)
        assert document.id == document_id and versions
        listed = {f.id for f in files.list_files(ctx)}
        hits = search(ctx, SearchQuery("Lindenweg")).hits
    with as_user(seeded, "mueller") as ctx:
        own = {f.id for f in files.list_files(ctx)}
    assert file_id in listed and own <= listed  # office 63 on top of weber's own office 50
    assert len(listed) > len(own)
    assert hits and all(h.file_reference for h in hits)


def test_non_deputy_of_the_same_office_still_gets_not_found(
    seeded: App, bau: tuple[int, int, int]
) -> None:
    file_id, _case_id, document_id = bau
    _add_clerk(seeded, "fischer", "50")  # weber's office colleague, deputising for no one
    with as_user(seeded, "fischer") as ctx:
        assert ctx.actor.deputising == ()
        with pytest.raises(NotFound):
            files.get_file(ctx, file_id)
        with pytest.raises(NotFound):
            documents.get_document(ctx, document_id)
        assert file_id not in {f.id for f in files.list_files(ctx)}
        assert search(ctx, SearchQuery("Lindenweg")).hits == []


@pytest.mark.parametrize(
    ("offset", "visible"),
    [(-1, False), (0, True), (2, True), (3, False)],
    ids=["day-before", "first-day", "last-day", "day-after"],
)
def test_access_follows_starts_on_and_ends_on(
    seeded: App, bau: tuple[int, int, int], offset: int, visible: bool
) -> None:
    file_id, _case_id, document_id = bau
    with as_user_on(seeded, "weber", TODAY + timedelta(days=offset)) as ctx:
        if visible:
            assert files.get_file(ctx, file_id).id == file_id
            assert documents.get_document(ctx, document_id)[0].id == document_id
        else:
            with pytest.raises(NotFound):
                files.get_file(ctx, file_id)
            with pytest.raises(NotFound):
                documents.get_document(ctx, document_id)


def test_access_ends_when_the_vertretung_ended(seeded: App, bau: tuple[int, int, int]) -> None:
    file_id, _case_id, _document_id = bau
    assert end_vertretung(seeded) == 1
    with as_user(seeded, "weber") as ctx:
        assert ctx.actor.deputising == ()
        with pytest.raises(NotFound):
            files.get_file(ctx, file_id)


def test_open_ended_vertretung_lasts(seeded: App, bau: tuple[int, int, int]) -> None:
    file_id, _case_id, _document_id = bau
    _drop_demo_vertretung(seeded)
    _deputise(seeded, "mueller", "weber", TODAY, None)
    with as_user_on(seeded, "weber", TODAY + timedelta(days=400)) as ctx:
        assert files.get_file(ctx, file_id).id == file_id


def test_deputy_writes_in_the_absent_colleagues_office_files_but_opens_none(
    seeded: App, bau: tuple[int, int, int], tmp_path: Path
) -> None:
    file_id, case_id, _document_id = bau
    source = tmp_path / "stellungnahme.pdf"
    source.write_bytes(text_pdf(["Stellungnahme der Vertretung"]))
    with as_user(seeded, "weber") as ctx:
        added = documents.add_document(ctx, case_id=case_id, source=source,
                                       filename=source.name, title="Stellungnahme")
        case = files.create_case(ctx, file_id=file_id, title="Nachforderung")
        plan_node_id = files.get_file(ctx, file_id).plan_node_id
        with pytest.raises(PermissionDenied):  # new files stay with the office's own clerks
            files.create_file(ctx, plan_node_id=plan_node_id, title="Neue Akte",
                              office_id=files.get_file(ctx, file_id).office_id)
    with seeded.unit(SYSTEM) as ctx:
        events = audit.history(ctx, "document", added.document.id)
        assert [(e.action, e.actor) for e in events] == [("document.create", "weber")]
        assert files.get_case(ctx, case.id).file_id == file_id
    end_vertretung(seeded)
    with as_user(seeded, "weber") as ctx, pytest.raises(NotFound):
        documents.add_document(ctx, case_id=case_id, source=source, filename=source.name)


def test_shares_to_the_absent_colleague_are_read_only_for_the_deputy(
    seeded: App, bau: tuple[int, int, int]
) -> None:
    invoices_file, _case_id, _document_id = _office_file(seeded, "21")
    with seeded.unit(SYSTEM) as ctx:
        files.share_file(ctx, invoices_file, user_id=users.user_by_name(ctx.db, "mueller").id)
    with as_user(seeded, "weber") as ctx:
        assert files.get_file(ctx, invoices_file).id == invoices_file
        with pytest.raises(PermissionDenied):
            files.create_case(ctx, file_id=invoices_file, title="darf nicht")


def test_office_shares_of_the_absent_colleague_pass_to_the_deputy(
    seeded: App, bau: tuple[int, int, int]
) -> None:
    invoices_file, _case_id, _document_id = _office_file(seeded, "21")
    with seeded.unit(SYSTEM) as ctx:
        files.share_file(ctx, invoices_file, office_id=users.office_by_code(ctx, "63").id)
    with as_user(seeded, "weber") as ctx:
        assert files.get_file(ctx, invoices_file).id == invoices_file
    _add_clerk(seeded, "fischer", "50")
    with as_user(seeded, "fischer") as ctx, pytest.raises(NotFound):
        files.get_file(ctx, invoices_file)


@pytest.mark.parametrize("absent", ["admin", "post", "schmidt"])
def test_other_roles_of_the_absent_colleague_do_not_pass(seeded: App, absent: str) -> None:
    """Admin, mailroom and finance rights stay with their holder: only a clerk's view passes."""
    _drop_demo_vertretung(seeded)
    _deputise(seeded, absent, "weber", TODAY, None)
    with seeded.unit(SYSTEM) as ctx:
        everything = files.list_files(ctx)
    with as_user(seeded, "weber") as ctx:
        assert ctx.actor.deputising and not ctx.actor.deputising[0].clerk
        seen = {f.id for f in files.list_files(ctx)}
    weber_office = {f.id for f in everything if f.office.code == "50"}
    assert seen == weber_office


def test_an_inactive_colleague_hands_on_nothing(seeded: App, bau: tuple[int, int, int]) -> None:
    file_id, _case_id, _document_id = bau
    with seeded.unit(SYSTEM) as ctx:
        users.user_by_name(ctx.db, "mueller").active = False
    with as_user(seeded, "weber") as ctx:
        assert ctx.actor.deputising == ()
        with pytest.raises(NotFound):
            files.get_file(ctx, file_id)


def test_deputys_reads_of_a_sensitive_file_are_audited(seeded: App) -> None:
    _drop_demo_vertretung(seeded)
    _deputise(seeded, "weber", "mueller", TODAY, None)  # mueller stands in at the Sozialamt
    file_id, case_id, document_id = _office_file(seeded, "50")
    with as_user(seeded, "mueller") as ctx:
        assert files.get_file(ctx, file_id).sensitive
        files.get_case(ctx, case_id)
        documents.get_document(ctx, document_id)
    with seeded.unit(SYSTEM) as ctx:
        def reads(object_type: str, object_id: int) -> list[str]:
            return [e.action for e in audit.history(ctx, object_type, object_id)
                    if e.actor == "mueller"]

        assert reads("file", file_id) == ["file.read"]
        assert reads("case", case_id) == ["case.read"]
        assert reads("document", document_id) == ["document.read"]


def _statements(app: App, action: Any) -> list[str]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    return seen


def test_vertretungen_are_resolved_in_the_same_query_as_the_groups(
    seeded: App, bau: tuple[int, int, int]
) -> None:
    """Building the actor costs one query with or without Vertretung; the SQL condition for
    someone without one is the plain office comparison it always was."""
    with seeded.unit(SYSTEM) as ctx:
        weber, koch = (users.user_by_name(ctx.db, n) for n in ("weber", "koch"))
        for user in (weber, koch):
            statements = _statements(seeded, lambda u=user: actor_for(ctx.db, u))
            assert len(statements) == 1, statements
        deputy, plain = actor_for(ctx.db, weber), actor_for(ctx.db, koch)
        mueller = users.user_by_name(ctx.db, "mueller")
        assert deputy.deputising == (Deputised(mueller.id, mueller.office_id, True),)
        assert plain.deputising == () and plain.group_ids  # koch: groups, no Vertretung
        own = actor_for(ctx.db, mueller)
        assert own.deputising == ()
        before = or_(  # visible_files as it was before Vertretung counted
            File.office_id == mueller.office_id,
            File.id.in_(select(FileShare.file_id).where(or_(
                FileShare.user_id == mueller.id, FileShare.office_id == mueller.office_id))),
        )
        assert _sql(visible_files(own)) == _sql(before)
        assert _sql(visible_files(deputy)) != _sql(before)


def _sql(condition: ColumnElement[bool]) -> str:
    return str(select(File.id).where(condition).compile(compile_kwargs={"literal_binds": True}))
