"""File plan, files and cases: Aktenzeichen, visibility and the audit of each change."""

from __future__ import annotations

import pytest

from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.services import audit, fileplan, files
from dms.services.context import SYSTEM, App
from tests.support.actors import as_user
from tests.support.deputies import end_vertretung


def _node(app: App, code: str) -> int:
    with app.unit(SYSTEM) as ctx:
        return fileplan.node_by_code(ctx, code).id


def test_plan_tree_is_loaded_from_config(seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        roots = fileplan.tree(ctx)
        codes = {e.node.code for e in roots}
        assert {"0", "2", "4", "6", "7"} <= codes
        node = fileplan.node_by_code(ctx, "022.31")
        assert [n.code for n in fileplan.breadcrumb(ctx, node)] == [
            "0",
            "02",
            "022",
            "022.3",
            "022.31",
        ]


def test_file_reference_follows_scheme_and_counts_per_node_and_year(seeded: App) -> None:
    node = _node(seeded, "022.31")
    with as_user(seeded, "admin") as ctx:
        first = files.create_file(ctx, plan_node_id=node, title="Azubi A", year=2026)
        second = files.create_file(ctx, plan_node_id=node, title="Azubi B", year=2026)
        other_year = files.create_file(ctx, plan_node_id=node, title="Azubi C", year=2027)
    assert first.reference == "022.31-0001/2026"
    assert second.reference == "022.31-0002/2026"
    assert other_year.reference == "022.31-0001/2027"


def test_case_reference_extends_the_file_reference(seeded: App) -> None:
    node = _node(seeded, "600")
    with as_user(seeded, "mueller") as ctx:
        file = files.create_file(ctx, plan_node_id=node, title="Garage Birkenweg 3")
        a = files.create_case(ctx, file_id=file.id, title="Bauantrag")
        b = files.create_case(ctx, file_id=file.id, title="Nachtrag")
    assert a.reference == f"{file.reference}-01"
    assert b.reference == f"{file.reference}-02"


def test_clerk_creates_files_only_in_own_office(seeded: App) -> None:
    node = _node(seeded, "401")
    with as_user(seeded, "mueller") as ctx, pytest.raises(PermissionDenied):
        from dms.services.users import office_by_code

        files.create_file(ctx, plan_node_id=node, title="x", office_id=office_by_code(ctx, "50").id)


def test_empty_title_is_rejected_with_a_readable_message(seeded: App) -> None:
    node = _node(seeded, "600")
    with as_user(seeded, "mueller") as ctx, pytest.raises(InvalidInput, match="Titel"):
        files.create_file(ctx, plan_node_id=node, title="   ")


def test_visibility_by_office_role_and_share(seeded: App) -> None:
    end_vertretung(seeded)  # weber's demo Vertretung for mueller (office 63) is over
    with as_user(seeded, "mueller") as ctx:
        mine = {f.reference for f in files.list_files(ctx)}
    with as_user(seeded, "weber") as ctx:
        webers = {f.reference for f in files.list_files(ctx)}
    with as_user(seeded, "post") as ctx:
        mailroom = {f.kind for f in files.list_files(ctx)}
    with as_user(seeded, "schmidt") as ctx:
        finance = {f.kind for f in files.list_files(ctx)}
    with as_user(seeded, "admin") as ctx:
        everything = files.list_files(ctx)
    assert mine and webers and not (mine & webers)
    assert mailroom == {"intake"}
    assert finance == {"invoice"}
    assert len(everything) == 4

    bau = next(f for f in everything if f.plan_node.code == "600")
    with as_user(seeded, "weber") as ctx, pytest.raises(NotFound):
        files.get_file(ctx, bau.id)
    with as_user(seeded, "mueller") as ctx:
        from dms.services.users import user_by_name

        files.share_file(ctx, bau.id, user_id=user_by_name(ctx.db, "weber").id)
    with as_user(seeded, "weber") as ctx:
        assert files.get_file(ctx, bau.id).reference == bau.reference
        with pytest.raises(PermissionDenied):
            files.create_case(ctx, file_id=bau.id, title="darf nicht")


def test_sensitive_reads_are_audited(seeded: App) -> None:
    with seeded.unit(SYSTEM) as ctx:
        social = next(f for f in files.list_files(ctx) if f.sensitive)
        before = len(audit.history(ctx, "file", social.id))
    with as_user(seeded, "weber") as ctx:
        files.get_file(ctx, social.id)
    with seeded.unit(SYSTEM) as ctx:
        events = audit.history(ctx, "file", social.id)
    assert len(events) == before + 1
    assert events[0].action == "file.read" and events[0].actor == "weber"


def test_closed_file_takes_no_new_cases(seeded: App) -> None:
    node = _node(seeded, "600")
    with as_user(seeded, "mueller") as ctx:
        file = files.create_file(ctx, plan_node_id=node, title="Abgeschlossen")
        files.set_file_status(ctx, file.id, "closed")
        with pytest.raises(Conflict, match="geschlossen"):
            files.create_case(ctx, file_id=file.id, title="zu spät")
