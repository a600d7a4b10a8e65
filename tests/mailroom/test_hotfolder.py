"""The hot folder: stable files are taken in and removed only after commit; bad files go to
quarantine/ with a reason file; the worker processes the batches."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dms.cli.main import main
from dms.content.text_pdf import text_pdf

ROOT = Path(__file__).resolve().parents[2]


def test_worker_takes_in_the_hot_folder(tmp_path: Path) -> None:
    env = {"DMS_HOME": str(tmp_path / "home"), "DMS_CONFIG_DIR": str(ROOT / "config")}
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    for bpmn in sorted((ROOT / "config" / "processes").glob("*.bpmn")):
        assert runner.invoke(main, ["process", "deploy", str(bpmn)], env=env).exit_code == 0
    inbox = tmp_path / "scanner1"
    inbox.mkdir()
    (inbox / "brief.pdf").write_bytes(text_pdf([
        "Gemeinde Oberdorf", "Ihr Zeichen: 600-0001/2026-01", "Oberdorf, den 05.11.2026",
        "Stellungnahme zum Bauantrag: Einvernehmen wird erteilt."]))
    (inbox / "leer.pdf").write_bytes(b"")
    (inbox / "noch-im-schreiben.part").write_bytes(b"%PDF-1.4 ...")
    result = runner.invoke(main, ["worker", "--once", "--hotfolder", f"{inbox}=Scanner 1"],
                           env=env)
    assert result.exit_code == 0, result.output
    assert "1 Dateien übernommen, 1 Stapel verarbeitet" in result.output
    remaining = sorted(p.name for p in inbox.iterdir())
    assert remaining == ["noch-im-schreiben.part", "quarantine"]
    reason = (inbox / "quarantine" / "leer.pdf.reason.txt").read_text(encoding="utf-8")
    assert "leer" in reason
    found = runner.invoke(main, ["search", "Einvernehmen", "--json"], env=env)
    hits = json.loads(found.output)["hits"]
    assert any(h["case_reference"] == "600-0001/2026-01" for h in hits)
