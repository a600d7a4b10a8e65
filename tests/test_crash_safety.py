"""Kill the importing process at random moments: nothing committed may lose its bytes, the
audit chain stays intact, and what is left over is at most an orphan blob that fsck sweeps."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dms.models import Document, Version
from dms.services import audit, fileplan, files, fsck
from dms.services.context import SYSTEM, App
from dms.services.demo import load_defaults
from dms.services.users import office_by_code

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_random_kills_during_import_lose_nothing(app: App, tmp_path: Path) -> None:
    with app.unit(SYSTEM) as ctx:
        load_defaults(ctx)
        node = fileplan.node_by_code(ctx, "703")
        file = files.create_file(ctx, plan_node_id=node.id, title="Bußgeldverfahren 2026",
                                 office_id=office_by_code(ctx, "36").id)
        case_id = files.create_case(ctx, file_id=file.id, title="Anhörungen").id
    rng = random.Random(20261125)
    env = {
        **os.environ,
        "DMS_HOME": str(app.settings.home),
        "DMS_DATABASE_URL": app.settings.effective_database_url,
        "DMS_STORAGE_URL": app.settings.effective_storage_url,
        "PYTHONPATH": str(ROOT),
    }
    kills = 0
    for round_no in range(6):
        batch = tmp_path / f"batch{round_no}"
        batch.mkdir()
        for i in range(40):
            size = rng.randint(10_000, 400_000)
            (batch / f"anhoerung-{round_no}-{i}.txt").write_bytes(
                f"Anhörung {round_no}/{i}\n".encode() + rng.randbytes(size).hex().encode()
            )
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.support.import_loop", str(case_id), str(batch)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        )
        # kill only once the child is really importing (its start-up varies with load)
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.strip(), child.stderr.read().decode() if child.stderr else ""
        time.sleep(rng.uniform(0.0, 1.5))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.wait(timeout=60)
        _assert_consistent(app)
    assert kills >= 3, "the loop finished before it could be interrupted; make it longer"

    with app.unit(SYSTEM) as ctx:
        imported = ctx.db.scalar(select(func.count()).select_from(Document))
        report = fsck.fsck(ctx, repair=True, min_orphan_age=timedelta(0))
    assert imported and imported > 0
    with app.unit(SYSTEM) as ctx:
        after = fsck.fsck(ctx)
    assert report.ok and after.ok and after.orphans == []


def _assert_consistent(app: App) -> None:
    with app.unit(SYSTEM) as ctx:
        report = fsck.fsck(ctx)
        assert report.ok, report.problems
        chain = audit.verify_chain(ctx.db)
        assert chain.ok, chain.problems
        documents_without_version = ctx.db.scalar(
            select(func.count()).select_from(Document)
            .where(~Document.id.in_(select(Version.document_id)))
        )
        assert documents_without_version == 0
