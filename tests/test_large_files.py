"""A 2 GiB file goes in streaming: memory stays flat, bytes and hash are right."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dms.services import fileplan, files
from dms.services.context import SYSTEM, App
from dms.services.demo import load_defaults
from dms.services.users import office_by_code

ROOT = Path(__file__).resolve().parent.parent
SIZE = 2 * 1024**3


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_gigabyte_import_streams(app: App, tmp_path: Path) -> None:
    with app.unit(SYSTEM) as ctx:
        load_defaults(ctx)
        node = fileplan.node_by_code(ctx, "62")
        file = files.create_file(ctx, plan_node_id=node.id, title="Flächennutzungsplan",
                                 office_id=office_by_code(ctx, "63").id)
        case_id = files.create_case(ctx, file_id=file.id, title="Planunterlagen").id
    big = tmp_path / "luftbild.tif.bin"
    pattern = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB, not all zeros
    digest = hashlib.sha256()
    with big.open("wb") as out:
        for _ in range(SIZE // len(pattern)):
            out.write(pattern)
            digest.update(pattern)
    env = {**os.environ, "DMS_HOME": str(app.settings.home), "PYTHONPATH": str(ROOT),
           "DMS_DATABASE_URL": app.settings.effective_database_url,
           "DMS_STORAGE_URL": app.settings.effective_storage_url}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.import_one", str(case_id), str(big)],
        env=env, capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    sha256, size, peak_mib = proc.stdout.split()
    assert sha256 == digest.hexdigest() and int(size) == SIZE
    assert int(peak_mib) < 300, f"peak RSS {peak_mib} MiB for a 2 GiB import"
    big.unlink()
