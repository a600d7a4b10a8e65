"""The trust store (Vertrauensanker) read from a configured directory of PEM/DER files."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import pem

from dms.errors import ConfigError, InvalidInput
from dms.signatures.trust import (
    TrustStore,
    configured_trust_store,
    load_certificates,
    load_trust_dir,
    trust_dir,
)
from tests.signatures.pki import SigningPki

ROOT = Path(__file__).resolve().parents[2]


def test_directory_of_pem_and_der(pki: SigningPki, tmp_path: Path) -> None:
    (tmp_path / "README").write_text("Hier liegen Vertrauensanker.\n", encoding="utf-8")
    (tmp_path / "wurzel.pem").write_bytes(pki.root_path.read_bytes())
    (tmp_path / "zwischen.der").write_bytes(pem.unarmor(pki.intermediate_path.read_bytes())[2])
    (tmp_path / "doppelt.crt").write_bytes(pki.root_path.read_bytes())  # same root again
    store = load_trust_dir(tmp_path)
    assert {c.sha256 for c in store.anchors} == {pki.root.sha256, pki.intermediate.sha256}
    assert len(store.anchors) == 2
    assert store.contains(pki.root) and not store.contains(pki.alice.cert)
    assert any("Test-Wurzel-CA" in line for line in store.describe())


def test_missing_directory_is_an_empty_store(tmp_path: Path) -> None:
    store = load_trust_dir(tmp_path / "gibt-es-nicht")
    assert store.anchors == () and "gibt-es-nicht" in store.source


def test_damaged_anchor_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "kaputt.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match="kaputt.pem") as err:
        load_trust_dir(tmp_path)
    assert err.value.exit_code == 7


def test_not_a_certificate_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="kein lesbares X.509"):
        load_certificates(b"hello", origin="--trust #1")
    with pytest.raises(InvalidInput, match="enthält kein Zertifikat"):
        load_certificates(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                          origin="key.pem")


def test_trust_dir_from_signatures_toml(pki: SigningPki, tmp_path: Path) -> None:
    assert trust_dir(tmp_path) == tmp_path / "trust"  # default without the key
    (tmp_path / "signatures.toml").write_text(f'trust_anchors = "{pki.trust_dir}"\n')
    assert trust_dir(tmp_path) == pki.trust_dir.resolve()
    store = configured_trust_store(tmp_path)
    assert [c.sha256 for c in store.anchors] == [pki.root.sha256]

    (tmp_path / "signatures.toml").write_text('[other]\nx = 1\n')
    assert trust_dir(tmp_path) == tmp_path / "trust"
    (tmp_path / "signatures.toml").write_text("trust_anchors = 3\n")
    with pytest.raises(ConfigError, match="trust_anchors"):
        trust_dir(tmp_path)


def test_relative_path_is_relative_to_the_config_dir(tmp_path: Path) -> None:
    (tmp_path / "signatures.toml").write_text('trust_anchors = "anker/land"\n')
    assert trust_dir(tmp_path) == (tmp_path / "anker" / "land").resolve()


def test_signing_section_key_is_shared(tmp_path: Path) -> None:
    """`[trust] anchors` (the signing settings) names the same directory; "" is the default."""
    (tmp_path / "signatures.toml").write_text('level = "B-T"\n[trust]\nanchors = ""\n')
    assert trust_dir(tmp_path) == tmp_path / "trust"
    (tmp_path / "signatures.toml").write_text('[trust]\nanchors = "wurzeln"\n')
    assert trust_dir(tmp_path) == (tmp_path / "wurzeln").resolve()
    (tmp_path / "signatures.toml").write_text('[trust]\nanchors = ["a", "b"]\n')
    with pytest.raises(ConfigError, match="anchors"):
        trust_dir(tmp_path)


def test_shipped_config_yields_a_store() -> None:
    """The shipped config/ must load (possibly empty): a broken file would stop every check."""
    store = configured_trust_store(ROOT / "config")
    assert isinstance(store, TrustStore)
    # signing and validation share `[trust] anchors`; shipped empty, it means config/trust/
    assert trust_dir(ROOT / "config") == ROOT / "config" / "trust"
    assert (ROOT / "config" / "trust" / "README").is_file()
