"""Renditions (Lesefassungen): copies derived from a version for reading and search.

The record is the version and stays as it came (a signed PDF is never rewritten); a
rendition lies beside it, e.g. the OCR'd, searchable PDF/A of a signed scan. Search reads a
version's searchable rendition instead of its bytes (dms.services.text_queue); downloads and
signature checks always use the version itself.

A rendition is added in the transaction that adds its version (the mailroom files both at
once), so a version is never searchable without its copy, nor the copy left unreferenced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from dms.errors import InvalidInput, NotFound
from dms.models import Version
from dms.models.documents import RENDITION_KINDS, Rendition
from dms.services import audit, documents
from dms.services.context import Ctx

SEARCHABLE = "searchable"
LABELS = {SEARCHABLE: "Lesefassung (OCR) / searchable copy"}


def add_rendition(
    ctx: Ctx,
    version: Version,
    source: Path,
    filename: str,
    *,
    kind: str = SEARCHABLE,
    text_method: str = "ocr",
) -> Rendition:
    """Vet and store ``source`` as the ``kind`` rendition of ``version``, in the caller's
    transaction (which also wrote the version: the caller has the right to write it)."""
    if kind not in RENDITION_KINDS:
        raise InvalidInput(f"Unbekannte Art der Lesefassung {kind!r} / unknown rendition kind")
    prepared = documents.prepare(ctx.app, source, filename)
    rendition = Rendition(
        version_id=version.id,
        kind=kind,
        sha256=prepared.sha256,
        size=prepared.size,
        mime_type=prepared.content.mime_type,
        filename=prepared.content.filename,
        page_count=prepared.content.page_count,
        text_method=text_method,
    )
    ctx.db.add(rendition)
    ctx.db.flush()
    audit.record(
        ctx,
        "document.rendition",
        "document",
        version.document_id,
        after={"version": version.number, "kind": kind, "sha256": prepared.sha256,
               "size": prepared.size, "original_sha256": version.sha256},
    )
    return rendition


def rendition_of(ctx: Ctx, version_id: int, kind: str = SEARCHABLE) -> Rendition | None:
    """The ``kind`` rendition of a version the caller has already been allowed to see."""
    return ctx.db.scalar(
        select(Rendition).where(Rendition.version_id == version_id, Rendition.kind == kind)
    )


@dataclass
class OpenedRendition:
    rendition: Rendition
    version: Version
    stream: BinaryIO


def open_rendition(
    ctx: Ctx, document_id: int, number: int | None = None, kind: str = SEARCHABLE
) -> OpenedRendition:
    """The rendition of a visible document's version (the current one unless ``number``);
    NotFound, worded as for a missing document, when there is none or it may not be seen."""
    _document, version = documents.find_version(ctx, document_id, number)
    rendition = rendition_of(ctx, version.id, kind)
    if rendition is None:
        raise NotFound(
            f"Version {version.number} von Dokument {document_id} hat keine Lesefassung"
            " / this version has no searchable copy"
        )
    return OpenedRendition(rendition, version, ctx.app.store.open(rendition.sha256))
