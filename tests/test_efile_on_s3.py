"""The e-file on the S3 backend: the same service path as on a directory, end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dms.content.text_pdf import text_pdf
from dms.services import documents, fileplan, files, fsck
from dms.services.context import SYSTEM, App
from dms.services.demo import load_defaults
from dms.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_documents_live_on_s3(database_url: str, tmp_path: Path,
                              make_s3_url: Callable[..., str]) -> None:
    app = App.from_settings(load_settings({
        "DMS_HOME": str(tmp_path), "DMS_DATABASE_URL": database_url,
        "DMS_STORAGE_URL": make_s3_url(), "DMS_CONFIG_DIR": str(ROOT / "config"),
    }))
    data = text_pdf(["Verkehrsrechtliche Anordnung", "Halteverbot Hauptstraße 4"])
    source = tmp_path / "anordnung.pdf"
    source.write_bytes(data)
    with app.unit(SYSTEM) as ctx:
        load_defaults(ctx)
        from dms.services.users import office_by_code

        node = fileplan.node_by_code(ctx, "700")
        file = files.create_file(ctx, plan_node_id=node.id, title="Halteverbote",
                                 office_id=office_by_code(ctx, "36").id)
        case = files.create_case(ctx, file_id=file.id, title="Hauptstraße")
        added = documents.add_document(ctx, case_id=case.id, source=source,
                                       filename="anordnung.pdf")
    assert app.store.url.startswith("s3://")
    with app.unit(SYSTEM) as ctx:
        opened = documents.open_version(ctx, added.document.id)
        assert b"".join(opened.chunks()) == data
        report = fsck.fsck(ctx)
    assert report.ok and report.checked == 1 and report.orphans == []
    app.dispose()
