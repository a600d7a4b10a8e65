"""Co-signing (Mitzeichnung) and the final signature (Schlusszeichnung) of a draft document.

Built on the shipped model config/processes/cosign.bpmn (process key "cosign"): prepare ->
co-sign, parallel or sequential (a multi-instance task over `cosigners`) -> refused? the
author revises and the round starts again -> final signature by a person entitled to sign,
with their own key (workflows.signing_step: the signed PDF becomes the next version) -> the
`sign-document` service task records how it was signed -> file away (z.d.A.), or seal and
dispatch.

This module is the service in front of that model:

- `start_cosigning`: who may ask (write access to the document's case), whom (users, or
  offices whose members co-sign for the office), the variables the model reads; co-signers
  who cannot read the file get a read share (audited), since they must read the draft;
- the completion checks the model names (workflows.checks): "cosign" on the co-sign tasks
  (approve, or refuse with a reason; each recorded with the document version co-signed),
  "cosign-revise" on the author's revision (a new round for the current version) and
  "signing-authority" on the final signature (Zeichnungsbefugnis from config/signing.toml);
- a hook on new document versions (dms.services.hooks): a new version after someone
  co-signed invalidates those co-signatures: the instance is cancelled and a fresh round with
  the same participants starts, recorded in both histories and the audit trail.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dms.errors import ConfigError, Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import Case, Document, File, FileShare, Group, Office, User, Version, utcnow
from dms.services import audit, documents, files, hooks
from dms.services.access import visible_files
from dms.services.context import Ctx, actor_for
from workflows import checks, engine
from workflows.checks import Completion, Decision
from workflows.identity import group_keys
from workflows.models import ProcessDefinition, ProcessInstance, Task, Variable
from workflows.tasks import element_of

PROCESS_KEY = "cosign"
MODES = {"parallel": "gleichzeitig", "sequential": "nacheinander"}
PREPARE_TASK = "Task_Prepare"
APPROVE, REFUSE, RESUBMIT, SIGN = "approve", "refuse", "resubmit", "sign"
MAX_COSIGNERS = 50
# what a fresh round keeps of the old instance's variables
START_VARIABLES = ("author", "cosigners", "cosignerOffices", "cosignMode", "signerGroup",
                   "documentTitle")


# --- Zeichnungsbefugnis ----------------------------------------------------------------------


@dataclass(frozen=True)
class SigningRule:
    users: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    job_titles: frozenset[str] = frozenset()  # case-folded


_RULES: dict[Path, tuple[float, dict[str, SigningRule], SigningRule]] = {}


def _names(entry: dict[str, Any], key: str, where: str) -> frozenset[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"signing.toml [{where}] {key}: Liste von Texten erwartet / "
                          "expected a list of strings")
    return frozenset(v.strip().casefold() for v in value if v.strip())


def _rule(entry: Any, where: str) -> SigningRule:
    if not isinstance(entry, dict):
        raise ConfigError(f"signing.toml [{where}]: Tabelle erwartet / expected a table")
    return SigningRule(_names(entry, "users", where), _names(entry, "roles", where),
                       _names(entry, "job_titles", where))


def signing_rules(ctx: Ctx) -> tuple[dict[str, SigningRule], SigningRule]:
    """(rules by office code or group name, the default rule), re-read when the file changes.
    A missing file entitles nobody but administrators."""
    path = ctx.app.settings.config_dir / "signing.toml"
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return {}, SigningRule()
    cached = _RULES.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1], cached[2]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: kein gültiges TOML / invalid TOML: {exc}") from exc
    offices = data.get("office", {})
    if not isinstance(offices, dict):
        raise ConfigError("signing.toml: [office.\"CODE\"]-Tabellen erwartet / expected tables")
    rules = {str(code): _rule(entry, f'office."{code}"') for code, entry in offices.items()}
    default = _rule(data.get("default", {}), "default")
    _RULES[path] = (mtime, rules, default)
    return rules, default


def may_sign(ctx: Ctx, username: str, signer_group: str | None) -> bool:
    """Whether `username` may complete the final signature for `signer_group`."""
    if username == ctx.actor.username and ctx.actor.is_admin:
        return True
    user = ctx.db.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return False
    if "admin" in user.roles:
        return True
    rules, default = signing_rules(ctx)
    rule = rules.get(signer_group or "", default)
    if user.username.casefold() in rule.users:
        return True
    if not signer_group or signer_group not in group_keys(ctx.db, user.id, user.office_id):
        return False
    title = (user.job_title or "").strip().casefold()
    return bool({r.casefold() for r in user.roles} & rule.roles) or (
        bool(title) and title in rule.job_titles)


# --- starting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    value: str  # user name or office code, as it goes into `cosigners`
    kind: str  # user | office
    name: str
    user_id: int | None = None
    office_id: int | None = None


def _participants(ctx: Ctx, cosigners: list[str], author: str) -> list[Participant]:
    result: list[Participant] = []
    seen: set[str] = set()
    for raw in cosigners:
        name = (raw or "").strip()
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        user = ctx.db.scalar(select(User).where(User.username == name.lower()))
        if user is not None:
            if not user.active:
                raise InvalidInput(f"{user.username} ist deaktiviert / user is inactive")
            if user.username == author:
                raise InvalidInput("Den eigenen Entwurf zeichnet man nicht mit / the author "
                                   "does not co-sign their own draft")
            result.append(Participant(user.username, "user", user.display_name, user_id=user.id))
            continue
        office = ctx.db.scalar(select(Office).where(Office.code == name))
        if office is None:
            raise InvalidInput(f"Unbekannte Person oder unbekanntes Amt {name!r} / unknown user "
                               "or office")
        result.append(Participant(office.code, "office", office.name, office_id=office.id))
    if not result:
        raise InvalidInput("Mindestens eine Person oder ein Amt zur Mitzeichnung angeben / "
                           "name at least one co-signer")
    if len(result) > MAX_COSIGNERS:
        raise InvalidInput(f"Höchstens {MAX_COSIGNERS} Mitzeichnende / too many co-signers")
    return result


def _signer_group(ctx: Ctx, signer_group: str | None) -> str:
    code = (signer_group or "").strip()
    if not code:
        office = ctx.db.get(Office, ctx.actor.office_id) if ctx.actor.office_id else None
        if office is None:
            raise InvalidInput("Zeichnungsbefugte Stelle angeben: Sie gehören keinem Amt an / "
                               "name the signing office: you belong to none")
        return office.code
    if ctx.db.scalar(select(Office.id).where(Office.code == code)) is None and \
            ctx.db.scalar(select(Group.id).where(Group.name == code)) is None:
        raise InvalidInput(f"Unbekanntes Amt oder unbekannte Gruppe {code!r} für die "
                           "Schlusszeichnung / unknown signing office or group")
    return code


def _grant_read(ctx: Ctx, file: File, participants: list[Participant]) -> None:
    """Co-signers must read the draft: share the file with those who cannot (audited)."""
    for p in participants:
        if p.kind == "user":
            user = ctx.db.get(User, p.user_id)
            assert user is not None
            seen = ctx.db.scalar(select(File.id).where(
                File.id == file.id, visible_files(actor_for(ctx.db, user, with_deputies=False))))
            if seen is None:
                files.share_file(ctx, file.id, user_id=user.id)
        elif p.office_id != file.office_id and ctx.db.scalar(select(FileShare.id).where(
                FileShare.file_id == file.id, FileShare.office_id == p.office_id)) is None:
            files.share_file(ctx, file.id, office_id=p.office_id)


def running_instance(ctx: Ctx, document_id: int) -> ProcessInstance | None:
    return ctx.db.scalar(
        select(ProcessInstance)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessDefinition.key == PROCESS_KEY, ProcessInstance.document_id == document_id,
               ProcessInstance.status == "running")
        .order_by(ProcessInstance.id.desc()).limit(1)
    )


def start_cosigning(
    ctx: Ctx, document_id: int, cosigners: list[str], mode: str = "parallel",
    signer_group: str | None = None,
) -> ProcessInstance:
    """Ask `cosigners` (user names or office codes) to co-sign the document's current version;
    afterwards someone entitled for `signer_group` (default: the author's office) signs."""
    if mode not in MODES:
        raise InvalidInput(f"Art der Mitzeichnung {mode!r}: parallel oder sequential / "
                           "mode must be parallel or sequential")
    document, versions = documents.get_document(ctx, document_id)
    case = files.writable_case(ctx, document.case_id)
    if ctx.actor.user_id is None:
        raise InvalidInput("Mitzeichnung fordert eine angemeldete Person an / a person must ask")
    author = ctx.actor.username
    participants = _participants(ctx, cosigners, author)
    if running_instance(ctx, document.id) is not None:
        raise Conflict("Für dieses Dokument läuft bereits eine Mitzeichnung / co-signing is "
                       "already running for this document")
    group = _signer_group(ctx, signer_group)
    _grant_read(ctx, case.file, participants)
    variables = {
        "author": author,
        "cosigners": [p.value for p in participants],
        "cosignerOffices": {p.value: p.value for p in participants if p.kind == "office"},
        "cosignMode": mode,
        "signerGroup": group,
        "documentTitle": document.title,
    }
    instance = _launch(ctx, document, case, variables, versions[0].number)
    audit.record(ctx, "cosign.start", "document", document.id, after={
        "instance": instance.id, "cosigners": ", ".join(variables["cosigners"]), "mode": mode,
        "signer_group": group, "version": versions[0].number,
    })
    return instance


def _launch(ctx: Ctx, document: Document, case: Case, variables: dict[str, Any],
            version: int) -> ProcessInstance:
    values = {**variables, "refused": False, "cosignedVersion": version, "cosignatures": []}
    instance = engine.start(ctx, PROCESS_KEY, values, business_key=case.reference,
                            case_id=case.id, document_id=document.id)
    _prepared(ctx, instance, values["author"], values["cosignMode"])
    return instance


def _prepared(ctx: Ctx, instance: ProcessInstance, author: str, mode: str) -> None:
    """The start form is the model's "prepare" step: complete it for the author."""
    task = ctx.db.scalar(select(Task).where(Task.instance_id == instance.id,
                                            Task.element_id == PREPARE_TASK,
                                            Task.status == "open"))
    if task is None:  # a redrawn model without the step
        return
    task.status, task.completed_at, task.completed_by = "completed", utcnow(), author
    task.decision, task.remark = "prepared", None
    audit.record(ctx, "task.complete", "task", task.id, after={
        "decision": "prepared", "variables": {"cosignMode": mode}, "via": "cosign.start",
        "on_behalf_of": author if author != ctx.actor.username else None,
    })
    engine.task_completed(ctx, task, {"cosignMode": mode})


# --- the checks the model names ------------------------------------------------------------


def _current_version(ctx: Ctx, document_id: int | None) -> int | None:
    if document_id is None:
        return None
    latest = documents.latest_version(ctx, document_id)
    return latest.number if latest else None


def _lock(ctx: Ctx, instance_id: int) -> None:
    """Serialise read-modify-write of the instance's variables (parallel co-signers)."""
    ctx.db.execute(select(ProcessInstance.id).where(ProcessInstance.id == instance_id)
                   .with_for_update())


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


@checks.check("cosign", decisions=(Decision(APPROVE, "Mitzeichnen", primary=True),
                                   Decision(REFUSE, "Ablehnen")),
              hidden_fields=("refused",))
def _check_cosign(c: Completion) -> None:
    decision = c.decision or None
    if decision in (None, "done"):
        decision = REFUSE if c.values.get("refused") is True else APPROVE
    if decision not in (APPROVE, REFUSE):
        raise InvalidInput(f"Entscheidung {decision!r}: approve (mitzeichnen) oder refuse "
                           "(ablehnen) / decision must be approve or refuse")
    remark = _text(c.remark) or _text(c.values.get("remark"))
    if decision == REFUSE and not remark:
        raise InvalidInput("Bitte die Ablehnung in der Bemerkung begründen / a refusal needs "
                           "a remark")
    _lock(c.ctx, c.instance.id)
    variables = engine.instance_variables(c.ctx, c.instance.id)
    version = _current_version(c.ctx, c.instance.document_id) or variables.get("cosignedVersion")
    entry = {
        "by": c.by, "for": _asked(c),
        "decision": decision, "remark": remark, "version": version, "task": c.task.id,
        "at": utcnow().isoformat(timespec="seconds"),
    }
    c.values["refused"] = decision == REFUSE
    c.values["cosignatures"] = [*(variables.get("cosignatures") or []), entry]
    c.decision, c.remark = decision, remark
    audit.record(c.ctx, f"cosign.{decision}", "document", c.instance.document_id or "-", after={
        "instance": c.instance.id, "by": c.by, "for": entry["for"], "version": version,
        "remark": remark,
    })


def _asked(c: Completion) -> str:
    """Whom this co-sign task asked (the multi-instance item), even after a forward."""
    if c.task.execution_id is not None:
        row = c.ctx.db.scalar(select(Variable.value).where(
            Variable.instance_id == c.instance.id, Variable.scope_id == c.task.execution_id,
            Variable.name == "cosigner"))
        if row is not None and isinstance(row.get("v"), str):
            return str(row["v"])
    return c.task.delegated_from or c.task.assignee or c.by


@checks.check("cosign-revise", decisions=(
    Decision(RESUBMIT, "Erneut zur Mitzeichnung geben", primary=True),))
def _check_revise(c: Completion) -> None:
    if c.decision not in (None, "", "done", RESUBMIT):
        raise InvalidInput(f"Entscheidung {c.decision!r}: resubmit / decision must be resubmit")
    mode = c.values.get("cosignMode")
    if mode not in MODES:
        raise InvalidInput("Art der Mitzeichnung: parallel oder sequential / mode must be "
                           "parallel or sequential")
    version = _current_version(c.ctx, c.instance.document_id)
    c.values.update(cosignatures=[], refused=False, cosignedVersion=version)
    c.decision = RESUBMIT
    audit.record(c.ctx, "cosign.resubmit", "document", c.instance.document_id or "-", after={
        "instance": c.instance.id, "version": version, "mode": mode, "remark": c.remark,
    })


@checks.check("signing-authority", decisions=(Decision(SIGN, "Schlusszeichnen", primary=True),))
def _check_signing_authority(c: Completion) -> None:
    variables = engine.instance_variables(c.ctx, c.instance.id)
    group = variables.get("signerGroup")
    if not may_sign(c.ctx, c.by, group if isinstance(group, str) else None):
        raise PermissionDenied(
            f"{c.by} hat keine Zeichnungsbefugnis für {group or 'diese Sache'} "
            "(config/signing.toml) / not entitled to sign for this matter"
        )
    if c.decision not in (None, "", "done", SIGN):
        raise InvalidInput(f"Entscheidung {c.decision!r}: sign / decision must be sign")
    version = _current_version(c.ctx, c.instance.document_id)
    cosigned = variables.get("cosignedVersion")
    if isinstance(cosigned, int):
        version = _unsigned_version(c.ctx, c.instance.document_id, version)
    if version is not None and isinstance(cosigned, int) and version > cosigned:
        raise Conflict(f"Version {version} wurde nach der Mitzeichnung (Version {cosigned}) "
                       "angelegt; erst erneut mitzeichnen lassen / the document changed after "
                       "co-signing")
    from workflows.signing_step import require_signature

    require_signature(c.ctx, c.values)
    c.decision = SIGN
    c.values.update(signer=c.by, signedVersion=version)


def _unsigned_version(ctx: Ctx, document_id: int | None, number: int | None) -> int | None:
    """The version whose content `number` carries: a version that only adds a signature or
    seal to the one before (Version.signature_of) stands for that one."""
    if document_id is None or number is None:
        return number
    versions = {v.number: v.signature_of for v in ctx.db.scalars(
        select(Version).where(Version.document_id == document_id))}
    while versions.get(number) is not None:
        number = versions[number]
    return number


# --- a new version invalidates co-signatures ------------------------------------------------


def _version_of(entry: Any) -> int:
    value = entry.get("version") if isinstance(entry, dict) else None
    return value if isinstance(value, int) else 0


def _on_version_added(ctx: Ctx, document: Document, version: Version) -> None:
    if version.signature_of is not None:
        return  # a signature or seal on the same content: what was co-signed still stands
    for instance in ctx.db.scalars(
        select(ProcessInstance)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessDefinition.key == PROCESS_KEY, ProcessInstance.document_id == document.id,
               ProcessInstance.status == "running")
    ).all():
        _react(ctx, instance, document, version)


def _react(ctx: Ctx, instance: ProcessInstance, document: Document, version: Version) -> None:
    stages: set[str] = set()
    for task in ctx.db.scalars(select(Task).where(Task.instance_id == instance.id,
                                                  Task.status == "open")):
        stages.update(checks.names_for(element_of(ctx, task, instance)))
    if not stages & {"cosign", "signing-authority"}:
        return  # being prepared or revised: the round to come asks for the current version
    variables = engine.instance_variables(ctx, instance.id)
    stale = [e for e in variables.get("cosignatures") or []
             if isinstance(e, dict) and e.get("decision") == APPROVE
             and _version_of(e) < version.number]
    if not stale:
        engine.set_variables(ctx, instance.id, {"cosignedVersion": version.number},
                             reason=f"Version {version.number} vor der ersten Mitzeichnung")
        return
    _restart(ctx, instance, document, version, variables, stale)


def _restart(ctx: Ctx, instance: ProcessInstance, document: Document, version: Version,
             variables: dict[str, Any], stale: list[dict[str, Any]]) -> ProcessInstance:
    previous = variables.get("cosignedVersion")
    reason = (f"Version {version.number} ersetzt die mitgezeichnete Version {previous}: "
              "Mitzeichnungen ungültig, Mitzeichnung beginnt neu")
    invalidated = [e.get("by") for e in stale]
    engine.cancel(ctx, instance.id, reason)
    case = ctx.db.get(Case, instance.case_id) if instance.case_id else document.case
    assert case is not None
    fresh = {k: variables[k] for k in START_VARIABLES if k in variables}
    fresh.update(previousInstance=instance.id, restartReason=reason)
    new = _launch(ctx, document, case, fresh, version.number)
    details = {"version": version.number, "previous_version": previous,
               "invalidated": invalidated, "new_instance": new.id,
               "author": variables.get("author")}
    engine.note(ctx, instance.id, "cosign.invalidated", details)
    engine.note(ctx, new.id, "cosign.restarted", {**details, "previous_instance": instance.id})
    shown = {**details, "invalidated": ", ".join(str(i) for i in invalidated)}
    audit.record(ctx, "cosign.invalidated", "process_instance", instance.id, after=shown)
    audit.record(ctx, "cosign.invalidated", "document", document.id,
                 after={**shown, "instance": instance.id})
    return new


def install() -> None:
    """Register the version hook (idempotent); done when this module is imported."""
    if _on_version_added not in hooks.after_version_added:
        hooks.after_version_added.append(_on_version_added)


install()


# --- reading: the co-signing state of a document --------------------------------------------


@dataclass(frozen=True)
class CosignerState:
    value: str
    kind: str  # user | office
    name: str
    state: str  # pending | approved | refused | waiting (sequential: not yet asked)
    by: str | None = None
    remark: str | None = None
    version: int | None = None
    at: str | None = None


@dataclass(frozen=True)
class CosignState:
    instance: ProcessInstance
    stage: str  # cosigning | revise | signature | finishing | completed | cancelled | failed
    mode: str
    author: str
    signer_group: str | None
    cosigned_version: int | None
    cosigners: list[CosignerState] = field(default_factory=list)
    open_tasks: list[Task] = field(default_factory=list)
    restart_reason: str | None = None


def _visible_document(ctx: Ctx, document_id: int) -> Document:
    document = ctx.db.scalar(
        select(Document).join(Case, Case.id == Document.case_id)
        .join(File, File.id == Case.file_id)
        .where(Document.id == document_id, visible_files(ctx.actor))
    )
    if document is None:
        raise NotFound(f"Dokument {document_id} nicht gefunden / document not found")
    return document


def cosign_history(ctx: Ctx, document_id: int, limit: int = 10) -> list[CosignState]:
    """Co-signing rounds of a document the caller may see, newest first."""
    document = _visible_document(ctx, document_id)
    instances = ctx.db.scalars(
        select(ProcessInstance)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessDefinition.key == PROCESS_KEY, ProcessInstance.document_id == document.id)
        .order_by(ProcessInstance.id.desc()).limit(limit)
    ).all()
    return [state_of(ctx, i) for i in instances]


def state_of(ctx: Ctx, instance: ProcessInstance) -> CosignState:
    """The co-signing state of an instance the caller may already see."""
    variables = engine.instance_variables(ctx, instance.id)
    open_tasks = list(ctx.db.scalars(select(Task).where(
        Task.instance_id == instance.id, Task.status == "open").order_by(Task.id)))
    stages: set[str] = set()
    for task in open_tasks:
        stages.update(checks.names_for(element_of(ctx, task, instance)))
    if instance.status != "running":
        stage = instance.status
    elif "cosign" in stages:
        stage = "cosigning"
    elif "cosign-revise" in stages:
        stage = "revise"
    elif "signing-authority" in stages:
        stage = "signature"
    else:
        stage = "finishing"
    entries = [e for e in variables.get("cosignatures") or [] if isinstance(e, dict)]
    offices = variables.get("cosignerOffices") or {}
    names = _display_names(ctx, [str(v) for v in variables.get("cosigners") or []], offices)
    executions = [t.execution_id for t in open_tasks if t.execution_id is not None]
    asked = {row.get("v") for row in ctx.db.scalars(select(Variable.value).where(
        Variable.instance_id == instance.id, Variable.scope_id.in_(executions),
        Variable.name == "cosigner"))} if executions else set()
    people = []
    for value in [str(v) for v in variables.get("cosigners") or []]:
        done = next((e for e in reversed(entries) if e.get("for") == value), None)
        kind = "office" if value in offices else "user"
        if done is not None:
            people.append(CosignerState(
                value, kind, names.get(value, value),
                "approved" if done.get("decision") == APPROVE else "refused",
                by=done.get("by"), remark=done.get("remark"), version=_version_of(done) or None,
                at=done.get("at")))
        else:
            state = "pending" if value in asked or stage != "cosigning" else "waiting"
            people.append(CosignerState(value, kind, names.get(value, value), state))
    cosigned = variables.get("cosignedVersion")
    group = variables.get("signerGroup")
    reason = variables.get("restartReason")
    return CosignState(
        instance=instance, stage=stage, mode=str(variables.get("cosignMode") or "parallel"),
        author=str(variables.get("author") or instance.started_by),
        signer_group=group if isinstance(group, str) else None,
        cosigned_version=cosigned if isinstance(cosigned, int) else None,
        cosigners=people, open_tasks=open_tasks,
        restart_reason=reason if isinstance(reason, str) else None,
    )


def _display_names(ctx: Ctx, values: list[str], offices: dict[str, Any]) -> dict[str, str]:
    users = dict(ctx.db.execute(select(User.username, User.display_name)
                                .where(User.username.in_(values))).all())
    office_names = dict(ctx.db.execute(select(Office.code, Office.name)
                                       .where(Office.code.in_(list(offices)))).all())
    return {**users, **{code: f"Amt {code} {name}" for code, name in office_names.items()}}


def timestamp(value: str | None) -> datetime | None:
    """The ISO timestamps kept in `cosignatures`, for display."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
