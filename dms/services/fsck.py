"""Integrity of the e-file's bytes: every version's blob exists and matches its hash;
blobs no version references (left by a crash between store and commit) can be swept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from dms.errors import PermissionDenied
from dms.models import Version
from dms.services import audit
from dms.services.context import Ctx


@dataclass(frozen=True)
class BlobProblem:
    sha256: str
    problem: str  # "missing" or "corrupt"
    versions: list[int]


@dataclass
class FsckReport:
    checked: int = 0
    problems: list[BlobProblem] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    removed_orphans: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _referenced(ctx: Ctx) -> Iterator[tuple[str, int]]:
    yield from ctx.db.execute(select(Version.sha256, Version.id).order_by(Version.sha256))


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
    by_hash: dict[str, list[int]] = {}
    for sha256, version_id in _referenced(ctx):
        by_hash.setdefault(sha256, []).append(version_id)
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
