"""Incoming signed PDFs: when the mailroom files a PDF that carries signatures, its
signatures are checked and the Prüfprotokoll is filed beside it, so the clerk sees at once
whether a signed application or court document is intact, unchanged and trusted.

Runs after the letter is committed: a check that fails (an unreachable OCSP responder, a
damaged signature dictionary, a bug) never holds up or undoes the filing; it is logged and
audited, and anyone may run the check again from the document page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import BinaryIO

from dms.errors import DmsError
from dms.services import audit, documents
from dms.services.context import App
from ingest.filing import INGEST

log = logging.getLogger(__name__)

PDF = "application/pdf"
# a signed PDF has a signature dictionary with a byte range; cheap to look for in the bytes
_MARKERS = (b"/ByteRange", b"/Sig")
_CHUNK = 1024 * 1024


def looks_signed(stream: BinaryIO) -> bool:
    """Whether the PDF carries a signature dictionary, read in chunks (a 200-page scan is
    never held in memory at once); chunks overlap so a marker across a boundary counts."""
    missing = set(_MARKERS)
    tail = b""
    while missing and (chunk := stream.read(_CHUNK)):
        window = tail + chunk
        missing = {m for m in missing if m not in window}
        tail = window[-16:]
    return not missing


def check_incoming_signatures(app: App, document_ids: Iterable[int]) -> list[int]:
    """Check every filed PDF among `document_ids` that carries signatures; returns the ids of
    the documents checked."""
    from dms.services import signatures  # pyHanko loads only when a signed PDF arrives

    checked: list[int] = []
    for document_id in document_ids:
        try:
            with app.unit(INGEST) as ctx:
                opened = documents.open_version(ctx, document_id)
                with opened.stream as stream:
                    if opened.version.mime_type != PDF or not looks_signed(stream):
                        continue
                signatures.check_document(ctx, document_id=document_id)
            checked.append(document_id)
        except Exception as exc:  # noqa: BLE001 - the letter is filed; say why, go on
            reason = exc.message if isinstance(exc, DmsError) else f"{type(exc).__name__}: {exc}"
            log.warning("Signaturprüfung von Dokument %s fehlgeschlagen: %s", document_id, reason)
            with app.unit(INGEST) as ctx:
                audit.record(ctx, "document.signature_check_failed", "document", document_id,
                             after={"reason": reason[:1000]})
    return checked
