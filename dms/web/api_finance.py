"""REST API of the invoice register under /api/v1/invoices: list with filters and totals,
one invoice with findings and history, approve / reject (completes the invoice's open task in
its approval process), and the upload of an e-invoice.

Thin routes over :mod:`ingest.invoice_finance` and :mod:`ingest.invoice_register`, which check
that the caller may use the finance desk (finance, clerks, administrators; mailroom staff get
403 before anything is looked up) and which invoices they see (NotFound otherwise).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi import File as FormFile

from dms.services.context import Actor
from dms.web.api import _CONFLICT, _ERRORS, Offset
from dms.web.auth import dms_app, request_unit
from dms.web.schemas_finance import (
    DecisionIn,
    ImportOut,
    InvoiceDetailOut,
    InvoiceOut,
    InvoicePage,
    TotalsOut,
)
from dms.web.transfer import spooled_upload
from ingest import invoice_finance, invoice_register

router = APIRouter(prefix="/api/v1/invoices", responses=_ERRORS)

INVOICES = "Rechnungseingang / Invoices"
Limit = Annotated[int, Query(ge=1, le=500, description="Höchstzahl / page size")]


def _finance_actor(request: Request) -> Actor:
    """Authenticate in a short unit; the slow work (parse, render the PDF) follows."""
    with request_unit(request) as ctx:
        invoice_finance.require_finance(ctx.actor)
        return ctx.actor


@router.get("", tags=[INVOICES], summary="Rechnungen auflisten / list invoices")
def list_invoices(
    request: Request,
    status: Annotated[str | None, Query(description="received, formal_check, …")] = None,
    office: Annotated[str | None, Query(description="Amt (Kennziffer) / office code")] = None,
    supplier: Annotated[str | None, Query(max_length=200, description="Lieferant")] = None,
    due_before: Annotated[date | None, Query(description="fällig bis / due on or before")] = None,
    q: Annotated[str | None, Query(max_length=200,
                                   description="Nummer, Lieferant, Bestellung, Leitweg-ID")] = None,
    duplicates: Annotated[bool, Query(description="nur Doppelrechnungen")] = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> InvoicePage:
    flt = invoice_finance.InvoiceFilter(status=status or None, office=office or None,
                                        supplier=supplier, due_before=due_before, text=q,
                                        duplicates_only=duplicates, limit=limit, offset=offset)
    with request_unit(request) as ctx:
        rows, totals = invoice_finance.list_invoices(ctx, flt)
        return InvoicePage(items=[InvoiceOut.of(r) for r in rows], totals=TotalsOut.of(totals),
                           limit=limit, offset=offset)


@router.post(
    "", tags=[INVOICES], status_code=201,
    summary="E-Rechnung hochladen / upload an e-invoice",
    description="Multipart: `file` (XRechnung XML or ZUGFeRD PDF), optional `office_code` "
    "(otherwise the Leitweg-ID decides). The original is filed unchanged with its readable "
    "PDF view and attachments; the approval process starts. A duplicate is registered with "
    "`duplicate_of_id` and a warning.",
    responses={**_CONFLICT, 422: {"description": "Keine E-Rechnung / not an e-invoice"}},
)
def upload_invoice(
    request: Request,
    file: Annotated[UploadFile, FormFile(description="XRechnung (XML) oder ZUGFeRD (PDF)")],
    office_code: Annotated[str | None, Form(max_length=16)] = None,
    received_on: Annotated[date | None, Form(description="Eingangsdatum")] = None,
) -> ImportOut:
    actor = _finance_actor(request)
    with spooled_upload(file) as (source, filename):
        invoice_id = invoice_register.import_file(
            dms_app(request), actor, source, filename, office_code=office_code or None,
            received_on=received_on)
    with request_unit(request) as ctx:
        row = invoice_finance.get_invoice(ctx, invoice_id)
        return ImportOut(invoice=InvoiceOut.of(row),
                         duplicate_warning=(row.record.facts or {}).get("duplicate_warning"))


@router.get("/{invoice_id}", tags=[INVOICES], summary="Eine Rechnung / one invoice")
def get_invoice(request: Request, invoice_id: int) -> InvoiceDetailOut:
    with request_unit(request) as ctx:
        return InvoiceDetailOut.of_detail(invoice_finance.invoice_detail(ctx, invoice_id))


def _decide(request: Request, invoice_id: int, approved: bool, body: DecisionIn | None
            ) -> InvoiceDetailOut:
    with request_unit(request) as ctx:
        invoice_finance.decide(ctx, invoice_id, approved=approved,
                               remark=body.remark if body else "")
    with request_unit(request) as ctx:
        return InvoiceDetailOut.of_detail(invoice_finance.invoice_detail(ctx, invoice_id))


@router.post(
    "/{invoice_id}/approve", tags=[INVOICES], responses=_CONFLICT,
    summary="Freigeben (aktuellen Prüfschritt bestätigen) / approve the current step",
)
def approve(request: Request, invoice_id: int, body: DecisionIn | None = None
            ) -> InvoiceDetailOut:
    return _decide(request, invoice_id, True, body)


@router.post(
    "/{invoice_id}/reject", tags=[INVOICES], responses=_CONFLICT,
    summary="Zurückweisen (mit Begründung) / reject with a remark",
)
def reject(request: Request, invoice_id: int, body: DecisionIn | None = None
           ) -> InvoiceDetailOut:
    return _decide(request, invoice_id, False, body)
