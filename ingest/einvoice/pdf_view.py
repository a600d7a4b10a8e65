"""The readable view of an e-invoice as PDF (Sichtansicht), filed beside the original so that
finance staff, the archive and anyone without an XML viewer can read the invoice.

WeasyPrint is the one HTML→PDF engine (pure Python over Pango, no browser). The view from
:func:`ingest.einvoice.view.render_html` is standalone (inline CSS, no scripts); to make sure
rendering never touches the network even if an invoice smuggles a URL into the HTML, every
resource fetch except inline ``data:`` URIs is refused.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dms.errors import DmsError

if TYPE_CHECKING:
    from ingest.einvoice import ParsedInvoice
    from ingest.einvoice.validation.engine import Report

__all__ = ["PdfViewError", "html_to_pdf", "render_pdf"]


class PdfViewError(DmsError):
    """The view could not be turned into a PDF (the invoice itself is unaffected)."""

    exit_code = 1
    http_status = 500
    code = "pdf_view_failed"


def html_to_pdf(html: str) -> bytes:
    """Render standalone HTML to PDF bytes with no network or file access (the PDF's title
    is the HTML's <title>)."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango missing from the system
        raise PdfViewError(
            "PDF-Ansicht nicht verfügbar: WeasyPrint/Pango fehlt (scripts/setup ausführen)"
            f" / PDF view unavailable: {exc}"
        ) from exc
    # WeasyPrint logs every refused fetch and unsupported CSS rule as a warning; the view is
    # ours and tested, so these lines would only be noise in the worker log.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        # data: URIs only; http, https, file and ftp are refused before any connection
        offline = URLFetcher(allowed_protocols=("data",), allow_redirects=False)
        document = HTML(string=html, url_fetcher=offline, base_url="about:blank")
        pdf = document.write_pdf()
    except Exception as exc:  # noqa: BLE001 - any renderer failure becomes one clear error
        raise PdfViewError(f"PDF-Ansicht konnte nicht erzeugt werden / PDF view failed: {exc}"
                           ) from exc
    if not pdf:
        raise PdfViewError("PDF-Ansicht ist leer / PDF view is empty")
    return bytes(pdf)


def render_pdf(parsed: ParsedInvoice, report: Report | None = None) -> bytes:
    """The German readable view (with the findings) of a parsed invoice, as PDF."""
    from ingest.einvoice.view import render_html

    return html_to_pdf(render_html(parsed, report))
