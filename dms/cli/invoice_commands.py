"""`dms invoice ...`: e-invoices (XRechnung, ZUGFeRD) from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dms.cli.output import emit_json


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
