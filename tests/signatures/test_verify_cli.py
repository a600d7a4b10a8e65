"""`dms verify-signature FILE [--trust CERT.pem ...] --json`: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dms.cli.main import main
from tests.signatures.pki import SigningPki, sample_pdf, sign_with_pyhanko


@pytest.fixture(scope="module")
def files(pki: SigningPki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("verify-cli")
    signed = sign_with_pyhanko(sample_pdf(), pki.alice, "B-LT", field_name="Schlusszeichnung")
    paths = {
        "valid": folder / "bescheid.pdf",
        "revoked": folder / "gesperrt.pdf",
        "unsigned": folder / "ohne.pdf",
        "text": folder / "brief.txt",
        "broken": folder / "kaputt.pdf",
    }
    paths["valid"].write_bytes(signed)
    paths["revoked"].write_bytes(sign_with_pyhanko(sample_pdf(), pki.revoked, "B-B"))
    paths["unsigned"].write_bytes(sample_pdf())
    paths["text"].write_text("Sehr geehrte Damen und Herren,\n", encoding="utf-8")
    paths["broken"].write_bytes(signed[: len(signed) // 3])
    return paths


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """A config dir whose trust store is empty: anchors come only from --trust."""
    config = tmp_path / "config"
    (config / "trust").mkdir(parents=True)
    return {"DMS_HOME": str(tmp_path / "home"), "DMS_CONFIG_DIR": str(config)}


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["verify-signature", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_valid_with_trust_option(pki: SigningPki, files: dict[str, Path],
                                 env: dict[str, str]) -> None:
    code, out, _ = run(env, str(files["valid"]), "--trust", str(pki.root_path), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["verdict"] == "valid" and data["file"] == str(files["valid"])
    (sig,) = data["signatures"]
    assert sig["field_name"] == "Schlusszeichnung" and sig["signer"] == "Alice Anders"
    assert sig["level"] == "B-LT" and sig["revocation"] == "good"
    assert any("Test-Wurzel-CA" in a for a in data["trust_anchors"])


def test_without_anchor_untrusted_exit_1(files: dict[str, Path], env: dict[str, str]) -> None:
    code, out, _ = run(env, str(files["valid"]))
    assert code == 1
    assert "ungültig" in out and "Nicht vertrauenswürdig" in out


def test_configured_trust_dir_is_used(pki: SigningPki, files: dict[str, Path],
                                      env: dict[str, str]) -> None:
    config = Path(env["DMS_CONFIG_DIR"])
    (config / "signatures.toml").write_text(f'trust_anchors = "{pki.trust_dir}"\n')
    code, out, _ = run(env, str(files["valid"]), "--offline", "--json")
    assert code == 0, out
    assert json.loads(out)["revocation_fetching"] is False


def test_revoked_exit_1_and_html_protocol(pki: SigningPki, files: dict[str, Path],
                                          env: dict[str, str], tmp_path: Path) -> None:
    html = tmp_path / "pruefprotokoll.html"
    code, out, _ = run(env, str(files["revoked"]), "--trust", str(pki.root_path),
                       "--html", str(html))
    assert code == 1
    assert "Gesperrt" in out and "Rudi Gesperrt" in out
    page = html.read_text(encoding="utf-8")
    assert "Prüfprotokoll" in page and "gesperrt" in page


def test_offline_warning_fails_unless_accepted(files: dict[str, Path], env: dict[str, str],
                                               tmp_path: Path, pki: SigningPki) -> None:
    b_b = tmp_path / "bb.pdf"
    b_b.write_bytes(sign_with_pyhanko(sample_pdf(), pki.bob, "B-B"))
    code, out, _ = run(env, str(b_b), "--trust", str(pki.root_path), "--offline")
    assert code == 1 and "gültig mit Warnungen" in out
    code, _, _ = run(env, str(b_b), "--trust", str(pki.root_path), "--offline",
                     "--accept-warnings")
    assert code == 0


def test_unsigned_pdf_says_so_exit_1(files: dict[str, Path], env: dict[str, str]) -> None:
    code, out, _ = run(env, str(files["unsigned"]))
    assert code == 1
    assert "enthält keine Signatur" in out


@pytest.mark.parametrize(("name", "message"), [("text", "kein PDF"), ("broken", "beschädigt")])
def test_unreadable_file_exit_2(files: dict[str, Path], env: dict[str, str], name: str,
                                message: str) -> None:
    code, out, err = run(env, str(files[name]), "--json")
    assert code == 2
    assert out == "" and message in err and err.startswith("Fehler:")


def test_bad_trust_file_and_time(files: dict[str, Path], env: dict[str, str]) -> None:
    code, _, err = run(env, str(files["valid"]), "--trust", str(files["text"]))
    assert code == 2 and "kein lesbares X.509" in err
    code, _, err = run(env, str(files["valid"]), "--at", "gestern")
    assert code == 2 and "ISO 8601" in err
    code, _, err = run(env, str(files["valid"]), "--at", "2026-01-01T12:00:00")
    assert code == 2 and "Zeitzone" in err
