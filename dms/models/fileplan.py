"""File plan (Aktenplan), files (Akte), shares, cases (Vorgang) and running numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dms.models.base import Base, utcnow
from dms.models.org import Office

FILE_KINDS = ("general", "intake", "invoice")


class PlanNode(Base):
    """One subject group of the Aktenplan; leaves (and inner nodes) may hold files."""

    __tablename__ = "plan_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plan_nodes.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    retention_years: Mapped[int | None]
    retention_action: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)


class File(Base):
    """Akte: the unit of filing, carrying the Aktenzeichen and the owning office."""

    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("plan_node_id", "year", "seq", name="uq_files_running_number"),
        CheckConstraint("kind IN ('general', 'intake', 'invoice')", name="known_kind"),
        CheckConstraint("status IN ('open', 'closed')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_node_id: Mapped[int] = mapped_column(ForeignKey("plan_nodes.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    seq: Mapped[int]
    year: Mapped[int]
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16), default="general")
    sensitive: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan_node: Mapped[PlanNode] = relationship(lazy="joined")
    office: Mapped[Office] = relationship(lazy="joined")


class FileShare(Base):
    """A file made visible beyond its office: to one user or to another office."""

    __tablename__ = "file_shares"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (office_id IS NULL)", name="exactly_one_grantee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    """Vorgang: one matter inside a file; `owner` is the clerk in charge (Federführung)."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("file_id", "seq", name="uq_cases_running_number"),
        CheckConstraint("status IN ('open', 'closed')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    seq: Mapped[int]
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    file: Mapped[File] = relationship(lazy="joined")


class Counter(Base):
    """Running numbers (laufende Nummern) per plan node and year, taken under a row lock."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
