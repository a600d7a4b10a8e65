"""Correcting a filed document: metadata edits and moving it to another case
(Umprotokollierung), with permissions, audit, search and running processes following."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dms.content.text_pdf import text_pdf
from dms.errors import Conflict, InvalidInput, NotFound
from dms.search import SearchQuery
from dms.services import audit, document_edits, documents, fileplan, files, users
from dms.services.context import SYSTEM, App, Ctx
from dms.services.document_edits import MetadataChange
from dms.services.search import search
from tests.support.actors import as_user
from workflows import engine
from workflows.models import ProcessInstance


@pytest.fixture
def cases(seeded: App) -> tuple[int, int]:
    """Two cases of office 63 in different files: where the letter was filed, and where it
    belongs."""
    with as_user(seeded, "mueller") as ctx:
        node = fileplan.node_by_code(ctx, "601")
        wrong = files.create_file(ctx, plan_node_id=node.id, title="Bauantrag Ahornweg 2")
        right = files.create_file(ctx, plan_node_id=node.id, title="Bauantrag Birkenweg 9")
        return (files.create_case(ctx, file_id=wrong.id, title="Neubau Garage").id,
                files.create_case(ctx, file_id=right.id, title="Neubau Wintergarten").id)


def _letter(app: App, case_id: int, tmp_path: Path) -> int:
    path = tmp_path / "nachreichung.pdf"
    path.write_bytes(text_pdf(["Nachreichung Statik", "Wintergarten Birkenweg 9"]))
    with as_user(app, "mueller") as ctx:
        added = documents.add_document(ctx, case_id=case_id, source=path,
                                       filename=path.name, index="now")
        return added.document.id


def _hits(app: App, user: str, text: str) -> list[int]:
    with as_user(app, user) as ctx:
        return [h.document_id for h in search(ctx, SearchQuery(text)).hits]


def test_metadata_edit_is_audited_and_searchable(
        seeded: App, cases: tuple[int, int], tmp_path: Path) -> None:
    document_id = _letter(seeded, cases[0], tmp_path)
    with as_user(seeded, "mueller") as ctx:
        document_edits.update_metadata(ctx, document_id, MetadataChange(
            title="  Statik   Wintergarten ", doc_type="application",
            document_date=date(2026, 11, 2), sender="Ingenieurbüro Lange"))
    with as_user(seeded, "mueller") as ctx:
        document, _ = documents.get_document(ctx, document_id)
        assert (document.title, document.doc_type, document.document_date, document.sender) \
            == ("Statik Wintergarten", "application", date(2026, 11, 2), "Ingenieurbüro Lange")
        (event, *_) = audit.history(ctx, "document", document_id)
        assert event.action == "document.update"
        assert event.before == {"title": "nachreichung", "doc_type": "other",
                                "document_date": date.today().isoformat(), "sender": None}
        assert event.after["sender"] == "Ingenieurbüro Lange"
    # the new sender is found at once, and the text read before is still found
    assert _hits(seeded, "mueller", "Lange") == [document_id]
    assert _hits(seeded, "mueller", "Statik") == [document_id]
    # an empty sender clears it; nothing changed writes no event
    with as_user(seeded, "mueller") as ctx:
        document_edits.update_metadata(ctx, document_id, MetadataChange(sender=""))
        document_edits.update_metadata(ctx, document_id, MetadataChange(title="Statik "
                                                                        "Wintergarten"))
    with as_user(seeded, "mueller") as ctx:
        actions = [e.action for e in audit.history(ctx, "document", document_id)]
        assert actions[:2] == ["document.update", "document.update"]
        assert len([a for a in actions if a == "document.update"]) == 2
    assert _hits(seeded, "mueller", "Lange") == []


def test_metadata_edit_refuses_bad_values_and_strangers(
        seeded: App, cases: tuple[int, int], tmp_path: Path) -> None:
    document_id = _letter(seeded, cases[0], tmp_path)
    with as_user(seeded, "mueller") as ctx, pytest.raises(InvalidInput, match="Titel"):
        document_edits.update_metadata(ctx, document_id, MetadataChange(title="   "))
    with as_user(seeded, "mueller") as ctx, pytest.raises(InvalidInput, match="Dokumentart"):
        document_edits.update_metadata(ctx, document_id, MetadataChange(doc_type="gedicht"))
    with as_user(seeded, "schmidt") as ctx, pytest.raises(NotFound):
        document_edits.update_metadata(ctx, document_id, MetadataChange(title="x"))


def test_move_takes_versions_search_entry_and_running_processes_along(
        seeded: App, cases: tuple[int, int], tmp_path: Path) -> None:
    wrong, right = cases
    document_id = _letter(seeded, wrong, tmp_path)
    with as_user(seeded, "mueller") as ctx:  # schmidt reads the right file, not the wrong one
        right_file = files.get_case(ctx, right).file_id
        files.share_file(ctx, right_file, user_id=users.user_by_name(ctx.db, "schmidt").id)
    assert _hits(seeded, "schmidt", "Statik") == []
    with as_user(seeded, "mueller") as ctx:
        instance_id = _running_instance(ctx, wrong, document_id)
        document_edits.move_document(ctx, document_id, case_id=right,
                                     reason="Falsch zugeordnet, gehört zum Wintergarten")
    with as_user(seeded, "mueller") as ctx:
        document, versions = documents.get_document(ctx, document_id)
        assert document.case_id == right and [v.number for v in versions] == [1]
        assert [d.id for d, _ in documents.list_documents(ctx, wrong)] == []
        (event, *_) = audit.history(ctx, "document", document_id)
        assert event.action == "document.move"
        assert event.after["reason"] == "Falsch zugeordnet, gehört zum Wintergarten"
        assert {e.action for e in audit.history(ctx, "case", wrong)} >= {"case.document_out"}
        assert {e.action for e in audit.history(ctx, "case", right)} >= {"case.document_in"}
        instance = ctx.db.get(ProcessInstance, instance_id)
        assert instance is not None and instance.case_id == right
    # the search entry moved with it: the permission filter (by file) now lets schmidt find it
    assert _hits(seeded, "schmidt", "Statik") == [document_id]


_ONE_TASK = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="read-letter" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:userTask id="t" name="Schreiben lesen" camunda:assignee="mueller"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _running_instance(ctx: Ctx, case_id: int, document_id: int) -> int:
    """A running process about the document (a letter waiting to be read)."""
    with as_user(ctx.app, "admin") as admin:
        engine.deploy(admin, _ONE_TASK)
    return engine.start(ctx, "read-letter", case_id=case_id, document_id=document_id).id


def test_move_needs_a_reason_write_access_to_both_and_open_cases(
        seeded: App, cases: tuple[int, int], tmp_path: Path) -> None:
    wrong, right = cases
    document_id = _letter(seeded, wrong, tmp_path)
    with as_user(seeded, "mueller") as ctx, pytest.raises(InvalidInput, match="Grund"):
        document_edits.move_document(ctx, document_id, case_id=right, reason="  ")
    with as_user(seeded, "mueller") as ctx, pytest.raises(InvalidInput, match="bereits"):
        document_edits.move_document(ctx, document_id, case_id=wrong, reason="x")
    # a case the mover cannot see is unknown; one of another office's files too
    with as_user(seeded, "admin") as ctx:
        node = fileplan.node_by_code(ctx, "601")
        foreign = files.create_file(ctx, plan_node_id=node.id, title="Fremdakte",
                                    office_id=users.office_by_code(ctx, "50").id)
        foreign_case = files.create_case(ctx, file_id=foreign.id, title="Fremd").id
    with as_user(seeded, "mueller") as ctx, pytest.raises(NotFound):
        document_edits.move_document(ctx, document_id, case_id=foreign_case, reason="x")
    with as_user(seeded, "schmidt") as ctx, pytest.raises(NotFound):
        document_edits.move_document(ctx, document_id, case_id=right, reason="x")
    # a closed target file takes nothing in
    with as_user(seeded, "mueller") as ctx:
        target_file = files.get_case(ctx, right).file_id
        files.set_file_status(ctx, target_file, "closed")
    with as_user(seeded, "mueller") as ctx, pytest.raises(Conflict, match="geschlossen"):
        document_edits.move_document(ctx, document_id, case_id=right, reason="x")
    with seeded.unit(SYSTEM) as ctx:
        document, _ = documents.get_document(ctx, document_id)
        assert document.case_id == wrong
