"""Filing a letter into the e-file: the target case (an existing one, or the office's intake
case Posteingang), the document with its transfer note, and the distribution process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dms.models import Case, File, Version
from dms.services import documents, fileplan, files
from dms.services.context import Actor, Ctx
from dms.services.users import office_by_code

#: The pipeline files as this service principal (mailroom staff may not write into offices'
#: case files themselves); the operator is named in the transfer note and the audit trail.
INGEST = Actor(user_id=None, username="poststelle", roles=frozenset({"admin"}))
INTAKE_PLAN_CODE = "015"


@dataclass(frozen=True)
class Filed:
    document_id: int
    case_id: int
    case_reference: str
    instance_id: int | None
    attachment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A further document of the same letter (an e-mail's attachment), filed beside the
    main document in the same transaction."""

    source: Path
    filename: str
    title: str
    doc_type: str
    attributes: dict[str, Any]
    # the searchable PDF/A made from a signed scan: kept beside the unchanged original
    reading_copy: Path | None = None


def intake_case(ctx: Ctx, office_code: str, year: int) -> Case:
    """The office's intake case for the year (created on first use): letters that name no
    case of ours land here, and the office's distribution task points at them."""
    office = office_by_code(ctx, office_code)
    title = f"Posteingang {office.name} {year}"
    file = ctx.db.scalar(
        select(File).where(File.office_id == office.id, File.kind == "intake", File.year == year)
    )
    if file is None:
        node = fileplan.node_by_code(ctx, INTAKE_PLAN_CODE)
        file = files.create_file(
            ctx, plan_node_id=node.id, title=title, office_id=office.id, kind="intake", year=year
        )
    case = ctx.db.scalar(select(Case).where(Case.file_id == file.id).order_by(Case.seq).limit(1))
    if case is None:
        case = files.create_case(ctx, file_id=file.id, title=f"Eingang {year}")
    return case


def file_letter(
    ctx: Ctx,
    *,
    source: Path,
    filename: str,
    title: str,
    doc_type: str,
    received_on: date,
    sender: str | None,
    attributes: dict[str, Any],
    case_id: int,
    process_key: str | None,
    process_variables: dict[str, Any],
    letter_date: date | None = None,
    attachments: list[Attachment] | tuple[Attachment, ...] = (),
    reading_copy: Path | None = None,
) -> Filed:
    """One transaction: the document (and any attachments) in its case and, if given, the
    process about it.

    Two dates, kept apart because deadlines run from one and the file is sorted by the
    other: the document's date is the letter's own date (``letter_date``, "Schreiben vom",
    as extracted from the text or an e-mail's Date:) when known, else the date of receipt;
    the date of receipt (Eingangsdatum, per batch) is always kept in the attributes as
    ``received_on``, as on a paper receipt stamp.

    ``reading_copy`` (and an attachment's): the searchable PDF/A made from a signed scan,
    stored beside the version as its rendition, in the same transaction; the source itself
    stays the version, unchanged, and search reads the copy's text.
    """
    dated = {**attributes, "received_on": received_on.isoformat(),
             "letter_date": letter_date.isoformat() if letter_date else None}
    added = documents.add_document(
        ctx,
        case_id=case_id,
        source=source,
        filename=filename,
        title=title,
        doc_type=doc_type,
        document_date=letter_date or received_on,
        sender=sender,
        attributes=dated,
        comment="Posteingang",
    )
    if reading_copy is not None:
        _add_reading_copy(ctx, added.version, reading_copy, filename)
    attachment_ids = []
    for attachment in attachments:
        extra = documents.add_document(
            ctx,
            case_id=case_id,
            source=attachment.source,
            filename=attachment.filename,
            title=attachment.title,
            doc_type=attachment.doc_type,
            document_date=letter_date or received_on,
            sender=sender,
            attributes={**attachment.attributes, "received_on": received_on.isoformat(),
                        "attachment_of": added.document.id,
                        "register_number": attributes.get("register_number")},
            comment="Posteingang (Anlage)",
        )
        if attachment.reading_copy is not None:
            _add_reading_copy(ctx, extra.version, attachment.reading_copy, attachment.filename)
        attachment_ids.append(extra.document.id)
    case = ctx.db.get(Case, case_id)
    assert case is not None
    instance_id = None
    if process_key:
        from workflows import engine

        instance = engine.start(
            ctx,
            process_key,
            process_variables,
            business_key=attributes.get("register_number"),
            case_id=case_id,
            document_id=added.document.id,
        )
        instance_id = instance.id
    return Filed(added.document.id, case_id, case.reference, instance_id, tuple(attachment_ids))


def _add_reading_copy(ctx: Ctx, version: Version, path: Path, filename: str) -> None:
    from dms.services.renditions import add_rendition

    stem = Path(filename).stem or "dokument"
    add_rendition(ctx, version, path, f"{stem} (Lesefassung OCR).pdf")
