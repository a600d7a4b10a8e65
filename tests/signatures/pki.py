"""A test PKI for signing and validation tests, built by the tests themselves with certomancer.

Why a PKI of our own: signing and validation must be tested against real certificates, a real
RFC 3161 timestamp authority (Zeitstempeldienst), a real OCSP responder and real CRLs, and none
of that may come from the network. certomancer builds the certificates from a declarative
configuration; its Animator (a WSGI app) serves TSA, OCSP, CRLs and the CA certificates. We run
it in a background thread on 127.0.0.1 with a free port, so every pytest-xdist worker builds
and serves its own PKI in its own temporary directory.

Layout (all RSA 2048, dates relative to the moment the PKI is built):

    Test-Wurzel-CA (root)
      +- Test-Zwischen-CA (intermediate)
      |    +- alice    Alice Anders, Bauordnungsamt        (valid)
      |    +- bob      Bob Berger, Sozialamt               (valid)
      |    +- seal     Landratsamt Musterkreis (Siegel)    (valid, organisation seal)
      |    +- expired  Erika Abgelaufen                    (expired yesterday)
      |    +- revoked  Rudi Gesperrt                       (revoked two days ago, key compromise)
      |    +- ocsp     OCSP responder for the intermediate (ocsp-nocheck)
      +- tsa      Test-Zeitstempeldienst (EKU timeStamping)

`sign_with_pyhanko` signs with plain pyHanko so that tests of other parts (validation) do not
depend on dms.signatures.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any, Literal
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from asn1crypto import pem, x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, PKIArchitecture
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ARCH = "testing-ca"
PASSPHRASE = "geheim-123"  # the PKCS#12 passphrase of every test identity
USERS = ("alice", "bob", "seal", "expired", "revoked")
Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]

_ENTITIES: dict[str, dict[str, str]] = {
    "root": {"common-name": "Test-Wurzel-CA"},
    "interm": {"common-name": "Test-Zwischen-CA"},
    "tsa": {"common-name": "Test-Zeitstempeldienst"},
    "ocsp": {"common-name": "Test-OCSP-Responder"},
    "alice": {"common-name": "Alice Anders", "organizational-unit-name": "Bauordnungsamt"},
    "bob": {"common-name": "Bob Berger", "organizational-unit-name": "Sozialamt"},
    "seal": {"common-name": "Landratsamt Musterkreis (Siegel)"},
    "expired": {"common-name": "Erika Abgelaufen", "organizational-unit-name": "Sozialamt"},
    "revoked": {"common-name": "Rudi Gesperrt", "organizational-unit-name": "Bauordnungsamt"},
}


@dataclass(frozen=True)
class Identity:
    """One certificate holder: certificate, key and a PKCS#12 file with its passphrase."""

    label: str
    common_name: str
    cert: x509.Certificate
    cert_path: Path  # PEM
    key_path: Path  # PEM, unencrypted
    p12_path: Path  # PKCS#12 with key, certificate and the chain (intermediate, root)
    passphrase: str
    pki: SigningPki = field(repr=False, compare=False)


@dataclass
class SigningPki:
    """Everything a test needs from the test PKI: certificates, files and service URLs."""

    directory: Path
    config: CertomancerConfig = field(repr=False)
    arch: PKIArchitecture = field(repr=False)
    root: x509.Certificate
    root_path: Path
    intermediate: x509.Certificate
    intermediate_path: Path
    trust_dir: Path  # a trust-anchors directory holding only the root, as config expects
    base_url: str
    tsa_url: str
    ocsp_url: str
    crl_url: str  # CRL of the intermediate (covers the users, lists `revoked`)
    root_crl_url: str
    identities: dict[str, Identity] = field(default_factory=dict)

    @property
    def alice(self) -> Identity:
        return self.identities["alice"]

    @property
    def bob(self) -> Identity:
        return self.identities["bob"]

    @property
    def seal(self) -> Identity:
        return self.identities["seal"]

    @property
    def expired(self) -> Identity:
        return self.identities["expired"]

    @property
    def revoked(self) -> Identity:
        return self.identities["revoked"]

    def validation_context(self, **kwargs: Any) -> Any:
        """A pyHanko ValidationContext trusting only the test root, fetching revocation
        information from the loopback services."""
        from pyhanko_certvalidator import ValidationContext

        options: dict[str, Any] = {
            "trust_roots": [self.root],
            "other_certs": [self.intermediate],
            "allow_fetching": True,
        }
        options.update(kwargs)
        return ValidationContext(**options)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _ee_extensions(key_usage: list[str]) -> list[dict[str, Any]]:
    return [
        {"id": "key_usage", "critical": True,
         "smart-value": {"schema": "key-usage", "params": key_usage}},
        {"id": "crl_distribution_points",
         "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["interm"]}}},
        {"id": "authority_information_access",
         "smart-value": {"schema": "aia-urls", "params": {
             "ocsp-responder-names": ["interm"],
             "ca-issuer-links": [{"repo": "interm"}]}}},
    ]


def _config(key_dir: Path, base_url: str, now: datetime) -> dict[str, Any]:
    """The certomancer configuration; dates relative to `now` so the PKI never ages."""
    long_ago, far = now - timedelta(days=365), now + timedelta(days=3650)
    user_from, user_to = now - timedelta(days=30), now + timedelta(days=730)
    ca_ext = [
        {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
        {"id": "key_usage", "critical": True,
         "smart-value": {"schema": "key-usage",
                         "params": ["digital_signature", "key_cert_sign", "crl_sign"]}},
    ]
    certs: dict[str, Any] = {
        "root": {"subject": "root", "issuer": "root",
                 "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(far)},
                 "extensions": ca_ext},
        "interm": {"issuer": "root",
                   "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(far)},
                   "extensions": [
                       {"id": "basic_constraints", "critical": True,
                        "value": {"ca": True, "path-len-constraint": 0}},
                       ca_ext[1],
                       {"id": "crl_distribution_points",
                        "smart-value": {"schema": "crl-dist-url",
                                        "params": {"crl-repo-names": ["root"]}}},
                       {"id": "authority_information_access",
                        "smart-value": {"schema": "aia-urls",
                                        "params": {"ca-issuer-links": [{"repo": "root"}]}}},
                   ]},
        "tsa": {"issuer": "root",
                "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(far)},
                "extensions": [
                    {"id": "key_usage", "critical": True,
                     "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                    {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                    {"id": "crl_distribution_points",
                     "smart-value": {"schema": "crl-dist-url",
                                     "params": {"crl-repo-names": ["root"]}}},
                ]},
        "ocsp": {"issuer": "interm",
                 "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(far)},
                 "extensions": [
                     {"id": "key_usage", "critical": True,
                      "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                     {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                     {"id": "ocsp_no_check"},
                 ]},
        "alice": {"issuer": "interm",
                  "validity": {"valid-from": _iso(user_from), "valid-to": _iso(user_to)},
                  "extensions": _ee_extensions(["digital_signature", "non_repudiation"])},
        "bob": {"template": "alice", "subject": "bob"},
        "seal": {"template": "alice", "subject": "seal"},
        "expired": {"template": "alice", "subject": "expired",
                    "validity": {"valid-from": _iso(now - timedelta(days=400)),
                                 "valid-to": _iso(now - timedelta(days=1))}},
        "revoked": {"template": "alice", "subject": "revoked",
                    "revocation": {"revoked-since": _iso(now - timedelta(days=2)),
                                   "reason": "key_compromise"}},
    }
    return {
        "external-url-prefix": base_url,
        "keysets": {ARCH: {"path-prefix": str(key_dir),
                           "keys": {name: {"path": f"{name}.key.pem"} for name in _ENTITIES}}},
        "pki-architectures": {ARCH: {
            "keyset": ARCH,
            "entity-defaults": {"country-name": "DE",
                                "organization-name": "Landratsamt Musterkreis"},
            "entities": _ENTITIES,
            "certs": certs,
            "services": {
                "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "ocsp",
                                    "signing-key": "ocsp"}},
                # a short schedule: the current CRL is at most an hour old, so a revocation
                # two days ago is always listed
                "crl-repo": {
                    "root": {"for-issuer": "root", "signing-key": "root",
                             "simulated-update-schedule": "PT1H"},
                    "interm": {"for-issuer": "interm", "signing-key": "interm",
                               "simulated-update-schedule": "PT1H"},
                },
                "cert-repo": {"root": {"for-issuer": "root", "publish-issued-certs": True},
                              "interm": {"for-issuer": "interm", "publish-issued-certs": True}},
                "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
            },
        }},
    }


def _write_keys(key_dir: Path) -> None:
    key_dir.mkdir(parents=True, exist_ok=True)
    for name in _ENTITIES:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (key_dir / f"{name}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _LateApp:
    """The server must be bound before the configuration knows its URL; the app comes later."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@contextmanager
def serve_wsgi(app: Any = None) -> Iterator[tuple[str, _LateApp]]:
    """Serve a WSGI app on 127.0.0.1 (free port) in a daemon thread; yields (base URL, holder)."""
    holder = _LateApp()
    holder.app = app
    server = make_server("127.0.0.1", 0, holder, server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True, name="test-pki")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", holder
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    return path


def load_config(directory: Path, base_url: str) -> CertomancerConfig:
    """Build (keys on first call) the certomancer configuration for `directory`."""
    key_dir = directory / "keys"
    if not key_dir.exists():
        _write_keys(key_dir)
    now = datetime.now(UTC).replace(microsecond=0)
    return CertomancerConfig(_config(key_dir, base_url, now), key_search_dir=str(directory))


@contextmanager
def build_pki(directory: Path) -> Iterator[SigningPki]:
    """Create keys, certificates and PKCS#12 files in `directory` and serve TSA, OCSP and CRLs
    on loopback for as long as the context is open."""
    logging.getLogger("certomancer").setLevel(logging.WARNING)
    directory.mkdir(parents=True, exist_ok=True)
    with serve_wsgi() as (base_url, holder):
        config = load_config(directory, base_url)
        arch = config.get_pki_arch(ArchLabel(ARCH))
        holder.app = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
        certs_dir = directory / "certs"
        certs_dir.mkdir(exist_ok=True)
        trust_dir = directory / "trust"
        trust_dir.mkdir(exist_ok=True)
        root = arch.get_cert(CertLabel("root"))
        interm = arch.get_cert(CertLabel("interm"))
        _write_pem(trust_dir / "test-wurzel-ca.pem", root)
        prefix = f"{base_url}/{ARCH}"
        pki = SigningPki(
            directory=directory,
            config=config,
            arch=arch,
            root=root,
            root_path=_write_pem(certs_dir / "root.pem", root),
            intermediate=interm,
            intermediate_path=_write_pem(certs_dir / "interm.pem", interm),
            trust_dir=trust_dir,
            base_url=base_url,
            tsa_url=f"{prefix}/tsa/tsa",
            ocsp_url=f"{prefix}/ocsp/interm",
            crl_url=f"{prefix}/crls/interm/latest.crl",
            root_crl_url=f"{prefix}/crls/root/latest.crl",
        )
        for label in USERS:
            cert = arch.get_cert(CertLabel(label))
            p12 = directory / f"{label}.p12"
            p12.write_bytes(arch.package_pkcs12(CertLabel(label),
                                                password=PASSPHRASE.encode()))
            pki.identities[label] = Identity(
                label=label,
                common_name=_ENTITIES[label]["common-name"],
                cert=cert,
                cert_path=_write_pem(certs_dir / f"{label}.pem", cert),
                key_path=directory / "keys" / f"{label}.key.pem",
                p12_path=p12,
                passphrase=PASSPHRASE,
                pki=pki,
            )
        yield pki


def sample_pdf(pages: int = 1, text: str = "Bescheid") -> bytes:
    """A small, valid PDF with `pages` text pages (Helvetica), made with pikepdf."""
    import pikepdf

    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
        Encoding=pikepdf.Name.WinAnsiEncoding))
    for number in range(1, pages + 1):
        content = f"BT /F1 14 Tf 72 760 Td ({text} - Seite {number} von {pages}) Tj ET".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(content),
        )
        pdf.pages.append(pikepdf.Page(page))
    out = BytesIO()
    pdf.save(out)
    return out.getvalue()


def sign_with_pyhanko(pdf: bytes, who: Identity, level: Level = "B-B", *,
                      field_name: str | None = None) -> bytes:
    """Sign `pdf` as `who` at a PAdES baseline level with plain pyHanko (no dms code).

    B-T adds a signature timestamp from the test TSA, B-LT embeds validation data (DSS),
    B-LTA adds a document timestamp on top.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper

    signer = signers.SimpleSigner.load_pkcs12_data(
        who.p12_path.read_bytes(), other_certs=[], passphrase=who.passphrase.encode())
    pki = who.pki
    lt = level in ("B-LT", "B-LTA")
    context = pki.validation_context() if lt else None
    meta = signers.PdfSignatureMetadata(
        field_name=field_name or f"Signatur-{who.label}-{datetime.now(UTC):%H%M%S%f}",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=lt,
        use_pades_lta=level == "B-LTA",
        validation_context=context,
    )
    timestamper = HTTPTimeStamper(pki.tsa_url) if level != "B-B" else None
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper)
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    out = BytesIO()

    async def run() -> None:
        try:
            await pdf_signer.async_sign_pdf(writer, output=out)
        finally:  # the context's HTTP session belongs to this event loop
            if context is not None:
                await context.aclose()

    asyncio.run(run())
    return out.getvalue()


def signature_statuses(pdf: bytes, pki: SigningPki) -> list[Any]:
    """pyHanko's verdict on every (non-timestamp) signature, oldest first, trusting only the
    test root; with revocation checked against the loopback OCSP responder and CRLs."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    reader = PdfFileReader(BytesIO(pdf))
    return [validate_pdf_signature(sig, signer_validation_context=pki.validation_context())
            for sig in reader.embedded_regular_signatures]


def document_timestamp_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(pdf))
    return len(reader.embedded_timestamp_signatures)


def has_dss(pdf: bytes) -> bool:
    """Whether the document security store (validation data of B-LT) is present."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    return "/DSS" in PdfFileReader(BytesIO(pdf)).root


@contextmanager
def serve_csc(pki: SigningPki) -> Iterator[str]:
    """A Cloud Signature Consortium (CSC API v1) test service on loopback, signing with the
    test PKI's keys (certomancer-csc-dummy); credential IDs are 'testing-ca/<label>'."""
    from aiohttp import web
    from csc_dummy.csc_dummy_server import CSCWithCertomancer

    loop = asyncio.new_event_loop()
    service = CSCWithCertomancer(pki.config)
    service.register_routes()
    runner = web.AppRunner(service.app, access_log=None)
    loop.run_until_complete(runner.setup())
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    loop.run_until_complete(site.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True, name="test-csc")
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.run_until_complete(runner.cleanup())
        loop.close()
