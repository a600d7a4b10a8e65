"""signatures.toml is read and validated in one place (office levels, plain approval), and
the mailroom's cheap check for signed PDFs streams the file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dms.errors import ConfigError
from dms.signatures.config import load_signature_settings
from ingest import signature_intake
from tests.signatures.pki import SigningPki
from tests.signatures.test_service import _config


def test_office_levels_and_plain_approval(pki: SigningPki, tmp_path: Path) -> None:
    config = _config(tmp_path, pki, office_levels={"63": "B-X"})
    with pytest.raises(ConfigError, match="B-X"):
        load_signature_settings(config / "signatures.toml")
    config = _config(tmp_path, pki, level="B-B", office_levels={"63": "B-LT"}, plain=True)
    settings = load_signature_settings(config / "signatures.toml")
    assert settings.level_for("63") == "B-LT" and settings.level_for("50") == "B-B"
    assert settings.level_for(None) == "B-B" and settings.plain_approval is True


def test_markers_are_found_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signature_intake, "_CHUNK", 8)
    data = b"%PDF-1.7 xx /ByteRange [0 1 2 3] yyyy /Sig zz"
    for cut in range(len(data)):  # shift where the chunk boundaries fall
        assert signature_intake.looks_signed(io.BytesIO(b"-" * cut + data))
    assert not signature_intake.looks_signed(io.BytesIO(b"%PDF-1.7 /Sig only" * 10))
