"""The readable view of an e-invoice: German HTML in the spirit of the official XRechnung
visualisation (parties, Leitweg-ID, references, lines, VAT, totals, payment, notes,
attachments and the validation findings).

:func:`render_html` returns a standalone document with inline CSS and no scripts or external
resources, so that it can be downloaded (``dms invoice render FILE --html OUT``), embedded,
or turned into a PDF. Everything taken from the invoice is escaped (Jinja2 autoescape).

Formatting is German: ``1.249,50 €``, ``03.11.2026``, IBANs in groups of four.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader

from ingest.einvoice.model import Amount, Identifier, InvoiceLine, Profile

if TYPE_CHECKING:
    from ingest.einvoice import ParsedInvoice
    from ingest.einvoice.validation.engine import Report

__all__ = ["render_html", "format_number", "format_money", "format_date", "format_iban"]

TEMPLATES = Path(__file__).parent / "templates"

#: UNTDID 1001 invoice type codes (those used in XRechnung / ZUGFeRD) in German.
TYPE_NAMES = {
    "71": "Anforderung einer Zahlung",
    "80": "Belastungsanzeige (Waren und Dienstleistungen)",
    "81": "Gutschrift (Waren und Dienstleistungen)",
    "82": "Rechnung über Messleistungen",
    "83": "Gutschrift (Finanzanpassungen)",
    "84": "Belastungsanzeige (Finanzanpassungen)",
    "102": "Rechnung (Tarif)",
    "218": "Abschlagsrechnung (Bauleistung)",
    "219": "Abschlagsrechnung",
    "261": "Selbst ausgestellte Gutschrift",
    "262": "Sammelgutschrift",
    "295": "Vorläufige Preisänderungsrechnung",
    "296": "Gutschrift (Preisänderung)",
    "308": "Delkredere-Gutschrift",
    "325": "Proformarechnung",
    "326": "Teilrechnung",
    "331": "Handelsrechnung mit Zahlungsanweisung",
    "380": "Rechnung",
    "381": "Gutschrift",
    "382": "Provisionsabrechnung",
    "383": "Belastungsanzeige",
    "384": "Rechnungskorrektur",
    "385": "Sammelrechnung",
    "386": "Vorauszahlungsrechnung",
    "387": "Mietrechnung",
    "388": "Steuerrechnung",
    "389": "Selbst ausgestellte Rechnung (Gutschriftverfahren)",
    "390": "Delkredere-Rechnung",
    "393": "Factoring-Rechnung",
    "394": "Leasingrechnung",
    "395": "Konsignationsrechnung",
    "396": "Factoring-Gutschrift",
    "420": "Optikerrechnung",
    "456": "Belastungsanzeige (Korrektur)",
    "457": "Storno einer Belastung",
    "458": "Storno einer Gutschrift",
    "527": "Selbst ausgestellte Belastungsanzeige",
    "532": "Gutschrift des Spediteurs",
    "553": "Reisebürorechnung",
    "575": "Versicherungsrechnung",
    "623": "Speditionsrechnung",
    "633": "Hafenkostenrechnung",
    "751": "Rechnungsinformation für Buchungszwecke",
    "780": "Frachtrechnung",
    "817": "Reparaturrechnung",
    "870": "Konsularrechnung",
    "875": "Abschlagsrechnung (Bauleistung)",
    "876": "Teilschlussrechnung (Bauleistung)",
    "877": "Schlussrechnung (Bauleistung)",
    "935": "Zollrechnung",
}

#: UNTDID 4461 payment means in German (the usual ones).
PAYMENT_MEANS = {
    "1": "Nicht definiert",
    "10": "Barzahlung",
    "20": "Scheck",
    "30": "Überweisung",
    "31": "Lastschrift",
    "42": "Zahlung auf Bankkonto",
    "48": "Bankkarte",
    "49": "Lastschrift",
    "54": "Kreditkarte",
    "55": "Debitkarte",
    "57": "Dauerauftrag",
    "58": "SEPA-Überweisung",
    "59": "SEPA-Lastschrift",
    "68": "Online-Zahlungsdienst",
    "97": "Verrechnung",
    "ZZZ": "Sonstige Zahlungsweise",
}

#: UNCL 5305 VAT categories in German.
VAT_CATEGORIES = {
    "S": "Normalsatz",
    "Z": "Nullsatz",
    "E": "Steuerbefreit",
    "AE": "Umkehrung der Steuerschuldnerschaft",
    "K": "Innergemeinschaftliche Lieferung",
    "G": "Ausfuhr außerhalb der EU",
    "O": "Nicht steuerbar",
    "L": "IGIC (Kanarische Inseln)",
    "M": "IPSI (Ceuta und Melilla)",
    "B": "Übertragene Steuer (Italien)",
}

#: UN/ECE Rec 20/21 units commonly found on invoices, in German.
UNITS = {
    "C62": "Stück",
    "H87": "Stück",
    "XPP": "Stück",
    "EA": "Stück",
    "HUR": "Std.",
    "MIN": "Min.",
    "DAY": "Tag(e)",
    "WEE": "Woche(n)",
    "MON": "Monat(e)",
    "ANN": "Jahr(e)",
    "KGM": "kg",
    "GRM": "g",
    "TNE": "t",
    "MTR": "m",
    "KMT": "km",
    "MTK": "m²",
    "MTQ": "m³",
    "LTR": "l",
    "KWH": "kWh",
    "LS": "pauschal",
    "SET": "Satz",
    "P1": "%",
    "E48": "Serviceeinheit",
    "XBX": "Karton",
    "XPK": "Packung",
    "PR": "Paar",
}

NOTE_SUBJECTS = {
    "AAB": "Zahlungsbedingungen",
    "AAC": "Zusatzinformation",
    "AAI": "Allgemeine Information",
    "ABL": "Rechtliche Informationen",
    "ADU": "Hinweis",
    "PMT": "Zahlungsinformation",
    "REG": "Registrierungsangaben",
    "SUR": "Anmerkung des Verkäufers",
    "TXD": "Steuerliche Erklärung",
}

SEVERITY_LABELS = {"error": "Fehler", "warning": "Warnung", "info": "Hinweis"}


# --- formatting -------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_number(value: Any, min_places: int = 0, *, strip: bool = False) -> str:
    """German number: ``1.249,5`` (thousands ".", decimals ","). Keeps the decimals as
    written (at least ``min_places``); ``strip`` drops trailing zeros first (quantities)."""
    d = _decimal(value)
    if d is None:
        return "" if value is None else str(value)
    if not d.is_finite():
        return str(value)
    if strip:
        d = d.normalize()
    exponent = d.as_tuple().exponent
    places = max(min_places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    text = format(d, f",.{places}f")
    return text.translate(str.maketrans(",.", ".,"))


def _currency_symbol(code: str | None) -> str:
    return {"EUR": "€", None: "", "": ""}.get(code, code or "")


def format_money(value: Any, currency: str | None = "EUR") -> str:
    """German amount with currency: ``1.249,50 €`` (at least two decimals)."""
    if value is None:
        return ""
    if isinstance(value, Amount) and value.currency:
        currency = value.currency
    symbol = _currency_symbol(currency)
    number = format_number(value, 2)
    return f"{number} {symbol}" if symbol else number


def format_percent(value: Any) -> str:
    if value is None:
        return ""
    return f"{format_number(value, strip=True)} %"


def format_date(value: date | None) -> str:
    """``03.11.2026``."""
    return value.strftime("%d.%m.%Y") if value else ""


def format_iban(value: str | None) -> str:
    """An IBAN (or other account id of the IBAN shape) in groups of four characters."""
    if not value:
        return ""
    compact = "".join(value.split()).upper()
    if len(compact) >= 15 and compact[:2].isalpha() and compact[2:4].isdigit():
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return value


def format_identifier(value: Identifier | None) -> str:
    if value is None:
        return ""
    return f"{value.value} (Schema {value.scheme_id})" if value.scheme_id else value.value


def german(text: str | None) -> str:
    """The German half of a bilingual "Deutsch / English" text."""
    if not text:
        return ""
    return text.split(" / ", 1)[0]


def code_name(value: str | None, names: dict[str, str]) -> str:
    """``Rechnung (380)``; the bare code when it has no German name."""
    if not value:
        return ""
    name = names.get(value)
    return f"{name} ({value})" if name else value


def unit_name(value: str | None) -> str:
    if not value:
        return ""
    return UNITS.get(value, value)


# --- view model -------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    line: InvoiceLine
    level: int


def _line_rows(lines: tuple[InvoiceLine, ...], level: int = 0) -> list[LineRow]:
    rows: list[LineRow] = []
    for line in lines:
        rows.append(LineRow(line, level))
        rows.extend(_line_rows(line.sub_lines, level + 1))
    return rows


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=format_number,
        money=format_money,
        percent=format_percent,
        date_de=format_date,
        iban=format_iban,
        ident=format_identifier,
        german=german,
        unit=unit_name,
        vat_category=lambda code: code_name(code, VAT_CATEGORIES),
        means=lambda code: code_name(code, PAYMENT_MEANS),
        note_subject=lambda code: code_name(code, NOTE_SUBJECTS),
    )
    return env


_ENV: Environment | None = None


def render_html(parsed: ParsedInvoice, report: Report | None = None) -> str:
    """The invoice as a standalone German HTML page (inline CSS, no scripts)."""
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    invoice = parsed.invoice
    type_name = TYPE_NAMES.get(invoice.type_code or "")
    if type_name is None:
        type_name = "Gutschrift" if invoice.is_credit_note else "Rechnung"
    no_lines_profile = invoice.profile in (Profile.MINIMUM, Profile.BASIC_WL)
    source_warnings = [
        german(w) for w in parsed.warnings if w != parsed.einvoice_note
    ]
    findings = list(report.findings) if report is not None else []
    order = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: order.get(str(f.severity), 3))
    context = {
        "parsed": parsed,
        "inv": invoice,
        "report": report,
        "findings": findings,
        "severity_labels": SEVERITY_LABELS,
        "type_name": type_name,
        "type_code": invoice.type_code,
        "currency": invoice.currency_code or "",
        "line_rows": _line_rows(invoice.lines),
        "no_lines_profile": no_lines_profile,
        "einvoice_note": german(parsed.einvoice_note or (report.note if report else None)),
        "source_warnings": source_warnings,
        "payment": invoice.payment_instructions,
    }
    return _ENV.get_template("invoice.html").render(context)
