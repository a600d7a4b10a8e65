"""Who a task may reach: the actor's user name, groups (group names and the office code) and
the colleagues the actor stands in for today (Vertretung)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dms.models import Deputy, Group, GroupMember, Office, User
from dms.services.context import Actor


@dataclass(frozen=True)
class StandIn:
    username: str
    display_name: str
    until: date | None


@dataclass(frozen=True)
class Reach:
    username: str
    groups: frozenset[str]
    stand_ins: tuple[StandIn, ...]

    @property
    def absent_usernames(self) -> list[str]:
        return [s.username for s in self.stand_ins]


def group_keys(db: Session, user_id: int | None, office_id: int | None) -> frozenset[str]:
    keys: set[str] = set()
    if user_id is not None:
        keys.update(db.scalars(
            select(Group.name).join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.user_id == user_id)
        ))
    if office_id is not None:
        code = db.scalar(select(Office.code).where(Office.id == office_id))
        if code:
            keys.add(code)
    return frozenset(keys)


def reach_of(db: Session, actor: Actor, today: date | None = None) -> Reach:
    today = today or date.today()
    stand_ins: list[StandIn] = []
    if actor.user_id is not None:
        rows = db.execute(
            select(User.username, User.display_name, Deputy.ends_on)
            .join(Deputy, Deputy.absent_user_id == User.id)
            .where(
                Deputy.deputy_user_id == actor.user_id,
                Deputy.starts_on <= today,
                or_(Deputy.ends_on.is_(None), Deputy.ends_on >= today),
            )
        ).all()
        stand_ins = [StandIn(u, n, e) for u, n, e in rows]
    return Reach(actor.username, group_keys(db, actor.user_id, actor.office_id),
                 tuple(stand_ins))
