"""Words and pages for a signature check: the one-line summary (German, English) and the
Prüfprotokoll as a small self-contained HTML page.

Why its own module: validation decides, this module only says what was decided. The HTML is
kept as a document next to the checked one, so it must stand alone (inline CSS, no scripts,
no external resources) and still read correctly years later in an archive viewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from dms.signatures.validation import SignatureCheck, ValidationReport

LOCAL_TZ = ZoneInfo("Europe/Berlin")

VERDICT_DE = {
    "valid": "gültig",
    "warning": "gültig mit Warnungen",
    "invalid": "ungültig",
}
VERDICT_EN = {
    "valid": "valid",
    "warning": "valid with warnings",
    "invalid": "invalid",
}
REVOCATION_DE = {
    "good": "nicht gesperrt (geprüft)",
    "revoked": "gesperrt",
    "unknown": "unbekannt",
    "not_checked": "nicht geprüft",
}
_COLOUR = {"valid": "#1b6e20", "warning": "#8a5a00", "invalid": "#a01818"}


def fmt_dt(value: datetime | None) -> str:
    """German date and time in the office's zone, e.g. 24.11.2026 14:05 (MEZ)."""
    if value is None:
        return "–"
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ)
    return value.strftime("%d.%m.%Y %H:%M:%S") + (f" {value.tzname()}" if value.tzinfo else "")


def _first_upper(text: str) -> str:
    """'gültig mit Warnungen' -> 'Gültig mit Warnungen' (str.capitalize would lower the rest)."""
    return text[:1].upper() + text[1:]


def summarise(verdict: str, checks: Sequence[SignatureCheck]) -> tuple[str, str]:
    """One sentence each in German and English: the verdict, how many, and the first reason."""
    if not checks:
        return (
            "Das Dokument enthält keine Signatur.",
            "The document contains no signature.",
        )
    n = len(checks)
    count_de = "eine Signatur" if n == 1 else f"{n} Signaturen"
    count_en = "one signature" if n == 1 else f"{n} signatures"
    bad = [c for c in checks if c.verdict == "invalid"]
    warn = [c for c in checks if c.verdict == "warning"]
    if verdict == "valid":
        if any(c.modification != "keine" for c in checks):
            return (
                f"Gültig: {count_de}, vertrauenswürdig und nicht gesperrt; danach kamen nur "
                "erlaubte Ergänzungen (weitere Signaturen, Formularfelder) hinzu.",
                f"Valid: {count_en}, trusted and not revoked; only permitted additions "
                "(further signatures, form fields) followed.",
            )
        return (
            f"Gültig: {count_de}, unverändert, vertrauenswürdig und nicht gesperrt.",
            f"Valid: {count_en}, unchanged, trusted and not revoked.",
        )
    worst = bad or warn
    first = worst[0]
    why_de = first.reasons_de[0] if first.reasons_de else ""
    why_en = first.reasons_en[0] if first.reasons_en else ""
    head_de = _first_upper(VERDICT_DE[verdict])
    head_en = _first_upper(VERDICT_EN[verdict])
    return (
        f"{head_de}: {len(worst)} von {n} Signaturen betroffen – {first.field_name} "
        f"({first.signer}): {why_de}",
        f"{head_en}: {len(worst)} of {n} signatures affected – {first.field_name} "
        f"({first.signer}): {why_en}",
    )


def protocol_filename(document_name: str) -> str:
    """Name of the Prüfprotokoll kept next to a checked document: `bescheid.pdf` ->
    `bescheid-pruefprotokoll.html` (ASCII, so any archive or file system keeps it)."""
    stem = document_name.rsplit("/", 1)[-1]
    if stem.lower().endswith(".pdf"):
        stem = stem[:-4]
    return f"{stem or 'dokument'}-pruefprotokoll.html"


def report_html(report: ValidationReport) -> str:
    """The Prüfprotokoll: a standalone German HTML page (English in small print)."""
    rows = "\n".join(_signature_section(i, c) for i, c in enumerate(report.signatures, 1))
    anchors = "".join(f"<li>{escape(a)}</li>" for a in report.trust_anchors) or (
        "<li>keine / none</li>"
    )
    fetching = (
        "OCSP/CRL online abgefragt, wo erreichbar; sonst eingebettete Daten"
        if report.revocation_fetching
        else "nur im Dokument eingebettete Sperrinformationen"
    )
    colour = _COLOUR[report.verdict]
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>Prüfprotokoll Signaturprüfung</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #222; }}
h1 {{ font-size: 1.4em; }}
.verdict {{ border-left: 6px solid {colour}; padding: .4em .8em; background: #f6f6f6; }}
.verdict strong {{ color: {colour}; }}
table {{ border-collapse: collapse; margin: .5em 0 1.5em; }}
th, td {{ text-align: left; vertical-align: top; padding: .2em .8em .2em 0; }}
th {{ font-weight: normal; color: #555; }}
.en {{ color: #666; font-size: .85em; }}
.v-valid {{ color: {_COLOUR["valid"]}; }} .v-warning {{ color: {_COLOUR["warning"]}; }}
.v-invalid {{ color: {_COLOUR["invalid"]}; }}
</style>
</head>
<body>
<h1>Prüfprotokoll der Signaturprüfung</h1>
<p class="verdict">Ergebnis: <strong>{escape(VERDICT_DE[report.verdict])}</strong><br>
{escape(report.summary_de)}<br><span class="en">{escape(report.summary_en)}</span></p>
<table>
<tr><th>Geprüft am</th><td>{escape(fmt_dt(report.checked_at))}</td></tr>
<tr><th>Sperrprüfung</th><td>{escape(fetching)}</td></tr>
<tr><th>Vertrauensanker</th><td><ul>{anchors}</ul></td></tr>
</table>
{rows}
</body>
</html>
"""


def _signature_section(index: int, check: SignatureCheck) -> str:
    def row(label: str, value: str) -> str:
        return f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"

    reasons = "".join(
        f"<li>{escape(de)}<br><span class=\"en\">{escape(en)}</span></li>"
        for de, en in zip(check.reasons_de, check.reasons_en, strict=False)
    )
    yes_no = {True: "ja", False: "nein"}
    return f"""<h2>Signatur {index}: {escape(check.field_name)}</h2>
<p class="v-{check.verdict}"><strong>{escape(VERDICT_DE[check.verdict])}</strong>
<span class="en">({escape(VERDICT_EN[check.verdict])})</span></p>
<table>
{row("Unterzeichner", check.signer)}
{row("Aussteller", check.issuer or "–")}
{row("Zertifikat gültig bis", fmt_dt(check.certificate_valid_until))}
{row("Signaturzeit (behauptet)", fmt_dt(check.signed_at))}
{row("Zeitstempel (Zeitstempeldienst)", fmt_dt(check.timestamp))}
{row("Niveau (PAdES, geschätzt)", check.level)}
{row("Integrität", yes_no[check.intact and check.valid])}
{row("Vertrauenswürdig", yes_no[check.trusted])}
{row("Sperrstatus", REVOCATION_DE.get(check.revocation, check.revocation))}
{row("Zertifikat abgelaufen", yes_no[check.expired])}
{row("Umfang", check.coverage)}
{row("Änderungen nach der Signatur", check.modification)}
</table>
{f"<ul>{reasons}</ul>" if reasons else ""}"""
