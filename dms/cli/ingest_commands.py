"""`dms ingest ...` and `dms separator-sheet`: the mailroom from the shell."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click

from dms.cli.output import emit_json
from dms.cli.parsing import parse_date
from dms.errors import DmsError


def register(main: click.Group, state: Any, json_option: Any) -> None:
    @main.command("ingest")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option("--wait", is_flag=True, help="Verarbeiten und das Ergebnis ausgeben")
    @click.option("--received-on", default=None, help="Eingangsdatum JJJJ-MM-TT (Standard: heute)")
    @click.option("--device", default=None, help="Scanner / Quelle")
    @click.option("--operator", default=None, help="Bearbeiter/in (Standard: Anmeldename)")
    @json_option
    def ingest(paths: tuple[Path, ...], wait: bool, received_on: str | None,
               device: str | None, operator: str | None, as_json: bool) -> None:
        """Scans und E-Mails in den Posteingang übernehmen (PDF, TIFF, JPEG, PNG, .eml).

        Eine E-Mail ist ein Schriftstück: die .eml wird unverändert abgelegt, jeder Anhang
        als weiteres Dokument desselben Vorgangs."""
        from ingest.pipeline import process_batch, receive

        app = state().app
        day = parse_date(received_on)
        who = operator or state().username or getpass.getuser()
        results: list[dict[str, Any]] = []
        failed = 0
        for path in paths:
            try:
                batch_id = receive(app, path, source="cli", operator=who, device=device,
                                   received_on=day)
                entry: dict[str, Any] = {"path": str(path), "batch_id": batch_id,
                                         "status": "received"}
                if wait:
                    result = process_batch(app, batch_id)
                    entry.update(status=result.status, reason=result.reason,
                                 letters=result.letters)
                    failed += result.status == "quarantined"
            except DmsError as exc:
                failed += 1
                entry = {"path": str(path), "status": "error", "reason": exc.message}
            results.append(entry)
        if as_json:
            emit_json(results)
        else:
            for r in results:
                click.echo(f"{r['path']}: {r['status']}"
                           + (f" – {r['reason']}" if r.get("reason") else ""))
                for letter in r.get("letters", []):
                    routing = letter.get("routing") or {}
                    click.echo(f"  {letter['register_number']} ({letter['pages']} S.): "
                               f"{letter['status']} – {routing.get('reason', '')}")
        if failed:
            sys.exit(2)

    @main.command("separator-sheet")
    @click.option("--out", type=click.Path(path_type=Path), required=True)
    @click.option("--code", default=None, help="Leitcode, z. B. office=63")
    def separator_sheet(out: Path, code: str | None) -> None:
        """Trennblatt (QR-Code) als PDF zum Ausdrucken."""
        from ingest.barcodes import separator_sheet_pdf

        out.write_bytes(separator_sheet_pdf(code))
        click.echo(str(out))


