"""The file plan (Aktenplan) tree: reading it, and loading it from config/ as data."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from dms.errors import NotFound, PermissionDenied
from dms.models import File, PlanNode
from dms.services import audit
from dms.services.access import visible_files
from dms.services.context import Ctx


@dataclass
class PlanEntry:
    node: PlanNode
    visible_files: int = 0
    children: list[PlanEntry] = field(default_factory=list)


def tree(ctx: Ctx) -> list[PlanEntry]:
    """Whole plan with the number of files the actor can see under each node."""
    nodes = ctx.db.scalars(select(PlanNode).order_by(PlanNode.position, PlanNode.code)).all()
    counts = dict(
        ctx.db.execute(
            select(File.plan_node_id, func.count())
            .where(visible_files(ctx.actor))
            .group_by(File.plan_node_id)
        ).all()
    )
    entries = {n.id: PlanEntry(n, counts.get(n.id, 0)) for n in nodes}
    roots: list[PlanEntry] = []
    for entry in entries.values():
        parent = entries.get(entry.node.parent_id) if entry.node.parent_id else None
        (parent.children if parent else roots).append(entry)
    return roots


def get_node(ctx: Ctx, node_id: int) -> PlanNode:
    node = ctx.db.get(PlanNode, node_id)
    if node is None:
        raise NotFound(f"Aktenplan-Position {node_id} nicht gefunden / plan node not found")
    return node


def node_by_code(ctx: Ctx, code: str) -> PlanNode:
    node = ctx.db.scalar(select(PlanNode).where(PlanNode.code == code))
    if node is None:
        raise NotFound(
            f"Aktenplan-Kennzeichen {code!r} gibt es nicht / no plan node with this code"
        )
    return node


def breadcrumb(ctx: Ctx, node: PlanNode) -> list[PlanNode]:
    chain = [node]
    while chain[-1].parent_id is not None:
        chain.append(ctx.db.get(PlanNode, chain[-1].parent_id))  # type: ignore[arg-type]
    return list(reversed(chain))


def upsert_node(
    ctx: Ctx,
    *,
    code: str,
    title: str,
    parent_code: str | None,
    position: int,
    retention_years: int | None = None,
    retention_action: str | None = None,
) -> PlanNode:
    """Administrators maintain the plan; loading config/ goes through here too (audited)."""
    if not ctx.actor.is_admin:
        raise PermissionDenied("Nur die Verwaltung pflegt den Aktenplan / admins only")
    parent = node_by_code(ctx, parent_code) if parent_code else None
    node = ctx.db.scalar(select(PlanNode).where(PlanNode.code == code))
    values = {
        "title": title,
        "parent_id": parent.id if parent else None,
        "position": position,
        "retention_years": retention_years,
        "retention_action": retention_action,
    }
    if node is None:
        node = PlanNode(code=code, **values)
        ctx.db.add(node)
        ctx.db.flush()
        audit.record(ctx, "plan.create", "plan_node", node.id, after={"code": code, **values})
    else:
        before = {k: getattr(node, k) for k in values}
        if before != values:
            for key, value in values.items():
                setattr(node, key, value)
            audit.record(ctx, "plan.update", "plan_node", node.id, before=before, after=values)
    return node
