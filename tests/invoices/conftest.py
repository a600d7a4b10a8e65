"""Fixtures for the invoice register: the demo e-file with the shipped process models
deployed (the invoice approval among them), and a helper that imports an e-invoice as a user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dms.services.context import SYSTEM, App
from dms.web.app import create_app
from ingest.invoice_register import import_file
from tests.einvoice.builders import build
from tests.support.actors import actor_of

ROOT = Path(__file__).resolve().parents[2]
LEITWEG_63 = "08315-63-12"  # config/leitweg.toml: Bauordnungsamt


@pytest.fixture
def finance(seeded: App) -> App:
    """The demo e-file with config/processes/*.bpmn deployed, as `dms init` leaves it."""
    from workflows.shipped import deploy_shipped

    with seeded.unit(SYSTEM) as ctx:
        deploy_shipped(ctx)
    return seeded


@pytest.fixture
def web(finance: App) -> Iterator[TestClient]:
    with TestClient(create_app(finance), base_url="http://testserver") as client:
        yield client


def import_invoice(app: App, tmp_path: Path, spec: dict[str, Any] | None = None, *,
                   username: str = "schmidt", syntax: str = "cii", data: bytes | None = None,
                   name: str = "rechnung.xml", office: str | None = None) -> int:
    path = tmp_path / name
    path.write_bytes(data if data is not None else build(spec, syntax=syntax))
    return import_file(app, actor_of(app, username), path, name, office_code=office)
