"""Blobs a mailroom letter holds besides its PDF and its batch's original.

An e-mail letter's attachments (as prepared for filing: a PDF as it came, a scan's PDF/A, a
signed scan with its OCR'd reading copy) are stored when the mail is read, but their hashes
live only in the letter's JSON until it is filed. ``dms fsck --repair`` sweeps every blob no
``sha256`` column names, so a letter waiting in review for longer than the sweep's grace
time would lose them; one row per blob here keeps them referenced (dms.services.fsck finds
the column by its name). Rows stay after filing: the filed versions reference the same
bytes anyway.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dms.models.base import Base

#: attachment: an e-mail attachment as it will be filed; reading-copy: a signed scan's
#: searchable PDF/A (Lesefassung) that will lie beside it; invoice-view: the readable view of
#: an attached XML e-invoice, for the review screen
LETTER_BLOB_ROLES = ("attachment", "reading-copy", "invoice-view")


class LetterBlob(Base):
    __tablename__ = "ingest_letter_blobs"
    __table_args__ = (
        UniqueConstraint("letter_id", "sha256", name="uq_ingest_letter_blobs_letter_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("ingest_letters.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(32))


def letter_blob_rows(letter_id: int, entries: list[dict[str, object]]) -> list[LetterBlob]:
    """One row per distinct blob of an e-mail letter's attachment entries."""
    seen: dict[str, str] = {}
    for entry in entries:
        for key, role in (("sha256", "attachment"), ("reading_sha256", "reading-copy")):
            value = entry.get(key)
            if isinstance(value, str) and value and value not in seen:
                seen[value] = role
    return [LetterBlob(letter_id=letter_id, sha256=sha, role=role) for sha, role in seen.items()]
