"""Co-signing (Mitzeichnung) on the shipped model: rounds in parallel and in sequence, refusal
and revision, a new version invalidating co-signatures, and the final signature by a person
entitled to sign (config/signing.toml)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from dms.content.text_pdf import text_pdf
from dms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import Case, Document
from dms.services import audit, documents, files, signatures, users
from dms.services.context import SYSTEM, App
from dms.signatures.demo_pki import make_demo_pki
from tests.conftest import ROOT
from tests.engine.conftest import Flow
from tests.support.actors import as_user
from tests.support.deputies import end_vertretung
from workflows import cosign, jobs, signing_step, tasks
from workflows.models import ProcessInstance, Task


@pytest.fixture(autouse=True)
def plain_final_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests follow the co-signing round; the final signature is given as a plain
    approval, as an office allows in signatures.toml. Signing with a key from the inbox is
    tested in tests/signatures/test_final_signature.py."""
    monkeypatch.setattr(signing_step, "plain_approval_allowed", lambda ctx: True)


def _add_seal(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """An organisation seal (from the demo PKI generator) for outgoing documents."""
    pki = make_demo_pki({}, {"": "Landratsamt"}, "siegel-passwort")
    with app.unit(SYSTEM) as ctx:
        signatures.add_pkcs12_key(ctx, data=pki.credentials["seal:"].pkcs12,
                                  passphrase="siegel-passwort", purpose="seal")
    monkeypatch.setenv("DMS_SEAL_PASSPHRASE", "siegel-passwort")


def _add_user(app: App, username: str, office: str, job_title: str) -> None:
    with app.unit(SYSTEM) as ctx:
        users.create_user(ctx, username=username, display_name=username.title(), password=None,
                          roles=["clerk"], office_code=office, job_title=job_title)


@pytest.fixture
def draft(flow: Flow) -> int:
    """The cosign model deployed, an entitled (becker) and an unentitled (klein) colleague of
    mueller in office 63; returns the id of mueller's draft (a demo document of office 63)."""
    flow.deploy((ROOT / "config" / "processes" / "cosign.bpmn").read_bytes())
    _add_user(flow.app, "becker", "63", "Amtsleitung")
    _add_user(flow.app, "klein", "63", "Sachbearbeiter Baugenehmigungen")
    with flow.app.unit(SYSTEM) as ctx:
        office = users.office_by_code(ctx, "63")
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _n), *_ = files.list_cases(ctx, file.id)
        document, _version = documents.list_documents(ctx, case.id)[0]
        return document.id


def _new_version(app: App, user: str, document_id: int, text: str) -> int:
    with tempfile.TemporaryDirectory() as tmp, as_user(app, user) as ctx:
        path = Path(tmp) / "entwurf.pdf"
        path.write_bytes(text_pdf([text]))
        return documents.add_version(ctx, document_id=document_id, source=path,
                                     filename="entwurf.pdf").version.number


def _start(flow: Flow, document_id: int, cosigners: list[str], mode: str = "parallel",
           **kwargs: object) -> int:
    return flow.act("mueller", cosign.start_cosigning, document_id, cosigners, mode,
                    **kwargs).id


def _mine(flow: Flow, user: str, view: str = "mine") -> list[tuple[str, int]]:
    return sorted((t.element_id, t.instance_id) for t in flow.inbox(user, view))


def _task(flow: Flow, user: str, element: str, view: str = "all") -> Task:
    (task,) = [t for t in flow.inbox(user, view) if t.element_id == element]
    return task


def _decide(flow: Flow, user: str, task_id: int, decision: str | None,
            remark: str | None = None, **variables: object) -> None:
    flow.act(user, tasks.complete, task_id, decision=decision, remark=remark,
             variables=variables)


def _audit_actions(app: App, object_type: str, object_id: int) -> list[str]:
    with app.unit(SYSTEM) as ctx:
        return [e.action for e in audit.history(ctx, object_type, object_id, limit=1000)]


def test_parallel_refusal_revision_and_entitled_final_signature(flow: Flow, draft: int) -> None:
    app = flow.app
    end_vertretung(app)  # weber's demo Vertretung for mueller (office 63) is over
    with as_user(app, "weber") as ctx, pytest.raises(NotFound):
        documents.get_document(ctx, draft)  # office 50 cannot read office 63's file yet
    instance = _start(flow, draft, ["weber", "schmidt"], "parallel")

    # the start form was the "prepare" step: the co-signers have their tasks at once
    assert _mine(flow, "weber") == [("Task_CosignParallel", instance)]
    assert _mine(flow, "schmidt") == [("Task_CosignParallel", instance)]
    assert _mine(flow, "mueller") == []
    with as_user(app, "weber") as ctx:  # co-signers were given read access to the draft
        assert documents.get_document(ctx, draft)[0].id == draft
    status = flow.status(instance)
    assert status["variables"]["cosignedVersion"] == 1
    assert status["variables"]["signerGroup"] == "63"
    prepare = next(t for t in status["tasks"] if t["element"] == "Task_Prepare")
    assert prepare["status"] == "completed" and prepare["completed_by"] == "mueller"

    _decide(flow, "weber", _task(flow, "weber", "Task_CosignParallel").id, "approve",
            "Einverstanden.")
    schmidt_task = _task(flow, "schmidt", "Task_CosignParallel").id
    with pytest.raises(InvalidInput, match="begründen"):
        _decide(flow, "schmidt", schmidt_task, "refuse")
    with pytest.raises(InvalidInput, match="approve"):
        _decide(flow, "schmidt", schmidt_task, "maybe")
    _decide(flow, "schmidt", schmidt_task, "refuse", "Kostenschätzung fehlt.")

    # refused: the draft goes back to its author
    assert _mine(flow, "mueller") == [("Task_Revise", instance)]
    assert _mine(flow, "weber") == [] and _mine(flow, "schmidt") == []
    entries = flow.status(instance)["variables"]["cosignatures"]
    assert [(e["by"], e["decision"], e["version"]) for e in entries] == [
        ("weber", "approve", 1), ("schmidt", "refuse", 1)]
    with app.unit(SYSTEM) as ctx:
        state = cosign.cosign_history(ctx, draft)[0]
    assert state.stage == "revise"
    assert [(c.value, c.state) for c in state.cosigners] == [
        ("weber", "approved"), ("schmidt", "refused")]

    # the author revises: a new version while revising does not restart anything
    assert _new_version(app, "mueller", draft, "Entwurf mit Kostenschätzung") == 2
    assert flow.status(instance)["status"] == "running"
    revise = _task(flow, "mueller", "Task_Revise", "mine")
    assert revise.form is not None
    assert {f["id"]: f["default"] for f in revise.form["fields"]} == {"cosignMode": "parallel"}
    _decide(flow, "mueller", revise.id, None, "Kostenschätzung ergänzt.")

    # second round, for version 2
    variables = flow.status(instance)["variables"]
    assert variables["cosignedVersion"] == 2 and variables["cosignatures"] == []
    for user in ("weber", "schmidt"):
        _decide(flow, user, _task(flow, user, "Task_CosignParallel").id, "approve")
    final = _task(flow, "becker", "Task_FinalSignature")
    for user in ("mueller", "becker", "klein"):  # offered to the signing office
        assert _mine(flow, user, "groups") == [("Task_FinalSignature", instance)]

    # Zeichnungsbefugnis: klein may see and claim it, but not sign
    flow.act("klein", tasks.claim, final.id)
    with pytest.raises(PermissionDenied, match="Zeichnungsbefugnis"):
        _decide(flow, "klein", final.id, "sign", disposition="file")
    flow.act("klein", tasks.release, final.id)
    assert flow.open_tasks(instance)[0].status == "open"
    _decide(flow, "becker", final.id, "sign", "Gezeichnet.", disposition="file")

    status = flow.status(instance)
    assert status["variables"]["signer"] == "becker"
    assert status["variables"]["signedVersion"] == 2
    assert [j["kind"] for j in status["jobs"]] == ["service"]  # sign-document, for the worker
    outcomes = jobs.run_due(app)
    assert outcomes and all(o.ok for o in outcomes)
    status = flow.status(instance)
    assert status["status"] == "completed"
    assert status["variables"]["signed"] is True and status["variables"]["filed"] is True
    with app.unit(SYSTEM) as ctx:
        document = ctx.db.get(Document, draft)
        assert document is not None
        case = ctx.db.get(Case, document.case_id)
        assert case is not None and case.status == "closed"  # z.d.A.
    actions = _audit_actions(app, "document", draft)
    for action in ("cosign.start", "cosign.approve", "cosign.refuse", "cosign.resubmit",
                   "document.final_signature"):
        assert action in actions


def test_sequential_round_with_an_office_and_dispatch(flow: Flow, draft: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app = flow.app
    _add_seal(app, monkeypatch)
    instance = _start(flow, draft, ["weber", "21"], "sequential", signer_group="63")
    assert _mine(flow, "weber") == [("Task_CosignSequential", instance)]
    assert flow.inbox("schmidt") == []  # office 21 is asked after weber
    _decide(flow, "weber", _task(flow, "weber", "Task_CosignSequential").id, "approve")
    # the office's task: offered to its members, who co-sign for the office
    assert _mine(flow, "schmidt", "groups") == [("Task_CosignSequential", instance)]
    office_task = _task(flow, "schmidt", "Task_CosignSequential")
    with as_user(app, "schmidt") as ctx:  # the office was given read access
        assert documents.get_document(ctx, draft)[0].id == draft
    _decide(flow, "schmidt", office_task.id, None, "Haushaltsmittel vorhanden.")  # approve
    entries = flow.status(instance)["variables"]["cosignatures"]
    assert [(e["by"], e["for"], e["decision"]) for e in entries] == [
        ("weber", "weber", "approve"), ("schmidt", "21", "approve")]

    final = _task(flow, "becker", "Task_FinalSignature")
    _decide(flow, "becker", final.id, "sign", disposition="dispatch")
    jobs.run_due(app)
    status = flow.status(instance)
    assert status["status"] == "completed" and status["variables"]["dispatched"] is True
    assert status["variables"]["sealed"] is True
    actions = _audit_actions(app, "document", draft)
    assert "document.seal" in actions and "document.dispatch" in actions
    with app.unit(SYSTEM) as ctx:  # the outgoing version carries the seal
        latest = documents.latest_version(ctx, draft)
        assert latest is not None and latest.signature_of == latest.number - 1
    with app.unit(SYSTEM) as ctx:
        document = ctx.db.get(Document, draft)
        assert document is not None and document.case.status == "open"  # sent, not filed


def test_sequential_refusal_stops_the_round(flow: Flow, draft: int) -> None:
    instance = _start(flow, draft, ["weber", "schmidt"], "sequential")
    _decide(flow, "weber", _task(flow, "weber", "Task_CosignSequential").id, "refuse",
            "Rechtsgrundlage fehlt.")
    assert flow.inbox("schmidt") == []  # never asked
    revise = _task(flow, "mueller", "Task_Revise", "mine")
    assert {f["id"]: f["default"] for f in revise.form["fields"]} == {  # type: ignore[index]
        "cosignMode": "sequential"}  # the author's choice is kept
    _decide(flow, "mueller", revise.id, None)
    assert _mine(flow, "weber") == [("Task_CosignSequential", instance)]


def test_new_version_after_a_cosignature_restarts_the_round(flow: Flow, draft: int) -> None:
    app = flow.app
    first = _start(flow, draft, ["weber", "schmidt"])
    # a new version before anyone co-signed: nothing to invalidate, the round goes on
    assert _new_version(app, "mueller", draft, "Entwurf, Tippfehler korrigiert") == 2
    assert flow.status(first)["status"] == "running"
    assert flow.status(first)["variables"]["cosignedVersion"] == 2

    _decide(flow, "weber", _task(flow, "weber", "Task_CosignParallel").id, "approve")
    assert _new_version(app, "mueller", draft, "Entwurf, inhaltlich geändert") == 3

    old = flow.status(first)
    assert old["status"] == "cancelled"
    assert old["open_tasks"] == []
    assert {t["status"] for t in old["tasks"] if t["element"] == "Task_CosignParallel"} == {
        "completed", "cancelled"}
    assert any(h["event"] == "cosign.invalidated" and h["details"]["invalidated"] == ["weber"]
               for h in old["history"])
    with app.unit(SYSTEM) as ctx:
        running = cosign.running_instance(ctx, draft)
        assert running is not None and running.id != first
        second = running.id
    new = flow.status(second)
    assert new["variables"]["cosignedVersion"] == 3
    assert new["variables"]["previousInstance"] == first
    assert new["variables"]["author"] == "mueller"
    assert any(h["event"] == "cosign.restarted" for h in new["history"])
    # the same participants are asked again, weber included
    assert _mine(flow, "weber") == [("Task_CosignParallel", second)]
    assert _mine(flow, "schmidt") == [("Task_CosignParallel", second)]
    assert "cosign.invalidated" in _audit_actions(app, "document", draft)
    assert "cosign.invalidated" in _audit_actions(app, "process_instance", first)

    # at the final signature a new version also asks again
    for user in ("weber", "schmidt"):
        _decide(flow, user, _task(flow, user, "Task_CosignParallel").id, "approve")
    assert _task(flow, "becker", "Task_FinalSignature")
    _new_version(app, "klein", draft, "Entwurf, nach Mitzeichnung geändert")  # a colleague
    assert flow.status(second)["status"] == "cancelled"
    with app.unit(SYSTEM) as ctx:
        third = cosign.running_instance(ctx, draft)
        assert third is not None and third.id not in (first, second)
        assert third.started_by == "klein"
    assert flow.status(third.id)["variables"]["author"] == "mueller"
    assert [t.element_id for t in flow.inbox("becker", "groups")] == []


def test_a_cosigner_who_deputises_gets_a_share_that_outlasts_the_vertretung(
    flow: Flow, draft: int
) -> None:
    """weber reads office 63's draft only as mueller's deputy (demo data); co-signing must not
    rely on that, or the draft would vanish from weber's task when the Vertretung ends."""
    app = flow.app
    with as_user(app, "weber") as ctx:
        assert ctx.actor.deputising and documents.get_document(ctx, draft)[0].id == draft
    instance = _start(flow, draft, ["weber"], "parallel")
    end_vertretung(app)
    assert _mine(flow, "weber") == [("Task_CosignParallel", instance)]
    with as_user(app, "weber") as ctx:
        assert ctx.actor.deputising == ()
        assert documents.get_document(ctx, draft)[0].id == draft


def test_start_is_checked(flow: Flow, draft: int) -> None:
    app = flow.app
    end_vertretung(app)  # weber's demo Vertretung for mueller (office 63) is over
    with pytest.raises(InvalidInput, match="Mindestens"):
        _start(flow, draft, [" ", ""])
    with pytest.raises(InvalidInput, match="Unbekannte Person"):
        _start(flow, draft, ["niemand"])
    with pytest.raises(InvalidInput, match="eigenen Entwurf"):
        _start(flow, draft, ["mueller"])
    with pytest.raises(InvalidInput, match="parallel"):
        _start(flow, draft, ["weber"], "zufällig")
    with pytest.raises(InvalidInput, match="Schlusszeichnung"):
        _start(flow, draft, ["weber"], signer_group="99")
    with pytest.raises(NotFound):  # weber cannot see office 63's file
        flow.act("weber", cosign.start_cosigning, draft, ["schmidt"], "parallel")
    with app.unit(SYSTEM) as ctx:
        (file,) = files.list_files(ctx, office_id=users.office_by_code(ctx, "63").id)
        files.share_file(ctx, file.id, user_id=users.user_by_name(ctx.db, "weber").id)
    with pytest.raises(PermissionDenied):  # a reader may not ask for co-signing
        flow.act("weber", cosign.start_cosigning, draft, ["schmidt"], "parallel")
    instance = _start(flow, draft, ["weber", "WEBER", "schmidt"])
    assert flow.status(instance)["variables"]["cosigners"] == ["weber", "schmidt"]
    with pytest.raises(Conflict, match="bereits"):
        _start(flow, draft, ["schmidt"])
    with app.unit(SYSTEM) as ctx:
        assert ctx.db.scalar(select(ProcessInstance.id).where(
            ProcessInstance.id == instance, ProcessInstance.status == "running"))


def test_signing_authority_rules(flow: Flow, draft: int) -> None:
    with flow.app.unit(SYSTEM) as ctx:
        assert cosign.may_sign(ctx, "becker", "63")  # job title, member of office 63
        assert not cosign.may_sign(ctx, "klein", "63")
        assert not cosign.may_sign(ctx, "becker", "50")  # not a member of office 50
        assert cosign.may_sign(ctx, "admin", "50")  # administrators always may
        assert not cosign.may_sign(ctx, "niemand", "63")
    with as_user(flow.app, "becker") as ctx:
        assert cosign.may_sign(ctx, "becker", "63")
