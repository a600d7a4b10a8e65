"""Documents and versions: bad input, dedup, immutability of versions, text extraction."""

from __future__ import annotations

from pathlib import Path

import pytest

from dms.content.text_pdf import text_pdf
from dms.errors import Conflict, InvalidInput, NotFound, UnsupportedContent
from dms.services import documents, fileplan, files
from dms.services.context import SYSTEM, App
from tests.support.actors import as_user
from tests.support.deputies import end_vertretung


@pytest.fixture
def case_id(seeded: App) -> int:
    with as_user(seeded, "mueller") as ctx:
        node = fileplan.node_by_code(ctx, "601")
        file = files.create_file(ctx, plan_node_id=node.id, title="Bauvoranfrage Ahornweg 2")
        return files.create_case(ctx, file_id=file.id, title="Voranfrage Carport").id


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pdf_is_stored_extracted_and_readable_back(seeded: App, case_id: int, tmp_path: Path):
    data = text_pdf(["Bauvoranfrage für einen Carport", "Ahornweg 2, Flurstück 12/7"])
    path = _write(tmp_path, "voranfrage.pdf", data)
    with as_user(seeded, "mueller") as ctx:
        added = documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
    assert added.version.mime_type == "application/pdf"
    assert added.version.page_count == 1
    assert added.version.text_method == "pdf-text"
    assert added.document.title == "voranfrage"
    with as_user(seeded, "mueller") as ctx:
        opened = documents.open_version(ctx, added.document.id)
        assert b"".join(opened.chunks()) == data


def test_empty_file_is_rejected(seeded: App, case_id: int, tmp_path: Path) -> None:
    path = _write(tmp_path, "leer.pdf", b"")
    with as_user(seeded, "mueller") as ctx, pytest.raises(InvalidInput, match="leer"):
        documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)


@pytest.mark.parametrize("name", ["../../etc/passwd", "a\x00b.txt", "C:\\temp\\x.txt", "..", ""])
def test_hostile_names_are_cleaned_or_rejected(
    seeded: App, case_id: int, tmp_path: Path, name: str
) -> None:
    path = _write(tmp_path, "payload.txt", b"Inhalt")
    with as_user(seeded, "mueller") as ctx:
        try:
            added = documents.add_document(ctx, case_id=case_id, source=path, filename=name)
        except InvalidInput:
            return
    assert "/" not in added.version.filename and "\\" not in added.version.filename
    assert all(ord(c) >= 32 for c in added.version.filename)


def test_broken_and_encrypted_pdfs_are_refused_and_nothing_is_stored(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    import pikepdf

    encrypted = tmp_path / "enc.pdf"
    with pikepdf.open(_write(tmp_path, "plain.pdf", text_pdf(["geheim"]))) as pdf:
        pdf.save(encrypted, encryption=pikepdf.Encryption(owner="o", user="u"))
    broken = _write(tmp_path, "kaputt.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50)
    blobs_before = set(seeded.store.iter_hashes())
    for path in (encrypted, broken):
        with as_user(seeded, "mueller") as ctx, pytest.raises(UnsupportedContent):
            documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
    assert set(seeded.store.iter_hashes()) == blobs_before


def test_unknown_binary_type_is_kept_without_text(seeded: App, case_id: int, tmp_path: Path):
    path = _write(tmp_path, "plan.dwg", bytes(range(256)) * 4)
    with as_user(seeded, "mueller") as ctx:
        added = documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
    assert added.version.mime_type == "application/octet-stream"
    assert added.version.text_method == "none"


def test_versions_accumulate_and_identical_content_is_refused(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    first = _write(tmp_path, "v1.txt", b"Entwurf Bescheid")
    second = _write(tmp_path, "v2.txt", "Entwurf Bescheid, überarbeitet".encode())
    with as_user(seeded, "mueller") as ctx:
        doc = documents.add_document(ctx, case_id=case_id, source=first, filename="b.txt")
        documents.add_version(
            ctx,
            document_id=doc.document.id,
            source=second,
            filename="b.txt",
            comment="überarbeitet",
        )
        with pytest.raises(Conflict, match="identisch"):
            documents.add_version(ctx, document_id=doc.document.id, source=second, filename="b.txt")
    with as_user(seeded, "mueller") as ctx:
        _, versions = documents.get_document(ctx, doc.document.id)
        assert [v.number for v in versions] == [2, 1]
        assert versions[1].sha256 != versions[0].sha256
        old = documents.open_version(ctx, doc.document.id, 1)
        assert b"".join(old.chunks()) == b"Entwurf Bescheid"


def test_same_bytes_twice_are_stored_once_and_reported(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    path = _write(tmp_path, "kopie.txt", b"Zweimal eingereicht")
    with as_user(seeded, "mueller") as ctx:
        a = documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
        b = documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
    assert a.version.sha256 == b.version.sha256
    assert [d.id for d in b.duplicates] == [a.document.id]
    assert list(seeded.store.iter_hashes()).count(a.version.sha256) == 1


def test_other_office_cannot_read_or_add(seeded: App, case_id: int, tmp_path: Path) -> None:
    end_vertretung(seeded)  # weber's demo Vertretung for mueller (office 63) is over
    path = _write(tmp_path, "x.txt", b"abc")
    with as_user(seeded, "mueller") as ctx:
        doc = documents.add_document(ctx, case_id=case_id, source=path, filename="x.txt")
    with as_user(seeded, "weber") as ctx:
        with pytest.raises(NotFound):
            documents.get_document(ctx, doc.document.id)
        with pytest.raises(NotFound):
            documents.add_document(ctx, case_id=case_id, source=path, filename="x.txt")


def test_email_text_is_indexed(seeded: App, case_id: int, tmp_path: Path) -> None:
    from dms.search import SearchQuery
    from dms.services.search import search

    mail = (
        b"From: Bauherr <bauherr@example.org>\r\nTo: bauamt@example.org\r\n"
        b"Subject: Nachreichung Statik\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nAnbei die Tragwerksplanung.\r\n"
    )
    path = _write(tmp_path, "nachreichung.eml", mail)
    with as_user(seeded, "mueller") as ctx:
        added = documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
    assert added.version.mime_type == "message/rfc822"
    with seeded.unit(SYSTEM) as ctx:
        assert search(ctx, SearchQuery("Tragwerksplanung")).total == 1


def test_bulk_prepare_then_rows_reports_duplicates_and_refusals(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    """A bulk import stores files side by side first (no transaction), then writes rows."""
    same_a = _write(tmp_path, "a.txt", b"Gleichlautende Eingabe")
    same_b = _write(tmp_path, "b.txt", b"Gleichlautende Eingabe")
    empty = _write(tmp_path, "c.txt", b"")
    items = [(same_a, "a.txt"), (same_b, "b.txt"), (empty, "c.txt")]
    first, second, refused = documents.prepare_many(seeded, items, workers=3)
    assert isinstance(refused, InvalidInput)
    assert isinstance(first, documents.Prepared) and isinstance(second, documents.Prepared)
    assert first.sha256 == second.sha256 and not second.new_blob
    with as_user(seeded, "mueller") as ctx:
        a = documents.add_document(ctx, case_id=case_id, source=same_a, filename="a.txt",
                                   prepared=first, index="queue")
        b = documents.add_document(ctx, case_id=case_id, source=same_b, filename="b.txt",
                                   prepared=second, index="queue")
    assert [d.id for d in b.duplicates] == [a.document.id]
    assert seeded.store.exists(first.sha256)


def test_closed_case_is_refused_for_later_files_of_the_same_transaction(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    """The write check is queried once per transaction and case, then re-checked in memory."""
    path = _write(tmp_path, "n.txt", b"Nachtrag")
    with as_user(seeded, "mueller") as ctx:
        documents.add_document(ctx, case_id=case_id, source=path, filename="n.txt")
        files.get_case(ctx, case_id).status = "closed"
        with pytest.raises(Conflict, match="abgeschlossen"):
            documents.add_document(ctx, case_id=case_id, source=path, filename="n2.txt")
