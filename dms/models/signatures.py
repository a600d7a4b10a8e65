"""Signing keys (Signaturschlüssel) the e-file knows: a person's own certificate, an office's
seal (elektronisches Siegel), on a PKCS#12 file, a PKCS#11 token or a remote trust service.

A PKCS#12 file is stored as it came, in the object store: it is already encrypted under its
passphrase, which the e-file never stores, logs or audits. A token or remote key is kept as a
reference only (a `pkcs11:` URI or a `csc:` credential); the key itself never leaves it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dms.models.base import Base, utcnow

KEY_KINDS = ("pkcs12", "pkcs11", "csc")
KEY_PURPOSES = ("personal", "seal")


class SigningKey(Base):
    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint("kind IN ('pkcs12', 'pkcs11', 'csc')", name="known_kind"),
        CheckConstraint("purpose IN ('personal', 'seal')", name="known_purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16), default="personal")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    # pkcs12: the stored file (a blob; `dms fsck` finds it by the column name);
    # pkcs11 / csc: the URI naming the key on its token or service
    blob_sha256: Mapped[str | None] = mapped_column(String(64))
    uri: Mapped[str | None] = mapped_column(String(1000))
    certificate_pem: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial: Mapped[str] = mapped_column(String(100))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
