"""The hot folder notices files by inotify (a real watchdog observer on a temporary folder)
or, as the fallback, by polling; either way a file is taken only once it stopped growing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.hotfolder import HotFolder
from dms.content.text_pdf import text_pdf
from dms.services.context import SYSTEM, App
from ingest.models import IntakeBatch

PDF = text_pdf(["Gemeinde Oberdorf", "Oberdorf, den 05.11.2026", "Stellungnahme zum Bauantrag."])


def _until(condition: Callable[[], object], timeout: float = 5.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    return condition()


def test_inotify_takes_a_closed_file_without_a_second_look(tmp_path: Path) -> None:
    folder = HotFolder(tmp_path, "Scanner", settle_seconds=0.1, rescan_seconds=3600)
    try:
        assert folder.start() == "inotify"
        assert folder.ready_files() == []  # the two start-up looks find nothing
        assert folder.ready_files() == []
        (tmp_path / "brief.pdf").write_bytes(PDF)
        assert _until(folder.ready_files) == [tmp_path.resolve() / "brief.pdf"]
    finally:
        folder.stop()


def test_inotify_waits_while_a_file_grows(tmp_path: Path) -> None:
    folder = HotFolder(tmp_path, "Scanner", settle_seconds=0.1, quiet_seconds=0.6,
                       rescan_seconds=3600)
    try:
        assert folder.start() == "inotify"
        folder.ready_files(), folder.ready_files()
        path = tmp_path / "stapel.pdf"
        with path.open("wb") as handle:  # a scanner writing page after page, file kept open
            for start in range(0, len(PDF), len(PDF) // 4 + 1):
                handle.write(PDF[start:start + len(PDF) // 4 + 1])
                handle.flush()
                time.sleep(0.25)
                assert folder.ready_files() == [], "taken while still growing"
        # closed: complete after the short settle time
        assert _until(folder.ready_files, 3.0) == [path.resolve()]
        assert path.read_bytes() == PDF
    finally:
        folder.stop()


def test_inotify_takes_a_file_renamed_into_the_folder(tmp_path: Path) -> None:
    folder = HotFolder(tmp_path, "Scanner", settle_seconds=0.1, rescan_seconds=3600)
    try:
        folder.start()
        folder.ready_files(), folder.ready_files()
        (tmp_path / "scan.tmp").write_bytes(PDF)  # ignored while it has the .tmp name
        time.sleep(0.3)
        assert folder.ready_files() == []
        (tmp_path / "scan.tmp").rename(tmp_path / "scan.pdf")
        assert _until(folder.ready_files) == [tmp_path.resolve() / "scan.pdf"]
    finally:
        folder.stop()


def test_polling_needs_two_unchanged_looks(tmp_path: Path) -> None:
    folder = HotFolder(tmp_path, "Scanner", watch=False)
    assert folder.start() == "polling"
    path = tmp_path / "brief.pdf"
    path.write_bytes(PDF[:100])
    assert folder.ready_files() == []
    path.write_bytes(PDF)  # grew between the looks
    assert folder.ready_files() == []
    assert folder.ready_files() == [path.resolve()]


def test_falls_back_to_polling_when_inotify_fails(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import watchdog.observers

    class Broken:
        def __init__(self) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", Broken)
    folder = HotFolder(tmp_path, "Scanner")
    assert folder.start() == "polling"
    (tmp_path / "brief.pdf").write_bytes(PDF)
    assert folder.ready_files() == []
    assert folder.ready_files() == [tmp_path.resolve() / "brief.pdf"]


def test_poll_stores_then_removes_and_quarantines_with_a_reason(app: App, tmp_path: Path) -> None:
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    folder = HotFolder(inbox, "Scanner 1", settle_seconds=0.05, rescan_seconds=3600)
    try:
        folder.start()
        assert folder.poll(app) == [] and folder.poll(app) == []
        (inbox / "brief.pdf").write_bytes(PDF)
        (inbox / "leer.pdf").write_bytes(b"")
        batches: list[int] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not batches:
            batches = folder.poll(app)
            time.sleep(0.05)
        assert len(batches) == 1
        assert not (inbox / "brief.pdf").exists()
        with app.unit(SYSTEM) as ctx:
            batch = ctx.db.scalar(select(IntakeBatch).where(IntakeBatch.id == batches[0]))
            assert batch is not None
            assert (batch.source, batch.source_name, batch.device) == (
                "hotfolder", "brief.pdf", "Scanner 1")
        reason = inbox / "quarantine" / "leer.pdf.reason.txt"
        assert _until(lambda: reason.exists() or folder.poll(app) == ["never"])
        assert not (inbox / "leer.pdf").exists()
        assert "leer" in (inbox / "quarantine" / "leer.pdf.reason.txt").read_text("utf-8")
    finally:
        folder.stop()
