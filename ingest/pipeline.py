"""The scan-and-ingest pipeline: receive -> pages (blank, separator, orientation, deskew,
OCR) -> letters (searchable PDF/A) -> extraction -> routing -> filing.

Invariants: the original is durably stored and its batch row committed before the source
may be removed (`receive`); every letter is committed on its own with its register number,
so a restart skips letters that are done and finishes the rest; a batch that cannot be read
is quarantined with a reason, never dropped. Born-digital PDFs with a usable text layer are
not OCR'd and are filed as they are (a signed PDF must never be rewritten).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dms.content.extract import ExtractedText, extract_text
from dms.content.sniff import sniff
from dms.errors import DmsError, InvalidInput, NotFound
from dms.models import utcnow
from dms.services import audit
from dms.services.context import SYSTEM, Actor, App, Ctx
from dms.services.references import next_number
from ingest.filing import INGEST, file_letter, intake_case
from ingest.models import IntakeBatch, IntakeLetter
from ingest.routing_adapter import RoutingProposal, propose_routing

SCAN_TYPES = ("application/pdf", "image/tiff", "image/jpeg", "image/png")
#: A PDF whose pages carry at least this many characters of text on average is born-digital.
TEXT_LAYER_MIN_CHARS = 80
MAILROOM_OFFICE = "10.1"


@dataclass
class BatchResult:
    batch_id: int
    status: str
    letters: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None


# --- receive ------------------------------------------------------------------------------


def receive(
    app: App,
    path: Path,
    *,
    source: str,
    operator: str,
    device: str | None = None,
    received_on: date | None = None,
    filename: str | None = None,
) -> int:
    """Store the original and commit its batch row; only then may the source be removed."""
    if not path.is_file():
        raise InvalidInput(f"{path}: keine lesbare Datei / not a readable file")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{path.name}: Datei ist leer (0 Byte) / file is empty")
    with path.open("rb") as handle:
        head = handle.read(8192)
        handle.seek(0)
        blob = app.store.put(handle)
    name = filename or path.name
    with app.unit(_operator(operator)) as ctx:
        if source == "hotfolder":  # a crash after commit, before unlink, redelivers the file
            taken = ctx.db.scalar(select(IntakeBatch.id).where(
                IntakeBatch.sha256 == blob.sha256, IntakeBatch.source == source,
                IntakeBatch.source_name == name[:300]))
            if taken is not None:
                return taken
        batch = IntakeBatch(
            source=source,
            source_name=name[:300],
            device=device,
            operator=operator,
            received_on=received_on or utcnow().astimezone(app.settings.tz).date(),
            sha256=blob.sha256,
            size=blob.size,
            mime_type=sniff(head, name),
        )
        ctx.db.add(batch)
        ctx.db.flush()
        audit.record(
            ctx,
            "intake.receive",
            "intake_batch",
            batch.id,
            after={
                "source": source,
                "name": name,
                "device": device,
                "sha256": blob.sha256,
                "size": blob.size,
                "received_on": batch.received_on,
            },
        )
        return batch.id


def _operator(name: str) -> Actor:
    return Actor(user_id=None, username=name[:64], roles=frozenset({"admin"}))


# --- process ------------------------------------------------------------------------------


def process_batch(app: App, batch_id: int, *, jobs: int = 2) -> BatchResult:
    """Run (or resume) every stage for one batch; safe to call again at any point."""
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        if batch is None:
            raise NotFound(f"Stapel {batch_id} nicht gefunden / batch not found")
        if batch.status in ("done", "quarantined", "discarded"):
            return _result(ctx, batch)
        batch.status = "processing"
        mime, sha256 = batch.mime_type, batch.sha256
    workdir = Path(tempfile.mkdtemp(prefix=f"dms-batch-{batch_id}-"))
    try:
        original = workdir / "original"
        with app.store.open(sha256) as stream, original.open("wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        if _file_einvoice(app, batch_id, original):
            mime = "einvoice"
        elif mime not in SCAN_TYPES:
            raise InvalidInput(
                f"Dateityp {mime} wird im Posteingang nicht verarbeitet; erlaubt sind PDF, TIFF,"
                f" JPEG und PNG / file type {mime} is not accepted by the mailroom"
            )
        text_layer = _text_layer(original) if mime == "application/pdf" else None
        if mime == "einvoice":
            pass
        elif text_layer is not None:
            _letter_from_pdf(app, batch_id, original, text_layer)
        else:
            _letters_from_scan(app, batch_id, original, workdir, jobs)
        with app.unit(SYSTEM) as ctx:
            batch = ctx.db.get(IntakeBatch, batch_id)
            assert batch is not None
            batch.status = "done"
            batch.letter_count = len(_letters(ctx, batch_id))
            return _result(ctx, batch)
    except DmsError as exc:
        return quarantine(app, batch_id, exc.message)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _file_einvoice(app: App, batch_id: int, original: Path) -> bool:
    """An e-invoice (XRechnung XML, ZUGFeRD PDF) takes the invoice path: kept as it is,
    validated, filed into the invoice file of the office its Leitweg-ID names."""
    from ingest.einvoice_intake import examine_invoice, invoice_case

    with app.unit(INGEST) as ctx:
        if _letters(ctx, batch_id):
            return True
        facts = examine_invoice(ctx, original)
        if facts is None:
            return False
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        year = batch.received_on.year
        case = invoice_case(ctx, facts.office_code, year)
        number = next_number(ctx.db, f"register:{year}")
        letter = IntakeLetter(
            batch_id=batch_id, seq=1, register_number=f"PE-{year}-{number:06d}",
            pages={"indexes": [0]}, pdf_sha256=batch.sha256, text=None,
            extraction=facts.summary, needs_review=False,
            routing={"office_code": facts.office_code, "case_id": case.id,
                     "case_reference": case.reference, "assignee": None,
                     "candidate_group": facts.office_code, "process_key": None,
                     "rule_id": "e-invoice", "confidence": 1.0, "reason": facts.reason,
                     "needs_review": False},
            transfer_note={"source": batch.source, "source_name": batch.source_name,
                           "received_on": batch.received_on.isoformat(),
                           "sha256": batch.sha256, "method": "e-invoice, unchanged"},
        )
        ctx.db.add(letter)
        ctx.db.flush()
        letter_id = letter.id
    send_letter(app, letter_id, operator="poststelle", pdf_path=original)
    return True


def quarantine(app: App, batch_id: int, reason: str) -> BatchResult:
    """Keep the original (it is stored), mark the batch with a reason a person can read."""
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        batch.status, batch.reason = "quarantined", reason
        audit.record(ctx, "intake.quarantine", "intake_batch", batch.id, after={"reason": reason})
        return _result(ctx, batch)


def _text_layer(path: Path) -> ExtractedText | None:
    """The PDF's own text when it is born-digital (a usable text layer), else None; read
    once here and reused for the letter, so the PDF is not parsed again."""
    try:
        extracted = extract_text(path, "application/pdf", max_chars=2_000_000)
    except DmsError:
        return None
    pages = max(1, extracted.pages or 1)
    return extracted if len(extracted.text.strip()) / pages >= TEXT_LAYER_MIN_CHARS else None


def _letters(ctx: Ctx, batch_id: int) -> list[IntakeLetter]:
    return list(
        ctx.db.scalars(
            select(IntakeLetter).where(IntakeLetter.batch_id == batch_id).order_by(IntakeLetter.seq)
        )
    )


def _result(ctx: Ctx, batch: IntakeBatch) -> BatchResult:
    return BatchResult(
        batch.id,
        batch.status,
        [
            {
                "id": letter.id,
                "register_number": letter.register_number,
                "status": letter.status,
                "document_id": letter.document_id,
                "case_id": letter.case_id,
                "routing": letter.routing,
                "pages": len(letter.pages.get("indexes", [])),
            }
            for letter in _letters(ctx, batch.id)
        ],
        batch.reason,
    )


# --- letters ------------------------------------------------------------------------------


def _letter_from_pdf(app: App, batch_id: int, original: Path, extracted: ExtractedText) -> None:
    """A born-digital PDF is one letter and stays as it is: no OCR, no rewriting."""
    with app.unit(SYSTEM) as ctx:
        if _letters(ctx, batch_id):
            return
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
    pages = list(range(extracted.pages or 1))
    _finish_letter(
        app,
        batch_id,
        1,
        pages,
        extracted.text,
        None,
        original,
        batch.sha256,
        {"method": "text-layer"},
    )


def _letters_from_scan(app: App, batch_id: int, original: Path, workdir: Path, jobs: int) -> None:
    from ingest.pages import PageSettings, load_pages, process_pages

    with app.unit(SYSTEM) as ctx:
        done = {letter.seq for letter in _letters(ctx, batch_id)}
    settings = PageSettings()
    current: list[tuple[int, Path, Any, tuple[int, float]]] = []
    seq, total, blanks = 0, 0, 0
    routing_code: str | None = None
    confidences: list[float] = []

    def flush() -> None:
        nonlocal seq, current, routing_code, confidences
        if not current:
            return
        seq += 1
        if seq not in done:
            _scan_letter(app, batch_id, seq, current, routing_code, confidences)
        current, confidences = [], []

    for index, page in enumerate(process_pages(load_pages(original), settings, jobs=jobs)):
        total += 1
        if page.kind == "blank":
            blanks += 1
            continue
        if page.kind == "separator":
            flush()
            routing_code = page.separator.routing_code if page.separator else None
            continue
        image_path = workdir / f"page-{index:05d}.png"
        page.image.save(image_path, "PNG", compress_level=1)
        current.append((index, image_path, page.ocr, (page.rotated, page.skew)))
        if page.ocr is not None:
            confidences.append(page.ocr.mean_confidence)
    flush()
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        batch.page_count, batch.blank_pages = total, blanks
    if total == 0 or total == blanks:
        raise InvalidInput("Der Stapel enthält keine beschriebene Seite / no page with content")


def _scan_letter(
    app: App,
    batch_id: int,
    seq: int,
    pages: list[tuple[int, Path, Any, tuple[int, float]]],
    routing_code: str | None,
    confidences: list[float],
) -> None:
    from PIL import Image

    from ingest.letter_pages import page_state
    from ingest.pdfa import PdfaMetadata, write_pdfa

    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        scan_sha = batch.sha256

    def page_stream() -> Iterator[tuple[Any, Any]]:
        for _, image_path, ocr, _turn in pages:
            with Image.open(image_path) as image:
                image.load()
                yield image, ocr

    text = "\f".join((ocr.text if ocr else "") for _, _, ocr, _ in pages)
    pdf_path = pages[0][1].parent / f"letter-{seq}.pdf"
    write_pdfa(
        page_stream(),
        pdf_path,
        PdfaMetadata(
            title=f"Posteingang Stapel {batch_id}, Schriftstück {seq}",
            source=f"sha256:{scan_sha}",
            author="Poststelle",
        ),
    )
    mean = sum(confidences) / len(confidences) if confidences else None
    # Enough to rebuild the letter from the original scan (ingest.review: rotate, split, ...).
    state = page_state(((i, turn[0], turn[1], ocr) for i, _, ocr, turn in pages), routing_code)
    _finish_letter(
        app,
        batch_id,
        seq,
        [i for i, _, _, _ in pages],
        text,
        routing_code,
        pdf_path,
        scan_sha,
        {"method": "ocr", "mean_confidence": mean},
        page_state=state,
    )


def _finish_letter(
    app: App,
    batch_id: int,
    seq: int,
    page_indexes: list[int],
    text: str,
    routing_code: str | None,
    pdf_path: Path,
    scan_sha: str,
    ocr_info: dict[str, Any],
    page_state: dict[str, Any] | None = None,
) -> None:
    """Store the letter's PDF, extract, route, register; file it when routing is sure."""
    with pdf_path.open("rb") as handle:
        pdf_blob = app.store.put(handle)
    with app.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None
        proposal = propose_routing(ctx, text, routing_code)
        year = batch.received_on.year
        number = next_number(ctx.db, f"register:{year}")
        letter = IntakeLetter(
            batch_id=batch_id,
            seq=seq,
            register_number=f"PE-{year}-{number:06d}",
            pages=page_state or {"indexes": page_indexes},
            pdf_sha256=pdf_blob.sha256,
            text=text[:2_000_000],
            ocr_confidence=ocr_info.get("mean_confidence"),
            extraction=proposal.extraction,
            routing=proposal.as_dict(),
            needs_review=proposal.needs_review,
            transfer_note=_transfer_note(
                batch, len(page_indexes), scan_sha, pdf_blob.sha256, ocr_info
            ),
        )
        ctx.db.add(letter)
        ctx.db.flush()
        audit.record(
            ctx,
            "intake.letter",
            "intake_letter",
            letter.id,
            after={
                "register_number": letter.register_number,
                "batch": batch_id,
                "pages": len(page_indexes),
                "routing": proposal.reason,
                "needs_review": proposal.needs_review,
            },
        )
        letter_id = letter.id
    if not proposal.needs_review:
        try:
            send_letter(app, letter_id, operator="poststelle", pdf_path=pdf_path)
        except DmsError as exc:  # the letter is registered: it waits for review, with why
            with app.unit(SYSTEM) as ctx:
                letter = ctx.db.get(IntakeLetter, letter_id)
                assert letter is not None
                letter.needs_review = True
                letter.reason = f"Automatisches Senden fehlgeschlagen: {exc.message}"


def _transfer_note(
    batch: IntakeBatch, pages: int, scan_sha: str, pdf_sha: str, ocr_info: dict[str, Any]
) -> dict[str, Any]:
    """Transfervermerk in the spirit of TR-RESISCAN: who, what, when, with which result."""
    return {
        "operator": batch.operator,
        "device": batch.device,
        "source": batch.source,
        "source_name": batch.source_name,
        "captured_at": batch.captured_at.isoformat(),
        "received_on": batch.received_on.isoformat(),
        "pages": pages,
        "scan_sha256": scan_sha,
        "pdf_sha256": pdf_sha,
        "ocr": ocr_info,
        "quality_check": "automatisch: Leerseiten entfernt, Ausrichtung und Schräglage "
        "korrigiert, Texterkennung mit Konfidenz je Seite",
    }


# --- sending (filing) ---------------------------------------------------------------------


def send_letter(
    app: App,
    letter_id: int,
    *,
    operator: str,
    pdf_path: Path | None = None,
    override: RoutingProposal | None = None,
) -> IntakeLetter:
    """File the letter where its routing points and start the distribution process."""
    workdir = None
    try:
        with app.unit(INGEST) as ctx:
            letter = ctx.db.scalar(  # locked: two people sending at once file it once
                select(IntakeLetter).where(IntakeLetter.id == letter_id).with_for_update()
                .execution_options(populate_existing=True)
            )
            if letter is None:
                raise NotFound(f"Schriftstück {letter_id} nicht gefunden / letter not found")
            if letter.status == "filed":
                return letter
            batch = ctx.db.get(IntakeBatch, letter.batch_id)
            assert batch is not None and letter.pdf_sha256 is not None
            routing = override.as_dict() if override else (letter.routing or {})
            if pdf_path is None or not pdf_path.exists():
                workdir = Path(tempfile.mkdtemp(prefix="dms-send-"))
                pdf_path = workdir / "letter.pdf"
                with app.store.open(letter.pdf_sha256) as stream, pdf_path.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1024 * 1024)
            case_id = (
                routing.get("case_id")
                or intake_case(
                    ctx, routing.get("office_code") or MAILROOM_OFFICE, batch.received_on.year
                ).id
            )
            extraction = letter.extraction or {}
            variables = {
                "office": routing.get("office_code") or MAILROOM_OFFICE,
                "assignee": routing.get("assignee"),
                "registerNumber": letter.register_number,
            }
            filed = file_letter(
                ctx,
                source=pdf_path,
                filename=letter.register_number + (
                    Path(batch.source_name).suffix.lower() or ".pdf"
                    if letter.pdf_sha256 == batch.sha256 else ".pdf"),
                title=extraction.get("title") or f"Eingang {letter.register_number}",
                doc_type=extraction.get("document_type") or "letter",
                received_on=batch.received_on,
                sender=extraction.get("sender"),
                attributes={
                    "register_number": letter.register_number,
                    "transfer_note": letter.transfer_note,
                    "routing_reason": routing.get("reason"),
                },
                case_id=case_id,
                process_key=routing.get("process_key"),
                process_variables=variables,
            )
            letter.status, letter.document_id, letter.case_id = (
                "filed",
                filed.document_id,
                filed.case_id,
            )
            letter.instance_id, letter.filed_at, letter.filed_by = (
                filed.instance_id,
                utcnow(),
                operator,
            )
            letter.routing = routing
            audit.record(
                ctx,
                "intake.send",
                "intake_letter",
                letter.id,
                after={
                    "document": filed.document_id,
                    "case": filed.case_reference,
                    "operator": operator,
                    "reason": routing.get("reason"),
                },
            )
            return letter
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def pending_batches(app: App, limit: int = 10) -> list[int]:
    with app.unit(SYSTEM) as ctx:
        return list(
            ctx.db.scalars(
                select(IntakeBatch.id)
                .where(IntakeBatch.status.in_(("received", "processing")))
                .order_by(IntakeBatch.id)
                .limit(limit)
            )
        )
