"""Shipped defaults (offices, file plan) and demo data, loaded from config/ as data."""

from __future__ import annotations

import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dms.content.text_pdf import text_pdf
from dms.errors import ConfigError
from dms.models import User
from dms.services import documents, fileplan, files, users
from dms.services.context import Ctx


def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Konfigurationsdatei fehlt / missing: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: kein gültiges TOML / invalid TOML: {exc}") from exc


def load_defaults(ctx: Ctx) -> None:
    """Offices and the file plan; idempotent, so `dms init` may run again after an update."""
    config = ctx.app.settings.config_dir
    for row in _load(config / "offices.toml").get("office", []):
        users.ensure_office(ctx, str(row["code"]), row["name"])
    for position, row in enumerate(_load(config / "fileplan.toml").get("node", [])):
        try:
            fileplan.upsert_node(
                ctx,
                code=str(row["code"]),
                title=row["title"],
                parent_code=row.get("parent"),
                position=position,
                retention_years=row.get("retention_years"),
                retention_action=row.get("action"),
            )
        except KeyError as exc:
            raise ConfigError(f"fileplan.toml, Eintrag {position + 1}: Feld {exc} fehlt") from exc


@dataclass(frozen=True)
class DemoSummary:
    users: list[str]
    password: str
    created: bool


def load_demo(ctx: Ctx) -> DemoSummary:
    """Demo users, deputies, files and documents; skipped if the demo users exist already."""
    demo = _load(ctx.app.settings.config_dir / "demo.toml")
    password = demo["password"]
    names = [u["username"] for u in demo.get("user", [])]
    if ctx.db.scalar(select(User.id).where(User.username.in_(names)).limit(1)):
        return DemoSummary(names, password, created=False)
    for row in demo.get("user", []):
        users.create_user(
            ctx,
            username=row["username"],
            display_name=row["display_name"],
            password=password,
            roles=row["roles"],
            office_code=row.get("office"),
            job_title=row.get("job_title"),
        )
        for group in row.get("groups", []):  # e.g. approval levels of invoices
            users.add_to_group(ctx, group, row["username"])
    for row in demo.get("deputy", []):
        users.add_deputy(ctx, row["absent"], row["deputy"], date.today(), None)
    _demo_keys(ctx, demo, password)
    for row in demo.get("file", []):
        _demo_file(ctx, row)
    return DemoSummary(names, password, created=True)


def _demo_file(ctx: Ctx, row: dict[str, Any]) -> None:
    node = fileplan.node_by_code(ctx, row["plan"])
    office = users.office_by_code(ctx, row["office"])
    file = files.create_file(
        ctx,
        plan_node_id=node.id,
        title=row["title"],
        office_id=office.id,
        kind=row.get("kind", "general"),
        sensitive=row.get("sensitive", False),
    )
    cases = [files.create_case(ctx, file_id=file.id, title=t) for t in row.get("cases", [])]
    for doc in row.get("document", []):
        pdf = text_pdf(doc["text"], title=doc["title"])
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            documents.add_document(
                ctx,
                case_id=cases[doc["case"] - 1].id,
                source=Path(handle.name),
                filename=doc["title"] + ".pdf",
                title=doc["title"],
                doc_type=doc.get("type"),
                sender=doc.get("sender"),
            )


def _demo_keys(ctx: Ctx, demo: dict[str, Any], password: str) -> None:
    """Demo certificates from a test CA made here: one per user marked `signing_key`, and the
    organisation's seal. The CA's root goes to $DMS_HOME/trust (trusted by this installation
    only) and the seal's passphrase to $DMS_HOME/secrets/seal, so the seal step runs."""
    from dms.services import signatures
    from dms.signatures.demo_pki import make_demo_pki

    signers = {row["username"]: (row["display_name"], row.get("office"))
               for row in demo.get("user", []) if row.get("signing_key")}
    seal = (demo.get("signatures") or {}).get("seal")
    if not signers and not seal:
        return
    pki = make_demo_pki(signers, {"": seal} if seal else {}, password)
    home = ctx.app.settings.home
    (home / "trust").mkdir(parents=True, exist_ok=True)
    (home / "trust" / "demo-test-ca.pem").write_bytes(pki.root_pem)
    for username in signers:
        signatures.add_pkcs12_key(ctx, data=pki.credentials[username].pkcs12,
                                  passphrase=password, owner=username,
                                  label=pki.credentials[username].label)
    if seal:
        signatures.add_pkcs12_key(ctx, data=pki.credentials["seal:"].pkcs12,
                                  passphrase=password, purpose="seal",
                                  label=pki.credentials["seal:"].label)
        secrets = home / "secrets"
        secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
        (secrets / "seal").write_text(password, encoding="utf-8")
        (secrets / "seal").chmod(0o600)
