"""The shipped process models (config/processes/*.bpmn) and a few demo instances, for
`dms init`: a demo where the clerk's inbox is not empty."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from dms.models import Case, Document, File, Office
from dms.services.context import SYSTEM, App, Ctx, actor_for
from dms.services.users import user_by_name
from workflows import engine, jobs, tasks
from workflows.models import ProcessDefinition, Task


def deploy_shipped(ctx: Ctx) -> list[ProcessDefinition]:
    """Deploy every model in config/processes (unchanged files keep their version)."""
    deployed: list[ProcessDefinition] = []
    for path in sorted((ctx.app.settings.config_dir / "processes").glob("*.bpmn")):
        deployed.extend(engine.deploy(ctx, path.read_bytes(), source=path.name))
    return deployed


def _office_case(ctx: Ctx, office_code: str) -> tuple[Case, list[Document]]:
    case = ctx.db.scalar(
        select(Case).join(File, File.id == Case.file_id).join(Office, Office.id == File.office_id)
        .where(Office.code == office_code).order_by(Case.id).limit(1))
    if case is None:
        raise LookupError(f"no demo case for office {office_code}")
    docs = list(ctx.db.scalars(select(Document).where(Document.case_id == case.id)
                               .order_by(Document.id)))
    return case, docs


def start_demo(app: App, clerk: str = "mueller", office: str = "63") -> list[int]:
    """Three tasks for the demo clerk: a letter in the office queue (group), a letter she
    took on (her own) and a resubmission due today (Wiedervorlage). Returns instance ids."""
    with app.unit(SYSTEM) as ctx:
        case, docs = _office_case(ctx, office)
        actor = actor_for(ctx.db, user_by_name(ctx.db, clerk))
        first, second = (docs + docs)[:2] if docs else (None, None)
        queued = engine.start(ctx, "letter-distribution", {"office": office},
                              business_key=case.reference, case_id=case.id,
                              document_id=second.id if second else None)
        taken = engine.start(ctx, "letter-distribution", {"office": office},
                             business_key=case.reference, case_id=case.id,
                             document_id=first.id if first else None)
        ids = [queued.id, taken.id]
    with app.unit(actor) as ctx:  # the clerk takes the first letter on herself
        task_id = ctx.db.scalar(select(Task.id).where(Task.instance_id == ids[1],
                                                      Task.status == "open"))
        assert task_id is not None
        tasks.claim(ctx, task_id)
        tasks.complete(ctx, task_id, variables={"clerk": clerk},
                       remark="Übernehme ich selbst.")
        resubmission = engine.start(ctx, "resubmission", {
            "owner": clerk, "resubmitOn": date.today().isoformat(),
        }, business_key=case.reference, case_id=case.id)
        ids.append(resubmission.id)
    jobs.run_due(app)  # the resubmission date is today: its task appears now
    return ids
