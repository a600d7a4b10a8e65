"""Trust store (Vertrauensanker): the root certificates a signature's certificate path must
end in before we call the signature trusted.

Why a directory of files: administrators add or retire a trust anchor (a Landes-CA, a
qualified trust service's root, the office's own seal CA) by dropping a PEM or DER file into
`config/trust/` (or the directory named by `trust_anchors` in `config/signatures.toml`),
without touching code. We never fall back to the operating system's TLS roots: a web server
certificate authority is no authority for a signature on a Bescheid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import pem, x509

from dms.config_files import read_toml
from dms.errors import ConfigError, InvalidInput

# file endings read as certificates; everything else (README, .gitkeep) is ignored
CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")
DEFAULT_TRUST_DIR = "trust"
CONFIG_FILE = "signatures.toml"
CONFIG_KEY = "trust_anchors"


@dataclass(frozen=True)
class TrustStore:
    """The anchors of one validation run; immutable so a cached store is safe to share."""

    anchors: tuple[x509.Certificate, ...] = ()
    source: str = ""  # where they came from, for the Prüfprotokoll
    _fingerprints: frozenset[bytes] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fingerprints", frozenset(c.sha256 for c in self.anchors))

    def with_extra(self, extra: Iterable[x509.Certificate], source: str = "") -> TrustStore:
        """A store with these anchors added (duplicates dropped); used for `--trust` per call."""
        merged = list(self.anchors)
        seen = set(self._fingerprints)
        for cert in extra:
            if cert.sha256 not in seen:
                merged.append(cert)
                seen.add(cert.sha256)
        label = ", ".join(s for s in (self.source, source) if s)
        return TrustStore(tuple(merged), label)

    def contains(self, cert: x509.Certificate) -> bool:
        return cert.sha256 in self._fingerprints

    def describe(self) -> list[str]:
        """One line per anchor: subject and SHA-256 fingerprint (what an auditor compares)."""
        return [describe_certificate(c) for c in self.anchors]


_DN_LABELS = {
    "common_name": "CN", "organizational_unit_name": "OU", "organization_name": "O",
    "locality_name": "L", "state_or_province_name": "ST", "country_name": "C",
    "serial_number": "serialNumber", "email_address": "E", "organization_identifier": "OI",
}


def short_dn(name: x509.Name) -> str:
    """`CN=…, O=…, C=DE`, most specific first: language-neutral and what admins compare."""
    parts: list[str] = []
    for rdn in reversed(list(name.chosen)):
        for attr in rdn:
            key = attr["type"].native
            parts.append(f"{_DN_LABELS.get(key, key)}={attr['value'].native}")
    return ", ".join(parts)


def describe_certificate(cert: x509.Certificate) -> str:
    fingerprint = cert.sha256.hex().upper()
    return f"{short_dn(cert.subject)} (SHA-256 {fingerprint[:16]}…)"


def load_certificates(data: bytes, *, origin: str) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle or one DER certificate; InvalidInput names the file."""
    try:
        if pem.detect(data):
            certs = [
                x509.Certificate.load(der)
                for kind, _headers, der in pem.unarmor(data, multiple=True)
                if kind in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE")
            ]
        else:
            certs = [x509.Certificate.load(data)]
        for cert in certs:
            cert.native  # noqa: B018 - asn1crypto parses lazily; force it to find damage here
    except (ValueError, TypeError, OSError) as exc:
        raise InvalidInput(
            f"{origin}: kein lesbares X.509-Zertifikat (PEM oder DER) / "
            f"not a readable X.509 certificate: {exc}"
        ) from exc
    if not certs:
        raise InvalidInput(
            f"{origin}: enthält kein Zertifikat (BEGIN CERTIFICATE fehlt) / "
            "contains no certificate"
        )
    return certs


def load_trust_dir(directory: Path) -> TrustStore:
    """Read every certificate file in `directory`; a missing directory is an empty store.

    A damaged file is a configuration error (exit 7) rather than a silently smaller store:
    an anchor that quietly disappears makes valid signatures look untrusted.
    """
    if not directory.is_dir():
        return TrustStore((), str(directory))
    certs: list[x509.Certificate] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix.lower() not in CERT_SUFFIXES:
            continue
        try:
            certs.extend(load_certificates(path.read_bytes(), origin=str(path)))
        except InvalidInput as exc:
            raise ConfigError(f"Vertrauensanker {exc.message}") from exc
    return TrustStore((), str(directory)).with_extra(certs)


def trust_dir(config_dir: Path) -> Path:
    """The anchor directory named in signatures.toml, relative to config_dir (or absolute).

    Signing (collecting validation data for B-LT) and validation must trust the same roots,
    so both read one setting: `[trust] anchors`; a top-level `trust_anchors` is accepted as
    well. Unset or empty means `config/trust/`.
    """
    config_file = config_dir / CONFIG_FILE
    if config_file.is_file():
        data = read_toml(config_file)
        section = data.get("trust")
        candidates = [
            (CONFIG_KEY, data.get(CONFIG_KEY)),
            ("[trust] anchors", section.get("anchors") if isinstance(section, dict) else None),
        ]
        for key, value in candidates:
            if value is None or value == "":
                continue
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(
                    f"{config_file}: {key} muss ein Verzeichnispfad sein, z. B. "
                    f'anchors = "trust" / must be a directory path'
                )
            return (config_dir / value).resolve()
    return config_dir / DEFAULT_TRUST_DIR


def configured_trust_store(config_dir: Path | None = None) -> TrustStore:
    """The store from the settings' config directory (DMS_CONFIG_DIR or the shipped config/)."""
    if config_dir is None:
        from dms.settings import get_settings

        config_dir = get_settings().config_dir
    return load_trust_dir(trust_dir(Path(config_dir)))


def extra_anchors(blobs: Sequence[bytes], origin: str = "--trust") -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for i, blob in enumerate(blobs, start=1):
        certs.extend(load_certificates(blob, origin=f"{origin} #{i}"))
    return certs
