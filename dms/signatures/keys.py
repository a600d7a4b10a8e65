"""Signing keys behind one small interface: PKCS#12 files, PKCS#11 tokens, remote CSC services.

`open_key(spec, secret)` picks the backend from the spec:

- a path to a ``.p12``/``.pfx`` file; `secret` is its passphrase;
- a ``pkcs11:`` URI (RFC 7512), e.g. ``pkcs11:token=DMS;object=alice?module-path=/usr/lib/
  softhsm/libsofthsm2.so``; `secret` is the user PIN;
- ``csc:<service URL>?credential=<credential ID>``, a Cloud Signature Consortium (CSC API v1)
  remote signing service; `secret` is the PIN sent with ``credentials/authorize``; an OAuth
  bearer token may come from ``DMS_CSC_TOKEN``.

Secrets live only in local variables and the backend's session; no repr, log line or error
message contains them. Each key hands pyHanko a Signer inside an async context so that a
backend that talks HTTP (CSC) opens its session in the event loop that signs.
"""

from __future__ import annotations

import abc
import asyncio
import os
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    asynccontextmanager,
    contextmanager,
    suppress,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from asn1crypto import cms, core, x509
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko.sign.signers.csc_signer import CSCAuthorizationManager

from dms.errors import (
    ConfigError,
    InvalidInput,
    KeyAccessDenied,
    NotFound,
    ServiceUnavailable,
)

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, also when the caller already runs
    an event loop (then in a helper thread, since asyncio.run refuses to nest)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="dms-sign")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]  # type: ignore[no-any-return]


def subject_name(cert: x509.Certificate) -> str:
    """The holder's common name, or the whole subject when there is none."""
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)


class SigningKey(abc.ABC):
    """A key that can sign, with its certificate. `description` is safe to show and log."""

    certificate: x509.Certificate
    description: str

    @property
    def holder_name(self) -> str:
        return subject_name(self.certificate)

    @abc.abstractmethod
    def signer_scope(self) -> AbstractAsyncContextManager[Signer]:
        """A pyHanko Signer usable inside the current event loop."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"


class _StaticKey(SigningKey):
    """A key whose pyHanko signer needs no per-loop resources (PKCS#12, PKCS#11)."""

    def __init__(self, signer: Signer, certificate: x509.Certificate, description: str) -> None:
        self._signer = signer
        self.certificate = certificate
        self.description = description

    @asynccontextmanager
    async def _scope(self) -> AsyncIterator[Signer]:
        yield self._signer

    def signer_scope(self) -> AbstractAsyncContextManager[Signer]:
        return self._scope()


# --- PKCS#12 -----------------------------------------------------------------------------


def open_pkcs12(path: Path, passphrase: str | None) -> SigningKey:
    """Load key and chain from a PKCS#12 file (see open_pkcs12_data)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFound(f"Schlüsseldatei nicht gefunden: {path} / key file not found") from exc
    except OSError as exc:
        raise InvalidInput(f"Schlüsseldatei nicht lesbar: {path} / key file unreadable") from exc
    return open_pkcs12_data(data, passphrase, str(path), path.name)


def open_pkcs12_data(data: bytes, passphrase: str | None, where: str = "PKCS#12",
                     name: str = "PKCS#12") -> SigningKey:
    """Load key and chain from PKCS#12 bytes (never written anywhere); a wrong passphrase is
    told apart from a damaged file, so the clerk knows whether to retype or to ask for a new
    file. `where` and `name` say in messages which file is meant."""
    secret = passphrase.encode("utf-8") if passphrase else None
    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=secret)
    except (ValueError, TypeError):
        if not _is_pkcs12(data):
            raise InvalidInput(
                f"Keine PKCS#12-Datei oder beschädigt: {where} / not a PKCS#12 file"
            ) from None
        if secret is None:
            raise KeyAccessDenied(
                f"Passphrase für {name} erforderlich / passphrase required"
            ) from None
        raise KeyAccessDenied(
            f"Falsche Passphrase für {name} / wrong passphrase"
        ) from None
    cert = signer.signing_cert
    if cert is None:
        raise InvalidInput(f"{name} enthält kein Zertifikat / contains no certificate")
    return _StaticKey(signer, cert, f"PKCS#12 {name} ({subject_name(cert)})")


class _Pfx(core.Sequence):
    """The outer structure of a PKCS#12 file (RFC 7292, PFX), enough to recognise one."""

    _fields = [("version", core.Integer), ("auth_safe", cms.ContentInfo),
               ("mac_data", core.Any, {"optional": True})]


def _is_pkcs12(data: bytes) -> bool:
    try:
        pfx = _Pfx.load(data, strict=True)
        return pfx["version"].native == 3 and pfx["auth_safe"]["content_type"].native == "data"
    except Exception:  # asn1crypto raises many types for malformed input
        return False


# --- PKCS#11 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pkcs11Uri:
    """The parts of an RFC 7512 URI we use to find a token and a key on it."""

    token: str | None = None
    serial: str | None = None
    slot_id: int | None = None
    object: str | None = None
    key_id: bytes | None = None
    module_path: str | None = None

    @classmethod
    def parse(cls, uri: str) -> Pkcs11Uri:
        if not uri.startswith("pkcs11:"):
            raise InvalidInput(f"Keine PKCS#11-URI: {uri} / not a pkcs11: URI")
        path, _, query = uri[len("pkcs11:"):].partition("?")
        attrs: dict[str, str] = {}
        for part in filter(None, path.split(";")):
            name, sep, value = part.partition("=")
            if not sep:
                raise InvalidInput(f"PKCS#11-URI: '{part}' ohne '=' / malformed attribute")
            attrs[name.strip()] = value
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if "pin-value" in params or "pin-source" in params:
            raise InvalidInput("Die PIN gehört nicht in die URI; sie wird abgefragt oder aus "
                               "DMS_KEY_PIN gelesen / keep the PIN out of the URI")
        slot = attrs.get("slot-id")
        try:
            slot_id = int(slot) if slot else None
        except ValueError:
            raise InvalidInput(
                f"PKCS#11-URI: slot-id={slot} ist keine Zahl / not a number") from None
        raw_id = attrs.get("id")
        return cls(
            token=unquote(attrs["token"]) if "token" in attrs else None,
            serial=unquote(attrs["serial"]) if "serial" in attrs else None,
            slot_id=slot_id,
            object=unquote(attrs["object"]) if "object" in attrs else None,
            key_id=unquote_to_bytes(raw_id) if raw_id else None,
            module_path=params.get("module-path"),
        )


def unquote_to_bytes(value: str) -> bytes:
    from urllib.parse import unquote_to_bytes as _unquote

    return _unquote(value)


_P11_LIBS: dict[str, Any] = {}
_P11_LOCK = threading.Lock()


def _p11_lib(module: str) -> Any:
    """A PKCS#11 module may be initialised once per process; keep one handle per path."""
    import pkcs11

    with _P11_LOCK:
        if module not in _P11_LIBS:
            if not Path(module).exists():
                raise ConfigError(f"PKCS#11-Modul nicht gefunden: {module} (signatures.toml "
                                  f"[pkcs11] module oder module-path) / module not found")
            try:
                _P11_LIBS[module] = pkcs11.lib(module)
            except Exception as exc:  # RuntimeError, AlreadyInitialized, OSError
                raise ConfigError(f"PKCS#11-Modul nicht ladbar: {module} ({exc}) / "
                                  f"cannot load module") from exc
        return _P11_LIBS[module]


def _find_token(lib: Any, uri: Pkcs11Uri) -> Any:
    from pkcs11 import exceptions as p11e

    wanted = uri.token or uri.serial or uri.slot_id
    try:
        slots = lib.get_slots(token_present=True)
    except p11e.PKCS11Error as exc:
        raise ServiceUnavailable(f"Kartenleser/HSM antwortet nicht ({type(exc).__name__}) / "
                                 f"token reader not responding") from exc
    matches = []
    for slot in slots:
        if uri.slot_id is not None and slot.slot_id != uri.slot_id:
            continue
        try:
            token = slot.get_token()
        except p11e.PKCS11Error:
            continue
        if uri.token is not None and token.label.strip() != uri.token:
            continue
        if uri.serial is not None and token.serial.decode(errors="replace").strip() != uri.serial:
            continue
        matches.append(token)
    if not matches:
        raise NotFound(f"Kein Token{f' {wanted!s}' if wanted is not None else ''} gefunden; "
                       f"Karte gesteckt? / token not found")
    if len(matches) > 1:
        raise InvalidInput("Mehrere Token passen; bitte token= in der URI angeben / several "
                           "tokens match, name one with token=")
    return matches[0]


@contextmanager
def open_pkcs11(uri_text: str, pin: str | None, module: str | None) -> Iterator[SigningKey]:
    """Log in to a token and find the key (by object label or id) and its certificate."""
    from pkcs11 import exceptions as p11e
    from pyhanko.sign.pkcs11 import PKCS11Signer

    uri = Pkcs11Uri.parse(uri_text)
    module_path = uri.module_path or module
    if not module_path:
        raise ConfigError("Kein PKCS#11-Modul: module-path in der URI oder [pkcs11] module in "
                          "signatures.toml angeben / no PKCS#11 module configured")
    if uri.object is None and uri.key_id is None:
        raise InvalidInput("PKCS#11-URI braucht object= oder id= des Schlüssels / name the key")
    token = _find_token(_p11_lib(module_path), uri)
    label = token.label.strip()
    try:
        session = token.open(user_pin=pin) if pin is not None else token.open()
    except p11e.PinIncorrect:
        raise KeyAccessDenied(f"Falsche PIN für Token {label} / wrong PIN") from None
    except p11e.PinLocked:
        raise KeyAccessDenied(f"Token {label} ist gesperrt (PIN zu oft falsch); PUK nötig / "
                              f"token locked") from None
    except (p11e.PinLenRange, p11e.PinInvalid, p11e.ArgumentsBad):
        raise KeyAccessDenied(f"PIN für Token {label} ungültig / PIN malformed") from None
    except (p11e.TokenNotPresent, p11e.DeviceRemoved):
        raise NotFound(f"Token {label} wurde entfernt / token removed") from None
    except p11e.PKCS11Error as exc:
        raise ServiceUnavailable(f"Token {label}: Anmeldung fehlgeschlagen "
                                 f"({type(exc).__name__}) / login failed") from None
    try:
        signer = PKCS11Signer(session, key_label=uri.object, cert_label=uri.object,
                              key_id=uri.key_id, cert_id=uri.key_id,
                              other_certs_to_pull=None)
        try:
            cert = signer.signing_cert
        except Exception as exc:  # pyHanko's PKCS11Error / python-pkcs11's NoSuchKey
            raise NotFound(f"Schlüssel oder Zertifikat '{uri.object or uri.key_id!r}' nicht auf "
                           f"Token {label} / key or certificate not on token") from exc
        yield _StaticKey(signer, cert, f"PKCS#11 {label}/{uri.object or ''} "
                                       f"({subject_name(cert)})")
    finally:
        with suppress(p11e.PKCS11Error):
            session.close()


# --- CSC (remote signing) ------------------------------------------------------------------


def _csc_parts(spec: str) -> tuple[str, str]:
    parts = urlsplit(spec[len("csc:"):])
    credential = (parse_qs(parts.query).get("credential") or [""])[-1]
    if parts.scheme not in ("http", "https") or not parts.netloc or not credential:
        raise InvalidInput(f"CSC-Angabe unvollständig: {spec}; Form: csc:https://dienst/pfad"
                           f"?credential=ID / expected csc:URL?credential=ID")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")), credential


class CscKey(SigningKey):
    """A credential at a remote signing service; each signature is authorised with the PIN,
    bound to the hash being signed (SCAL 2)."""

    def __init__(self, service_url: str, credential_id: str, pin: str | None,
                 timeout: float = 30.0) -> None:
        from pyhanko.sign.signers.csc_signer import CSCServiceSessionInfo

        self._session_info = CSCServiceSessionInfo(
            service_url=service_url, credential_id=credential_id,
            oauth_token=os.environ.get("DMS_CSC_TOKEN") or None)
        self._pin = pin
        self._timeout = timeout
        self.description = f"CSC {service_url} ({credential_id})"
        self._credential = run_sync(self._fetch_credential())
        self.certificate = self._credential.signing_cert

    async def _fetch_credential(self) -> Any:
        import aiohttp
        from pyhanko.sign.general import SigningError
        from pyhanko.sign.signers.csc_signer import fetch_certs_in_csc_credential

        try:
            async with aiohttp.ClientSession() as session:
                return await fetch_certs_in_csc_credential(
                    session, self._session_info, timeout=int(self._timeout))
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise ServiceUnavailable(f"Signaturdienst nicht erreichbar: "
                                     f"{self._session_info.service_url} / remote signing service "
                                     f"unreachable") from exc
        except SigningError as exc:
            cause = exc.__cause__
            if isinstance(cause, aiohttp.ClientConnectionError | TimeoutError):
                raise ServiceUnavailable(f"Signaturdienst nicht erreichbar: "
                                         f"{self._session_info.service_url} / remote signing "
                                         f"service unreachable") from exc
            status = getattr(cause, "status", None)
            if status in (401, 403):
                raise KeyAccessDenied("Signaturdienst verweigert den Zugang (Anmeldung, "
                                      "DMS_CSC_TOKEN) / access refused") from exc
            if status is not None and status >= 500:
                raise ServiceUnavailable(f"Signaturdienst gestört (HTTP {status}) / remote "
                                         f"signing service failing") from exc
            raise NotFound(f"Zugang {self._session_info.credential_id} beim Signaturdienst "
                           f"nicht gefunden / credential not found") from exc

    @asynccontextmanager
    async def _scope(self) -> AsyncIterator[Signer]:
        import aiohttp
        from pyhanko.sign.signers.csc_signer import CSCSigner

        async with aiohttp.ClientSession() as session:
            manager = _PinAuthorization(self._session_info, self._credential, self._pin,
                                        session, self._timeout)
            yield CSCSigner(session, manager)

    def signer_scope(self) -> AbstractAsyncContextManager[Signer]:
        return self._scope()


class _PinAuthorization(CSCAuthorizationManager):
    """Asks the service for signature activation data (SAD) for exactly these hashes."""

    def __init__(self, session_info: Any, credential: Any, pin: str | None, session: Any,
                 timeout: float) -> None:
        super().__init__(session_info, credential)
        self._pin = pin
        self._session = session
        self._timeout = timeout

    async def authorize_signature(self, hash_b64s: list[str]) -> Any:
        import aiohttp

        request = self.format_csc_auth_request(pin=self._pin, hash_b64s=hash_b64s)
        url = self.csc_session_info.endpoint_url("credentials/authorize")
        try:
            async with self._session.post(
                url, json=request, headers=self.auth_headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                if response.status in (401, 403):
                    raise KeyAccessDenied("Signaturdienst: falsche PIN oder keine Berechtigung "
                                          "/ wrong PIN or not authorised")
                if response.status >= 400:
                    raise ServiceUnavailable(f"Signaturdienst lehnt die Freigabe ab (HTTP "
                                             f"{response.status}) / authorisation refused")
                data = await response.json()
        except aiohttp.ClientConnectionError as exc:
            raise ServiceUnavailable("Signaturdienst nicht erreichbar / remote signing service "
                                     "unreachable") from exc
        return self.parse_csc_auth_response(data)


# --- the one entry point -------------------------------------------------------------------


@contextmanager
def open_key(spec: str, secret: str | None, *, pkcs11_module: str | None = None,
             ) -> Iterator[SigningKey]:
    """Open the key named by `spec` (PKCS#12 path, ``pkcs11:`` URI or ``csc:`` URL).

    `secret` is the passphrase or PIN; `pkcs11_module` the PKCS#11 library when the URI names
    none (from signatures.toml). Tokens are logged out when the context ends.
    """
    if spec.startswith("pkcs11:"):
        with open_pkcs11(spec, secret, pkcs11_module) as key:
            yield key
    elif spec.startswith("csc:"):
        service_url, credential = _csc_parts(spec)
        yield CscKey(service_url, credential, secret)
    else:
        yield open_pkcs12(Path(spec), secret)


__all__ = ["CscKey", "Pkcs11Uri", "SigningKey", "open_key", "run_sync",
           "subject_name"]
