"""Shared fixtures: every service test runs on SQLite and on PostgreSQL, with a local store.

Each test gets a freshly migrated database: SQLite by copying a migrated template file,
PostgreSQL by CREATE DATABASE ... TEMPLATE, both far cheaper than migrating per test.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dms.migrations import upgrade
from dms.services.context import SYSTEM, App
from dms.settings import load_settings
from tests.support.pg import find_pg_bin, throwaway_cluster
from tests.support.s3 import S3_ACCESS_KEY, S3_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    url = os.environ.get("DMS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    if find_pg_bin() is None:
        pytest.skip("!!! PostgreSQL tests SKIPPED: DMS_TEST_DATABASE_URL unset and no initdb !!!")
    with throwaway_cluster() as started:
        yield started


def _admin_url(server_url: str, database: str) -> str:
    head, _, _ = server_url.rpartition("/")
    return f"{head}/{database}"


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> Iterator[str]:
    """A migrated template database, one per test worker."""
    name = f"dms_tmpl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        _admin_url(pg_server_url, "postgres").replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_admin_url(pg_server_url, name))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def _admin_engine(server_url: str):  # type: ignore[no-untyped-def]
    return create_engine(
        _admin_url(server_url, "postgres").replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )


@contextmanager
def _pg_copy(server: str, template: str) -> Iterator[str]:
    name = f"dms_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(server)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _admin_url(server, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each dialect."""
    if request.param == "sqlite":
        target = tmp_path / "dms.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server = request.getfixturevalue("pg_server_url")
    with _pg_copy(server, request.getfixturevalue("pg_template")) as url:
        yield url


def make_app(database_url: str, home: Path, blobs: Path) -> App:
    return App.from_settings(
        load_settings(
            {
                "DMS_HOME": str(home),
                "DMS_DATABASE_URL": database_url,
                "DMS_STORAGE_URL": str(blobs),
                "DMS_CONFIG_DIR": str(ROOT / "config"),
            }
        )
    )


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[App]:
    instance = make_app(database_url, tmp_path / "home", tmp_path / "blobs")
    yield instance
    instance.dispose()


def _seed(url: str, blobs: Path, home: Path) -> None:
    from dms.services.demo import load_defaults, load_demo

    instance = make_app(url, home, blobs)
    with instance.unit(SYSTEM) as ctx:
        load_defaults(ctx)
        load_demo(ctx)
    instance.dispose()


@pytest.fixture(scope="session")
def sqlite_seeded_template(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("sqlite-seeded")
    shutil.copyfile(sqlite_template, base / "db.sqlite3")
    _seed(f"sqlite:///{base / 'db.sqlite3'}", base / "blobs", base)
    return base / "db.sqlite3", base / "blobs"


@pytest.fixture(scope="session")
def pg_seeded_template(
    pg_server_url: str, pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("pg-seeded")
    name = f"dms_seed_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(pg_server_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    _seed(_admin_url(pg_server_url, name), base / "blobs", base)
    yield name, base / "blobs"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    """Offices, file plan, demo users and files, as after `dms init` (copied from a template
    seeded once per worker: hashing the demo passwords with argon2 is deliberately slow)."""
    blobs = tmp_path / "blobs"
    if request.param == "sqlite":
        db_file, template_blobs = request.getfixturevalue("sqlite_seeded_template")
        shutil.copyfile(db_file, tmp_path / "dms.sqlite3")
        shutil.copytree(template_blobs, blobs)
        instance = make_app(f"sqlite:///{tmp_path / 'dms.sqlite3'}", tmp_path / "home", blobs)
        yield instance
        instance.dispose()
        return
    server = request.getfixturevalue("pg_server_url")
    name, template_blobs = request.getfixturevalue("pg_seeded_template")
    shutil.copytree(template_blobs, blobs)
    with _pg_copy(server, name) as url:
        instance = make_app(url, tmp_path / "home", blobs)
        yield instance
        instance.dispose()




@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """Start moto's S3 server on 127.0.0.1 for the session; yield "127.0.0.1:PORT".

    Port 0 lets the kernel pick a free port atomically (no probe-then-bind race between
    parallel test runs); the real port is read back from the bound socket.
    """
    from moto.server import ThreadedMotoServer

    # One log line per request on stderr would drown real failures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def make_s3_url(s3_endpoint: str) -> Callable[..., str]:
    """Return a factory for store URLs pointing at a fresh, uniquely named bucket."""

    def make(bucket: str | None = None, **extra: str) -> str:
        bucket = bucket or f"dms-test-{uuid.uuid4().hex}"
        params = {
            "endpoint": s3_endpoint,
            "secure": "false",
            "region": "us-east-1",
            "access_key": S3_ACCESS_KEY,
            "secret_key": S3_SECRET_KEY,
        }
        params.update(extra)
        return f"s3://{bucket}?" + "&".join(f"{k}={v}" for k, v in params.items())

    return make
