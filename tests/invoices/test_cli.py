"""`dms invoice import | list | show`: the register from the shell, JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dms.cli.main import main
from dms.services.context import App
from tests.einvoice.builders import build
from tests.invoices.conftest import LEITWEG_63
from tests.support.deputies import end_vertretung


def _env(app: App) -> dict[str, str]:
    s = app.settings
    return {"DMS_HOME": str(s.home), "DMS_DATABASE_URL": s.effective_database_url,
            "DMS_STORAGE_URL": str(s.effective_storage_url), "DMS_CONFIG_DIR": str(s.config_dir)}


def _run(app: App, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=_env(app))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow  # several e-invoices, each with its PDF view (~0.5 s)
def test_import_list_show(finance: App, tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "c.xml"
    first.write_bytes(build({"buyer_reference": LEITWEG_63}))
    second.write_bytes(build({"buyer_reference": LEITWEG_63}, syntax="ubl"))
    other.write_bytes(b"<kein/>")
    code, out, err = _run(finance, "invoice", "import", str(first), str(second), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["status"] for r in rows] == ["registered", "registered"]
    assert rows[1]["duplicate_of_id"] == rows[0]["invoice"]["id"]
    assert rows[0]["invoice"]["office_code"] == "63"

    code, out, err = _run(finance, "invoice", "import", str(other), "--office", "50")
    assert code == 2 and "keine E-Rechnung" in err

    code, out, _ = _run(finance, "invoice", "list", "--office", "63", "--json")
    listing = json.loads(out)
    assert code == 0 and listing["totals"]["count"] == 2
    assert listing["totals"]["gross_cents"] == {"EUR": 2 * 5355}
    code, out, _ = _run(finance, "invoice", "list", "--status", "paid", "--json")
    assert json.loads(out)["items"] == []
    code, _, err = _run(finance, "invoice", "list", "--status", "unsinn")
    assert code == 2 and "Unbekannter Status" in err

    code, out, _ = _run(finance, "invoice", "show", str(rows[1]["invoice"]["id"]), "--json")
    shown = json.loads(out)
    assert code == 0 and shown["duplicate_of_id"] == rows[0]["invoice"]["id"]
    assert shown["view_document_id"] and shown["case_reference"]
    code, out, _ = _run(finance, "invoice", "show", str(rows[1]["invoice"]["id"]))
    assert code == 0 and "Doppelrechnung" in out

    # as a user: the mailroom is refused, a clerk of another office sees nothing
    end_vertretung(finance)  # weber's demo Vertretung for mueller (office 63) is over
    code, _, err = _run(finance, "--user", "post", "invoice", "list")
    assert code == 4
    code, out, _ = _run(finance, "--user", "weber", "invoice", "list", "--json")
    assert json.loads(out)["items"] == []
    code, _, _ = _run(finance, "--user", "weber", "invoice", "show",
                      str(rows[0]["invoice"]["id"]))
    assert code == 3
