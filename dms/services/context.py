"""Who is acting, and the unit of work every service call runs inside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Engine,
    Select,
    and_,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, sessionmaker

from dms.db import make_engine, make_session_factory, safe_url, translate_db_errors
from dms.models import Deputy, GroupMember, User, UserRole
from dms.settings import Settings
from dms.storage import ObjectStore, open_store


@dataclass(frozen=True)
class Deputised:
    """A colleague the actor stands in for today (Vertretung), as far as file access needs it.

    Resolved once when the actor is built (once per request or unit of work), so that
    `access.visible_files` stays a plain SQL condition without a join per row.
    """

    user_id: int
    office_id: int | None
    clerk: bool  # the colleague's office files come with the clerk role, as for the colleague


@dataclass(frozen=True)
class Actor:
    """The authenticated principal; permissions are decided from these fields alone."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    office_id: int | None = None
    group_ids: frozenset[int] = field(default_factory=frozenset)
    # Vertretung: colleagues whose absence the actor covers today (see dms.services.access)
    deputising: tuple[Deputised, ...] = ()

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles


#: The operator at the command line of the server: full rights, named in the audit trail.
SYSTEM = Actor(user_id=None, username="system", roles=frozenset({"admin"}))


_GROUP, _DEPUTISED = 0, 1


def actor_for(
    db: Session, user: User, *, with_deputies: bool = True, today: date | None = None
) -> Actor:
    """The actor for `user`, with their groups and the colleagues they deputise for today.

    One round trip for both (UNION ALL), so that a user without Vertretung costs no extra
    query. `with_deputies=False` gives the user's own rights only, for decisions that must
    outlast a Vertretung (e.g. whether a co-signer needs a share of the file).
    """
    groups = select(
        literal_column(str(_GROUP)).label("kind"),
        GroupMember.group_id.label("id"),
        null().label("office_id"),
        null().label("role"),
    ).where(GroupMember.user_id == user.id)
    query: Select[Any] | CompoundSelect = groups
    if with_deputies:
        today = today or date.today()
        deputised = (
            select(literal_column(str(_DEPUTISED)), User.id, User.office_id, UserRole.role)
            .join(Deputy, Deputy.absent_user_id == User.id)
            .outerjoin(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "clerk"))
            .where(
                Deputy.deputy_user_id == user.id,
                Deputy.starts_on <= today,
                or_(Deputy.ends_on.is_(None), Deputy.ends_on >= today),
                User.active.is_(True),  # an inactive account reads nothing, so hands on nothing
            )
        )
        query = union_all(groups, deputised)
    group_ids: set[int] = set()
    deputising: dict[int, Deputised] = {}  # two overlapping Vertretungen count once
    for kind, row_id, office_id, role in db.execute(query):
        if kind == _GROUP:
            group_ids.add(row_id)
        else:
            deputising[row_id] = Deputised(row_id, office_id, role == "clerk")
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=user.roles,
        office_id=user.office_id,
        group_ids=frozenset(group_ids),
        deputising=tuple(deputising[k] for k in sorted(deputising)),
    )


@dataclass
class App:
    """Process-wide handles: settings, database engine, object store. Built once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def from_settings(cls, settings: Settings) -> App:
        engine = make_engine(settings.effective_database_url)
        return cls(settings=settings, engine=engine, sessions=make_session_factory(engine))

    @cached_property
    def store(self) -> ObjectStore:
        return open_store(self.settings.effective_storage_url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit(self, actor: Actor) -> Iterator[Ctx]:
        """One transaction: commits when the block ends normally, rolls back otherwise."""
        with translate_db_errors(safe_url(self.settings.effective_database_url)):
            session = self.sessions()
            try:
                yield Ctx(db=session, actor=actor, app=self)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass
class Ctx:
    """What a service function needs: the open session, who acts, and the app handles."""

    db: Session
    actor: Actor
    app: App
