"""Acting as a named user in tests, the way the web app does after login."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dms.services.context import SYSTEM, Actor, App, Ctx, actor_for
from dms.services.users import user_by_name


@contextmanager
def as_user(app: App, username: str) -> Iterator[Ctx]:
    with app.unit(SYSTEM) as ctx:
        actor = actor_for(ctx.db, user_by_name(ctx.db, username))
    with app.unit(actor) as ctx:
        yield ctx


def actor_of(app: App, username: str) -> Actor:
    """The actor a service acting in its own units (e.g. signing) is given for `username`."""
    with app.unit(SYSTEM) as ctx:
        return actor_for(ctx.db, user_by_name(ctx.db, username))
