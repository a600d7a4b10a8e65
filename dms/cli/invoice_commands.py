"""`dms invoice ...`: e-invoices (XRechnung, ZUGFeRD) from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dms.cli.output import emit_json, table
from dms.cli.parsing import parse_date
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

    @invoice_group.command("import")
    @click.argument("paths", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--office", "office_code", default=None,
                  help="Amt (Kennziffer); sonst entscheidet die Leitweg-ID")
    @click.option("--received-on", default=None, help="Eingangsdatum JJJJ-MM-TT (Standard: heute)")
    @json_option
    def import_(paths: tuple[Path, ...], office_code: str | None, received_on: str | None,
                as_json: bool) -> None:
        """E-Rechnungen ablegen und ins Rechnungseingangsbuch eintragen (mit Sichtansicht,
        Anlagen und Prüfprozess); Exit 2, wenn eine Datei nicht übernommen werden konnte."""
        from ingest.invoice_register import import_file

        app, actor = _app_and_actor()
        day = parse_date(received_on)
        results: list[dict[str, Any]] = []
        for path in paths:
            try:
                invoice_id = import_file(app, actor, path, path.name, office_code=office_code,
                                         received_on=day)
            except DmsError as exc:
                results.append({"file": str(path), "status": "error", "reason": exc.message})
                continue
            row = _invoice_json(app, actor, invoice_id)
            results.append({"file": str(path), "status": "registered", "invoice": row,
                            "duplicate_of_id": row["duplicate_of_id"]})
        if as_json:
            emit_json(results)
        else:
            for r in results:
                if r["status"] == "error":
                    click.echo(f"{r['file']}: FEHLER – {r['reason']}", err=True)
                    continue
                inv = r["invoice"]
                click.echo(f"{r['file']}: Rechnung {inv['invoice_number']} von "
                           f"{inv['seller_name']} als Nr. {inv['id']} registriert "
                           f"(Amt {inv['office_code']}, {inv['status_label']})")
                if inv["duplicate_of_id"]:
                    click.echo(f"  Warnung: mögliche Doppelrechnung zu Nr. "
                               f"{inv['duplicate_of_id']}", err=True)
                if not inv["is_einvoice"]:
                    click.echo(f"  Hinweis: {inv['einvoice_note']}", err=True)
        if any(r["status"] == "error" for r in results):
            sys.exit(2)

    @invoice_group.command("list")
    @click.option("--status", default=None, help="received, formal_check, factual_check, …")
    @click.option("--office", "office_code", default=None, help="Amt (Kennziffer)")
    @click.option("--supplier", default=None, help="Lieferant (Teil des Namens)")
    @click.option("--due-before", default=None, help="fällig bis JJJJ-MM-TT")
    @click.option("--limit", default=100, show_default=True)
    @json_option
    def list_(status: str | None, office_code: str | None, supplier: str | None,
              due_before: str | None, limit: int, as_json: bool) -> None:
        """Rechnungseingangsbuch: Rechnungen mit Status, Betrag, Fälligkeit und Skontofrist."""
        from dms.web.schemas_finance import InvoiceOut, TotalsOut
        from ingest.invoice_finance import InvoiceFilter, list_invoices

        app, actor = _app_and_actor()
        flt = InvoiceFilter(status=status, office=office_code, supplier=supplier,
                            due_before=parse_date(due_before), limit=limit)
        with app.unit(actor) as ctx:
            rows, totals = list_invoices(ctx, flt)
            items = [InvoiceOut.of(r).model_dump(mode="json") for r in rows]
            sums = TotalsOut.of(totals).model_dump(mode="json")
        if as_json:
            emit_json({"items": items, "totals": sums})
            return
        table([{**i, "amount": _euro(i["due_cents"] if i["due_cents"] is not None
                                     else i["gross_cents"]),
                "discount": i["discount_until"] or "",
                "dup": f"Doppel von {i['duplicate_of_id']}" if i["duplicate_of_id"] else ""}
               for i in items],
              ["id", "status", "seller_name", "invoice_number", "amount", "due_date",
               "discount", "office_code", "dup"])
        click.echo(f"{sums['count']} Rechnung(en), brutto "
                   + ", ".join(f"{_euro(v)} {k}" for k, v in sums["gross_cents"].items()))

    @invoice_group.command("show")
    @click.argument("invoice_id", type=int)
    @json_option
    def show(invoice_id: int, as_json: bool) -> None:
        """Eine Rechnung mit Prüfergebnis, Anlagen und Verlauf."""
        from dms.web.schemas_finance import InvoiceDetailOut
        from ingest.invoice_finance import invoice_detail

        app, actor = _app_and_actor()
        with app.unit(actor) as ctx:
            detail = InvoiceDetailOut.of_detail(invoice_detail(ctx, invoice_id)
                                                ).model_dump(mode="json")
        if as_json:
            emit_json(detail)
            return
        click.echo(f"Rechnung {detail['invoice_number']} von {detail['seller_name']} "
                   f"(Nr. {detail['id']}, {detail['status_label']})")
        click.echo(f"  Betrag {_euro(detail['gross_cents'])} {detail['currency']}, fällig "
                   f"{detail['due_date'] or '–'}, Skonto bis {detail['discount_until'] or '–'}"
                   f" ({_euro(detail['discount_cents'])})")
        click.echo(f"  Amt {detail['office_code']}, Vorgang {detail['case_reference']}, "
                   f"Profil {detail['profile']}, {detail['error_count']} Fehler, "
                   f"{detail['warning_count']} Warnungen")
        if detail["duplicate_warning"]:
            click.echo(f"  Warnung: {detail['duplicate_warning']}")
        if not detail["is_einvoice"]:
            click.echo(f"  Hinweis: {detail['einvoice_note']}")
        for f in detail["findings"]:
            click.echo(f"  [{f['severity']}] {f['rule']}: {f['message_de']}")

    @invoice_group.command("export")
    @click.option("--format", "fmt", type=click.Choice(["csv", "json", "xml"]), default=None,
                  help="Format (Standard: config/finance_export.toml)")
    @click.option("--out", "out", default=None,
                  type=click.Path(file_okay=False, path_type=Path),
                  help="Zielverzeichnis (Standard: config/finance_export.toml)")
    @json_option
    def export(fmt: str | None, out: Path | None, as_json: bool) -> None:
        """Angeordnete Rechnungen als Buchungssätze an das Finanzverfahren übergeben; bereits
        übergebene Buchungen werden übersprungen."""
        from workflows.invoice_export import export_manually

        app, actor = _app_and_actor()
        with app.unit(actor) as ctx:
            result = export_manually(ctx, fmt=fmt, directory=out)
        if as_json:
            emit_json({"format": result.format, "directory": str(result.directory),
                       "exported": list(result.exported_ids),
                       "skipped": list(result.skipped_ids),
                       "files": [str(p) for p in result.written]})
        else:
            click.echo(result.summary())
            for path in result.written:
                click.echo(f"  {path}")

    @invoice_group.command("paid")
    @click.argument("invoice_id", type=int)
    @click.option("--remark", default=None, help="Bemerkung, z. B. der Zahllauf")
    @json_option
    def paid(invoice_id: int, remark: str | None, as_json: bool) -> None:
        """Zahlung einer exportierten Rechnung bestätigen (Status bezahlt)."""
        from workflows.invoice_approval import mark_paid

        app, actor = _app_and_actor()
        with app.unit(actor) as ctx:
            record = mark_paid(ctx, invoice_id, remark=remark)
            row = {"id": record.id, "status": record.status,
                   "paid_at": record.paid_at.isoformat() if record.paid_at else None}
        if as_json:
            emit_json(row)
        else:
            click.echo(f"Rechnung {row['id']}: bezahlt am {row['paid_at']}")

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


def _app_and_actor() -> tuple[Any, Any]:
    """The app and who acts (State.actor: ``--user`` / DMS_USER, else the operator)."""
    state = click.get_current_context().obj
    return state.app, state.actor()


def _invoice_json(app: Any, actor: Any, invoice_id: int) -> dict[str, Any]:
    from dms.web.schemas_finance import InvoiceOut
    from ingest.invoice_finance import get_invoice

    with app.unit(actor) as ctx:
        return InvoiceOut.of(get_invoice(ctx, invoice_id)).model_dump(mode="json")


def _euro(cents: int | None) -> str:
    if cents is None:
        return "–"
    return f"{cents / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
