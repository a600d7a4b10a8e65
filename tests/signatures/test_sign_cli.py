"""`dms sign` from the shell: secrets from the environment or a prompt, OUT written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner, Result

from dms.cli.main import main
from tests.signatures.conftest import SoftHsm
from tests.signatures.pki import SigningPki, free_port, has_dss, signature_statuses


@pytest.fixture()
def workdir(tmp_path: Path, pki: SigningPki, one_page_pdf: bytes) -> Path:
    (tmp_path / "brief.pdf").write_bytes(one_page_pdf)
    (tmp_path / "signatures.toml").write_text(
        f'level = "B-T"\n[tsa]\nurl = "{pki.tsa_url}"\n[trust]\nanchors = "{pki.trust_dir}"\n'
        '[stamp]\npage = 1\nbox = [40, 40, 260, 110]\n')
    return tmp_path


def _dms(workdir: Path, *args: str, env: dict[str, str] | None = None,
         stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        main, ["sign", str(workdir / "brief.pdf"), "--config", str(workdir / "signatures.toml"),
               *args], env={"DMS_KEY_PASSPHRASE": None, "DMS_KEY_PIN": None, **(env or {})},
        input=stdin)


def test_sign_with_pkcs12_and_environment_passphrase(workdir: Path, pki: SigningPki) -> None:
    out = workdir / "signiert.pdf"
    result = _dms(workdir, "--key", str(pki.alice.p12_path), "--level", "B-LT", "--visible",
                  "--role", "Sachbearbeiterin", "--office", "Bauordnungsamt", "--out", str(out),
                  "--json", env={"DMS_KEY_PASSPHRASE": pki.alice.passphrase})
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["level"] == "B-LT" and summary["signer"] == "Alice Anders"
    signed = out.read_bytes()
    [status] = signature_statuses(signed, pki)
    assert status.bottom_line and has_dss(signed)
    with pikepdf.open(out) as doc:
        [widget] = doc.pages[0].obj.Annots
        assert [float(v) for v in widget.Rect] == [40, 40, 260, 110]
    assert pki.alice.passphrase not in result.output


def test_passphrase_from_prompt_and_level_from_config(workdir: Path, pki: SigningPki) -> None:
    out = workdir / "signiert.pdf"
    result = _dms(workdir, "--key", str(pki.bob.p12_path), "--out", str(out),
                  stdin=pki.bob.passphrase + "\n")
    assert result.exit_code == 0, result.output
    assert "PAdES B-T" in result.output and pki.bob.passphrase not in result.output
    [status] = signature_statuses(out.read_bytes(), pki)
    assert status.bottom_line and status.timestamp_validity is not None


def test_failures_leave_out_untouched(workdir: Path, pki: SigningPki) -> None:
    out = workdir / "signiert.pdf"
    out.write_bytes(b"vorige Fassung")
    wrong = _dms(workdir, "--key", str(pki.alice.p12_path), "--out", str(out),
                 env={"DMS_KEY_PASSPHRASE": "falsch"})
    assert wrong.exit_code == 4 and "Falsche Passphrase" in wrong.output
    no_tsa = _dms(workdir, "--key", str(pki.alice.p12_path), "--out", str(out),
                  "--tsa", f"http://127.0.0.1:{free_port()}/tsa",
                  env={"DMS_KEY_PASSPHRASE": pki.alice.passphrase})
    assert no_tsa.exit_code == 6 and "Zeitstempeldienst nicht erreichbar" in no_tsa.output
    assert out.read_bytes() == b"vorige Fassung"
    assert sorted(p.name for p in workdir.iterdir()) == [
        "brief.pdf", "signatures.toml", "signiert.pdf"]  # no temporary file left behind


def test_encrypted_input_exit_code(workdir: Path, pki: SigningPki) -> None:
    with pikepdf.open(workdir / "brief.pdf", allow_overwriting_input=True) as doc:
        doc.save(workdir / "brief.pdf", encryption=pikepdf.Encryption(owner="o", user=""))
    result = _dms(workdir, "--key", str(pki.alice.p12_path), "--out", str(workdir / "x.pdf"),
                  env={"DMS_KEY_PASSPHRASE": pki.alice.passphrase})
    assert result.exit_code == 2 and "verschlüsselt" in result.output
    assert not (workdir / "x.pdf").exists()


def test_sign_with_token_pin_from_environment(
    workdir: Path, pki: SigningPki, softhsm: SoftHsm
) -> None:
    out = workdir / "signiert.pdf"
    result = _dms(workdir, "--key", softhsm.uri(), "--level", "B-B", "--out", str(out),
                  env={"DMS_KEY_PIN": softhsm.pin})
    assert result.exit_code == 0, result.output
    [status] = signature_statuses(out.read_bytes(), pki)
    assert status.bottom_line
    wrong = _dms(workdir, "--key", softhsm.uri(), "--out", str(out),
                 env={"DMS_KEY_PIN": "999999"})
    assert wrong.exit_code == 4 and "Falsche PIN" in wrong.output
