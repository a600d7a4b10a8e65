"""`dms verify-signature`: check the signatures of a PDF file from the shell (Signaturprüfung).

Exit codes: 0 when every signature is valid, 1 when a signature is invalid or only valid with
warnings (unknown revocation status, say: ETSI calls that indeterminate; `--accept-warnings`
lets those pass), or the PDF has none, 2 when the file is not a readable PDF (the
DmsGroup maps UnsupportedContent), 7 when the configured trust store is broken.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from dms.cli.output import emit_json
from dms.errors import InvalidInput


def register(main: click.Group, json_option: Any) -> None:
    @main.command("verify-signature")
    @click.argument("path", metavar="FILE",
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--trust", "trust_files", multiple=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Zusätzlicher Vertrauensanker (PEM/DER) nur für diesen Aufruf; "
                       "mehrfach möglich")
    @click.option("--offline", is_flag=True,
                  help="Keine OCSP-/CRL-Abfragen; nur im PDF eingebettete Sperrinformationen")
    @click.option("--at", "at_text", default=None, metavar="ZEITPUNKT",
                  help="Prüfzeitpunkt in der Vergangenheit (ISO 8601, z. B. "
                       "2026-03-01T12:00:00+01:00); dann nur eingebettete Sperrinformationen")
    @click.option("--html", "html_out", default=None,
                  type=click.Path(dir_okay=False, writable=True, path_type=Path),
                  help="Prüfprotokoll als eigenständige HTML-Datei schreiben")
    @click.option("--accept-warnings", is_flag=True,
                  help="Exit 0 auch bei „gültig mit Warnungen“")
    @json_option
    def verify_signature(path: Path, trust_files: tuple[Path, ...], offline: bool,
                         at_text: str | None, html_out: Path | None, accept_warnings: bool,
                         as_json: bool) -> None:
        """Signaturen eines PDFs prüfen (Integrität, Änderungen, Vertrauenskette, Sperrstatus,
        Zeitstempel); Exit 0 nur wenn alle Signaturen gültig sind (mit Warnungen nur mit
        --accept-warnings), 1 sonst oder ohne Signatur, 2 wenn die Datei kein lesbares PDF ist."""
        from dms.settings import load_settings
        from dms.signatures.report import REVOCATION_DE, VERDICT_DE, report_html
        from dms.signatures.trust import configured_trust_store
        from dms.signatures.validation import validate_pdf

        # pyHanko logs every failed path with a traceback; the report already says why
        for name in ("pyhanko", "pyhanko_certvalidator"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        store = configured_trust_store(load_settings().config_dir)
        report = validate_pdf(
            path.read_bytes(),
            trust=store,
            extra_anchors=[p.read_bytes() for p in trust_files],
            allow_fetching=not offline,
            at=_parse_at(at_text),
        )
        if html_out is not None:
            html_out.write_text(report_html(report), encoding="utf-8")
        if as_json:
            emit_json({"file": str(path), **report.to_json()})
        else:
            click.echo(f"{path}: {VERDICT_DE[report.verdict]}")
            click.echo(f"  {report.summary_de}")
            for check in report.signatures:
                click.echo(f"  [{VERDICT_DE[check.verdict]}] {check.field_name}: "
                           f"{check.signer}, {check.level}, Sperrstatus "
                           f"{REVOCATION_DE[check.revocation]}, "
                           f"Änderungen: {check.modification}")
                for reason in check.reasons_de:
                    click.echo(f"      - {reason}")
            if html_out is not None:
                click.echo(f"  Prüfprotokoll: {html_out}")
        failing = {"invalid"} if accept_warnings else {"invalid", "warning"}
        if not report.signatures or report.verdict in failing:
            sys.exit(1)


def _parse_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            f"--at {text!r}: kein Zeitpunkt nach ISO 8601 (z. B. 2026-03-01T12:00:00+01:00) / "
            "not an ISO 8601 time"
        ) from exc
    if moment.tzinfo is None:
        raise InvalidInput(
            f"--at {text!r}: Zeitzone fehlt (z. B. +01:00 oder Z) / time zone missing"
        )
    return moment
