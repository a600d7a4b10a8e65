"""An e-mail in the mailroom is one letter: the .eml is filed unchanged as its main document,
each attachment as a further document of the same case; sender and letter date come from
the headers; e-invoices take the invoice path; bad mail is quarantined with a reason."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dms.cli.main import main
from dms.content.text_pdf import text_pdf
from dms.models import Document
from dms.search import SearchQuery
from dms.services import documents
from dms.services.context import SYSTEM, App
from dms.services.search import search
from ingest.invoice_records import InvoiceRecord
from ingest.models import IntakeBatch, IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.einvoice.builders import build_ubl
from tests.ingest.scans import letter_page
from tests.mailroom.emails import mail, small_zip, zip_bomb
from workflows import engine

ROOT = Path(__file__).resolve().parents[2]


def _deploy(app: App) -> None:
    with app.unit(SYSTEM) as ctx:
        for path in sorted((ROOT / "config" / "processes").glob("*.bpmn")):
            engine.deploy(ctx, path.read_bytes(), source=path.name)


def _ingest(app: App, tmp_path: Path, data: bytes, name: str = "nachricht.eml"):  # noqa: ANN202
    path = tmp_path / name
    path.write_bytes(data)
    batch_id = receive(app, path, source="upload", operator="post",
                       received_on=date(2026, 11, 20))
    return batch_id, process_batch(app, batch_id)


def test_mail_with_pdf_attachment_is_one_letter_filed_into_the_named_case(
    seeded: App, tmp_path: Path
) -> None:
    _deploy(seeded)
    attachment = text_pdf(["Gemeinde Oberdorf", "Ihr Zeichen: 600-0001/2026-01",
                           "Oberdorf, den 02.11.2026", "Geänderter Lageplan zum Bauantrag",
                           "Die Zufahrt erfolgt über den Lindenweg."])
    data = mail(attachments=[("lageplan.pdf", "application/pdf", attachment),
                             ("flurstuecke.zip", "application/zip", small_zip())])
    batch_id, result = _ingest(seeded, tmp_path, data)
    assert result.status == "done", result.reason
    assert len(result.letters) == 1
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None and letter.status == "filed", letter.reason
        assert letter.routing["case_reference"] == "600-0001/2026-01"
        assert letter.extraction["sender"] == "Gemeinde Oberdorf"
        assert letter.extraction["date"] == "2026-11-04"  # Date:, not the PDF's 02.11.
        assert letter.transfer_note["ocr"]["method"] == "email"
        entries = letter.pages["attachments"]
        assert [e["method"] for e in entries] == ["text-layer", "as-is"]
        main_doc = ctx.db.get(Document, letter.document_id)
        assert main_doc is not None
        assert (main_doc.doc_type, main_doc.title, main_doc.sender) == (
            "email", "Nachreichung Lageplan", "Gemeinde Oberdorf")
        assert main_doc.document_date == date(2026, 11, 4)
        assert main_doc.attributes["received_on"] == "2026-11-20"
        others = [ctx.db.get(Document, e["document_id"]) for e in entries]
        assert all(d is not None and d.case_id == main_doc.case_id for d in others)
        assert [d.attributes["attachment_of"] for d in others] == [main_doc.id] * 2
        eml = b"".join(documents.open_version(ctx, main_doc.id).chunks())
        pdf = b"".join(documents.open_version(ctx, entries[0]["document_id"]).chunks())
        versions = documents.get_document(ctx, main_doc.id)[1]
        hits = search(ctx, SearchQuery("Lindenweg")).hits
    assert eml == data  # the original mail, unchanged
    assert pdf == attachment  # a born-digital PDF is never rewritten
    assert versions[0].filename.endswith(".eml")
    assert entries[0]["document_id"] in [h.document_id for h in hits]
    again = process_batch(seeded, batch_id)  # idempotent
    assert [x["id"] for x in again.letters] == [x["id"] for x in result.letters]


@pytest.mark.slow
def test_image_attachment_is_ocrd_into_a_searchable_pdf(seeded: App, tmp_path: Path) -> None:
    import io

    _deploy(seeded)
    page = letter_page(3, skew=0.6)
    buffer = io.BytesIO()
    page.image.save(buffer, "PNG", dpi=(300, 300))
    data = mail(subject="Foto vom Schreiben", plain="Siehe Anhang.",
                attachments=[("foto.png", "image/png", buffer.getvalue())])
    _, result = _ingest(seeded, tmp_path, data)
    assert result.status == "done", result.reason
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None
        entry = letter.pages["attachments"][0]
        assert entry["method"] == "ocr" and entry["filename"] == "foto.pdf"
        assert entry["ocr_confidence"] > 60
        word = page.lines[1].split()[0]
        assert word in letter.text
        if letter.status == "filed":
            version = documents.get_document(ctx, entry["document_id"])[1][0]
            assert version.mime_type == "application/pdf"


def test_einvoice_attachment_takes_the_invoice_path(seeded: App, tmp_path: Path) -> None:
    xml = build_ubl()
    data = mail(subject="Rechnung 4711", plain="Anbei unsere Rechnung.",
                attachments=[("rechnung.xml", "application/xml", xml)])
    _, result = _ingest(seeded, tmp_path, data)
    assert result.status == "done", result.reason
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None and letter.status == "filed", letter.reason
        assert "E-Rechnung" in letter.routing["reason"]
        entry = letter.pages["attachments"][0]
        assert entry["method"] == "e-invoice" and entry["einvoice"]["invoice_number"]
        invoice_doc = ctx.db.get(Document, entry["document_id"])
        assert invoice_doc is not None and invoice_doc.doc_type == "invoice"
        assert invoice_doc.case.file.kind == "invoice"
        stored = b"".join(documents.open_version(ctx, invoice_doc.id).chunks())
        registered = ctx.db.scalar(select(InvoiceRecord.letter_id)
                                   .where(InvoiceRecord.document_id == invoice_doc.id))
    assert stored == xml
    assert registered == letter.id  # in the invoice register, like an e-invoice on its own


@pytest.mark.parametrize(("data", "why"), [
    (mail(attachments=[("daten.zip", "application/zip", zip_bomb(30))]), "Zip-Bombe"),
    (b"From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
     b"Content-Type: multipart/mixed; boundary=\"B\"\n\nkeine Teile\n", "beschädigt"),
])
def test_bad_mail_is_quarantined_with_a_reason(seeded: App, tmp_path: Path, data: bytes,
                                               why: str) -> None:
    batch_id, result = _ingest(seeded, tmp_path, data)
    assert result.status == "quarantined" and why in (result.reason or "")
    assert result.letters == []
    with seeded.unit(SYSTEM) as ctx:
        batch = ctx.db.get(IntakeBatch, batch_id)
        assert batch is not None and seeded.store.exists(batch.sha256)  # the original stays


def test_dms_ingest_takes_an_eml(tmp_path: Path) -> None:
    env = {"DMS_HOME": str(tmp_path / "home"), "DMS_CONFIG_DIR": str(ROOT / "config")}
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    path = tmp_path / "mail.eml"
    path.write_bytes(mail(attachments=[("lageplan.pdf", "application/pdf", text_pdf(
        ["Ihr Zeichen: 600-0001/2026-01", "Geänderter Lageplan zum Bauantrag"]))]))
    result = runner.invoke(main, ["ingest", str(path), "--wait", "--json",
                                  "--received-on", "2026-11-20"], env=env)
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.output)
    assert entry["status"] == "done" and len(entry["letters"]) == 1
    assert entry["letters"][0]["register_number"].startswith("PE-2026-")


def test_a_crash_before_filing_is_finished_on_resume(seeded: App, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.pipeline as pipeline

    _deploy(seeded)
    data = mail(attachments=[("lageplan.pdf", "application/pdf", text_pdf(
        ["Ihr Zeichen: 600-0001/2026-01", "Geänderter Lageplan zum Bauantrag"]))])

    def crash(*_: object, **__: object) -> None:
        raise SystemExit("killed")  # the worker dies after the letter row is committed

    monkeypatch.setattr(pipeline, "_send_or_review", crash)
    with pytest.raises(SystemExit):
        _ingest(seeded, tmp_path, data)
    monkeypatch.undo()
    with seeded.unit(SYSTEM) as ctx:
        [letter] = ctx.db.scalars(select(IntakeLetter)).all()
        assert letter.status == "review" and letter.document_id is None
        batch_id = letter.batch_id
    result = process_batch(seeded, batch_id)
    assert result.status == "done"
    assert [x["status"] for x in result.letters] == ["filed"]
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None and letter.pages["attachments"][0]["document_id"]
