"""CSV for import into a finance system (e.g. the booking import of a municipal finance
package): what German finance imports expect.

- UTF-8 with byte-order mark (so spreadsheet programs and imports detect the encoding),
  semicolon as separator, CRLF line ends, fields quoted only when needed;
- amounts with a decimal comma and no thousands separator (``1249,50``), dates as
  ``TT.MM.JJJJ``, an empty field where a value is unknown;
- one header row, then one row per booking.

Columns, in this order (the header names are German, as the import maps them):

=========================  =============================================================
Buchungs-ID                booking id (``RE-000042``), unique per invoice
Rechnungs-ID               our invoice register id
Rechnungsnummer            BT-1
Rechnungsdatum             BT-2
Lieferant                  seller name, BT-27
USt-IdNr                   seller VAT id, BT-31
IBAN, BIC                  payee account, BT-84 / BT-86
Währung                    BT-5
Netto, USt, Brutto         BT-109, BT-110, BT-112
Zahlbetrag                 amount due for payment, BT-115
Fällig am                  due date, BT-9 or from the payment terms
Skonto bis, Skontobetrag   early-payment discount deadline and amount
Kostenstellen, Sachkonten  separated by ``|``
Leitweg-ID                 BT-10
Bestellnummer              BT-13
Sachlich richtig, am       who signed the factual check, when (TT.MM.JJJJ HH:MM, UTC)
Rechnerisch richtig, am    the arithmetic check
Angeordnet, am             the payment order (Anordnung)
=========================  =============================================================
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from connectors.finance_export.base import BookingRecord, FileExporter, decimal_of

COLUMNS = (
    "Buchungs-ID", "Rechnungs-ID", "Rechnungsnummer", "Rechnungsdatum", "Lieferant",
    "USt-IdNr", "IBAN", "BIC", "Währung", "Netto", "USt", "Brutto", "Zahlbetrag", "Fällig am",
    "Skonto bis", "Skontobetrag", "Kostenstellen", "Sachkonten", "Leitweg-ID",
    "Bestellnummer", "Sachlich richtig", "Sachlich richtig am", "Rechnerisch richtig",
    "Rechnerisch richtig am", "Angeordnet", "Angeordnet am",
)


def german_amount(cents: int | None) -> str:
    value = decimal_of(cents)
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def german_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


def row_of(record: BookingRecord) -> list[str]:
    cells = [
        record.booking_id, str(record.invoice_id), record.invoice_number,
        german_date(record.invoice_date), record.supplier_name, record.supplier_vat_id or "",
        record.iban or "", record.bic or "", record.currency, german_amount(record.net_cents),
        german_amount(record.vat_cents), german_amount(record.gross_cents),
        german_amount(record.due_cents), german_date(record.due_date),
        german_date(record.discount_until), german_amount(record.discount_cents),
        "|".join(record.cost_centres), "|".join(record.accounts), record.leitweg_id or "",
        record.order_reference or "",
    ]
    for step in ("factual", "arithmetic", "payment_order"):
        approval = record.approval(step)
        cells += [approval.by, german_date(approval.at)] if approval else ["", ""]
    return cells


class CsvExporter(FileExporter):
    format = "csv"
    suffix = ".csv"

    def render(self, record: BookingRecord) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n",
                            quoting=csv.QUOTE_MINIMAL)
        writer.writerow(COLUMNS)
        writer.writerow(row_of(record))
        return buffer.getvalue().encode("utf-8-sig")
