"""A version's reading copy (Lesefassung (OCR), dms.services.renditions): search reads its
text, the document page offers it for viewing, while the version stays what is downloaded;
nobody who may not see the document gets it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from dms.content.text_pdf import text_pdf
from dms.search import SearchQuery
from dms.services import documents, files, renditions, text_queue, users
from dms.services.context import SYSTEM, App
from dms.services.search import search
from tests.ingest.scans import pdf_of_images, text_page
from tests.web.conftest import login

COPY = text_pdf(["Lesefassung eines signierten Scans", "Das Wort Quellwasserschutz steht hier."])


def _document_with_copy(app: App, tmp_path: Path) -> tuple[int, bytes]:
    """An image-only PDF (no text of its own) with a searchable copy, in office 63's case."""
    original = pdf_of_images([text_page(["Quellwasserschutz"], seed=2).image])
    source, copy = tmp_path / "scan.pdf", tmp_path / "copy.pdf"
    source.write_bytes(original)
    copy.write_bytes(COPY)
    with app.unit(SYSTEM) as ctx:
        office = users.office_by_code(ctx, "63")
        (file,) = files.list_files(ctx, office_id=office.id)
        (case, _count), *_ = files.list_cases(ctx, file.id)
        added = documents.add_document(ctx, case_id=case.id, source=source,
                                       filename="scan.pdf", title="Signierter Scan")
        renditions.add_rendition(ctx, added.version, copy, "scan (Lesefassung OCR).pdf")
        return added.document.id, original


def test_search_reads_the_copy_and_the_page_offers_it(
    web: TestClient, seeded: App, tmp_path: Path
) -> None:
    document_id, original = _document_with_copy(seeded, tmp_path)
    text_queue.process(seeded)  # whatever the after-commit round left
    with seeded.unit(SYSTEM) as ctx:
        hits = [h.document_id for h in search(ctx, SearchQuery("Quellwasserschutz")).hits]
    assert document_id in hits  # the image-only original has no text: the copy's was read

    login(web, "mueller")
    page = web.get(f"/documents/{document_id}")
    assert page.status_code == 200
    assert "Lesefassung (OCR) / searchable copy" in page.text
    assert f"/documents/{document_id}/searchable-copy?version=1" in page.text
    copy = web.get(f"/documents/{document_id}/searchable-copy")
    assert copy.status_code == 200 and copy.content == COPY
    assert copy.headers["content-type"] == "application/pdf"
    assert "inline" in copy.headers["content-disposition"]
    assert web.get(f"/documents/{document_id}/download").content == original  # the record


def test_no_copy_and_no_right_both_answer_not_found(
    web: TestClient, seeded: App, tmp_path: Path
) -> None:
    document_id, _ = _document_with_copy(seeded, tmp_path)
    with seeded.unit(SYSTEM) as ctx:  # a demo document of the same case, without a copy
        case_id = documents.get_document(ctx, document_id)[0].case_id
        plain = next(d.id for d, _v in documents.list_documents(ctx, case_id)
                     if d.id != document_id)
    login(web, "mueller")
    page = web.get(f"/documents/{plain}")
    assert page.status_code == 200 and "searchable-copy" not in page.text
    assert web.get(f"/documents/{plain}/searchable-copy").status_code == 404
    assert web.get(f"/documents/{document_id}/searchable-copy?version=2").status_code == 404
    login(web, "schmidt")  # finance: may not see the Bauordnungsamt's file
    assert web.get(f"/documents/{document_id}/searchable-copy").status_code == 404


def test_rest_api_serves_the_copy_beside_the_original(
    web: TestClient, seeded: App, tmp_path: Path
) -> None:
    from tests.web.conftest import api_token

    document_id, original = _document_with_copy(seeded, tmp_path)
    headers = api_token(seeded, "mueller")
    copy = web.get(f"/api/v1/documents/{document_id}/searchable-copy", headers=headers)
    assert copy.status_code == 200 and copy.content == COPY
    assert copy.headers["content-type"] == "application/pdf"
    original_response = web.get(f"/api/v1/documents/{document_id}/content", headers=headers)
    assert original_response.content == original
    assert web.get(f"/api/v1/documents/{document_id}/searchable-copy?version=2",
                   headers=headers).status_code == 404
    outsider = api_token(seeded, "schmidt")
    assert web.get(f"/api/v1/documents/{document_id}/searchable-copy",
                   headers=outsider).status_code == 404
