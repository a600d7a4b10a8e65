"""`dms invoice ...`: e-invoices (XRechnung, ZUGFeRD) from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dms.cli.output import emit_json, table
from dms.errors import DmsError


def register(main: click.Group, json_option: Any) -> None:
    @main.group("invoice")
    def invoice_group() -> None:
        """E-Rechnungen (XRechnung, ZUGFeRD/Factur-X)."""

    @invoice_group.command("parse")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--binary", is_flag=True, help="Anhänge (BG-24) mit Inhalt ausgeben")
    @json_option
    def parse(path: Path, binary: bool, as_json: bool) -> None:
        """Rechnung lesen und die Geschäftsbegriffe (BT/BG) ausgeben."""
        from ingest.einvoice.render import cli_parse

        result = cli_parse(path, include_binary=binary)
        if as_json:
            emit_json(result)
            return
        terms = result["invoice"]
        totals = terms.get("BG-22", {})
        click.echo(f"{path.name}: {result['syntax']}, Profil {result['profile']}")
        click.echo(f"  Rechnung {terms.get('BT-1')} vom {terms.get('BT-2')}, "
                   f"Verkäufer {terms.get('BG-4', {}).get('BT-27')}, "
                   f"Leitweg-ID {terms.get('BT-10') or '-'}")
        click.echo(f"  Brutto {totals.get('BT-112')} {terms.get('BT-5')}, "
                   f"zu zahlen {totals.get('BT-115')}")
        if result["einvoice_note"]:
            click.echo(f"Hinweis: {result['einvoice_note']}")
        for warning in result["warnings"]:
            click.echo(f"Warnung: {warning}", err=True)

    @invoice_group.command("validate")
    @click.argument("paths", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @json_option
    def validate(paths: tuple[Path, ...], as_json: bool) -> None:
        """EN 16931 und XRechnung prüfen; Exit 0 nur wenn alle Rechnungen gültig sind."""
        from ingest.einvoice.validation import validate_file

        results: list[dict[str, Any]] = []
        for path in paths:
            try:
                report = validate_file(path)
                results.append({"file": str(path), **report.to_jsonable()})
            except DmsError as exc:
                results.append({"file": str(path), "valid": False, "refused": exc.message,
                                "findings": []})
        if as_json:
            emit_json(results)
        else:
            for r in results:
                verdict = "gültig" if r["valid"] else "UNGÜLTIG"
                click.echo(f"{r['file']}: {verdict}" + (f" – {r['refused']}"
                                                          if r.get("refused") else ""))
                for f in r["findings"]:
                    click.echo(f"  [{f['severity']}] {f['rule']}: {f['message_de']}"
                               f" ({f.get('location') or '-'})")
        if not all(r["valid"] for r in results):
            sys.exit(1)

    @invoice_group.command("render")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--html", "html_out", required=True,
                  type=click.Path(dir_okay=False, writable=True, path_type=Path),
                  help="Ziel der HTML-Ansicht (eigenständige Datei mit eingebettetem CSS)")
    def render(path: Path, html_out: Path) -> None:
        """Lesbare Ansicht (HTML, deutsch) mit Prüfergebnis schreiben."""
        from ingest.einvoice import parse_invoice
        from ingest.einvoice.validation import validate
        from ingest.einvoice.view import render_html

        parsed = parse_invoice(path)
        report = validate(parsed)
        html_out.write_text(render_html(parsed, report), encoding="utf-8")
        verdict = "gültig" if report.valid else "UNGÜLTIG"
        click.echo(f"{html_out}: Ansicht von {path.name} geschrieben (Prüfergebnis: {verdict},"
                   f" {len(report.errors)} Fehler, {len(report.warnings)} Warnungen)")

    @invoice_group.command("rules")
    @json_option
    def rules(as_json: bool) -> None:
        """Alle Prüfregeln mit Schweregrad und Text."""
        from ingest.einvoice.validation import rule_table

        rows = list(rule_table())
        if as_json:
            emit_json(rows)
        else:
            table(rows, ["id", "severity", "family", "de"])
