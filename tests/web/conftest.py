"""Web fixtures: an app with demo data, and clients logged in as the demo users."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dms.services.context import SYSTEM, App
from dms.services.users import create_api_token
from dms.web.app import create_app

DEMO_PASSWORD = "demo-passwort"


@pytest.fixture
def web(seeded: App) -> Iterator[TestClient]:
    with TestClient(create_app(seeded), base_url="http://testserver") as client:
        yield client


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Log in through the login form; returns the CSRF token for later form posts."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    response = client.post(
        "/login",
        data={"username": username, "password": password,
              "csrf_token": token.group(1) if token else ""},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get("/")
    match = re.search(r'name="csrf-token" content="([^"]+)"', home.text)
    assert match, "pages must carry <meta name=\"csrf-token\" content=...>"
    return match.group(1)


def api_token(app: App, username: str) -> dict[str, str]:
    with app.unit(SYSTEM) as ctx:
        token = create_api_token(ctx, username, "test")
    return {"Authorization": f"Bearer {token}"}
