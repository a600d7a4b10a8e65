"""An e-mail letter waiting in review keeps its attachments: `dms fsck --repair` sweeps
blobs no column names, and an attachment's hash lived only in the letter's JSON until it was
filed; ingest_letter_blobs names them, so the letter can still be sent afterwards."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dms.content.text_pdf import text_pdf
from dms.services import documents, fsck, users
from dms.services.context import SYSTEM, App, actor_for
from ingest import review
from ingest.models import IntakeLetter
from ingest.pipeline import process_batch, receive
from tests.mailroom.emails import mail
from tests.mailroom.test_pipeline import _deploy

NOTE = text_pdf(["Hallo zusammen,", "anbei wie besprochen die Unterlagen zur Kenntnis.",
                 "Viele Grüße"])


def test_fsck_repair_leaves_the_attachments_of_a_letter_in_review(
    seeded: App, tmp_path: Path
) -> None:
    _deploy(seeded)
    path = tmp_path / "nachricht.eml"
    path.write_bytes(mail(subject="Unterlagen", sender="Erika Muster <erika@example.org>",
                          plain="Siehe Anhang.", attachments=[("notiz.pdf", "application/pdf",
                                                                NOTE)]))
    result = process_batch(seeded, receive(seeded, path, source="upload", operator="post"))
    assert result.status == "done", result.reason
    letter_id = result.letters[0]["id"]
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None and letter.status == "review", letter.routing
        sha = letter.pages["attachments"][0]["sha256"]
        report = fsck.fsck(ctx, repair=True, min_orphan_age=timedelta(0))
        post = actor_for(ctx.db, users.user_by_name(ctx.db, "post"))
    assert sha not in report.orphans
    assert seeded.store.exists(sha)
    review.send(seeded, post, letter_id, review.Correction(office_code="63"))
    with seeded.unit(SYSTEM) as ctx:
        letter = ctx.db.get(IntakeLetter, letter_id)
        assert letter is not None and letter.status == "filed"
        document_id = letter.pages["attachments"][0]["document_id"]
        opened = documents.open_version(ctx, document_id)
        opened.stream.close()
    assert opened.version.sha256 == sha  # the very bytes kept while it waited
