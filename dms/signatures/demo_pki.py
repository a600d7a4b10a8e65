"""A demo PKI for `dms init --demo`: a root CA named as a test CA, a personal certificate per
demo signer and the office seal, each as a PKCS#12 file under the demo password.

It lets a newcomer sign from the inbox and see a verifiable signature without a smart card.
Nothing here is fit for production: the CA's key is generated on the spot and kept only for
as long as it takes to issue the certificates, and the certificates say "Test" in their names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANISATION = "Landratsamt Musterkreis (Demo)"


@dataclass(frozen=True)
class DemoCredential:
    label: str
    common_name: str
    pkcs12: bytes  # encrypted under the demo password


@dataclass(frozen=True)
class DemoPki:
    root_pem: bytes
    credentials: dict[str, DemoCredential]  # by user name, or "seal:<office code>"


def _name(common_name: str, unit: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION)]
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def _issue(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
           issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool, now: datetime,
           years: int) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_demo_pki(signers: dict[str, tuple[str, str | None]], seals: dict[str, str],
                  password: str) -> DemoPki:
    """Issue certificates: `signers` maps user name → (display name, office name), `seals`
    maps office code → office name."""
    now = datetime.now(UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Musterkreis Test-CA (nur Demo)")
    root = _issue(root_name, root_key, root_name, root_key, ca=True, now=now, years=10)
    encryption = serialization.BestAvailableEncryption(password.encode())
    credentials: dict[str, DemoCredential] = {}

    def credential(ref: str, label: str, common_name: str, unit: str | None) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(_name(common_name, unit), key, root_name, root_key, ca=False, now=now,
                      years=3)
        data = pkcs12.serialize_key_and_certificates(
            label.encode(), key, cert, [root], encryption)
        credentials[ref] = DemoCredential(label, common_name, data)

    for username, (display_name, office) in signers.items():
        credential(username, f"Demo-Zertifikat {display_name}", display_name, office)
    for code, office in seals.items():
        credential(f"seal:{code}", f"Demo-Siegel {office}", f"Siegel {office}", office)
    return DemoPki(root.public_bytes(serialization.Encoding.PEM), credentials)
