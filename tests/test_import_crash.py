"""Kill a bulk import (`dms import`'s path: groups stored through one store batch, synced, then
committed, the next group stored meanwhile) at random moments: every document reported as
committed is there with its bytes, the audit chain holds, and the rest is at most orphan blobs
that fsck sweeps."""

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
from sqlalchemy import select

from dms.models import Document
from dms.services import fileplan, files, fsck
from dms.services.context import SYSTEM, App
from dms.services.demo import load_defaults
from dms.services.users import office_by_code
from tests.test_crash_safety import _assert_consistent

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_random_kills_during_bulk_import_lose_nothing_committed(app: App, tmp_path: Path):
    with app.unit(SYSTEM) as ctx:
        load_defaults(ctx)
        node = fileplan.node_by_code(ctx, "703")
        file = files.create_file(ctx, plan_node_id=node.id, title="Bußgeldverfahren 2026",
                                 office_id=office_by_code(ctx, "36").id)
        reference = files.create_case(ctx, file_id=file.id, title="Sammelanhörung").reference
    rng = random.Random(20261126)
    env = {
        **os.environ,
        "DMS_HOME": str(app.settings.home),
        "DMS_DATABASE_URL": app.settings.effective_database_url,
        "DMS_STORAGE_URL": app.settings.effective_storage_url,
        "PYTHONPATH": str(ROOT),
    }
    kills, committed = 0, set()
    for round_no in range(6):
        batch = tmp_path / f"batch{round_no}"
        batch.mkdir()
        for i in range(60):
            size = rng.randint(10_000, 300_000)
            (batch / f"anhoerung-{round_no}-{i:02d}.txt").write_bytes(
                f"Anhörung {round_no}/{i}\n".encode() + rng.randbytes(size).hex().encode()
            )
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.support.bulk_import_loop", reference, str(batch),
             "7"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        )
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.strip() == b"started", child.stderr.read().decode() if child.stderr else ""
        time.sleep(rng.uniform(0.0, 1.5))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        out, _ = child.communicate(timeout=60)
        committed |= {int(line) for line in out.split()}
        _assert_consistent(app)
        with app.unit(SYSTEM) as ctx:
            present = set(ctx.db.scalars(select(Document.id)))
        assert committed <= present, "a document reported as committed is gone"
    assert kills >= 3, "the import finished before it could be interrupted; make it longer"
    assert committed

    with app.unit(SYSTEM) as ctx:
        report = fsck.fsck(ctx, repair=True, min_orphan_age=timedelta(0))
    with app.unit(SYSTEM) as ctx:
        after = fsck.fsck(ctx)
    assert report.ok and after.ok and after.orphans == []
