"""The final signature (Schlusszeichnung) as a real electronic signature, and the seal on
outgoing notices.

`sign_task` is the inbox's "sign" action on a task whose model names the completion check
"signing-authority": the entitled person signs the co-signed version with their own key
(PAdES, see dms.services.signatures); the signature is made while no transaction is open,
then the signed version and the task's completion commit together: a refused completion
takes the signed version back with it. The seal is a
service task (`seal-document`) that seals the current version with the office's seal.

A plain approval without a signature is accepted only where config/signatures.toml allows it
(`[final_signature] plain_approval = true`), for offices that do not sign electronically yet.
"""

from __future__ import annotations

import os
from typing import Any

from dms.errors import ConfigError, InvalidInput, NotFound, PermissionDenied
from dms.services import audit, signatures
from dms.services.context import Actor, App, Ctx
from workflows import checks, engine
from workflows.handlers import HandlerCall, handler
from workflows.models import ProcessInstance, Task
from workflows.tasks import element_of

SIGNING_CHECK = "signing-authority"
LEVEL_PROPERTY = "signatureLevel"  # a user task's extension property: the PAdES level
SEAL_PASSPHRASE_ENV = "DMS_SEAL_PASSPHRASE"


def plain_approval_allowed(ctx: Ctx) -> bool:
    return signatures.settings_for(ctx).plain_approval


def is_signing_task(ctx: Ctx, task: Task) -> bool:
    return SIGNING_CHECK in checks.names_for(element_of(ctx, task))


def sign_task(app: App, actor: Actor, task_id: int, *, key_id: int, secret: str | None,
              level: str | None = None, visible: bool = True, remark: str | None = None,
              variables: dict[str, Any] | None = None) -> signatures.SignResult:
    """Sign the instance's document with the person's key and complete the task. The task and
    the signing authority are checked first; the signature is made with no transaction open
    (signatures.sign_document_now); the signed version and the completion then commit
    together, and completing checks the task again (still open, still this person's)."""
    from workflows import cosign, tasks

    with app.unit(actor) as ctx:
        task = tasks.get_task(ctx, task_id).task  # NotFound unless the person may see it
        if task.status != "open":
            raise InvalidInput(f"Aufgabe {task_id} ist bereits erledigt / task is no longer "
                               "open")
        if not is_signing_task(ctx, task):
            raise InvalidInput("Diese Aufgabe ist keine Schlusszeichnung / not a "
                               "final-signature task")
        instance = ctx.db.get(ProcessInstance, task.instance_id)
        assert instance is not None
        if instance.document_id is None:
            raise InvalidInput("Zu dieser Aufgabe gehört kein Dokument / no document to sign")
        group = engine.instance_variables(ctx, instance.id).get("signerGroup")
        if not cosign.may_sign(ctx, ctx.actor.username,
                               group if isinstance(group, str) else None):
            raise PermissionDenied(f"{ctx.actor.username} hat keine Zeichnungsbefugnis für "
                                   f"{group or 'diese Sache'} / not entitled to sign")
        # the level: as chosen, else as the model's step asks (extension property
        # `signatureLevel`), else the office's policy (signatures.toml)
        step = element_of(ctx, task, instance)
        level = level or getattr(step, "properties", {}).get(LEVEL_PROPERTY) or None
        document_id = instance.document_id

    def complete(ctx: Ctx, result: signatures.SignResult) -> None:
        tasks.complete(ctx, task_id, decision="sign", remark=remark, variables={
            **(variables or {}), "signatureVersion": result.version.number,
            "signatureLevel": result.level, "signatureKey": result.key_label,
        })

    return signatures.sign_document_now(
        app, actor, document_id=document_id, key_id=key_id, secret=secret, level=level,
        visible=visible, reason="Schlusszeichnung", then=complete)


def require_signature(ctx: Ctx, values: dict[str, Any]) -> None:
    """Called by the signing-authority check: without a signature, only where allowed."""
    if values.get("signatureVersion") is None and not plain_approval_allowed(ctx):
        raise InvalidInput("Schlusszeichnung verlangt eine elektronische Signatur: bitte "
                           "„Signieren“ wählen / the final signature must be an electronic "
                           "signature")


@handler("sign-document")
def confirm_signature(call: HandlerCall) -> dict[str, Any]:
    """After the final signature: record how it was given (PAdES signature or, where the
    office allows it, a plain approval)."""
    variables = call.variables
    method = "pades" if variables.get("signatureVersion") is not None else "approval"
    audit.record(call.ctx, "document.final_signature", "document", call.document_id or "-",
                 after={"instance": call.instance_id, "method": method,
                        "signer": variables.get("signer"),
                        "version": variables.get("signatureVersion")})
    return {"signed": True, "signatureMethod": method}


def seal_passphrase(ctx: Ctx) -> str | None:
    """The seal's passphrase or PIN: DMS_SEAL_PASSPHRASE, else $DMS_HOME/secrets/seal."""
    value = os.environ.get(SEAL_PASSPHRASE_ENV)
    if value:
        return value
    path = ctx.app.settings.home / "secrets" / "seal"
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def step_level(ctx: Ctx, task: Task, instance: ProcessInstance) -> str:
    """The level the signing form preselects: the step's, else the office's policy."""
    from dms.models import Document

    step = element_of(ctx, task, instance)
    wanted = getattr(step, "properties", {}).get(LEVEL_PROPERTY)
    if wanted:
        return str(wanted)
    document = ctx.db.get(Document, instance.document_id) if instance.document_id else None
    return signatures.office_level(ctx, document.case.file.office_id if document else None)


@handler("seal-document")
def seal_document(call: HandlerCall) -> dict[str, Any]:
    """Seal the outgoing document (elektronisches Siegel of the office, else of the
    organisation); without a seal the job fails with a reason an administrator can act on."""
    from dms.models import Document

    if call.document_id is None:
        return {"sealed": False}
    document = call.ctx.db.get(Document, call.document_id)
    if document is None:
        raise NotFound(f"Dokument {call.document_id} nicht gefunden / document not found")
    key = signatures.seal_key_for(call.ctx, document.case.file.office_id)
    if key is None:
        raise ConfigError("Kein Siegel hinterlegt (dms keys add --purpose seal) / no seal key "
                          "configured")
    result = signatures.sign_document(call.ctx, document_id=document.id, key_id=key.id,
                                      secret=seal_passphrase(call.ctx),
                                      reason="Elektronisches Siegel")
    return {"sealed": True, "sealVersion": result.version.number}
