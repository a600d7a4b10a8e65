"""The workflow API: inbox, tasks (claim, release, forward, complete, read), processes,
instances, incidents and co-signing, with who may do what."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from dms.models import utcnow
from dms.services.context import App
from tests.conftest import ROOT
from tests.engine.helpers import bpmn
from tests.web.conftest import api_token
from tests.web.test_api_permissions import load_target
from workflows import jobs

API = "/api/v1"
START, END = '<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>'

MODEL = bpmn("api-test", START + """
    <bpmn:parallelGateway id="split"/>
    <bpmn:userTask id="queue" name="Antrag prüfen" camunda:candidateGroups="63"
        camunda:dueDate="P3D">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="result" label="Ergebnis" type="enum">
          <camunda:validation><camunda:constraint name="required"/></camunda:validation>
          <camunda:value id="ok" name="in Ordnung"/>
          <camunda:value id="missing" name="unvollständig"/>
        </camunda:formField>
        <camunda:formField id="pages" label="Seiten" type="long"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="info" name="Zur Kenntnis: neuer Antrag" camunda:assignee="mueller">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="taskType" value="info"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:parallelGateway id="join"/>""" + END,
    [("f0", "start", "split"), ("a", "split", "queue"), ("b", "split", "info"),
     ("c", "queue", "join"), ("d", "info", "join"), ("e", "join", "end")],
    name="API-Test")


def _deploy(web: TestClient, auth: dict[str, str], data: bytes, name: str = "m.bpmn"):  # type: ignore[no-untyped-def]
    return web.post(f"{API}/processes", files={"file": (name, data, "application/xml")},
                    headers=auth)


def test_inbox_and_task_lifecycle(web: TestClient, seeded: App) -> None:
    admin, mueller = api_token(seeded, "admin"), api_token(seeded, "mueller")
    weber, post = api_token(seeded, "weber"), api_token(seeded, "post")
    target = load_target(seeded, "63")

    assert _deploy(web, mueller, MODEL).status_code == 403
    deployed = _deploy(web, admin, MODEL)
    assert deployed.status_code == 201, deployed.text
    assert [(d["key"], d["version"], d["latest"]) for d in deployed.json()] == [
        ("api-test", 1, True)]
    assert _deploy(web, admin, MODEL).json()[0]["version"] == 1  # unchanged: no new version
    broken = _deploy(web, admin, b"<kein-bpmn/>")
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_bpmn"

    listed = web.get(f"{API}/processes", headers=mueller).json()
    assert [(d["key"], d["running"]) for d in listed] == [("api-test", None)]

    started = web.post(f"{API}/processes/api-test/instances",
                       json={"case_id": target.case_id, "variables": {"note": "x"}},
                       headers=mueller)
    assert started.status_code == 201, started.text
    instance = started.json()
    assert instance["started_by"] == "mueller" and instance["open_tasks"] == 2
    assert instance["business_key"] == target.case_reference
    assert web.post(f"{API}/processes/api-test/instances", json={"case_id": target.case_id},
                    headers=post).status_code == 404  # the mailroom cannot write that case
    assert web.post(f"{API}/processes/nope/instances", json={},
                    headers=mueller).status_code == 404
    assert web.get(f"{API}/processes", headers=admin).json()[0]["running"] == 1

    inbox = web.get(f"{API}/tasks", headers=mueller).json()
    assert inbox["total"] == 2
    by_element = {t["element_id"]: t for t in inbox["items"]}
    queue, info = by_element["queue"], by_element["info"]
    assert queue["reason_code"] == "group" and "Gruppe 63" in queue["reason"]
    assert info["reason_code"] == "assigned" and info["kind"] == "info"
    assert queue["process_name"] == "API-Test" and queue["case_id"] == target.case_id
    assert queue["due_at"] is not None and queue["overdue"] is False
    assert [t["element_id"] for t in web.get(
        f"{API}/tasks", params={"view": "groups"}, headers=mueller).json()["items"]] == ["queue"]
    assert [t["element_id"] for t in web.get(
        f"{API}/tasks", params={"view": "mine"}, headers=mueller).json()["items"]] == ["info"]
    assert web.get(f"{API}/tasks", params={"view": "overdue"},
                   headers=mueller).json()["items"] == []
    # weber stands in for mueller: mueller's own task, not the office's
    deputy = web.get(f"{API}/tasks", params={"view": "deputy"}, headers=weber).json()["items"]
    assert [t["element_id"] for t in deputy] == ["info"]
    assert "Vertretung für Maria Müller" in deputy[0]["reason"]
    assert web.get(f"{API}/tasks", params={"view": "nonsense"}, headers=mueller
                   ).status_code == 422

    detail = web.get(f"{API}/tasks/{queue['id']}", headers=mueller).json()
    assert detail["can_claim"] and detail["can_complete"] and detail["decisions"] == []
    assert [(f["id"], f["type"], f["required"]) for f in detail["form"]["fields"]] == [
        ("result", "enum", True), ("pages", "long", False)]
    assert web.get(f"{API}/tasks/{queue['id']}", headers=post).status_code == 404

    claimed = web.post(f"{API}/tasks/{queue['id']}/claim", headers=mueller).json()
    assert claimed["assignee"] == "mueller"
    assert web.post(f"{API}/tasks/{queue['id']}/claim", headers=mueller).status_code == 409
    assert web.post(f"{API}/tasks/{queue['id']}/release",
                    headers=mueller).json()["assignee"] is None
    forwarded = web.post(f"{API}/tasks/{queue['id']}/forward",
                         json={"to": "weber", "remark": "Bitte übernehmen"}, headers=mueller)
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["assignee"] == "weber"
    mine = web.get(f"{API}/tasks", params={"view": "mine"}, headers=weber).json()["items"]
    assert [t["reason"] for t in mine] == ["Von mueller an Sie weitergeleitet"]

    missing = web.post(f"{API}/tasks/{queue['id']}/complete", json={}, headers=weber)
    assert missing.status_code == 422 and "Ergebnis" in missing.json()["message"]
    done = web.post(f"{API}/tasks/{queue['id']}/complete",
                    json={"variables": {"result": "ok", "pages": 3}, "remark": "passt"},
                    headers=weber)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["remark"] == "passt"
    again = web.post(f"{API}/tasks/{queue['id']}/complete", json={}, headers=weber)
    assert again.status_code == 409

    assert web.post(f"{API}/tasks/{queue['id']}/read", headers=weber).status_code == 422
    read = web.post(f"{API}/tasks/{info['id']}/read", headers=mueller)
    assert read.status_code == 200 and read.json()["decision"] == "read"

    status = web.get(f"{API}/instances/{instance['id']}", headers=mueller).json()
    assert status["status"] == "completed" and status["variables"]["result"] == "ok"
    assert status["history"][0]["event"] == "started" and status["open_tasks"] == []
    # visible to the starter, to those with a task in it, to admins; not to anyone else
    assert web.get(f"{API}/instances/{instance['id']}", headers=weber).status_code == 200
    assert web.get(f"{API}/instances/{instance['id']}", headers=admin).status_code == 200
    assert web.get(f"{API}/instances/{instance['id']}", headers=post).status_code == 404
    listing = web.get(f"{API}/instances", params={"status": "completed"}, headers=weber)
    assert [i["id"] for i in listing.json()["items"]] == [instance["id"]]
    assert web.get(f"{API}/instances", params={"status": "all"},
                   headers=post).json()["items"] == []


def test_cosigning_over_the_api(web: TestClient, seeded: App) -> None:
    admin, mueller = api_token(seeded, "admin"), api_token(seeded, "mueller")
    weber = api_token(seeded, "weber")
    target = load_target(seeded, "63")
    assert _deploy(web, admin, (ROOT / "config/processes/cosign.bpmn").read_bytes()
                   ).status_code == 201
    url = f"{API}/documents/{target.document_id}/cosign"

    unknown = web.post(url, json={"cosigners": ["niemand"]}, headers=mueller)
    assert unknown.status_code == 422 and "niemand" in unknown.json()["message"]
    assert web.post(url, json={"cosigners": []}, headers=mueller).status_code == 422
    assert web.post(url, json={"cosigners": ["weber"], "mode": "random"},
                    headers=mueller).status_code == 422
    post = api_token(seeded, "post")  # cannot see office 63's file (weber stands in for mueller)
    assert web.post(url, json={"cosigners": ["schmidt"]}, headers=post).status_code == 404
    generic = web.post(f"{API}/processes/cosign/instances",
                       json={"case_id": target.case_id}, headers=mueller)
    assert generic.status_code == 422 and "Dokument" in generic.json()["message"]

    started = web.post(url, json={"cosigners": ["weber", "21"], "mode": "parallel"},
                       headers=mueller)
    assert started.status_code == 201, started.text
    assert started.json()["key"] == "cosign" and started.json()["open_tasks"] == 2
    assert web.post(url, json={"cosigners": ["weber"]}, headers=mueller).status_code == 409

    (task,) = web.get(f"{API}/tasks", params={"view": "mine"}, headers=weber).json()["items"]
    detail = web.get(f"{API}/tasks/{task['id']}", headers=weber).json()
    assert detail["name"] == "Mitzeichnen"
    assert [(d["id"], d["primary"]) for d in detail["decisions"]] == [
        ("approve", True), ("refuse", False)]
    assert detail["hidden_fields"] == ["refused"]
    assert detail["document_id"] == target.document_id
    # weber may now read the draft (the file was shared for co-signing)
    assert web.get(f"{API}/documents/{target.document_id}", headers=weber).status_code == 200

    refused = web.post(f"{API}/tasks/{task['id']}/complete", json={"decision": "refuse"},
                       headers=weber)
    assert refused.status_code == 422 and "begründen" in refused.json()["message"]
    refused = web.post(f"{API}/tasks/{task['id']}/complete",
                       json={"decision": "refuse", "remark": "Rechtsgrundlage fehlt"},
                       headers=weber)
    assert refused.status_code == 200 and refused.json()["decision"] == "refuse"
    (revise,) = web.get(f"{API}/tasks", params={"view": "mine"},
                        headers=mueller).json()["items"]
    assert revise["name"] == "Entwurf überarbeiten"
    instance = web.get(f"{API}/instances/{started.json()['id']}", headers=weber).json()
    assert instance["variables"]["cosignatures"][0]["remark"] == "Rechtsgrundlage fehlt"
    # the office's task was cancelled with the refusal: schmidt's inbox is empty again
    assert web.get(f"{API}/tasks", headers=api_token(seeded, "schmidt")).json()["items"] == []


def test_incidents_are_for_admins(web: TestClient, seeded: App) -> None:
    from workflows.handlers import HANDLERS

    def broken(call):  # type: ignore[no-untyped-def]
        raise RuntimeError("Druckdienst nicht erreichbar")

    admin, mueller = api_token(seeded, "admin"), api_token(seeded, "mueller")
    HANDLERS["test-broken"] = broken
    try:
        assert _deploy(web, admin, bpmn("svc", START + """
            <bpmn:serviceTask id="print" camunda:type="external" camunda:topic="test-broken"/>
            """ + END, [("f0", "start", "print"), ("f1", "print", "end")])).status_code == 201
        started = web.post(f"{API}/processes/svc/instances", json={}, headers=admin).json()
        later = utcnow()
        for _ in range(jobs.MAX_ATTEMPTS):
            later += timedelta(hours=1)
            jobs.run_due(seeded, now=later)
        assert web.get(f"{API}/incidents", headers=mueller).status_code == 403
        (incident,) = web.get(f"{API}/incidents", headers=admin).json()
        assert incident["instance_id"] == started["id"] and incident["status"] == "incident"
        assert "Druckdienst" in incident["error"] and incident["handler"] == "test-broken"
        assert web.post(f"{API}/incidents/{incident['job_id']}/retry",
                        headers=mueller).status_code == 403
        retried = web.post(f"{API}/incidents/{incident['job_id']}/retry", headers=admin)
        assert retried.status_code == 200 and retried.json()["status"] == "pending"
        assert web.get(f"{API}/incidents", headers=admin).json() == []
        assert web.post(f"{API}/incidents/{incident['job_id']}/retry",
                        headers=admin).status_code == 404
    finally:
        del HANDLERS["test-broken"]
