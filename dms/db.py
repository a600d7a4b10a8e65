"""Engine and session construction for SQLite (embedded default) and PostgreSQL.

SQLite transactions start with BEGIN IMMEDIATE: the audit chain reads its head and appends in
one transaction, and a deferred SQLite transaction could read a stale head and then fail (or,
worse, fork the chain) when it upgrades to a write lock. PostgreSQL locks the head row instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dms.errors import DatabaseUnavailable


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
        )
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def translate_db_errors(url_for_message: str) -> Iterator[None]:
    """Turn 'cannot connect' into an error that says which database and what to check."""
    try:
        yield
    except OperationalError as exc:
        text = str(exc.orig) if exc.orig else str(exc)
        if _looks_like_connection_failure(text):
            raise DatabaseUnavailable(
                f"Datenbank nicht erreichbar ({url_for_message}): {text.strip().splitlines()[0]}"
                " / database unreachable; check DMS_DATABASE_URL and that the server runs"
            ) from exc
        raise


def _looks_like_connection_failure(text: str) -> bool:
    needles = ("connection", "could not connect", "unable to open database", "server closed")
    return any(n in text.lower() for n in needles)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as a placeholder
        return "<invalid database URL>"
