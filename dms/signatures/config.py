"""Signature settings read from config/signatures.toml (data an administrator edits).

Kept apart from dms.settings because these are shipped defaults for one capability, not
process settings; the CLI and services pass a SignatureSettings to sign_pdf explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast, get_args

from asn1crypto import pem, x509

from dms.config_files import read_toml
from dms.errors import ConfigError

Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]
LEVELS: tuple[str, ...] = get_args(Level)
SHIPPED = Path(__file__).resolve().parent.parent.parent / "config" / "signatures.toml"
CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
DEFAULT_ANCHORS = "trust"  # config/trust/, shared with validation (dms/signatures/trust.py)


@dataclass(frozen=True)
class SignatureSettings:
    """What signing needs from configuration; every field has a safe default."""

    default_level: Level = "B-B"
    tsa_url: str | None = None
    tsa_timeout: float = 10.0
    trust_anchors_dir: Path | None = None
    stamp_page: int = -1
    stamp_box: tuple[float, float, float, float] = (330.0, 40.0, 565.0, 110.0)
    pkcs11_module: str | None = None
    check_revocation: bool = False  # check OCSP/CRL before B-B and B-T signatures too
    office_levels: Mapping[str, Level] = field(default_factory=dict)  # [office."CODE"] level
    plain_approval: bool = False  # [final_signature]: a final signature without a signature
    #: further anchor directories of this installation ($DMS_HOME/trust, where `dms init
    #: --demo` puts its CA): signing collects B-LT data against the roots validation trusts
    extra_trust_dirs: tuple[Path, ...] = ()

    def level_for(self, office_code: str | None) -> Level:
        """The level an office's policy asks for, else the default."""
        return self.office_levels.get(office_code or "", self.default_level)

    def with_tsa(self, url: str | None) -> SignatureSettings:
        """A copy with another timestamp authority (the CLI's --tsa)."""
        return replace(self, tsa_url=url or self.tsa_url)

    def trust_roots(self) -> list[x509.Certificate]:
        """The trusted root certificates (Vertrauensanker) from the configured directory."""
        directory = self.trust_anchors_dir
        if directory is not None and not directory.is_dir():
            raise ConfigError(
                f"Verzeichnis der Vertrauensanker fehlt: {directory} (signatures.toml, "
                f"[trust] anchors) / trust anchors directory missing"
            )
        directories = [directory] if directory is not None else []
        directories += [d for d in self.extra_trust_dirs if d.is_dir()]
        roots: list[x509.Certificate] = []
        seen: set[bytes] = set()
        for folder in directories:
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix.lower() in CERT_SUFFIXES:  # not README
                    for cert in _load_certs(path):
                        if cert.sha256 not in seen:
                            seen.add(cert.sha256)
                            roots.append(cert)
        return roots


def _load_certs(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    try:
        if pem.detect(data):
            return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        cert = x509.Certificate.load(data)
        cert.native  # noqa: B018 - forces parsing, so a broken file fails here
        return [cert]
    except Exception as exc:  # asn1crypto raises many types for malformed input
        raise ConfigError(
            f"Kein lesbares Zertifikat: {path} ({exc}) / not a readable certificate"
        ) from exc


def _box(value: Any) -> tuple[float, float, float, float]:
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, int | float) for v in value)):
        raise ConfigError("signatures.toml: [stamp] box muss [x1, y1, x2, y2] sein / must be "
                          "four numbers")
    x1, y1, x2, y2 = (float(v) for v in value)
    if x2 <= x1 or y2 <= y1:
        raise ConfigError("signatures.toml: [stamp] box braucht x2 > x1 und y2 > y1 / "
                          "needs x2 > x1 and y2 > y1")
    return (x1, y1, x2, y2)


def load_signature_settings(path: Path | None = None) -> SignatureSettings:
    """Read the settings: `path`, else $DMS_SIGNATURES_CONFIG, else the shipped file."""
    path = path or Path(os.environ.get("DMS_SIGNATURES_CONFIG") or SHIPPED)
    data = read_toml(path)
    level = data.get("level", "B-B")
    if level not in LEVELS:
        raise ConfigError(f"{path}: level = {level!r}; erlaubt / allowed: {', '.join(LEVELS)}")
    tsa = data.get("tsa", {})
    anchors = str(data.get("trust", {}).get("anchors") or data.get("trust_anchors") or "")
    anchors_dir: Path | None = path.parent / (anchors or DEFAULT_ANCHORS)
    if not anchors and not anchors_dir.is_dir():
        anchors_dir = None
    stamp = data.get("stamp", {})
    page = stamp.get("page", -1)
    if not isinstance(page, int) or page == 0:
        raise ConfigError(f"{path}: [stamp] page muss 1, 2, ... oder -1 sein / must be "
                          "1, 2, ... or -1 (last)")
    timeout = tsa.get("timeout_seconds", 10)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"{path}: [tsa] timeout_seconds muss positiv sein / must be positive")
    return SignatureSettings(
        default_level=cast(Level, level),
        tsa_url=str(tsa.get("url") or "") or None,
        tsa_timeout=float(timeout),
        trust_anchors_dir=anchors_dir,
        stamp_page=page,
        stamp_box=_box(stamp.get("box", [330, 40, 565, 110])),
        pkcs11_module=str(data.get("pkcs11", {}).get("module") or "") or None,
        check_revocation=_flag(path, data.get("trust", {}), "check_before_signing"),
        office_levels=_office_levels(path, data.get("office", {})),
        plain_approval=_flag(path, data.get("final_signature", {}), "plain_approval"),
    )


def _office_levels(path: Path, table: Any) -> dict[str, Level]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [office.\"CODE\"]-Tabellen erwartet / expected tables")
    levels: dict[str, Level] = {}
    for code, entry in table.items():
        level = entry.get("level") if isinstance(entry, dict) else None
        if level is None:
            continue
        if level not in LEVELS:
            raise ConfigError(f"{path}: [office.\"{code}\"] level = {level!r}; erlaubt / "
                              f"allowed: {', '.join(LEVELS)}")
        levels[str(code)] = cast(Level, level)
    return levels


def _flag(path: Path, table: dict[str, Any], key: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: [trust] {key} muss true oder false sein / must be a boolean")
    return value
