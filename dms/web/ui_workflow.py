"""German UI for the workflow engine: the inbox (Posteingang), a task beside its document,
"start co-signing" on a document, an instance's history, and process administration.

Thin pages over workflows.tasks / inbox / cosign / processes, which check rights and write
the audit trail. Every form works without JavaScript; after a change the browser is
redirected (POST/redirect/GET) with a short notice code in the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from dms.errors import InvalidInput, NotFound
from dms.models import Document, Version, utcnow
from dms.services import documents, fileplan, files, signatures, users
from dms.services.context import Ctx
from dms.web import ui
from dms.web.auth import dms_app
from dms.web.ui import page_unit, render
from workflows import cosign, processes, signing_step, tasks
from workflows.inbox import COUNT_CAP, InboxFilter, inbox_page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
INBOX_COUNT_CAP = COUNT_CAP  # beyond it the inbox says "mehr als N" instead of counting on
MAX_BPMN_BYTES = 5 * 1024 * 1024
COSIGNER_SLOTS = 6

VIEWS = [
    ("all", "Alle"),
    ("mine", "Meine"),
    ("groups", "Gruppe"),
    ("deputy", "Vertretung"),
    ("overdue", "Überfällig"),
    ("resubmission", "Wiedervorlage"),
]
SORTS = {"due": "Fälligkeit", "created": "Eingang (neueste zuerst)", "priority": "Priorität"}
EMPTY = {
    "all": "Ihr Posteingang ist leer.",
    "mine": "Keine Aufgaben, die Ihnen persönlich zugewiesen sind.",
    "groups": "Keine offenen Aufgaben Ihrer Gruppen.",
    "deputy": "Sie vertreten gerade niemanden, oder dort ist nichts offen.",
    "overdue": "Nichts ist überfällig.",
    "resubmission": "Heute ist nichts zur Wiedervorlage fällig.",
}
NOTICES = {
    "done": "Aufgabe erledigt.",
    "read": "Zur Kenntnis genommen.",
    "claimed": "Aufgabe übernommen.",
    "released": "Aufgabe an die Gruppe zurückgegeben.",
    "forwarded": "Aufgabe weitergeleitet.",
    "started": "Mitzeichnung gestartet: die Mitzeichnenden haben ihre Aufgabe im Posteingang.",
    "deployed": "Prozessmodell bereitgestellt.",
    "retried": "Störung wird erneut versucht.",
    "signed": "Dokument signiert; die signierte Fassung ist die neue Version.",
}
INSTANCE_STATUS = {
    "running": "läuft",
    "completed": "abgeschlossen",
    "cancelled": "abgebrochen",
    "failed": "fehlgeschlagen",
}
TASK_STATUS = {"open": "offen", "completed": "erledigt", "cancelled": "entfallen"}
COSIGN_STAGES = {
    "cosigning": "in Mitzeichnung",
    "revise": "zur Überarbeitung bei der Verfasserin/dem Verfasser",
    "signature": "zur Schlusszeichnung",
    "finishing": "wird gezeichnet und verfügt",
    "completed": "abgeschlossen",
    "cancelled": "abgebrochen",
    "failed": "fehlgeschlagen",
}
COSIGNER_STATES = {
    "pending": "angefragt",
    "waiting": "wartet (nacheinander)",
    "approved": "mitgezeichnet",
    "refused": "abgelehnt",
}
DECISIONS = {
    "approve": "mitgezeichnet", "refuse": "abgelehnt", "resubmit": "erneut vorgelegt",
    "sign": "schlussgezeichnet", "read": "zur Kenntnis genommen", "prepared": "vorbereitet",
}
HISTORY_EVENTS = {
    "started": "Gestartet",
    "task.created": "Aufgabe erstellt",
    "task.completed": "Aufgabe erledigt",
    "service.done": "Schritt ausgeführt",
    "gateway": "Verzweigung",
    "joined": "Zusammengeführt",
    "timer.fired": "Termin erreicht",
    "boundary.fired": "Frist abgelaufen",
    "multi-instance.done": "Alle Teilaufgaben erledigt",
    "completed": "Abgeschlossen",
    "cancelled": "Abgebrochen",
    "failed": "Fehlgeschlagen",
    "terminated": "Beendet",
    "variables": "Variablen geändert",
    "cosign.invalidated": "Mitzeichnung ungültig (neue Version)",
    "cosign.restarted": "Mitzeichnung neu gestartet",
}

ui.AUDIT_ACTIONS.update({
    "cosign.start": "Mitzeichnung angefordert",
    "cosign.approve": "Mitgezeichnet",
    "cosign.refuse": "Mitzeichnung abgelehnt",
    "cosign.resubmit": "Erneut zur Mitzeichnung vorgelegt",
    "cosign.invalidated": "Mitzeichnungen ungültig (neue Version), Mitzeichnung neu gestartet",
    "document.sign": "Schlussgezeichnet",
    "document.dispatch": "Abgesandt",
})
ui.AUDIT_FIELDS.update({
    "instance": "Prozess (Nr.)",
    "by": "Von",
    "for": "Für",
    "remark": "Bemerkung",
    "cosigners": "Mitzeichnende",
    "mode": "Art",
    "signer_group": "Schlusszeichnung durch",
    "invalidated": "Ungültig gewordene Mitzeichnungen",
    "new_instance": "Neue Runde (Prozess Nr.)",
    "previous_version": "Mitgezeichnete Version",
    "author": "Verfasser/in",
    "signer": "Gezeichnet von",
    "method": "Verfahren",
})
ui.TEMPLATES.env.globals.update(
    INSTANCE_STATUS=INSTANCE_STATUS, TASK_STATUS=TASK_STATUS, COSIGN_STAGES=COSIGN_STAGES,
    COSIGNER_STATES=COSIGNER_STATES, COSIGN_MODES=cosign.MODES, DECISIONS=DECISIONS,
    HISTORY_EVENTS=HISTORY_EVENTS,
)


async def form_fields(request: Request) -> dict[str, str]:
    """All fields of a posted form (a task's fields depend on its model)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _redirect(url: str, notice: str | None = None) -> RedirectResponse:
    if notice:
        url += ("&" if "?" in url else "?") + urlencode({"notice": notice})
    return RedirectResponse(url, status_code=303)


def _notice(code: str) -> str | None:
    return NOTICES.get(code)


# --- the inbox -------------------------------------------------------------------------------


@router.get("/tasks")
def inbox(request: Request, view: str = "all", sort: str = "due", q: str = "", page: int = 1,
          notice: str = "") -> Response:
    view = view if view in dict(VIEWS) else "all"
    sort = sort if sort in SORTS else "due"
    page = max(1, page)
    with page_unit(request) as ctx:
        found = inbox_page(ctx, InboxFilter(
            view=view, search=q.strip() or None, sort=sort, limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE), count_cap=INBOX_COUNT_CAP)
        items, total = found.items, found.total
        pages = max(1, -(-total // PAGE_SIZE))
        keep = {k: v for k, v in {"view": view, "sort": sort, "q": q.strip()}.items()
                if v and not (k == "view" and v == "all") and not (k == "sort" and v == "due")}

        def link(**changes: Any) -> str:
            params = {**keep, **changes}
            return "/tasks" + (f"?{urlencode(params)}" if params else "")

        return render(
            request, "inbox.html", active_page="tasks", items=items, total=total,
            total_exact=found.total_exact, view=view,
            sort=sort, q=q.strip(), page=page, pages=pages, views=VIEWS, sorts=SORTS,
            empty=EMPTY[view], notice=_notice(notice),
            tab_links={v: "/tasks" + (f"?{urlencode({'view': v})}" if v != "all" else "")
                       for v, _ in VIEWS},
            prev_url=link(page=page - 1) if page > 1 else None,
            next_url=link(page=page + 1) if page < pages else None,
        )


# --- a task beside its document --------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """The document shown beside a task (None where the viewer may not read it)."""

    document: Document
    version: Version
    kind: str


def _beside(ctx: Ctx, document_id: int | None, case_id: int | None
            ) -> tuple[Shown | None, Any, list[tuple[Document, Version]], bool]:
    """What to show beside a task: (document, its case, the case's documents when the task
    names only a case, whether the viewer may not read them)."""
    try:
        if document_id is not None:
            document, versions = documents.get_document(ctx, document_id)
            shown = Shown(document, versions[0], ui._viewer_kind(versions[0].mime_type))
            return shown, document.case, [], False
        if case_id is None:
            return None, None, [], False
        rows = documents.list_documents(ctx, case_id)
        if not rows:
            return None, files.get_case(ctx, case_id), [], False
        newest, version = rows[0]
        return Shown(newest, version, ui._viewer_kind(version.mime_type)), newest.case, rows, \
            False
    except NotFound:
        return None, None, [], True


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: int, notice: str = "") -> Response:
    with page_unit(request) as ctx:
        view = tasks.get_task(ctx, task_id)
        task, instance = view.task, view.instance
        shown, case, case_documents, hidden = _beside(ctx, instance.document_id,
                                                      instance.case_id)
        state = None
        if processes.process_key(ctx, instance) == cosign.PROCESS_KEY:
            state = cosign.state_of(ctx, instance)
        skip = set(view.hidden_fields) | {"remark"}
        fields = [f for f in (task.form or {}).get("fields", []) if f["id"] not in skip]
        viewer = request.state.viewer
        is_open = task.status == "open"
        return render(
            request, "task.html", active_page="tasks", view=view, task=task,
            instance=instance, shown=shown, case=case, case_documents=case_documents,
            hidden_document=hidden, cosign_state=state, fields=fields, notice=_notice(notice),
            overdue=is_open and task.due_at is not None and task.due_at < utcnow(),
            groups=[v for k, v in view.candidates if k == "group"],
            can_claim=view.can_claim or (viewer.is_admin and is_open and task.assignee is None),
            can_release=is_open and task.assignee == viewer.username and any(
                k == "group" for k, _ in view.candidates),
            can_forward=is_open and (view.can_complete or viewer.is_admin),
            colleagues=[u for u in users.list_users(ctx)
                        if u.active and u.username != viewer.username],
            may_sign=(cosign.may_sign(ctx, viewer.username, state.signer_group)
                      if state is not None and state.stage == "signature" else None),
            signing=_signing(ctx, task, instance) if is_open and view.can_complete else None,
        )


def _signing(ctx: Ctx, task: Any, instance: Any) -> dict[str, Any] | None:
    """What the "sign" action of a final-signature task needs: the person's keys, the
    levels, the stamp as it will read, and whether a plain approval is allowed instead."""
    if instance.document_id is None or not signing_step.is_signing_task(ctx, task):
        return None
    document = ctx.db.get(Document, instance.document_id)
    if document is None:
        return None
    return {
        "keys": signatures.my_keys(ctx),
        "levels": [(level, signatures.LEVEL_LABELS[level]) for level in signatures.LEVELS],
        "default_level": signing_step.step_level(ctx, task, instance),
        "stamp": signatures.stamp_preview(ctx, document),
        "plain_allowed": signing_step.plain_approval_allowed(ctx),
    }


@router.post("/tasks/{task_id}/claim")
def claim(request: Request, task_id: int, csrf_token: str = Form("")) -> Response:
    with page_unit(request, csrf_token) as ctx:
        tasks.claim(ctx, task_id)
    return _redirect(f"/tasks/{task_id}", "claimed")


@router.post("/tasks/{task_id}/release")
def release(request: Request, task_id: int, csrf_token: str = Form("")) -> Response:
    with page_unit(request, csrf_token) as ctx:
        tasks.release(ctx, task_id)
    return _redirect("/tasks", "released")


@router.post("/tasks/{task_id}/forward")
def forward(request: Request, task_id: int, to: str = Form(""), remark: str = Form(""),
            csrf_token: str = Form("")) -> Response:
    with page_unit(request, csrf_token) as ctx:
        if not to.strip():
            raise InvalidInput("Bitte eine Person zum Weiterleiten wählen / choose a colleague")
        tasks.forward(ctx, task_id, to, remark.strip() or None)
    return _redirect("/tasks", "forwarded")


@router.post("/tasks/{task_id}/complete")
def complete(request: Request, task_id: int,
             form: dict[str, str] = Depends(form_fields)) -> Response:  # noqa: B008
    with page_unit(request, form.get("csrf_token", "")) as ctx:
        view = tasks.get_task(ctx, task_id)
        raw = {k[2:]: v for k, v in form.items() if k.startswith("f_")}
        values = tasks.coerce_form_values(view.task, raw,
                                          skip=view.hidden_fields | {"remark"})
        tasks.complete(ctx, task_id, variables=values,
                       decision=form.get("decision", "").strip() or None,
                       remark=form.get("remark", "").strip() or None)
    return _redirect("/tasks", "done")


@router.post("/tasks/{task_id}/sign")
def sign(request: Request, task_id: int,
         form: dict[str, str] = Depends(form_fields)) -> Response:  # noqa: B008
    """Schlusszeichnung mit elektronischer Signatur: sign the co-signed version with one's own
    key, then complete the task (one transaction). The PIN/passphrase is used and dropped."""
    with page_unit(request, form.get("csrf_token", "")) as ctx:
        view = tasks.get_task(ctx, task_id)
        key_id = form.get("key_id", "").strip()
        if not key_id.isdigit():
            raise InvalidInput("Bitte einen Schlüssel wählen / choose a key")
        raw = {k[2:]: v for k, v in form.items() if k.startswith("f_")}
        values = tasks.coerce_form_values(view.task, raw, skip=view.hidden_fields | {"remark"})
        actor = ctx.actor
    signing_step.sign_task(
        dms_app(request), actor, task_id, key_id=int(key_id),
        secret=form.get("secret") or None, level=form.get("level") or None,
        visible=form.get("visible") == "true", remark=form.get("remark", "").strip() or None,
        variables=values)
    return _redirect("/tasks", "signed")


@router.post("/tasks/{task_id}/read")
def mark_read(request: Request, task_id: int, csrf_token: str = Form("")) -> Response:
    with page_unit(request, csrf_token) as ctx:
        tasks.mark_read(ctx, task_id)
    return _redirect("/tasks", "read")


# --- co-signing a document -------------------------------------------------------------------


@router.get("/documents/{document_id}/cosign")
def cosign_page(request: Request, document_id: int, notice: str = "") -> Response:
    with page_unit(request) as ctx:
        document, versions = documents.get_document(ctx, document_id)
        case = document.case
        rounds = cosign.cosign_history(ctx, document.id)
        running = next((r for r in rounds if r.instance.status == "running"), None)
        viewer = request.state.viewer
        own_office = next((o.code for o in users.list_offices(ctx)
                           if o.id == viewer.office_id), "")
        return render(
            request, "cosign.html", active_page="plan", document=document, latest=versions[0],
            case=case, file=case.file, crumbs=fileplan.breadcrumb(ctx, case.file.plan_node),
            rounds=rounds, running=running, notice=_notice(notice),
            may_start=running is None and case.status == "open" and case.file.status == "open",
            people=[u for u in users.list_users(ctx)
                    if u.active and u.username != viewer.username],
            offices=users.list_offices(ctx), slots=range(1, COSIGNER_SLOTS + 1),
            own_office=own_office,
        )


@router.post("/documents/{document_id}/cosign")
def start_cosigning(
    request: Request,
    document_id: int,
    cosigner: list[str] = Form([]),  # noqa: B008 - one select per position, in order
    mode: str = Form("parallel"),
    signer_group: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    with page_unit(request, csrf_token) as ctx:
        cosign.start_cosigning(ctx, document_id, [c for c in cosigner if c.strip()], mode,
                               signer_group.strip() or None)
    return _redirect(f"/documents/{document_id}/cosign", "started")


# --- instances and administration ------------------------------------------------------------


@router.get("/instances/{instance_id}")
def instance_page(request: Request, instance_id: int) -> Response:
    with page_unit(request) as ctx:
        detail = processes.instance_detail(ctx, instance_id)
        return render(request, "instance.html", active_page="processes", detail=detail,
                      variables=sorted(detail["variables"].items()))


@router.get("/admin/processes")
def admin_processes(request: Request, notice: str = "") -> Response:
    with page_unit(request) as ctx:
        processes.require_admin(ctx)
        running, total = processes.list_instances(ctx, status="running", limit=100)
        return render(
            request, "processes.html", active_page="processes",
            definitions=processes.list_definitions(ctx), running=running,
            running_total=total, incidents=processes.list_incidents(ctx),
            notice=_notice(notice),
        )


@router.post("/admin/processes")
def deploy(request: Request, file: UploadFile | None = File(None),  # noqa: B008
           csrf_token: str = Form("")) -> Response:
    with page_unit(request, csrf_token) as ctx:
        processes.require_admin(ctx)
        if file is None or not file.filename:
            raise InvalidInput("Bitte eine BPMN-Datei wählen / choose a BPMN file")
        data = file.file.read(MAX_BPMN_BYTES + 1)
        if len(data) > MAX_BPMN_BYTES:
            raise InvalidInput("BPMN-Datei ist zu groß (höchstens 5 MB) / file too large")
        processes.deploy(ctx, data, file.filename)
    return _redirect("/admin/processes", "deployed")


@router.post("/admin/incidents/{job_id}/retry")
def retry(request: Request, job_id: int, csrf_token: str = Form("")) -> Response:
    with page_unit(request, csrf_token) as ctx:
        processes.retry_incident(ctx, job_id)
    return _redirect("/admin/processes", "retried")
