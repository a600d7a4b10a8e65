"""Pending texts: an import commits without reading the text; the text queue reads it after,
and whatever happens in between (a crash, a newer version, an unreadable blob) leaves every
document either indexed or still queued."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dms.content.text_pdf import text_pdf
from dms.models import SearchText
from dms.search import SearchQuery
from dms.services import documents, fileplan, files, text_queue
from dms.services.context import SYSTEM, App
from dms.services.search import reindex, search, unindexed_ids
from dms.services.users import office_by_code

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def case_id(seeded: App) -> int:
    with seeded.unit(SYSTEM) as ctx:
        node = fileplan.node_by_code(ctx, "601")
        file = files.create_file(ctx, plan_node_id=node.id, title="Bauvoranfrage Lindenallee 4",
                                 office_id=office_by_code(ctx, "63").id)
        return files.create_case(ctx, file_id=file.id, title="Voranfrage Garage").id


def _add(app: App, case_id: int, path: Path, index: text_queue.IndexMode) -> int:
    with app.unit(SYSTEM) as ctx:
        return documents.add_document(
            ctx, case_id=case_id, source=path, filename=path.name, index=index
        ).document.id


def _found(app: App, words: str) -> list[int]:
    with app.unit(SYSTEM) as ctx:
        return [h.document_id for h in search(ctx, SearchQuery(words)).hits]


def _pending(app: App) -> dict[int, int | None]:
    with app.unit(SYSTEM) as ctx:
        return dict(ctx.db.execute(select(SearchText.document_id,
                                          SearchText.pending_version_id)).all())


def test_queued_text_is_searchable_only_after_processing(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "garage.pdf"
    path.write_bytes(text_pdf(["Voranfrage Kleintierstall mit Gründach"]))
    doc = _add(seeded, case_id, path, "queue")
    assert _found(seeded, "Kleintierstall") == []
    with seeded.unit(SYSTEM) as ctx:
        assert unindexed_ids(ctx) == [doc]
        assert text_queue.pending_count(ctx) == 1
        row = ctx.db.get(SearchText, doc)
        assert row is not None and row.file_id == documents.get_document(ctx, doc)[0].case.file_id
    assert text_queue.process(seeded) == 1
    assert _found(seeded, "Kleintierstall") == [doc]
    assert _pending(seeded)[doc] is None
    assert text_queue.process(seeded) == 0  # nothing left, nothing done twice


def test_default_indexes_right_after_commit_not_inside(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "dach.txt"
    path.write_text("Die Dachbegrünung ist genehmigungsfrei.", encoding="utf-8")
    with seeded.unit(SYSTEM) as ctx:
        doc = documents.add_document(ctx, case_id=case_id, source=path,
                                     filename=path.name).document.id
        # inside the import's transaction the text is only queued ...
        assert ctx.db.get(SearchText, doc).pending_version_id is not None  # type: ignore[union-attr]
    assert _found(seeded, "Dachbegrünung") == [doc]  # ... and read once it committed


def test_rolled_back_import_leaves_no_queue_entry(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "x.txt"
    path.write_text("Zurückgezogen", encoding="utf-8")
    before = _pending(seeded)
    with pytest.raises(RuntimeError), seeded.unit(SYSTEM) as ctx:
        documents.add_document(ctx, case_id=case_id, source=path, filename=path.name)
        raise RuntimeError("abort")
    assert _pending(seeded) == before
    assert text_queue.process(seeded) == 0


def test_index_now_is_searchable_inside_the_transaction(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "sofort.txt"
    path.write_text("Sofortvollzug angeordnet", encoding="utf-8")
    with seeded.unit(SYSTEM) as ctx:
        doc = documents.add_document(ctx, case_id=case_id, source=path, filename=path.name,
                                     index="now").document.id
        assert [h.document_id for h in search(ctx, SearchQuery("Sofortvollzug")).hits] == [doc]
    assert _pending(seeded)[doc] is None


def test_newer_version_wins_over_a_text_read_meanwhile(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    old, new = tmp_path / "v1.txt", tmp_path / "v2.txt"
    old.write_text("Entwurf Stellplatzsatzung", encoding="utf-8")
    new.write_text("Endfassung Stellplatzsatzung mit Fahrradabstellplätzen", encoding="utf-8")
    doc = _add(seeded, case_id, old, "queue")
    with seeded.unit(SYSTEM) as ctx:  # a worker picks up version 1 ...
        (item,) = text_queue._next_pending(ctx, 0, None, 10)
    text = text_queue._read(seeded, item)
    with seeded.unit(SYSTEM) as ctx:  # ... while version 2 arrives
        documents.add_version(ctx, document_id=doc, source=new, filename="v2.txt", index="queue")
    with seeded.unit(SYSTEM) as ctx:
        assert text_queue._write(ctx, [item], {doc: text}) == 0  # stale: not written
    assert _pending(seeded)[doc] is not None
    assert text_queue.process(seeded) == 1
    assert _found(seeded, "Fahrradabstellplätze") == [doc]
    assert _found(seeded, "Entwurf") == []


def test_unreadable_blob_is_indexed_without_text_not_retried_forever(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "Grundwasseranalyse.txt"
    path.write_text("Verschwundener Inhalt", encoding="utf-8")
    doc = _add(seeded, case_id, path, "queue")
    with seeded.unit(SYSTEM) as ctx:
        sha = documents.latest_version(ctx, doc).sha256  # type: ignore[union-attr]
    seeded.store.delete(sha)
    assert text_queue.process(seeded) == 1
    assert _pending(seeded)[doc] is None
    assert _found(seeded, "Grundwasseranalyse") == [doc]  # the title is still indexed


def test_worker_job_processes_the_queue(seeded: App, case_id: int, tmp_path: Path) -> None:
    from workflows import worker

    path = tmp_path / "hecke.txt"
    path.write_text("Rückschnitt der Thujahecke", encoding="utf-8")
    doc = _add(seeded, case_id, path, "queue")
    key = seeded.settings.effective_database_url
    worker._APPS[key] = seeded
    try:
        worker.index_texts(key)
    finally:
        worker._APPS.pop(key, None)
    assert _found(seeded, "Thujahecke") == [doc]


def test_reindex_counts_queued_documents(seeded: App, case_id: int, tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        path = tmp_path / f"r{i}.txt"
        path.write_text(f"Rodungsantrag Nummer {i}", encoding="utf-8")
        paths.append(_add(seeded, case_id, path, "queue"))
    calls: list[tuple[int, int]] = []
    assert reindex(seeded, batch=2, progress=lambda *a: calls.append(a)) == 3
    assert calls[-1] == (3, 3)
    assert sorted(_found(seeded, "Rodungsantrag")) == sorted(paths)


@pytest.mark.slow
def test_crash_between_import_and_indexing_leaves_the_document_queued(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    """The child commits an import and is killed (SIGKILL) while its text is being read
    right after the commit: the document is stored and queued; the queue indexes it."""
    path = tmp_path / "absturz.pdf"
    path.write_bytes(text_pdf(["Nutzungsänderung Scheune zu Ferienwohnung"]))
    child = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from dms.services import documents, text_queue
        from dms.services.context import SYSTEM, App
        from dms.settings import load_settings

        def crash(*_):
            os.kill(os.getpid(), signal.SIGKILL)

        text_queue._read = crash
        app = App.from_settings(load_settings())
        with app.unit(SYSTEM) as ctx:
            added = documents.add_document(ctx, case_id={case_id}, source=Path({str(path)!r}),
                                           filename="absturz.pdf")
            print(added.document.id, flush=True)
        print("not reached", flush=True)
        """
    )
    env = {
        **os.environ,
        "DMS_HOME": str(seeded.settings.home),
        "DMS_DATABASE_URL": seeded.settings.effective_database_url,
        "DMS_STORAGE_URL": seeded.settings.effective_storage_url,
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == -9, proc.stderr
    doc = int(proc.stdout.split()[0])
    assert "not reached" not in proc.stdout
    with seeded.unit(SYSTEM) as ctx:
        assert unindexed_ids(ctx) == [doc]  # stored and queued, not lost
    assert text_queue.process(seeded) == 1
    assert _found(seeded, "Ferienwohnung") == [doc]


@pytest.mark.slow
def test_cli_import_batches_and_no_index_leaves_texts_to_the_worker(tmp_path: Path) -> None:
    from dms.cli.main import main

    env = {"DMS_HOME": str(tmp_path / "home"), "DMS_CONFIG_DIR": str(ROOT / "config")}
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), env=env)
        return result.exit_code, result.output

    assert run("init", "--no-demo")[0] == 0
    code, out = run("file", "create", "--plan", "600", "--title", "Sammelimport",
                    "--office", "63", "--json")
    assert code == 0, out
    code, out = run("case", "create", "--file", json.loads(out)["reference"], "--title",
                    "Altakten", "--json")
    case_ref = json.loads(out)["reference"]
    paths = []
    for i in range(5):
        path = tmp_path / f"alt{i}.txt"
        path.write_text(f"Altakte Brandschau Nummer {i}", encoding="utf-8")
        paths.append(str(path))
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    code, out = run("import", *paths[:3], str(broken), *paths[3:], "--case", case_ref,
                    "--batch", "2", "--no-index", "--json")
    assert code == 2
    results = json.loads(out)
    assert [r["ok"] for r in results] == [True, True, True, False, True, True]
    code, out = run("search", "Brandschau", "--json")
    assert json.loads(out)["total"] == 0  # queued, not read yet
    code, out = run("search", "--reindex")
    assert code == 0 and out.startswith("5 ")
    code, out = run("search", "Brandschau", "--json")
    assert json.loads(out)["total"] == 5
    code, out = run("import", str(tmp_path / "alt0.txt"), "--case", case_ref, "--json")
    assert code == 0 and json.loads(out)[0]["duplicates"]  # known bytes: reported as such
    code, out = run("search", "Brandschau", "--json")
    assert json.loads(out)["total"] == 6  # read right after the import (no --no-index)


def test_a_released_savepoint_does_not_index_early(app: App,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLAlchemy fires after_commit for savepoints too: indexing must wait for the outer
    commit (on SQLite it would otherwise block on the outer transaction's write lock)."""
    seen: list[list[int]] = []
    monkeypatch.setattr(text_queue, "process",
                        lambda app_, **kwargs: seen.append(list(kwargs["document_ids"])) or 0)
    with app.unit(SYSTEM) as ctx:
        text_queue.index_after_commit(ctx, 424242)
        with ctx.db.begin_nested():
            pass
        assert seen == []  # not after the savepoint
    assert seen == [[424242]]  # after the real commit


def test_bulk_processing_reads_texts_in_worker_processes(
    seeded: App, case_id: int, tmp_path: Path
) -> None:
    """With workers, texts are extracted side by side in other processes; a broken or
    missing file is indexed without text there too, and the others are found."""
    docs = []
    for number, word in enumerate(["Kellerabdichtung", "Dachgaube", "Zisterne"]):
        path = tmp_path / f"brief{number}.pdf"
        path.write_bytes(text_pdf([f"Antrag {word} Nummer {number}"]))
        docs.append(_add(seeded, case_id, path, "queue"))
    gone = tmp_path / "Lichtschacht.txt"
    gone.write_text("Verschwunden", encoding="utf-8")
    missing = _add(seeded, case_id, gone, "queue")
    with seeded.unit(SYSTEM) as ctx:
        sha = documents.latest_version(ctx, missing).sha256  # type: ignore[union-attr]
    seeded.store.delete(sha)
    assert text_queue.process(seeded, workers=2, batch=2) == 4
    assert _found(seeded, "Dachgaube") == [docs[1]]
    assert _found(seeded, "Zisterne Nummer") == [docs[2]]
    assert _found(seeded, "Lichtschacht") == [missing]  # title only
    assert all(v is None for v in _pending(seeded).values())
