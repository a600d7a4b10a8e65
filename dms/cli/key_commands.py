"""`dms keys ...` (signing keys held in the e-file) and `dms doc sign|check-signatures`
(sign a document as a new version; check its signatures and keep the Prüfprotokoll).

`dms sign FILE` and `dms verify-signature FILE` work on files outside the e-file; these
commands work on documents inside it, through the service that owns the rules and the audit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dms.cli.output import emit_json, table
from dms.models import SigningKey
from dms.services import signatures

PASSPHRASE_ENV = "DMS_KEY_PASSPHRASE"
PIN_ENV = "DMS_KEY_PIN"


def _secret(env: str, prompt: str) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    return click.prompt(prompt, hide_input=True, default="", show_default=False)


def _row(key: SigningKey) -> dict[str, object]:
    return {"id": key.id, "label": key.label, "kind": key.kind, "purpose": key.purpose,
            "owner_id": key.owner_id, "office_id": key.office_id, "subject": key.subject,
            "issuer": key.issuer, "serial": key.serial, "not_after": key.not_after,
            "active": key.active}


def register(main: click.Group, doc_group: click.Group, state: Callable[[], Any],
             json_option: Any) -> None:
    """Add `dms keys ...` and `dms doc sign|check-signatures` to the command line."""
    _state = state

    @main.group("keys")
    def keys_group() -> None:
        """Signaturschlüssel: persönliche Zertifikate und Siegel."""


    @keys_group.command("add")
    @click.argument("source")
    @click.option("--label", default=None, help="Bezeichnung (Standard: Name im Zertifikat)")
    @click.option("--purpose", type=click.Choice(["personal", "seal"]), default="personal")
    @click.option("--owner", default=None, help="Inhaber (Benutzername); Standard: --user")
    @click.option("--office", "office_code", default=None, help="Amt eines Siegels")
    @json_option
    def keys_add(source: str, label: str | None, purpose: str, owner: str | None,
                 office_code: str | None, as_json: bool) -> None:
        """Schlüssel hinterlegen: eine PKCS#12-Datei (Passphrase aus DMS_KEY_PASSPHRASE oder
        Abfrage) oder eine pkcs11:/csc:-URI (PIN aus DMS_KEY_PIN oder Abfrage)."""
        with _state().unit() as ctx:
            if source.startswith(("pkcs11:", "csc:")):
                key = signatures.add_uri_key(
                    ctx, uri=source, secret=_secret(PIN_ENV, "PIN") or None, label=label,
                    purpose=purpose, owner=owner, office_code=office_code)
            else:
                data = Path(source).read_bytes()
                key = signatures.add_pkcs12_key(
                    ctx, data=data, passphrase=_secret(PASSPHRASE_ENV, "Passphrase"), label=label,
                    purpose=purpose, owner=owner, office_code=office_code)
            row = _row(key)
        if as_json:
            emit_json(row)
        else:
            click.echo(f"Schlüssel {row['id']} hinterlegt: {row['label']} ({row['subject']})")


    @keys_group.command("list")
    @json_option
    def keys_list(as_json: bool) -> None:
        """Hinterlegte Schlüssel (Administratoren: alle; sonst die eigenen)."""
        with _state().unit() as ctx:
            rows = [_row(k) for k in signatures.list_keys(ctx)]
        if as_json:
            emit_json(rows)
        else:
            table(rows, ["id", "label", "kind", "purpose", "subject", "not_after", "active"])


    @keys_group.command("deactivate")
    @click.argument("key_id", type=int)
    def keys_deactivate(key_id: int) -> None:
        """Schlüssel stilllegen (bleibt für die Nachvollziehbarkeit gespeichert)."""
        with _state().unit() as ctx:
            key = signatures.deactivate_key(ctx, key_id)
            click.echo(f"Schlüssel {key.id} ({key.label}) stillgelegt")


    @doc_group.command("sign")
    @click.argument("document_id", type=int)
    @click.option("--key-id", type=int, required=True, help="Schlüssel (dms keys list)")
    @click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]), default=None)
    @click.option("--invisible", is_flag=True, help="ohne sichtbaren Signaturvermerk")
    @click.option("--reason", default=None)
    @json_option
    def doc_sign(document_id: int, key_id: int, level: str | None, invisible: bool,
                 reason: str | None, as_json: bool) -> None:
        """Aktuelle Version signieren (oder siegeln); das Ergebnis wird die nächste Version.
        Passphrase/PIN aus DMS_KEY_PASSPHRASE oder Abfrage."""
        secret = _secret(PASSPHRASE_ENV, "Passphrase/PIN") or None
        state = _state()
        result = signatures.sign_document_now(
            state.app, state.actor(), document_id=document_id, key_id=key_id, secret=secret,
            level=level, visible=not invisible, reason=reason)
        row = {"document_id": document_id, "version": result.version.number,
               "signed_version": result.signed_version, "level": result.level,
               "key": result.key_label}
        if as_json:
            emit_json(row)
        else:
            click.echo(f"Version {row['version']} signiert ({row['level']}, {row['key']})")


    @doc_group.command("check-signatures")
    @click.argument("document_id", type=int)
    @click.option("--version", "number", type=int, default=None)
    @click.option("--trust", "anchors", multiple=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="zusätzlicher Vertrauensanker (PEM/DER), nur für diese Prüfung")
    @click.option("--no-keep", is_flag=True, help="kein Prüfprotokoll ablegen")
    @click.option("--accept-warnings", is_flag=True,
                  help="auch „gültig mit Warnungen“ ergibt Exit 0")
    @json_option
    def doc_check_signatures(document_id: int, number: int | None, anchors: tuple[Path, ...],
                             no_keep: bool, accept_warnings: bool, as_json: bool) -> None:
        """Signaturen eines Dokuments prüfen; das Prüfprotokoll wird daneben abgelegt.
        Exit 0, wenn alle Signaturen gültig sind (mit Warnungen nur mit --accept-warnings),
        sonst 1 (wie `dms verify-signature`)."""
        with _state().unit() as ctx:
            result = signatures.check_document(
                ctx, document_id=document_id, number=number,
                extra_anchors=[p.read_bytes() for p in anchors], keep=not no_keep)
        report = result.report
        if as_json:
            emit_json({**report.to_json(), "version": result.version,
                       "protocol_document_id": result.protocol_document_id})
        else:
            click.echo(report.summary_de)
            for check in report.signatures:
                click.echo(f"  {check.field_name}: {check.signer} – {check.verdict}")
        accepted = ("valid", "warning") if accept_warnings else ("valid",)
        raise SystemExit(0 if report.verdict in accepted else 1)
