"""Engine fixtures: a seeded e-file (users, offices) on both databases, and helpers to deploy
models, start instances and act as users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dms.services.context import SYSTEM, App
from tests.support.actors import as_user
from workflows import engine, tasks
from workflows.inbox import InboxFilter, list_inbox
from workflows.models import Task


class Flow:
    """Drive one app: deploy, start, look at inboxes, complete tasks."""

    def __init__(self, app: App) -> None:
        self.app = app

    def deploy(self, xml: bytes) -> list[int]:
        with self.app.unit(SYSTEM) as ctx:
            return [d.id for d in engine.deploy(ctx, xml)]

    def start(self, key: str, **variables: Any) -> int:
        with self.app.unit(SYSTEM) as ctx:
            return engine.start(ctx, key, variables).id

    def inbox(self, user: str, view: str = "all") -> list[Task]:
        with as_user(self.app, user) as ctx:
            items, _ = list_inbox(ctx, InboxFilter(view=view, limit=200))
            return [i.task for i in items]

    def open_tasks(self, instance_id: int) -> list[Task]:
        from sqlalchemy import select

        with self.app.unit(SYSTEM) as ctx:
            return list(ctx.db.scalars(select(Task).where(
                Task.instance_id == instance_id, Task.status == "open").order_by(Task.id)))

    def complete(self, user: str, task_id: int, **variables: Any) -> None:
        with as_user(self.app, user) as ctx:
            tasks.complete(ctx, task_id, variables=variables)

    def status(self, instance_id: int) -> dict[str, Any]:
        from workflows.status import instance_status

        with self.app.unit(SYSTEM) as ctx:
            return instance_status(ctx, instance_id)

    def act(self, user: str, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with as_user(self.app, user) as ctx:
            return action(ctx, *args, **kwargs)


@pytest.fixture
def flow(seeded: App) -> Flow:
    return Flow(seeded)
