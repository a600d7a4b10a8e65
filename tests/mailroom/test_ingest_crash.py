"""Kill the mailroom worker at random moments while it takes in a hot folder: afterwards
every input is in the e-file exactly once or still waiting in the folder, never both, never
neither."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from dms.cli.main import main
from dms.content.text_pdf import text_pdf

ROOT = Path(__file__).resolve().parents[2]
FILES = 24


@pytest.mark.slow
def test_random_kills_during_intake(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"DMS_HOME": str(home), "DMS_CONFIG_DIR": str(ROOT / "config")}
    assert CliRunner().invoke(main, ["init", "--no-demo"], env=env).exit_code == 0
    folder = tmp_path / "scanner"
    folder.mkdir()
    rng = random.Random(20261125)
    for i in range(FILES):
        (folder / f"brief-{i:02d}.pdf").write_bytes(text_pdf([
            "Gemeinde Oberdorf", f"Oberdorf, den {1 + i % 27:02d}.11.2026",
            f"Schreiben Nummer {i} über die Straßenreinigung im Ortsteil {rng.random():.6f}"]))
    child_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "dms.cli.main", "worker", "--poll", "0.2",
               "--hotfolder", f"{folder}=Scanner"]
    for _ in range(6):
        worker = subprocess.Popen(command, env=child_env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.5, 4.0))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    drain = CliRunner().invoke(main, ["worker", "--once", "--hotfolder", f"{folder}=Scanner"],
                               env=env)
    assert drain.exit_code == 0, drain.output
    waiting = {p.name for p in folder.iterdir() if p.suffix == ".pdf"}
    engine = create_engine(f"sqlite:///{home}/dms.sqlite3")
    with engine.connect() as conn:
        batches = conn.execute(text(
            "SELECT source_name, count(*), min(status) FROM ingest_batches GROUP BY source_name"
        )).all()
        documents = conn.execute(text(
            "SELECT count(*) FROM ingest_letters WHERE document_id IS NOT NULL")).scalar()
    engine.dispose()
    taken = {name: (count, status) for name, count, status in batches}
    for i in range(FILES):
        name = f"brief-{i:02d}.pdf"
        assert (name in waiting) != (name in taken), name  # exactly one of the two
        if name in taken:
            assert taken[name][0] == 1, f"{name} taken in twice"
    # the drain run processed everything it took in; letters are filed or await review
    assert all(status in ("done",) for _, status in taken.values())
    assert documents is not None
