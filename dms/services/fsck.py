"""Integrity of the e-file's bytes: every version's blob exists and matches its hash;
blobs no version references (left by a crash between store and commit) can be swept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import inspect, text

from dms.errors import PermissionDenied
from dms.services import audit
from dms.services.context import Ctx


@dataclass(frozen=True)
class BlobProblem:
    sha256: str
    problem: str  # "missing" or "corrupt"
    referenced_by: list[str]  # table:id


@dataclass
class FsckReport:
    checked: int = 0
    problems: list[BlobProblem] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    removed_orphans: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _blob_columns(ctx: Ctx) -> list[tuple[str, str]]:
    """Every column that names a blob, found by convention in the live database: a column
    called `sha256` or ending in `_sha256`. Reflection rather than imported models, so that a
    layer's tables (mailroom originals, renditions) protect their blobs even when fsck runs in
    a process that never imported that layer."""
    inspector = inspect(ctx.db.connection())  # same connection: SQLite allows one writer
    found = []
    for table in inspector.get_table_names():
        if table in _NOT_BLOBS:
            continue
        for column in inspector.get_columns(table):
            name = column["name"]
            if name == "sha256" or name.endswith("_sha256"):
                found.append((table, name))
    return found


#: sha256 columns that hash something other than a stored blob (process model XML).
_NOT_BLOBS = frozenset({"wf_definitions"})


def _referenced(ctx: Ctx) -> dict[str, list[str]]:
    """hash -> where it is referenced ("versions:12", "ingest_batches:3")."""
    refs: dict[str, list[str]] = {}
    for table, column in _blob_columns(ctx):
        rows = ctx.db.execute(
            text(f'SELECT "{column}", id FROM "{table}" WHERE "{column}" IS NOT NULL')
        )
        for sha256, row_id in rows:
            refs.setdefault(sha256, []).append(f"{table}:{row_id}")
    return refs


def fsck(
    ctx: Ctx,
    *,
    repair: bool = False,
    verify_content: bool = True,
    min_orphan_age: timedelta = timedelta(hours=1),
) -> FsckReport:
    """Check every referenced blob; with repair, delete unreferenced blobs (audited).

    Only orphans older than `min_orphan_age` are removed: a younger blob may belong to an
    import whose transaction has not committed yet.
    """
    if not ctx.actor.is_admin:
        raise PermissionDenied("Nur für die Verwaltung / administrators only")
    store = ctx.app.store
    report = FsckReport()
    by_hash = _referenced(ctx)
    for sha256, version_ids in by_hash.items():
        report.checked += 1
        if not store.exists(sha256):
            report.problems.append(BlobProblem(sha256, "missing", version_ids))
        elif verify_content and not store.verify(sha256):
            report.problems.append(BlobProblem(sha256, "corrupt", version_ids))
    report.orphans = [h for h in store.iter_hashes() if h not in by_hash]
    if repair and report.orphans:
        for sha256 in report.orphans:
            store.delete(sha256)
        report.removed_orphans = len(report.orphans)
        audit.record(
            ctx,
            "store.sweep",
            "store",
            "blobs",
            after={"removed": report.removed_orphans, "hashes": report.orphans[:100]},
        )
    return report
