"""Ending the demo Vertretung, for tests that need a clerk of another office as an outsider.

The demo data lets weber (office 50) stand in for mueller (office 63) from the day of seeding,
open-ended; while that lasts weber reads and writes office 63's files like mueller
(dms.services.access). Tests about "a clerk of another office" end it first.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, update

from dms.models import Deputy
from dms.services.context import SYSTEM, App
from dms.services.users import user_by_name


def end_vertretung(app: App, deputy: str = "weber", today: date | None = None) -> int:
    """Let every Vertretung of `deputy` that is active today have ended yesterday; returns
    how many were ended."""
    today = today or date.today()
    yesterday = today - timedelta(days=1)
    with app.unit(SYSTEM) as ctx:
        user_id = user_by_name(ctx.db, deputy).id
        result = ctx.db.execute(
            update(Deputy)
            .where(
                Deputy.deputy_user_id == user_id,
                Deputy.starts_on <= today,
                or_(Deputy.ends_on.is_(None), Deputy.ends_on >= today),
            )
            .values(starts_on=yesterday - timedelta(days=7), ends_on=yesterday)
        )
        return int(result.rowcount or 0)
