"""Session-scoped fixtures of the test PKI (one per pytest-xdist worker, in its own tmp dir).

Fixture names are a contract with the validation tests; keep them stable:
`pki`, `tsa_url`, `ocsp_url`, `crl_url`, `trust_dir`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dms.services.context import App
from dms.signatures.config import SignatureSettings
from tests.signatures.pki import SigningPki, build_pki, sample_pdf, serve_csc


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningPki]:
    """Root, intermediate, alice, bob, seal, expired, revoked; TSA, OCSP and CRLs on loopback."""
    with build_pki(tmp_path_factory.mktemp("pki")) as built:
        yield built


@pytest.fixture(scope="session")
def tsa_url(pki: SigningPki) -> str:
    """RFC 3161 timestamp authority of the test PKI."""
    return pki.tsa_url


@pytest.fixture(scope="session")
def ocsp_url(pki: SigningPki) -> str:
    """OCSP responder for certificates issued by the intermediate."""
    return pki.ocsp_url


@pytest.fixture(scope="session")
def crl_url(pki: SigningPki) -> str:
    """Current CRL of the intermediate; lists `revoked`."""
    return pki.crl_url


@pytest.fixture(scope="session")
def trust_dir(pki: SigningPki) -> Path:
    """A trust-anchors directory holding only the test root."""
    return pki.trust_dir


@pytest.fixture(scope="session")
def signature_settings(pki: SigningPki) -> SignatureSettings:
    """Settings as an administrator would write them for the test PKI."""
    return SignatureSettings(default_level="B-T", tsa_url=pki.tsa_url,
                             trust_anchors_dir=pki.trust_dir)


@pytest.fixture(scope="session")
def one_page_pdf() -> bytes:
    return sample_pdf(1)


SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_PIN = "123456"


@dataclass(frozen=True)
class SoftHsm:
    """A SoftHSM2 token `DMS` holding alice's key and certificate (label `alice`, id 01)."""

    module: str
    token: str
    pin: str
    so_pin: str

    def uri(self, label: str = "alice", token: str | None = None) -> str:
        return f"pkcs11:token={token or self.token};object={label}?module-path={self.module}"


@pytest.fixture(scope="session")
def softhsm(pki: SigningPki, tmp_path_factory: pytest.TempPathFactory) -> SoftHsm:
    """Initialise a token in a tmp dir (SOFTHSM2_CONF) and import key and chain into it.

    The token must exist before the PKCS#11 module is first loaded in this process: SoftHSM
    reads its token directory once, at C_Initialize.
    """
    util = shutil.which("softhsm2-util")
    if util is None or not Path(SOFTHSM_MODULE).exists():
        pytest.skip("!!! PKCS#11 tests SKIPPED: softhsm2 not installed (scripts/setup --test) !!!")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    hsm = SoftHsm(SOFTHSM_MODULE, "DMS", TOKEN_PIN, "87654321")

    def run(*args: str) -> None:
        subprocess.run([util, *args], check=True, capture_output=True, env=os.environ.copy())

    run("--init-token", "--free", "--label", hsm.token, "--pin", hsm.pin, "--so-pin", hsm.so_pin)
    run("--import", str(pki.alice.key_path), "--token", hsm.token, "--label", "alice",
        "--id", "01", "--pin", hsm.pin)
    _store_certificates(hsm, [("alice", b"\x01", pki.alice.cert),
                              ("Test-Zwischen-CA", b"\x02", pki.intermediate)])
    return hsm


def _store_certificates(hsm: SoftHsm, certs: list[tuple[str, bytes, Any]]) -> None:
    from pkcs11 import Attribute
    from pkcs11.util.x509 import decode_x509_certificate

    from dms.signatures.keys import _p11_lib

    token = _p11_lib(hsm.module).get_token(token_label=hsm.token)
    with token.open(rw=True, user_pin=hsm.pin) as session:
        for label, key_id, cert in certs:
            attrs = decode_x509_certificate(cert.dump())
            attrs.update({Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: key_id})
            session.create_object(attrs)


@pytest.fixture(scope="session")
def csc_url(pki: SigningPki) -> Iterator[str]:
    """Base URL of a CSC remote signing test service on loopback."""
    with serve_csc(pki) as url:
        yield url


def signing_config(tmp_path: Path, pki: SigningPki, *, plain: bool = False,
                   level: str = "B-T", office_levels: dict[str, str] | None = None) -> Path:
    """A copy of config/ whose signatures.toml uses the test PKI (TSA, trust anchors)."""
    from tests.conftest import ROOT

    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config, dirs_exist_ok=True)
    offices = "".join(f'[office."{code}"]\nlevel = "{value}"\n'
                      for code, value in (office_levels or {}).items())
    (config / "signatures.toml").write_text(
        f'level = "{level}"\n[tsa]\nurl = "{pki.tsa_url}"\n[trust]\nanchors = "{pki.trust_dir}"\n'
        f"[stamp]\npage = -1\nbox = [330, 40, 565, 110]\n"
        f"[final_signature]\nplain_approval = {'true' if plain else 'false'}\n" + offices,
        encoding="utf-8")
    return config


@pytest.fixture
def app(seeded: App, pki: SigningPki, tmp_path: Path) -> Iterator[App]:
    """The seeded e-file signing with the test PKI."""
    seeded.settings.config_dir = signing_config(tmp_path, pki)
    yield seeded
