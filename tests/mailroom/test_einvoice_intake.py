"""E-invoices take the invoice path in the mailroom: kept unchanged, validated, filed into
the invoice file of the office the Leitweg-ID names, where finance staff see them."""

from __future__ import annotations

from pathlib import Path

from dms.services import documents
from dms.services.context import SYSTEM, App
from ingest.einvoice_intake import office_for_leitweg
from ingest.models import IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.einvoice.builders import build_ubl
from tests.support.actors import as_user

ROOT = Path(__file__).resolve().parents[2]


def test_leitweg_prefixes_pick_the_office() -> None:
    config = str(ROOT / "config")
    assert office_for_leitweg(config, "08315-63-12")[0] == "63"
    assert office_for_leitweg(config, "08315-99")[0] == "21"
    assert office_for_leitweg(config, None)[0] == "21"


def test_xrechnung_is_filed_unchanged_into_the_invoice_file(seeded: App, tmp_path: Path):
    xml = build_ubl()
    path = tmp_path / "rechnung.xml"
    path.write_bytes(xml)
    result = process_batch(seeded, receive(seeded, path, source="upload", operator="post"))
    assert result.status == "done", result.reason
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, result.letters[0]["id"])
        assert letter is not None and letter.status == "filed"
        assert letter.extraction["document_type"] == "invoice"
        assert "E-Rechnung" in letter.routing["reason"]
        document_id = letter.document_id
    with as_user(seeded, "schmidt") as ctx:  # finance sees the invoice file
        document, versions = documents.get_document(ctx, document_id)
        assert document.doc_type == "invoice" and document.case.file.kind == "invoice"
        assert b"".join(documents.open_version(ctx, document_id).chunks()) == xml
