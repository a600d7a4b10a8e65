"""Users, roles, offices, groups and deputies; passwords, login sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dms.errors import AuthenticationRequired, Conflict, InvalidInput, NotFound, PermissionDenied
from dms.models import (
    ROLES,
    ApiToken,
    Deputy,
    Group,
    GroupMember,
    Office,
    User,
    UserRole,
    WebSession,
    utcnow,
)
from dms.services import audit
from dms.services.context import Actor, Ctx, actor_for

_hasher = PasswordHasher()
# Verifying against this keeps the time of "unknown user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _require_admin(ctx: Ctx) -> None:
    if not ctx.actor.is_admin:
        raise PermissionDenied("Nur für die Verwaltung / administrators only")


def ensure_office(ctx: Ctx, code: str, name: str) -> Office:
    _require_admin(ctx)
    office = ctx.db.scalar(select(Office).where(Office.code == code))
    if office is None:
        office = Office(code=code, name=name)
        ctx.db.add(office)
        ctx.db.flush()
        audit.record(ctx, "office.create", "office", office.id, after={"code": code, "name": name})
    return office


def office_by_code(ctx: Ctx, code: str) -> Office:
    office = ctx.db.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise NotFound(f"Amt {code!r} gibt es nicht / no such office")
    return office


def list_offices(ctx: Ctx) -> list[Office]:
    return list(ctx.db.scalars(select(Office).order_by(Office.code)))


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("Passwort braucht mindestens 8 Zeichen / password needs 8+ characters")


def create_user(
    ctx: Ctx,
    *,
    username: str,
    display_name: str,
    password: str | None,
    roles: list[str],
    office_code: str | None = None,
    email: str | None = None,
    job_title: str | None = None,
) -> User:
    _require_admin(ctx)
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("Benutzername: Buchstaben, Ziffern, . - _ / username: letters, digits")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InvalidInput(f"Unbekannte Rolle(n) {unknown}; erlaubt / allowed: {list(ROLES)}")
    if ctx.db.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"Benutzer {username!r} gibt es schon / user exists")
    office = office_by_code(ctx, office_code) if office_code else None
    if password is not None:
        _check_password(password)
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        job_title=job_title,
        office_id=office.id if office else None,
        password_hash=_hasher.hash(password) if password else None,
        role_rows=[UserRole(role=r) for r in sorted(set(roles))],
    )
    ctx.db.add(user)
    ctx.db.flush()
    audit.record(
        ctx,
        "user.create",
        "user",
        user.id,
        after={
            "username": username,
            "roles": sorted(set(roles)),
            "office": office_code,
        },
    )
    return user


def set_password(ctx: Ctx, username: str, password: str) -> None:
    user = user_by_name(ctx.db, username)
    if not ctx.actor.is_admin and ctx.actor.user_id != user.id:
        raise PermissionDenied("Nur das eigene Passwort ändern / only your own password")
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    audit.record(ctx, "user.password", "user", user.id)


def user_by_name(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"Benutzer {username!r} gibt es nicht / no such user")
    return user


def display_names(db: Session, user_ids: set[int | None]) -> dict[int, str]:
    """Names to show beside versions and events; unknown ids are simply absent."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    return dict(db.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


def list_users(ctx: Ctx) -> list[User]:
    return list(ctx.db.scalars(select(User).order_by(User.username)))


def add_to_group(ctx: Ctx, group_name: str, username: str, office_code: str | None = None) -> None:
    _require_admin(ctx)
    group = ctx.db.scalar(select(Group).where(Group.name == group_name))
    if group is None:
        office = office_by_code(ctx, office_code) if office_code else None
        group = Group(name=group_name, office_id=office.id if office else None)
        ctx.db.add(group)
        ctx.db.flush()
    user = user_by_name(ctx.db, username)
    if ctx.db.get(GroupMember, (group.id, user.id)) is None:
        ctx.db.add(GroupMember(group_id=group.id, user_id=user.id))
        audit.record(ctx, "group.join", "group", group.id, after={"user": user.username})


def add_deputy(ctx: Ctx, absent: str, deputy: str, starts_on: date, ends_on: date | None) -> Deputy:
    absent_user, deputy_user = user_by_name(ctx.db, absent), user_by_name(ctx.db, deputy)
    if not ctx.actor.is_admin and ctx.actor.user_id != absent_user.id:
        raise PermissionDenied("Vertretung nur für sich selbst eintragen / only for yourself")
    if absent_user.id == deputy_user.id:
        raise InvalidInput("Niemand vertritt sich selbst / nobody deputises for themselves")
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("Ende liegt vor dem Beginn / end before start")
    row = Deputy(
        absent_user_id=absent_user.id,
        deputy_user_id=deputy_user.id,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    ctx.db.add(row)
    ctx.db.flush()
    audit.record(
        ctx,
        "deputy.create",
        "user",
        absent_user.id,
        after={"deputy": deputy_user.username, "from": starts_on, "until": ends_on},
    )
    return row


# --- authentication -------------------------------------------------------------------


def authenticate(db: Session, username: str, password: str) -> User:
    """Check a password; the same message whether the user or the password was wrong."""
    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    stored = user.password_hash if user and user.active and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or stored is _DUMMY_HASH:
        raise AuthenticationRequired("Anmeldung fehlgeschlagen / login failed")
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return user


def login(ctx: Ctx, username: str, password: str, hours: int) -> NewSession | None:
    """Password login for the web app; success and failure both go into the audit trail."""
    try:
        user = authenticate(ctx.db, username, password)
    except AuthenticationRequired:
        audit.record(ctx, "user.login_failed", "user", username.strip().lower()[:64])
        return None
    ctx.actor = actor_for(ctx.db, user)
    audit.record(ctx, "user.login", "user", user.id)
    return start_session(ctx.db, user, hours)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str


def start_session(db: Session, user: User, hours: int) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    db.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    return NewSession(token, csrf)


@dataclass(frozen=True)
class SessionActor:
    actor: Actor
    user: User
    csrf_token: str | None  # None for API tokens, which need no CSRF protection


def actor_from_session(db: Session, token: str) -> SessionActor:
    row = db.get(WebSession, _digest(token))
    if row is None or row.expires_at < utcnow():
        raise AuthenticationRequired("Sitzung abgelaufen, bitte neu anmelden / session expired")
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationRequired("Konto gesperrt / account disabled")
    return SessionActor(actor_for(db, user), user, row.csrf_token)


def end_session(db: Session, token: str) -> None:
    db.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def create_api_token(ctx: Ctx, username: str, label: str, days: int | None = 365) -> str:
    user = user_by_name(ctx.db, username)
    if not ctx.actor.is_admin and ctx.actor.user_id != user.id:
        raise PermissionDenied("Nur eigene Tokens anlegen / only your own tokens")
    token = "dms_" + secrets.token_urlsafe(32)
    ctx.db.add(
        ApiToken(
            token_hash=_digest(token),
            user_id=user.id,
            label=label,
            expires_at=utcnow() + timedelta(days=days) if days else None,
        )
    )
    audit.record(ctx, "token.create", "user", user.id, after={"label": label})
    return token


def actor_from_api_token(db: Session, token: str) -> SessionActor:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or (row.expires_at is not None and row.expires_at < utcnow()):
        raise AuthenticationRequired("Ungültiges oder abgelaufenes Token / invalid token")
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationRequired("Konto gesperrt / account disabled")
    return SessionActor(actor_for(db, user), user, None)
