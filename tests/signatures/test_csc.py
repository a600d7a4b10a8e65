"""Remote signing through the Cloud Signature Consortium API against a loopback test service."""

from __future__ import annotations

import pytest

from dms.errors import InvalidInput, NotFound, ServiceUnavailable
from dms.signatures import SignatureSettings, open_key, sign_pdf
from tests.signatures.pki import SigningPki, free_port, signature_statuses


def test_sign_remotely(
    csc_url: str, pki: SigningPki, signature_settings: SignatureSettings, one_page_pdf: bytes
) -> None:
    with open_key(f"csc:{csc_url}?credential=testing-ca/bob", "1234") as key:
        assert key.holder_name == "Bob Berger"
        assert "1234" not in repr(key)
        signed = sign_pdf(one_page_pdf, key, level="B-T", settings=signature_settings)
        second = sign_pdf(signed, key, level="B-B", settings=signature_settings)
    statuses = signature_statuses(second, pki)
    assert len(statuses) == 2 and all(s.bottom_line for s in statuses)
    assert statuses[0].timestamp_validity is not None


def test_unknown_credential(csc_url: str) -> None:
    with pytest.raises(NotFound, match="testing-ca/niemand"), \
            open_key(f"csc:{csc_url}?credential=testing-ca/niemand", "1"):
        pass


def test_service_unreachable() -> None:
    with pytest.raises(ServiceUnavailable, match="Signaturdienst nicht erreichbar"), \
            open_key(f"csc:http://127.0.0.1:{free_port()}?credential=x/y", "1"):
        pass


def test_incomplete_spec() -> None:
    with pytest.raises(InvalidInput, match="credential=ID"), open_key("csc:http://dienst", "1"):
        pass
