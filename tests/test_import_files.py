"""Bulk import (`dms import`, documents.import_files): groups stored through one object-store
batch, made durable, and only then given their rows; refusals stay per file."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from sqlalchemy import func, select

from dms.content.text_pdf import text_pdf
from dms.errors import Conflict, DmsError, StorageUnavailable
from dms.models import AuditEvent, Document, SearchText, Version
from dms.services import documents, fileplan, files
from dms.services.context import Actor, App
from dms.storage import PutBatch, StoredBlob
from tests.support.actors import actor_of, as_user


def _mueller(app: App) -> Actor:
    return actor_of(app, "mueller")


@pytest.fixture
def case_ref(seeded: App) -> str:
    with as_user(seeded, "mueller") as ctx:
        node = fileplan.node_by_code(ctx, "601")
        file = files.create_file(ctx, plan_node_id=node.id, title="Sammelimport Bauakten")
        return files.create_case(ctx, file_id=file.id, title="Altbestand").reference


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _count(app: App, model: Any, *where: Any) -> int:
    with app.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class RecordingStore:
    """Wraps the app's store: remembers which blobs a synced batch made durable, and can make
    the sync of chosen batches (by number, from 0) fail."""

    def __init__(self, inner: Any, failing: frozenset[int] = frozenset()) -> None:
        self.inner = inner
        self.failing = failing
        self.durable: set[str] = set()
        self.batches = 0
        self.lock = threading.Lock()

    def batch(self) -> PutBatch:
        with self.lock:
            number, self.batches = self.batches, self.batches + 1
        return RecordingBatch(self, self.inner.batch(), number)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class RecordingBatch:
    def __init__(self, owner: RecordingStore, inner: PutBatch, number: int) -> None:
        self.owner, self.inner, self.number = owner, inner, number
        self.put_hashes: list[str] = []

    def put(self, stream: BinaryIO) -> StoredBlob:
        blob = self.inner.put(stream)
        self.put_hashes.append(blob.sha256)
        return blob

    def sync(self) -> None:
        if self.number in self.owner.failing:
            raise StorageUnavailable("Ablage voll / store full (test)")
        self.inner.sync()
        with self.owner.lock:
            self.owner.durable.update(self.put_hashes)


def test_groups_are_imported_in_order_with_per_file_refusals_and_duplicates(
    seeded: App, case_ref: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    paths = [
        _write(src, "01-antrag.pdf", text_pdf(["Bauantrag Lindenstraße 4"])),
        _write(src, "02-leer.txt", b""),  # refused: empty
        _write(src, "03-plan.txt", b"Lageplan"),
        _write(src, "04-plan-kopie.txt", b"Lageplan"),  # same bytes, the next group
        src / "05-fehlt.txt",  # refused: not there
        _write(src, "06-statik.txt", b"Statik"),
        _write(src, "07-plan-spaeter.txt", b"Lageplan"),  # same bytes, a later group
    ]
    events_before = _count(seeded, AuditEvent, AuditEvent.action == "document.create")
    results = list(documents.import_files(seeded, _mueller(seeded), case_ref, paths, batch=3))

    assert [r.path for r in results] == paths
    assert [r.ok for r in results] == [True, False, True, True, False, True, True]
    assert "leer" in results[1].error.message  # type: ignore[union-attr]
    assert "not a readable file" in results[4].error.message  # type: ignore[union-attr]
    plan, copy, later = results[2], results[3], results[6]  # groups: 1-3, 4-6, 7
    assert copy.duplicates == (plan.document_id,)
    assert set(later.duplicates) == {plan.document_id, copy.document_id}
    assert results[0].mime_type == "application/pdf"
    ok = [r for r in results if r.ok]
    ids = [r.document_id for r in ok]
    assert len(set(ids)) == 5
    # every imported file: a document with version 1 whose blob is stored, one audit event,
    # and its text queued (not read yet)
    with seeded.sessions() as db:
        versions = dict(db.execute(
            select(Version.document_id, Version.sha256).where(Version.document_id.in_(ids))
        ).all())
        pending = db.scalars(
            select(SearchText.document_id).where(SearchText.document_id.in_(ids),
                                                 SearchText.pending_version_id.is_not(None))
        ).all()
    assert versions == {r.document_id: r.sha256 for r in ok}
    assert all(seeded.store.verify(sha256) for sha256 in versions.values())
    assert sorted(pending) == sorted(ids)
    assert _count(seeded, AuditEvent, AuditEvent.action == "document.create") == events_before + 5


def test_rows_commit_only_after_their_blobs_are_durable(
    seeded: App, case_ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = RecordingStore(seeded.store)
    monkeypatch.setitem(seeded.__dict__, "store", recording)
    checked: list[int] = []
    original = documents.add_documents

    def add_documents(ctx: Any, **kwargs: Any) -> Any:
        items = kwargs["items"]
        assert {item.sha256 for item in items} <= recording.durable  # the invariant
        checked.append(len(items))
        return original(ctx, **kwargs)

    monkeypatch.setattr(documents, "add_documents", add_documents)
    paths = [_write(tmp_path / "src", f"{i:02d}.txt", b"Seite %d" % i) for i in range(11)]
    results = list(documents.import_files(seeded, _mueller(seeded), case_ref, paths, batch=4))
    assert all(r.ok for r in results)
    assert checked == [4, 4, 3] and recording.batches == 3


def test_a_group_whose_blobs_cannot_be_made_durable_gets_no_rows(
    seeded: App, case_ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = RecordingStore(seeded.store, failing=frozenset({1}))
    monkeypatch.setitem(seeded.__dict__, "store", failing)
    paths = [_write(tmp_path / "src", f"{i:02d}.txt", b"Blatt %d" % i) for i in range(6)]
    documents_before = _count(seeded, Document)
    results = list(documents.import_files(seeded, _mueller(seeded), case_ref, paths, batch=2))
    assert [r.ok for r in results] == [True, True, False, False, True, True]
    assert all(isinstance(r.error, StorageUnavailable) for r in results[2:4])
    assert _count(seeded, Document) == documents_before + 4


def test_a_group_refused_as_a_whole_does_not_stop_the_others(
    seeded: App, case_ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = documents.add_documents
    calls: list[int] = []

    def add_documents(ctx: Any, **kwargs: Any) -> Any:
        calls.append(1)
        added = original(ctx, **kwargs)  # rows written ...
        if len(calls) == 1:
            raise Conflict("Vorgang abgeschlossen / case closed (test)")  # ... and rolled back
        return added

    monkeypatch.setattr(documents, "add_documents", add_documents)
    paths = [_write(tmp_path / "src", f"{i:02d}.txt", b"Notiz %d" % i) for i in range(4)]
    documents_before = _count(seeded, Document)
    results = list(documents.import_files(seeded, _mueller(seeded), case_ref, paths, batch=2))
    assert [r.ok for r in results] == [False, False, True, True]
    assert "case closed" in results[0].error.message  # type: ignore[union-attr]
    assert _count(seeded, Document) == documents_before + 2


def test_unknown_case_or_type_refuses_everything_and_stores_nothing(
    seeded: App, case_ref: str, tmp_path: Path
) -> None:
    paths = [_write(tmp_path / "src", "a.txt", b"Aktenvermerk")]
    blobs_before = set(seeded.store.iter_hashes())
    for reference, doc_type in (("999.99-9999/1999", None), (case_ref, "kein-typ")):
        results = list(documents.import_files(seeded, _mueller(seeded), reference, paths,
                                              doc_type=doc_type))
        assert len(results) == 1 and isinstance(results[0].error, DmsError)
    assert set(seeded.store.iter_hashes()) == blobs_before


def test_add_documents_writes_what_add_document_writes(
    seeded: App, case_ref: str, tmp_path: Path
) -> None:
    one = _write(tmp_path / "a", "bescheid.txt", b"Bescheid vom 3. Mai")
    many = _write(tmp_path / "b", "bescheid.txt", b"Bescheid vom 4. Mai")
    with as_user(seeded, "mueller") as ctx:
        case_id = files.case_by_reference(ctx, case_ref).id
        single = documents.add_document(ctx, case_id=case_id, source=one, filename=one.name,
                                        doc_type="decision", title="Bescheid", index="queue")
        [bulk] = documents.add_documents(
            ctx, case_id=case_id, items=documents.prepare_many(seeded, [(many, many.name)]),
            doc_type="decision", title="Bescheid",
        )
        ids = (single.document.id, bulk.document.id)
    with seeded.sessions() as db:
        events = {
            e.object_id: e.after
            for e in db.scalars(select(AuditEvent).where(
                AuditEvent.action == "document.create",
                AuditEvent.object_id.in_([str(i) for i in ids])))
        }

    def shape(added: documents.AddResult) -> tuple[Any, ...]:
        d, v = added.document, added.version
        return (d.case_id, d.title, d.doc_type, d.document_date, v.number, v.mime_type,
                v.filename, v.text_method, v.created_by_id)

    assert shape(single) == shape(bulk)
    assert {k for k in events[str(ids[0])]} == {k for k in events[str(ids[1])]}
    assert events[str(ids[1])]["sha256"] == bulk.version.sha256
