"""German UI of the invoice register (Rechnungseingang) for finance staff and clerks: the
list with filters (status, office, supplier, due date, text) and the totals of the filtered
set, the upload of an e-invoice, and one invoice with its readable view beside the original,
findings, history, and the decision (freigeben / zurückweisen with a remark).

Thin pages over :mod:`ingest.invoice_finance` and :mod:`ingest.invoice_register`, which check
rights and write the audit trail. Every form works without JavaScript (POST, then redirect).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dms.errors import Conflict, InvalidInput, PermissionDenied
from dms.services import users
from dms.services.context import Actor
from dms.web import ui
from dms.web.auth import dms_app
from dms.web.transfer import spooled_upload
from dms.web.ui import _optional_date, audit_rows, page_unit, render
from ingest import invoice_finance, invoice_register
from ingest.invoice_records import INVOICE_STATES

router = APIRouter(include_in_schema=False)

NOTICES = {
    "imported": "Rechnung übernommen und registriert.",
    "duplicate": "Rechnung übernommen – Achtung: mögliche Doppelrechnung (gleicher Lieferant, "
                 "gleiche Nummer, gleicher Betrag).",
    "approved": "Prüfschritt bestätigt.",
    "rejected": "Rechnung zurückgewiesen.",
}
#: CSP of the readable view: its own inline CSS, nothing else (no scripts, no fetches).
VIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")

ui.AUDIT_ACTIONS.update({
    "invoice.register": "Rechnung registriert",
    "invoice.duplicate": "Mögliche Doppelrechnung erkannt",
    "invoice.status": "Status der Rechnung geändert",
    "invoice.approve": "Prüfschritt bestätigt",
    "invoice.reject": "Rechnung zurückgewiesen",
    "invoice.approval_failed": "Prüfprozess konnte nicht starten",
})
ui.AUDIT_FIELDS.update({
    "invoice_number": "Rechnungsnummer", "seller": "Lieferant", "gross_cents": "Brutto (Cent)",
    "document": "Dokument (Nr.)", "profile": "Profil", "valid": "Formal gültig",
    "errors": "Fehler", "warnings": "Warnungen", "due_date": "Fällig", "discount_until":
    "Skonto bis", "duplicate_of": "Doppel von Rechnung", "remark": "Bemerkung",
    "task": "Aufgabe (Nr.)", "reason": "Grund", "seller_key": "Lieferanten-Schlüssel",
})


def money(cents: int | None, currency: str | None = "EUR") -> str:
    """1.249,50 € from 124950 cents (German grouping and decimal comma)."""
    if cents is None:
        return "–"
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", ".")
    symbol = "€" if (currency or "EUR") == "EUR" else (currency or "")
    return f"{sign}{grouped},{rest:02d} {symbol}"


# invoice statuses in the audit details, in German (no clash with the file statuses)
ui.STATUS_LABELS.update({k: v for k, v in invoice_finance.STATUS_LABELS.items()
                         if k not in ui.STATUS_LABELS})
ui.TEMPLATES.env.filters.update(money=money)
ui.TEMPLATES.env.globals.update(INVOICE_STATUS=invoice_finance.STATUS_LABELS)


def _redirect(url: str, notice: str | None = None) -> RedirectResponse:
    if notice:
        url += ("&" if "?" in url else "?") + urlencode({"notice": notice})
    return RedirectResponse(url, status_code=303)


def _finance_actor(request: Request, csrf_token: str | None = None) -> Actor:
    """Authenticate (and check CSRF for a POST) in a short unit; the slow work follows."""
    with page_unit(request, csrf_token) as ctx:
        invoice_finance.require_finance(ctx.actor)
        return ctx.actor


@router.get("/finanzen")
def invoice_list(
    request: Request,
    status: str = "",
    office: str = "",
    supplier: str = "",
    due_before: str = "",
    q: str = "",
    duplicates: str = "",
    notice: str = "",
    error: str = "",
) -> Response:
    form = {"status": status, "office": office, "supplier": supplier,
            "due_before": due_before, "q": q, "duplicates": duplicates}
    with page_unit(request) as ctx:
        flt = invoice_finance.InvoiceFilter(
            status=status if status in INVOICE_STATES else None, office=office or None,
            supplier=supplier or None, due_before=_optional_date(due_before, "Fällig bis"),
            text=q or None, duplicates_only=bool(duplicates), limit=200)
        rows, totals = invoice_finance.list_invoices(ctx, flt)
        return render(request, "finance/list.html", active_page="finance", rows=rows,
                      totals=totals, form=form, offices=users.list_offices(ctx),
                      states=INVOICE_STATES, notice=NOTICES.get(notice),
                      error=error[:300] or None)


@router.post("/finanzen/upload")
def upload(
    request: Request,
    file: UploadFile | None = File(None),
    office_code: str = Form(""),
    received_on: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    actor = _finance_actor(request, csrf_token)
    received = _optional_date(received_on, "Eingangsdatum")
    try:
        with spooled_upload(file) as (source, filename):
            invoice_id = invoice_register.import_file(
                dms_app(request), actor, source, filename,
                office_code=office_code.strip() or None, received_on=received)
    except (InvalidInput, PermissionDenied) as exc:
        return _redirect("/finanzen?" + urlencode({"error": exc.message.partition(" / ")[0]}))
    with page_unit(request, csrf_token) as ctx:
        duplicate = invoice_finance.get_invoice(ctx, invoice_id).record.duplicate_of_id
    return _redirect(f"/finanzen/rechnungen/{invoice_id}",
                     "duplicate" if duplicate else "imported")


def _detail_page(request: Request, invoice_id: int, *, notice: str | None = None,
                 error: str | None = None, status_code: int = 200,
                 csrf_token: str | None = None, remark: str = "") -> Response:
    with page_unit(request, csrf_token) as ctx:
        detail = invoice_finance.invoice_detail(ctx, invoice_id)
        facts: dict[str, Any] = detail.row.record.facts or {}
        return render(request, "finance/detail.html", status_code=status_code,
                      active_page="finance", d=detail, r=detail.row.record, facts=facts,
                      history=audit_rows(detail.history), notice=notice, error=error,
                      remark=remark, original_is_pdf=detail.original_mime == "application/pdf")


@router.get("/finanzen/rechnungen/{invoice_id}")
def invoice_page(request: Request, invoice_id: int, notice: str = "") -> Response:
    return _detail_page(request, invoice_id, notice=NOTICES.get(notice))


@router.get("/finanzen/rechnungen/{invoice_id}/ansicht")
def invoice_view(request: Request, invoice_id: int) -> Response:
    """The readable view as a standalone page (shown in a frame beside the original)."""
    with page_unit(request) as ctx:
        html = invoice_finance.view_html(ctx, invoice_id)
    return HTMLResponse(html, headers={"Content-Security-Policy": VIEW_CSP,
                                       "Cache-Control": "private, no-store"})


def _decide(request: Request, invoice_id: int, approved: bool, remark: str,
            csrf_token: str) -> Response:
    _finance_actor(request, csrf_token)  # CSRF and role first: those errors are not "retry"
    try:
        with page_unit(request, csrf_token) as ctx:
            invoice_finance.decide(ctx, invoice_id, approved=approved, remark=remark)
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        return _detail_page(request, invoice_id, error=exc.message.partition(" / ")[0],
                            status_code=exc.http_status, remark=remark,
                            csrf_token=csrf_token)
    return _redirect(f"/finanzen/rechnungen/{invoice_id}", "approved" if approved else "rejected")


@router.post("/finanzen/rechnungen/{invoice_id}/freigeben")
def approve(request: Request, invoice_id: int, remark: str = Form(""),
            csrf_token: str = Form("")) -> Response:
    return _decide(request, invoice_id, True, remark, csrf_token)


@router.post("/finanzen/rechnungen/{invoice_id}/zurueckweisen")
def reject(request: Request, invoice_id: int, remark: str = Form(""),
           csrf_token: str = Form("")) -> Response:
    return _decide(request, invoice_id, False, remark, csrf_token)
