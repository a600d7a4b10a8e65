"""The `dms` command: setup, import, search, integrity checks and their exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from dms.cli.main import main
from dms.content.text_pdf import text_pdf

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One `dms init` on SQLite for the module (argon2 makes demo users slow to create)."""
    home = tmp_path_factory.mktemp("cli-home")
    env = {"DMS_HOME": str(home), "DMS_CONFIG_DIR": str(ROOT / "config")}
    result = CliRunner().invoke(main, ["init", "--json"], env=env)
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["demo_users"] == ["admin", "post", "mueller", "weber", "schmidt", "koch",
                                  "kaiser", "hoffmann"]
    return env


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_init_is_repeatable(initialised: dict[str, str]) -> None:
    code, out = run(initialised, "init")
    assert code == 0, out
    code, out = run(initialised, "file", "list", "--json")
    assert len(json.loads(out)) == 4  # the demo files were not created twice


def test_import_search_and_listing(initialised: dict[str, str], tmp_path: Path) -> None:
    code, out = run(initialised, "case", "create", "--file", "600-0001/2026",
                    "--title", "Nachtrag Carport", "--json")
    assert code == 0, out
    case_ref = json.loads(out)["reference"]
    pdf = tmp_path / "nachtrag.pdf"
    pdf.write_bytes(text_pdf(["Nachtrag zum Bauantrag: Carport an der Nordseite"]))
    empty = tmp_path / "leer.txt"
    empty.write_bytes(b"")
    code, out = run(initialised, "import", str(pdf), str(empty), "--case", case_ref, "--json")
    assert code == 2  # one file failed; the other was still imported
    results = json.loads(out)
    assert results[0]["ok"] and not results[1]["ok"] and "leer" in results[1]["error"]
    code, out = run(initialised, "search", "Carport", "Nordseite", "--json")
    assert code == 0
    hits = json.loads(out)["hits"]
    assert [h["document_id"] for h in hits] == [results[0]["document_id"]]
    code, out = run(initialised, "--user", "weber", "search", "Carport", "--json")
    assert json.loads(out)["total"] == 1  # weber stands in for mueller (demo Vertretung)
    code, out = run(initialised, "--user", "schmidt", "search", "Carport", "--json")
    assert json.loads(out)["total"] == 0
    code, out = run(initialised, "doc", "list", "--case", case_ref, "--json")
    assert json.loads(out)[0]["mime_type"] == "application/pdf"
    code, out = run(initialised, "plan", "list", "--json")
    assert any(row["code"] == "600" and row["files"] >= 1 for row in json.loads(out))


def test_import_into_unknown_case_fails_clearly(initialised: dict[str, str],
                                                tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("x")
    code, out = run(initialised, "import", str(path), "--case", "999-9999/2026-01")
    assert code == 2 and "nicht gefunden" in out


def test_fsck_detects_corruption_and_audit_verify_detects_tampering(
    tmp_path: Path,
) -> None:
    env = {"DMS_HOME": str(tmp_path), "DMS_CONFIG_DIR": str(ROOT / "config")}
    assert run(env, "init", "--no-demo")[0] == 0
    run(env, "file", "create", "--plan", "012", "--title", "IT-Verfahren", "--office", "10")
    run(env, "case", "create", "--file", "012-0001/2026", "--title", "Beschaffung")
    src = tmp_path / "angebot.txt"
    src.write_text("Angebot über 12 Notebooks")
    assert run(env, "import", str(src), "--case", "012-0001/2026-01")[0] == 0
    assert run(env, "fsck")[0] == 0
    assert run(env, "audit", "verify")[0] == 0

    blobs = tmp_path / "blobs"
    blob = next(
        p for p in blobs.rglob("*") if p.is_file() and p.relative_to(blobs).parts[0] != "tmp"
    )
    os.chmod(blob, stat.S_IWUSR | stat.S_IRUSR)
    blob.write_bytes(b"Angebot ueber 13 Notebooks")
    code, out = run(env, "fsck", "--json")
    assert code == 8 and json.loads(out)["problems"][0]["problem"] == "corrupt"

    engine = create_engine(f"sqlite:///{tmp_path / 'dms.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = 3"))
    engine.dispose()
    code, out = run(env, "audit", "verify")
    assert code == 8 and "Ereignis 3" in out


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "DMS_HOME": str(tmp_path),
           "DMS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"}
    proc = subprocess.run([sys.executable, "-m", "dms.cli.main", "search", "x"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 6, proc.stderr
    assert "Datenbank nicht erreichbar" in proc.stderr and "Traceback" not in proc.stderr


def test_invalid_settings_name_the_key(tmp_path: Path) -> None:
    (tmp_path / "dms.toml").write_text('file_reference_scheme = "{plan}-{nummer}"\n')
    code, out = run({"DMS_HOME": str(tmp_path)}, "plan", "list")
    assert code == 7 and "FILE_REFERENCE_SCHEME" in out


def test_reindex_rebuilds_lost_search_entries(initialised: dict[str, str]) -> None:
    from sqlalchemy import create_engine, text

    home = initialised["DMS_HOME"]
    engine = create_engine(f"sqlite:///{home}/dms.sqlite3")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM search_fts"))
        conn.execute(text("DELETE FROM search_texts"))
    engine.dispose()
    code, out = run(initialised, "search", "Grundstück", "--json")
    assert json.loads(out)["total"] == 0
    code, out = run(initialised, "search", "--reindex")
    assert code == 0 and "neu indiziert" in out
    code, out = run(initialised, "search", "Grundstück", "--json")
    assert json.loads(out)["total"] >= 1


def test_doc_edit_and_move(initialised: dict[str, str], tmp_path: Path) -> None:
    """`dms doc edit` corrects the metadata, `dms doc move` re-files with a reason."""
    refs = []
    for title in ("Garage", "Wintergarten"):
        code, out = run(initialised, "case", "create", "--file", "600-0001/2026",
                        "--title", title, "--json")
        assert code == 0, out
        refs.append(json.loads(out)["reference"])
    letter = tmp_path / "statik.txt"
    letter.write_text("Statische Berechnung Wintergarten", encoding="utf-8")
    code, out = run(initialised, "import", str(letter), "--case", refs[0], "--json")
    document_id = json.loads(out)[0]["document_id"]
    code, out = run(initialised, "doc", "edit", str(document_id), "--title", "Statik",
                    "--type", "application", "--date", "2026-11-02", "--sender",
                    "Ingenieurbüro Lange", "--json")
    assert code == 0, out
    assert json.loads(out) | {"case": None} == {
        "id": document_id, "title": "Statik", "type": "application", "date": "2026-11-02",
        "sender": "Ingenieurbüro Lange", "case": None}
    code, out = run(initialised, "doc", "edit", str(document_id), "--date", "2.11.2026")
    assert code != 0 and "JJJJ-MM-TT" in out
    code, out = run(initialised, "doc", "move", str(document_id), "--case", refs[1],
                    "--reason", "gehört zum Wintergarten", "--json")
    assert code == 0, out
    assert json.loads(out)["case"] == refs[1]
    code, out = run(initialised, "doc", "list", "--case", refs[1], "--json")
    assert [row["id"] for row in json.loads(out)] == [document_id]
    code, out = run(initialised, "--user", "schmidt", "doc", "move", str(document_id),
                    "--case", refs[0], "--reason", "x")
    assert code != 0 and "nicht gefunden" in out
