"""German UI for signatures on documents: check a document's signatures on demand; the
verdict shows on the document page and the Prüfprotokoll is filed beside it. Signing itself
happens from the inbox (final signature) or `dms doc sign`, through dms.services.signatures."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from dms.services import signatures
from dms.web.ui import page_unit

router = APIRouter(include_in_schema=False)


@router.post("/documents/{document_id}/signature-check")
def signature_check(request: Request, document_id: int,
                    csrf_token: str = Form("")) -> Response:
    with page_unit(request, csrf_token) as ctx:
        signatures.check_document(ctx, document_id=document_id)
    return RedirectResponse(f"/documents/{document_id}", status_code=303)
