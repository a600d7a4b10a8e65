"""Aktenzeichen: running numbers and the configurable scheme that formats them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dms.models import Counter


def next_number(db: Session, counter: str) -> int:
    """Take the next running number under a row lock; safe with concurrent writers."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.execute(insert(Counter).values(name=counter, value=0).on_conflict_do_nothing())
    row = db.execute(select(Counter).where(Counter.name == counter).with_for_update()).scalar_one()
    row.value += 1
    db.flush()
    return row.value


def file_reference(scheme: str, *, plan: str, seq: int, year: int) -> str:
    return scheme.format(plan=plan, seq=seq, year=year)


def case_reference(scheme: str, *, file: str, seq: int, year: int) -> str:
    return scheme.format(file=file, seq=seq, year=year)
