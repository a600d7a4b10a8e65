"""Who is calling: session cookie (browser, with CSRF token) or Bearer token (API clients).

Every route opens exactly one unit of work through `request_unit`, which authenticates inside
that transaction and then acts as the user; services do all permission checks.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request

from dms.errors import AuthenticationRequired, PermissionDenied
from dms.services import users
from dms.services.context import Actor, App, Ctx
from dms.services.users import SessionActor

SESSION_COOKIE = "dms_session"
LOGIN_CSRF_COOKIE = "dms_login_csrf"
CSRF_HEADER = "x-csrf-token"
ANONYMOUS = Actor(user_id=None, username="anonymous", roles=frozenset())
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def dms_app(request: Request) -> App:
    return request.app.state.dms  # type: ignore[no-any-return]


def _authenticate(ctx: Ctx, request: Request) -> SessionActor:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return users.actor_from_api_token(ctx.db, header[7:].strip())
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthenticationRequired("Bitte anmelden / please log in")
    return users.actor_from_session(ctx.db, token)


def _check_csrf(request: Request, who: SessionActor, form_token: str | None) -> None:
    if who.csrf_token is None or request.method not in UNSAFE_METHODS:
        return  # bearer tokens are not sent automatically by browsers: no CSRF risk
    supplied = request.headers.get(CSRF_HEADER) or form_token or ""
    if not hmac.compare_digest(supplied, who.csrf_token):
        raise PermissionDenied(
            "Sicherheitstoken fehlt oder ist abgelaufen; Seite neu laden "
            "/ CSRF token missing or stale; reload the page"
        )


@contextmanager
def request_unit(request: Request, form_token: str | None = None) -> Iterator[Ctx]:
    """Authenticate, check CSRF for state changes, and yield the unit acting as the caller."""
    with dms_app(request).unit(ANONYMOUS) as ctx:
        who = _authenticate(ctx, request)
        _check_csrf(request, who, form_token)
        ctx.actor = who.actor
        request.state.user = who.user
        request.state.csrf_token = who.csrf_token
        yield ctx


def optional_user(request: Request) -> SessionActor | None:
    """For pages that render differently when logged in (login page, error pages)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with dms_app(request).unit(ANONYMOUS) as ctx:
        try:
            return users.actor_from_session(ctx.db, token)
        except AuthenticationRequired:
            return None
