"""`dms keys` and `dms doc sign|check-signatures` on a fresh `dms init`: the demo signer's
certificate and the seal exist, the signer signs a demo document, the check keeps the
Prüfprotokoll and reports the demo CA's missing revocation service as a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dms.cli.main import main

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("keys-home")
    values = {"DMS_HOME": str(home), "DMS_CONFIG_DIR": str(ROOT / "config")}
    result = CliRunner().invoke(main, ["init", "--json"], env=values)
    assert result.exit_code == 0, result.output
    return values


def run(env: dict[str, str], *args: str, **extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={**env, **extra})
    return result.exit_code, result.output


def test_demo_keys_sign_and_check(env: dict[str, str]) -> None:
    code, out = run(env, "keys", "list", "--json")
    assert code == 0, out
    keys = json.loads(out)
    assert {k["purpose"] for k in keys} == {"personal", "seal"}
    personal = next(k for k in keys if k["purpose"] == "personal")
    assert "Hannah Hoffmann" in personal["subject"]
    # a clerk sees only their own keys: none
    code, out = run(env, "--user", "mueller", "keys", "list", "--json")
    assert code == 0 and json.loads(out) == []

    code, out = run(env, "--user", "hoffmann", "doc", "list", "--case", _demo_case(env),
                    "--json")
    assert code == 0, out
    document = next(d for d in json.loads(out) if d["mime_type"] == "application/pdf")

    code, out = run(env, "--user", "hoffmann", "doc", "sign", str(document["id"]),
                    "--key-id", str(personal["id"]), "--level", "B-B", "--json",
                    DMS_KEY_PASSPHRASE="falsch")
    assert code == 4 and "Passphrase" in out
    code, out = run(env, "--user", "hoffmann", "doc", "sign", str(document["id"]),
                    "--key-id", str(personal["id"]), "--level", "B-B", "--json",
                    DMS_KEY_PASSPHRASE="demo-passwort")
    assert code == 0, out
    signed = json.loads(out)
    assert signed["version"] == document["version"] + 1

    code, out = run(env, "--user", "hoffmann", "doc", "check-signatures",
                    str(document["id"]), "--json")
    assert code == 1, out  # valid with a warning: not "all valid"
    report = json.loads(out)
    assert report["verdict"] == "warning" and report["protocol_document_id"]
    assert report["signatures"][0]["intact"] and report["signatures"][0]["trusted"]
    code, _ = run(env, "--user", "hoffmann", "doc", "check-signatures", str(document["id"]),
                  "--accept-warnings", "--no-keep")
    assert code == 0


def _demo_case(env: dict[str, str]) -> str:
    code, out = run(env, "file", "list", "--json")
    assert code == 0, out
    (file,) = [f for f in json.loads(out) if f.get("office") == "63"
               and f.get("kind", "general") == "general"]
    code, out = run(env, "case", "list", "--file", file["reference"], "--json")
    assert code == 0, out
    return json.loads(out)[0]["reference"]
