"""Signing with a key on a PKCS#11 token: SoftHSM2 from Debian, initialised by the tests."""

from __future__ import annotations

import pytest

from dms.errors import ConfigError, InvalidInput, KeyAccessDenied, NotFound
from dms.signatures import SignatureSettings, StampSpec, open_key, sign_pdf
from dms.signatures.keys import Pkcs11Uri
from tests.signatures.conftest import SoftHsm
from tests.signatures.pki import SigningPki, signature_statuses


def test_sign_with_token_key(
    softhsm: SoftHsm, pki: SigningPki, signature_settings: SignatureSettings,
    one_page_pdf: bytes,
) -> None:
    with open_key(softhsm.uri(), softhsm.pin) as key:
        assert key.holder_name == "Alice Anders"
        assert softhsm.pin not in repr(key)
        signed = sign_pdf(one_page_pdf, key, level="B-T", stamp=StampSpec("Alice Anders"),
                          settings=signature_settings)
        again = sign_pdf(signed, key, level="B-LT", settings=signature_settings)
    statuses = signature_statuses(again, pki)
    assert len(statuses) == 2
    assert all(s.bottom_line for s in statuses), [s.summary() for s in statuses]
    assert statuses[0].timestamp_validity is not None


def test_module_from_settings_when_uri_names_none(softhsm: SoftHsm) -> None:
    with open_key(f"pkcs11:token={softhsm.token};object=alice", softhsm.pin,
                  pkcs11_module=softhsm.module) as key:
        assert key.holder_name == "Alice Anders"


def test_wrong_pin(softhsm: SoftHsm) -> None:
    with pytest.raises(KeyAccessDenied, match="Falsche PIN") as info, \
            open_key(softhsm.uri(), "000000"):
        pass
    assert "000000" not in info.value.message


def test_missing_token(softhsm: SoftHsm) -> None:
    with pytest.raises(NotFound, match="Kein Token"), \
            open_key(softhsm.uri(token="NICHT-GESTECKT"), softhsm.pin):
        pass


def test_key_not_on_token(softhsm: SoftHsm) -> None:
    with pytest.raises(NotFound, match="nicht auf"), \
            open_key(softhsm.uri(label="bob"), softhsm.pin):
        pass


def test_missing_module_is_a_configuration_error(softhsm: SoftHsm) -> None:
    with pytest.raises(ConfigError, match="PKCS#11-Modul nicht gefunden"), \
            open_key("pkcs11:token=DMS;object=alice?module-path=/nirgends/lib.so", "1"):
        pass
    with pytest.raises(ConfigError, match="Kein PKCS#11-Modul"), \
            open_key("pkcs11:token=DMS;object=alice", "1"):
        pass


def test_uri_parsing() -> None:
    uri = Pkcs11Uri.parse("pkcs11:token=Karte%20Amt%2063;object=Signatur;id=%01%02;slot-id=3"
                          "?module-path=/usr/lib/x.so")
    assert uri == Pkcs11Uri(token="Karte Amt 63", object="Signatur", key_id=b"\x01\x02",
                            slot_id=3, module_path="/usr/lib/x.so")
    with pytest.raises(InvalidInput, match="PIN gehört nicht"):
        Pkcs11Uri.parse("pkcs11:token=A;object=b?pin-value=1234")
    with pytest.raises(InvalidInput, match="slot-id"):
        Pkcs11Uri.parse("pkcs11:slot-id=eins")


class _FakeToken:
    """SoftHSM2 never locks a PIN, so a locked card is the one thing a fake stands in for."""

    label = "KARTE"
    serial = b"0001"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def open(self, **_: object) -> None:
        raise self.error


class _FakeSlot:
    slot_id = 0

    def __init__(self, token: _FakeToken) -> None:
        self.token = token

    def get_token(self) -> _FakeToken:
        return self.token


@pytest.mark.parametrize(("error", "kind", "message"), [
    ("PinLocked", KeyAccessDenied, "gesperrt"),
    ("TokenNotPresent", NotFound, "entfernt"),
])
def test_locked_or_removed_token(
    monkeypatch: pytest.MonkeyPatch, error: str, kind: type, message: str
) -> None:
    from pkcs11 import exceptions

    token = _FakeToken(getattr(exceptions, error)())

    class FakeLib:
        def get_slots(self, token_present: bool = False) -> list[_FakeSlot]:
            return [_FakeSlot(token)]

    monkeypatch.setattr("dms.signatures.keys._p11_lib", lambda module: FakeLib())
    with pytest.raises(kind, match=message), \
            open_key("pkcs11:token=KARTE;object=a?module-path=/x.so", "123456"):
        pass
