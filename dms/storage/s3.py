"""Object store on S3 or MinIO, through the ``minio`` client (the only module importing it).

Keys are ``blobs/ab/cd/<sha256>``. S3 needs the object key (the hash) and, for a well-formed
upload, the length before the first byte is sent, but both are known only after the whole stream
has been read. So :meth:`S3Store.put` first spools the stream to an anonymous temporary file on
local disk (hashing while it copies, one chunk in memory at a time), then asks whether the key
exists (dedup), and only then uploads from the spool file with its known length. The spool goes
to :func:`tempfile.gettempdir`, i.e. ``$TMPDIR``: point that at a disk, not a RAM-backed tmpfs,
when multi-gigabyte documents are expected.

With ``object_lock=MODE:DAYS`` the bucket is created with S3 object lock and every new object is
uploaded with a retention of that mode until now + DAYS, so that not even the application's own
credentials can remove it early (write-once retention, DESIGN.md invariant 4). In such a bucket
:meth:`S3Store.delete` only hides the key behind a delete marker; the locked version stays until
its retention expires, which is what the retention service relies on.
"""

from __future__ import annotations

import base64
import io
import math
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.datatypes import Object
from minio.error import MinioException, S3Error
from minio.retention import Retention
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry, Timeout

from dms.errors import ConfigError, NotFound, StorageUnavailable
from dms.storage import CHUNK_SIZE, StoredBlob, check_sha256, copy_hashing, hash_stream, is_sha256

__all__ = ["ObjectLock", "S3Store"]

ENV_ACCESS_KEY = "DMS_S3_ACCESS_KEY"
ENV_SECRET_KEY = "DMS_S3_SECRET_KEY"

KEY_PREFIX = "blobs/"

EXAMPLE_URL = (
    "s3://dms-blobs?endpoint=minio.example.org:9000&secure=true&region=us-east-1"
    "&access_key=AKIA...&secret_key=...&object_lock=GOVERNANCE:3650"
)

# S3 multipart limits: parts of at least 5 MiB, at most 10,000 parts.
_MIN_PART_SIZE = 5 * 1024 * 1024
_MAX_PARTS = 10_000
# Parts are held in memory while being sent; two in flight plus one being read keeps the
# client's footprint at about 3 parts (15 MiB for documents up to 50 GB).
_PARALLEL_PARTS = 2

# Error codes that mean "this key is not there" (HEAD gives no body, minio names it NoSuchKey).
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchVersion"})

_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_HOST_PORT_RE = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>\d{1,5}))?")
_KNOWN_PARAMS = (
    "endpoint",
    "secure",
    "region",
    "access_key",
    "secret_key",
    "object_lock",
    "connect_timeout",
    "read_timeout",
    "retries",
)


@dataclass(frozen=True)
class ObjectLock:
    """Write-once retention applied to every new object: S3 lock mode and days to keep."""

    mode: str  # GOVERNANCE or COMPLIANCE
    days: int

    def __post_init__(self) -> None:
        if self.mode not in (GOVERNANCE, COMPLIANCE):
            raise ConfigError(
                f"object_lock mode must be GOVERNANCE or COMPLIANCE, not {self.mode!r}; "
                f"e.g. object_lock=GOVERNANCE:3650"
            )
        if self.days < 1:
            raise ConfigError(
                f"object_lock days must be at least 1, not {self.days}; "
                f"e.g. object_lock=GOVERNANCE:3650"
            )

    def retention(self) -> Retention:
        """The retention for an object written now."""
        return Retention(self.mode, datetime.now(UTC) + timedelta(days=self.days))


def _part_size(size: int) -> int:
    """Smallest multiple of 5 MiB that fits ``size`` into S3's 10,000-part limit."""
    per_part = math.ceil(size / _MAX_PARTS)
    return max(_MIN_PART_SIZE, math.ceil(per_part / _MIN_PART_SIZE) * _MIN_PART_SIZE)


class _ResponseReader(io.RawIOBase):
    """Raw stream over a minio GET response that releases the connection when closed.

    Wrapped in a BufferedReader by :meth:`S3Store.open`. Network errors in the middle of a read
    surface as StorageUnavailable, like every other failure of the store.
    """

    def __init__(self, response: BaseHTTPResponse, store: S3Store, action: str) -> None:
        super().__init__()
        self._response = response
        self._store = store
        self._action = action

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        with self._store._translate(self._action):
            return self._response.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            try:
                self._response.close()
                self._response.release_conn()
            finally:
                super().close()


class S3Store:
    """Blobs as objects ``blobs/ab/cd/<sha256>`` in one S3/MinIO bucket."""

    def __init__(
        self,
        bucket: str,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool = True,
        region: str | None = None,
        object_lock: ObjectLock | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 300.0,
        retries: int = 3,
    ) -> None:
        if not _BUCKET_RE.fullmatch(bucket) or ".." in bucket:
            raise ConfigError(
                f"invalid S3 bucket name {bucket!r}: 3-63 characters a-z, 0-9, '.', '-'; "
                f"e.g. {EXAMPLE_URL}"
            )
        self.bucket = bucket
        self.endpoint = endpoint
        self.secure = secure
        self.region = region
        self.object_lock = object_lock
        self._secret_key = secret_key
        # Our own pool instead of minio's default: minio waits 5 minutes to connect and retries
        # five times with back-off, which turns "MinIO is down" into a hang instead of a 503.
        http = urllib3.PoolManager(
            timeout=Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=Retry(
                total=retries,
                backoff_factor=0.2,
                status_forcelist=[500, 502, 503, 504],
            ),
        )
        try:
            self._client = Minio(
                endpoint,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure,
                region=region,
                http_client=http,
            )
        except ValueError as exc:
            raise ConfigError(
                self._scrub(f"invalid S3 endpoint {endpoint!r}: {exc}; e.g. {EXAMPLE_URL}")
            ) from None
        query = f"endpoint={endpoint}&secure={'true' if secure else 'false'}"
        if region:
            query += f"&region={region}"
        if object_lock:
            query += f"&object_lock={object_lock.mode}:{object_lock.days}"
        self.url = f"s3://{bucket}?{query}"
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Store({self.url!r})"

    # -- configuration -------------------------------------------------------------------------

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        """Build a store from ``s3://BUCKET?endpoint=HOST:PORT&...``.

        Parameters: ``endpoint`` (required, HOST or HOST:PORT, no scheme), ``secure``
        (true/false, default true), ``region``, ``access_key`` and ``secret_key`` (or the
        environment variables DMS_S3_ACCESS_KEY / DMS_S3_SECRET_KEY, which keep the secret out
        of config files), ``object_lock`` (MODE:DAYS), ``connect_timeout`` and ``read_timeout``
        (seconds), ``retries`` (count). Values are percent-decoded; '+' stays '+', so secrets
        only need '%', '&', '#' and '=' encoded. Every mistake raises ConfigError naming the
        problem; messages show the URL with the secret replaced by ***.
        """
        shown = _redact(url)

        def fail(problem: str) -> ConfigError:
            return ConfigError(f"object store URL {shown}: {problem}; e.g. {EXAMPLE_URL}")

        if not url.lower().startswith("s3://"):
            raise fail("must start with 's3://'")
        parts = urlsplit(url)
        if parts.fragment or "#" in url:
            raise fail("contains '#' (percent-encode it as %23 inside values)")
        if "@" in parts.netloc:
            raise fail("credentials belong in access_key=/secret_key= or the environment")
        bucket = parts.netloc
        if not bucket:
            raise fail("bucket name missing after 's3://'")
        if parts.path not in ("", "/"):
            raise fail(f"a path ({parts.path!r}) is not supported; give only the bucket")

        params: dict[str, str] = {}
        for item in parts.query.split("&") if parts.query else []:
            if not item:
                continue
            name, sep, value = item.partition("=")
            name = unquote(name)
            if not sep:
                raise fail(f"parameter {name!r} has no value (write {name}=...)")
            if name not in _KNOWN_PARAMS:
                raise fail(f"unknown parameter {name!r}; known: {', '.join(_KNOWN_PARAMS)}")
            if name in params:
                raise fail(f"parameter {name!r} given twice")
            params[name] = unquote(value)

        endpoint = params.get("endpoint", "")
        if not endpoint:
            raise fail("endpoint=HOST:PORT is required")
        if "://" in endpoint:
            raise fail("endpoint is HOST:PORT without http:// (use secure=false for plain HTTP)")
        match = _HOST_PORT_RE.fullmatch(endpoint)
        if match is None or (match.group("port") and not 0 < int(match.group("port")) < 65536):
            raise fail(f"endpoint {endpoint!r} is not HOST or HOST:PORT")

        secure_text = params.get("secure", "true").lower()
        if secure_text not in ("true", "false", "1", "0"):
            raise fail(f"secure must be true or false, not {params['secure']!r}")
        secure = secure_text in ("true", "1")

        region = params.get("region") or None
        if "region" in params and not region:
            raise fail("region is empty")

        access_key = params.get("access_key") or os.environ.get(ENV_ACCESS_KEY, "")
        secret_key = params.get("secret_key") or os.environ.get(ENV_SECRET_KEY, "")
        if not access_key or not secret_key:
            missing = " and ".join(
                n for n, v in (("access_key", access_key), ("secret_key", secret_key)) if not v
            )
            raise fail(
                f"{missing} missing: give it in the URL or set {ENV_ACCESS_KEY} / {ENV_SECRET_KEY}"
            )

        object_lock = None
        if "object_lock" in params:
            mode, sep, days_text = params["object_lock"].partition(":")
            if not sep or not days_text.isdigit():
                raise fail(f"object_lock must be MODE:DAYS, not {params['object_lock']!r}")
            try:
                object_lock = ObjectLock(mode.upper(), int(days_text))
            except ConfigError as exc:
                raise fail(exc.message) from None

        def number(name: str, default: float, minimum: float) -> float:
            if name not in params:
                return default
            try:
                value = float(params[name])
            except ValueError:
                raise fail(f"{name} must be a number, not {params[name]!r}") from None
            if not math.isfinite(value) or value < minimum:
                raise fail(f"{name} must be at least {minimum:g}, not {params[name]!r}")
            return value

        retries = number("retries", 3, 0)
        if retries != int(retries):
            raise fail(f"retries must be a whole number, not {params['retries']!r}")

        return cls(
            bucket,
            endpoint,
            access_key,
            secret_key,
            secure=secure,
            region=region,
            object_lock=object_lock,
            connect_timeout=number("connect_timeout", 10.0, 0.001),
            read_timeout=number("read_timeout", 300.0, 0.001),
            retries=int(retries),
        )

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _key(sha256: str) -> str:
        return f"{KEY_PREFIX}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _scrub(self, text: str) -> str:
        """Belt and braces: no message may ever carry the secret key."""
        return text.replace(self._secret_key, "***") if self._secret_key else text

    def _unavailable(self, action: str, detail: str) -> StorageUnavailable:
        return StorageUnavailable(
            self._scrub(
                f"S3-Ablage nicht erreichbar: {self.endpoint} / object store unavailable at "
                f"{self.endpoint} (bucket {self.bucket}) during {action}: {detail}"
            )
        )

    @contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """Turn client, protocol and connection failures into StorageUnavailable.

        Callers that expect "no such key" catch S3Error themselves inside this block first.
        """
        try:
            yield
        except S3Error as exc:
            raise self._unavailable(action, f"{exc.code}: {exc.message}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unavailable(action, f"{type(exc).__name__}: {exc}") from exc

    def _ensure_bucket(self) -> None:
        """Create the bucket on first use (with object lock if configured), once per instance.

        Object lock can only be switched on when a bucket is created, so an existing bucket
        without it is a configuration error, reported before any object is written unprotected.
        """
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return
            with self._translate("bucket check"):
                if not self._client.bucket_exists(self.bucket):
                    try:
                        self._client.make_bucket(
                            self.bucket,
                            location=self.region,
                            object_lock=self.object_lock is not None,
                        )
                    except S3Error as exc:
                        # Another worker created it between our check and our create.
                        if exc.code != "BucketAlreadyOwnedByYou":
                            raise
                elif self.object_lock is not None:
                    try:
                        self._client.get_object_lock_config(self.bucket)
                    except S3Error as exc:
                        if exc.code != "ObjectLockConfigurationNotFoundError":
                            raise
                        raise ConfigError(
                            f"bucket {self.bucket} at {self.endpoint} exists without object "
                            "lock, which can only be enabled when a bucket is created: use a "
                            "new bucket name or remove object_lock from the store URL"
                        ) from None
            self._bucket_ready = True

    def _stat(self, sha256: str) -> Object | None:
        key = self._key(check_sha256(sha256))
        self._ensure_bucket()
        with self._translate("stat"):
            try:
                return self._client.stat_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING_CODES:
                    return None
                raise

    # -- ObjectStore ---------------------------------------------------------------------------

    def put(self, stream: BinaryIO) -> StoredBlob:
        """Spool and hash, skip the upload if the key exists, else upload with known length.

        Single-part uploads carry ``x-amz-checksum-sha256`` so that the server checks the bytes
        it received against our hash (and because S3 wants a checksum header on uploads that set
        object-lock retention). Larger uploads are multipart; minio sends the parts.
        """
        self._ensure_bucket()
        spool_dir = tempfile.gettempdir()
        try:
            spool = tempfile.TemporaryFile(prefix="dms-s3-spool-")  # noqa: SIM115
        except OSError as exc:
            raise StorageUnavailable(
                f"Zwischenspeicher nicht beschreibbar: {spool_dir} / cannot create spool file "
                f"in {spool_dir} ({exc.strerror or exc})"
            ) from exc
        with spool:
            sha256, size = copy_hashing(stream, spool, f"spool file in {spool_dir}")
            existing = self._stat(sha256)
            if existing is not None and existing.size == size:
                return StoredBlob(sha256=sha256, size=size, created=False)
            # A key of the right name but wrong size is a damaged object: upload over it.
            part_size = _part_size(size)
            metadata: dict[str, str | list[str] | tuple[str]] | None = None
            if size <= part_size:
                metadata = {
                    "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(sha256)).decode(),
                    "x-amz-sdk-checksum-algorithm": "SHA256",
                }
            retention = self.object_lock.retention() if self.object_lock else None
            with self._translate("upload"):
                spool.flush()
                spool.seek(0)
                self._client.put_object(
                    self.bucket,
                    self._key(sha256),
                    spool,
                    size,
                    metadata=metadata,
                    part_size=part_size,
                    num_parallel_uploads=_PARALLEL_PARTS,
                    retention=retention,
                )
            if retention is not None:
                self._ensure_retention(sha256, retention)
        return StoredBlob(sha256=sha256, size=size, created=True)

    def _ensure_retention(self, sha256: str, retention: Retention) -> None:
        """Check that the new object really carries a retention, and set it if not.

        S3 and MinIO apply the retention sent with the upload, also for multipart uploads. Not
        every S3-compatible server does (moto drops it on multipart uploads), and an object that
        silently lacks its legal retention is worse than one extra HEAD per upload.
        """
        key = self._key(sha256)
        with self._translate("retention check"):
            found = self._client.stat_object(self.bucket, key)
            headers = found.metadata or {}
            if headers.get("x-amz-object-lock-mode") and headers.get(
                "x-amz-object-lock-retain-until-date"
            ):
                return
            self._client.set_object_retention(self.bucket, key, retention)

    def batch(self) -> S3Batch:
        return S3Batch(self)

    def open(self, sha256: str) -> BinaryIO:
        """Start a GET and return its body as a buffered stream (read it, then close it)."""
        key = self._key(check_sha256(sha256))
        self._ensure_bucket()
        with self._translate("read"):
            try:
                response = self._client.get_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING_CODES:
                    raise NotFound(
                        f"Blob {sha256} nicht vorhanden / blob {sha256} not found in {self.url}"
                    ) from None
                raise
        return io.BufferedReader(_ResponseReader(response, self, "read"), buffer_size=CHUNK_SIZE)

    def exists(self, sha256: str) -> bool:
        return self._stat(sha256) is not None

    def size(self, sha256: str) -> int | None:
        found = self._stat(sha256)
        return None if found is None else found.size

    def delete(self, sha256: str) -> None:
        """Remove the key; S3 answers a DELETE of a missing key with success (idempotent)."""
        key = self._key(check_sha256(sha256))
        self._ensure_bucket()
        with self._translate("delete"):
            try:
                self._client.remove_object(self.bucket, key)
            except S3Error as exc:
                if exc.code not in _MISSING_CODES:
                    raise

    def iter_hashes(self) -> Iterator[str]:
        """List ``blobs/`` and yield the hashes of well-formed keys (others are not blobs)."""
        self._ensure_bucket()
        with self._translate("list"):
            for obj in self._client.list_objects(self.bucket, prefix=KEY_PREFIX, recursive=True):
                name = obj.object_name or ""
                sha256 = name.rsplit("/", 1)[-1]
                if is_sha256(sha256) and name == self._key(sha256):
                    yield sha256

    def modified_at(self, sha256: str) -> datetime | None:
        found = self._stat(sha256)
        return None if found is None else found.last_modified

    def verify(self, sha256: str) -> bool:
        """Download in chunks and re-hash; False if the key is missing or the bytes differ."""
        try:
            stream = self.open(sha256)
        except NotFound:
            return False
        with stream:
            return hash_stream(stream) == sha256


def _redact(url: str) -> str:
    """The URL with secret_key and any user:password part replaced, for error messages."""
    url = re.sub(r"(?i)(secret_key=)[^&#]*", r"\1***", url)
    return re.sub(r"^(s3://)[^/?#]*@", r"\1***@", url, flags=re.IGNORECASE)


class S3Batch:
    """A :class:`dms.storage.PutBatch` for :class:`S3Store`. An S3 PUT is durable when the
    server acknowledges it, so there is nothing to share: ``put`` is :meth:`S3Store.put` and
    ``sync`` has nothing left to do."""

    def __init__(self, store: S3Store) -> None:
        self.store = store

    def put(self, stream: BinaryIO) -> StoredBlob:
        return self.store.put(stream)

    def sync(self) -> None:
        """Nothing to do: every put was durable when it returned."""
