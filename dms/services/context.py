"""Who is acting, and the unit of work every service call runs inside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from dms.db import make_engine, make_session_factory, safe_url, translate_db_errors
from dms.models import GroupMember, User
from dms.settings import Settings
from dms.storage import ObjectStore, open_store


@dataclass(frozen=True)
class Actor:
    """The authenticated principal; permissions are decided from these fields alone."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    office_id: int | None = None
    group_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles


#: The operator at the command line of the server: full rights, named in the audit trail.
SYSTEM = Actor(user_id=None, username="system", roles=frozenset({"admin"}))


def actor_for(db: Session, user: User) -> Actor:
    groups = db.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user.id))
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=user.roles,
        office_id=user.office_id,
        group_ids=frozenset(groups),
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
